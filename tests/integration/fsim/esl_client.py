"""A raw-socket ESL client for the fsim tests (independent of greenswitch and engine.switch)."""
from gevent import socket
import time
from urllib.parse import unquote

import gevent
from gevent.event import Event as GEvent


class Frame:
    """One received frame: envelope headers, raw body, and for events the parsed inner headers/body."""

    def __init__(self, headers, body):
        self.headers = headers
        self.body = body
        self.ev_headers = []
        self.ev_body = None
        ctype = dict(headers).get("Content-Type", "")
        if ctype == "text/event-plain":
            head, sep, rest = body.partition("\n\n")
            lines = head.split("\n")
            for ln in lines:
                name, _, val = ln.partition(": ")
                if name == "Content-Length" and sep and rest:
                    self.ev_body = rest
                    continue
                self.ev_headers.append((name, unquote(val)))

    @property
    def ctype(self):
        return dict(self.headers).get("Content-Type")

    def get(self, name, default=None):
        for n, v in self.ev_headers:
            if n == name:
                return v
        return default

    def all(self, name):
        return [v for n, v in self.ev_headers if n == name]

    @property
    def name(self):
        return self.get("Event-Name")

    def names(self):
        return [n for n, _ in self.ev_headers]


class EslClient:
    """Connects, collects frames in a greenlet; replies are matched in order."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(None)
        self.frames = []
        self.replies = []
        self.events = []
        self.closed = False
        self._new = GEvent()
        self._buf = b""
        self.reader = gevent.spawn(self._read)

    def _read(self):
        try:
            while True:
                frame = self._read_frame()
                if frame is None:
                    break
                self.frames.append(frame)
                if frame.ctype in ("command/reply", "api/response", "auth/request", "text/disconnect-notice"):
                    self.replies.append(frame)
                else:
                    self.events.append(frame)
                self._new.set()
        except OSError:
            pass
        self.closed = True
        self._new.set()

    def _recv_until(self, pred):
        while not pred():
            data = self.sock.recv(65536)
            if not data:
                return False
            self._buf += data
        return True

    def _read_frame(self):
        if not self._recv_until(lambda: b"\n\n" in self._buf):
            return None
        head, _, self._buf = self._buf.partition(b"\n\n")
        headers = [tuple(ln.split(": ", 1)) for ln in head.decode().split("\n") if ln]
        clen = int(dict(headers).get("Content-Length", 0))
        if not self._recv_until(lambda: len(self._buf) >= clen):
            return None
        body, self._buf = self._buf[:clen], self._buf[clen:]
        return Frame(headers, body.decode("utf-8"))

    def raw(self, data):
        self.sock.sendall(data)

    def send(self, cmd, headers=(), timeout=10):
        """Send a command and return its reply frame."""
        n = len(self.replies)
        text = cmd + "\n" + "".join("%s: %s\n" % kv for kv in headers) + "\n"
        self.sock.sendall(text.encode())
        self.wait_for(lambda: len(self.replies) > n, timeout)
        return self.replies[n]

    def wait_for(self, pred, timeout=10):
        """Poll with a deadline until pred() is true."""
        deadline = time.monotonic() + timeout
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0 or (self.closed and not pred()):
                raise AssertionError("timeout/closed waiting for condition")
            self._new.clear()
            self._new.wait(min(left, 0.2))
        return True

    def wait_event(self, name, timeout=10, **match):
        """First event (already received or future) with that Event-Name and matching headers."""
        def find():
            for ev in self.events:
                if ev.name == name and all(ev.get(k.replace("_", "-")) == v for k, v in match.items()):
                    return ev
            return None
        self.wait_for(lambda: find() is not None, timeout)
        return find()

    def auth(self, password="ClueCon"):
        self.wait_for(lambda: len(self.replies) >= 1)
        return self.send("auth %s" % password)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.reader.kill(block=False)
