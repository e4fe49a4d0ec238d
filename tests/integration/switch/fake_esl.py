"""A tiny scripted ESL server for connection tests (NOT a FreeSWITCH simulator).

``FakeEsl`` is a gevent StreamServer on 127.0.0.1:<ephemeral port>. Every accepted TCP connection
becomes a :class:`FakeConn` that the test drives from its own greenlet: it sends exactly the bytes
the test scripts and reads exactly the commands the client wrote.
"""
from __future__ import annotations

import socket as _pysocket
import time
from typing import Iterable, Mapping

import gevent
import gevent.event
import gevent.queue
from gevent.server import StreamServer

DISCONNECT_BODY = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

# FreeSWITCH's SWITCH_URL_UNSAFE set (switch_utils.h) plus control / non-ASCII bytes.
_UNSAFE = set(b'\r\n #%&+:;<=>?@[\\]^`{|}"')


def fs_url_encode(value: str, double_encode: bool = False) -> str:
    """FreeSWITCH ``switch_url_encode_opt``: %XX (uppercase) for bytes < 0x20, > 0x7E and the
    unsafe set; an existing ``%XX`` is kept as is unless ``double_encode``."""
    raw = value.encode("utf-8")
    out = []
    i = 0
    hexdigits = b"0123456789abcdefABCDEF"
    while i < len(raw):
        b = raw[i]
        if (b == 0x25 and not double_encode and i + 2 < len(raw)
                and raw[i + 1] in hexdigits and raw[i + 2] in hexdigits):
            out.append("%")
        elif b < 0x20 or b > 0x7E or b in _UNSAFE:
            out.append("%%%02X" % b)
        else:
            out.append(chr(b))
        i += 1
    return "".join(out)


def _b(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


# -- frame builders (byte-exact, as mod_event_socket writes them) ------------------------------
def auth_request() -> bytes:
    return b"Content-Type: auth/request\n\n"


def command_reply(text: str, extra: Mapping[str, str] | None = None) -> bytes:
    out = "Content-Type: command/reply\nReply-Text: %s\n" % text
    for k, v in (extra or {}).items():
        out += "%s: %s\n" % (k, v)
    return (out + "\n").encode("utf-8")


def api_response(body: bytes | str) -> bytes:
    body = _b(body)
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body


def disconnect_notice(body: bytes = DISCONNECT_BODY, extra: Mapping[str, str] | None = None) -> bytes:
    head = "Content-Type: text/disconnect-notice\n"
    for k, v in (extra or {}).items():
        head += "%s: %s\n" % (k, v)
    return head.encode() + b"Content-Length: %d\n\n" % len(body) + body


def serialize_plain(headers: Iterable[tuple[str, str]] | Mapping[str, str], body: bytes | str | None = None) -> bytes:
    """switch_event_serialize: url-encoded header lines, then Content-Length + body if any."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = "".join("%s: %s\n" % (k, fs_url_encode(v)) for k, v in items).encode("utf-8")
    if body is None:
        return out + b"\n"
    body = _b(body)
    return out + b"Content-Length: %d\n\n" % len(body) + body


def event_plain(headers: Iterable[tuple[str, str]] | Mapping[str, str], body: bytes | str | None = None) -> bytes:
    payload = serialize_plain(headers, body)
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(payload) + payload


def event_json(json_text: str) -> bytes:
    payload = json_text.encode("utf-8")
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(payload) + payload


def simple_event(name: str, seq: int = 1, **extra: str) -> bytes:
    headers = [("Event-Name", name), ("Core-UUID", "6db5df64-bbd6-4a69-8ced-7c0964deb754"),
               ("Event-Date-Local", "2026-11-22 18:46:15"), ("Event-Sequence", str(seq))]
    headers += [(k.replace("_", "-"), v) for k, v in extra.items()]
    return event_plain(headers)


class FakeConn:
    """One accepted client connection, driven by the test."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self._buf = bytearray()
        self.received = bytearray()  # every byte the client sent
        self.closed = gevent.event.Event()

    def send(self, data: bytes | str, chunk: int | None = None) -> None:
        """Write bytes; with ``chunk`` as many small TCP writes (TCP_NODELAY is on)."""
        data = _b(data)
        if not chunk:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            gevent.sleep(0)

    def _fill(self, timeout: float) -> None:
        with gevent.Timeout(timeout, AssertionError("client sent nothing within %ss" % timeout)):
            data = self.sock.recv(65536)
        if not data:
            raise EOFError("client closed the connection")
        self._buf += data
        self.received += data

    def read_command(self, timeout: float = 5.0) -> bytes:
        """One client command: bytes up to and including the blank line, plus a
        ``content-length`` body if the command has one. Returned byte-exact."""
        while True:
            end = self._buf.find(b"\n\n")
            if end >= 0:
                head = bytes(self._buf[:end + 2])
                clen = 0
                for line in head.split(b"\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        clen = int(value.strip())
                while len(self._buf) < end + 2 + clen:
                    self._fill(timeout)
                cmd = bytes(self._buf[:end + 2 + clen])
                del self._buf[:end + 2 + clen]
                return cmd
            self._fill(timeout)

    def expect(self, expected: bytes | str, timeout: float = 5.0) -> bytes:
        cmd = self.read_command(timeout)
        assert cmd == _b(expected), "expected %r, got %r" % (_b(expected), cmd)
        return cmd

    def wait_eof(self, timeout: float = 5.0) -> bytes:
        """Read until the client closes; return what it sent meanwhile."""
        rest = bytearray()
        with gevent.Timeout(timeout, AssertionError("client did not close within %ss" % timeout)):
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return bytes(rest)
                rest += data
                self.received += data

    def handshake(self, password: str = "ClueCon", subscribe: str | None = "event plain ALL") -> None:
        """auth/request -> expect ``auth <password>`` -> +OK accepted -> expect the subscription."""
        self.send(auth_request())
        self.expect("auth %s\n\n" % password)
        self.send(command_reply("+OK accepted"))
        if subscribe is not None:
            self.expect(subscribe + "\n\n")
            self.send(command_reply("+OK event listener enabled plain"))

    def close(self) -> None:
        if self.closed.is_set():
            return
        try:
            self.sock.shutdown(_pysocket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.closed.set()


class FakeEsl:
    """``with FakeEsl() as fake: ... fake.port ... conn = fake.next_conn()``."""

    def __init__(self) -> None:
        self._accepted: gevent.queue.Queue = gevent.queue.Queue()
        self.conns: list[FakeConn] = []
        self.server = StreamServer(("127.0.0.1", 0), self._handle)

    def start(self) -> "FakeEsl":
        self.server.start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_port

    def _handle(self, sock, _addr) -> None:
        sock.setsockopt(_pysocket.IPPROTO_TCP, _pysocket.TCP_NODELAY, 1)
        conn = FakeConn(sock)
        self.conns.append(conn)
        self._accepted.put(conn)
        conn.closed.wait()  # the test owns the socket until it closes it

    def next_conn(self, timeout: float = 5.0) -> FakeConn:
        try:
            return self._accepted.get(timeout=timeout)
        except gevent.queue.Empty:
            raise AssertionError("no client connection within %ss" % timeout) from None

    def no_conn_within(self, seconds: float) -> bool:
        try:
            self._accepted.get(timeout=seconds)
        except gevent.queue.Empty:
            return True
        return False

    def stop(self) -> None:
        for conn in self.conns:
            conn.close()
        self.server.stop(timeout=1)

    def __enter__(self) -> "FakeEsl":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until(pred, timeout=3.0, what="condition"):
    """Poll `pred` every 2 ms until it holds; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        gevent.sleep(0.002)
