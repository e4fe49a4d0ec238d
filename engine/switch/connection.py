"""Inbound ESL connection to FreeSWITCH, built on greenswitch's ``InboundESL``.

greenswitch 0.0.19 is used for what it does right (TCP connect, the greeting/auth handshake, the
greenlet layout); every known defect (FREESWITCH.md §5) is fixed here:

1. Event bodies (BACKGROUND_JOB results) are split from the headers; header values are URL-decoded
   one by one, duplicate headers kept (:mod:`engine.switch.frames`).
2. ``text/event-json`` frames are parsed instead of killing the reader; an unparseable frame is
   logged and skipped, never fatal.
3. Every command has a timeout; on disconnect every pending command fails at once with
   :class:`SwitchDisconnected`.
4. Reconnection: :class:`EslConnection` creates a NEW :class:`EslSession` for every attempt, with
   backoff, re-subscribes events and filters, and calls ``on_connected`` so the engine resyncs.
5. Every event goes to the single ``on_event`` sink, whatever its name.

Also: EOF in the middle of a frame closes the session (greenswitch spins forever), the body of a
``text/disconnect-notice`` is consumed, events are queued and delivered by a separate greenlet so a
slow sink never delays command replies, replies are matched FIFO by Content-Type (events between a
command and its reply are not mistaken for it), and Content-Length is counted in bytes.
"""
from __future__ import annotations

import logging
import socket as _pysocket
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import gevent
import gevent.event
import gevent.lock
import gevent.queue
import gevent.socket
from greenswitch.esl import InboundESL, NotConnectedError

from .errors import (
    SwitchAuthError,
    SwitchCommandError,
    SwitchDisconnected,
    SwitchError,
    SwitchNotConnected,
    SwitchTimeout,
)
from .frames import (
    EslEvent,
    EslFrame,
    FrameError,
    FrameParser,
    parse_json_event,
    parse_plain_event,
)

logger = logging.getLogger(__name__)

__all__ = ["EslConnection", "EslSession", "EslReply"]

_RECV_SIZE = 256 * 1024
_STABLE_AFTER = 10.0  # a session that lived this long resets the backoff
_LOG_EVERY = 1000  # after the first few, log one unparseable frame in this many


@dataclass(frozen=True)
class EslReply:
    """Reply to one command: a ``command/reply`` (text in ``Reply-Text``) or an ``api/response``."""

    content_type: str
    headers: Mapping[str, str]
    body: str = ""

    @property
    def reply_text(self) -> str:
        return self.headers.get("Reply-Text", "")

    @property
    def text(self) -> str:
        """api/response body, otherwise Reply-Text."""
        return self.body if self.content_type == "api/response" else self.reply_text


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<%s>" % self.name


_CONNECTED = _Marker("connected")
_DISCONNECTED = _Marker("disconnected")
_STOP = _Marker("stop")


class EslSession(InboundESL):
    """ONE inbound ESL TCP connection (one attempt; never reconnected, never reused).

    ``sink`` receives every parsed :class:`EslEvent`, in wire order, from the reader greenlet; it
    must not block (EslConnection passes a queue's ``put``).
    """

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        sink: Callable[[EslEvent], None],
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
    ) -> None:
        super().__init__(host, port, password, timeout=connect_timeout)
        self.sock = None
        self.sock_file = None
        self._sink = sink
        self._command_timeout = command_timeout
        self._send_lock = gevent.lock.Semaphore()
        self._parser = FrameParser()
        self._bad_frames = 0
        self.closed = gevent.event.Event()
        self.close_reason: str | None = None

    # -- greenswitch overrides ------------------------------------------------------------------
    def start_event_handlers(self) -> None:
        """Called by ``InboundESL.connect`` once TCP is up: start OUR reader only (events are not
        dispatched here but handed to the sink, so a slow consumer never blocks reading)."""
        try:
            self.sock.setsockopt(_pysocket.IPPROTO_TCP, _pysocket.TCP_NODELAY, 1)
            self.sock.setsockopt(_pysocket.SOL_SOCKET, _pysocket.SO_KEEPALIVE, 1)
            for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3)):
                if hasattr(_pysocket, name):
                    self.sock.setsockopt(_pysocket.IPPROTO_TCP, getattr(_pysocket, name), value)
        except OSError:  # pragma: no cover - best effort
            pass
        self._receive_events_greenlet = gevent.spawn(self.receive_events)

    def connect(self) -> None:
        """TCP connect, wait for ``auth/request``, authenticate; all bounded by ``connect_timeout``
        (+ command timeout for the auth reply). Raises SwitchAuthError / SwitchNotConnected /
        SwitchTimeout; the session is closed on any failure."""
        try:
            with gevent.Timeout(self.timeout, SwitchTimeout("no auth/request from %s:%s within %ss"
                                                            % (self.host, self.port, self.timeout))):
                InboundESL.connect(self)
        except SwitchError as exc:
            self.close(str(exc))
            raise
        except NotConnectedError as exc:
            reason = self.close_reason or str(exc) or "connection failed"
            self.close(reason)
            raise SwitchNotConnected("%s:%s: %s" % (self.host, self.port, reason)) from exc
        except OSError as exc:
            self.close(str(exc))
            raise SwitchNotConnected("%s:%s: %s" % (self.host, self.port, exc)) from exc
        except BaseException:
            self.close("connect interrupted")
            raise

    def authenticate(self) -> None:
        reply = self.send("auth %s" % self.password, timeout=self._command_timeout)
        if reply.reply_text != "+OK accepted":
            logger.error("FreeSWITCH %s:%s rejected the event-socket password (%s); check the "
                         "ESL password in the engine configuration", self.host, self.port,
                         reply.reply_text or reply.content_type)
            raise SwitchAuthError("FreeSWITCH %s:%s rejected the password: %s"
                                  % (self.host, self.port, reply.reply_text))

    def receive_events(self) -> None:
        """Reader greenlet: split the stream into frames and route them. Never dies on a bad
        event; ends on EOF, socket error, framing error or a disconnect notice."""
        reason = "connection closed by FreeSWITCH"
        try:
            sock = self.sock
            parser = self._parser
            running = True
            while running:
                try:
                    data = sock.recv(_RECV_SIZE)
                except OSError as exc:
                    reason = self.close_reason or "socket error: %s" % exc
                    break
                if not data:
                    if parser.in_frame:
                        reason = ("connection dropped mid-frame (%d bytes of an incomplete frame)"
                                  % parser.buffered)
                    break
                for frame in parser.feed(data):
                    why = self._route(frame)
                    if why is not None:
                        reason = why
                        running = False
                        break
        except FrameError as exc:
            reason = "ESL protocol error: %s" % exc
            logger.error("FreeSWITCH %s:%s: %s; dropping the connection", self.host, self.port, exc)
        except gevent.GreenletExit:
            reason = self.close_reason or "reader stopped"
        except Exception as exc:  # pragma: no cover - defensive: never leave commands hanging
            reason = "reader failed: %r" % (exc,)
            logger.exception("ESL reader for %s:%s failed", self.host, self.port)
        finally:
            self._finish(reason)

    def send(self, data: str, timeout: float | None = None) -> EslReply:  # type: ignore[override]
        """Send one command (``data`` without the terminating blank line) and wait for its reply."""
        return self.send_raw((data + "\n\n").encode("utf-8"), timeout)

    def stop(self, timeout: float = 1.0) -> None:  # type: ignore[override]
        """Polite close: ``exit`` (bounded), then close the socket."""
        if self.connected and not self.closed.is_set():
            try:
                self.send("exit", timeout=timeout)
            except SwitchError:
                pass
        self.close(self.close_reason or "stopped by client")

    # -- commands -------------------------------------------------------------------------------
    def send_raw(self, payload: bytes, timeout: float | None = None) -> EslReply:
        """Write exact command bytes and wait (bounded) for the FIFO-matched reply."""
        if timeout is None:
            timeout = self._command_timeout
        result = gevent.event.AsyncResult()
        with self._send_lock:
            # check + enqueue + write is atomic w.r.t. other senders: the FIFO order of
            # _commands_sent is the order of the commands on the wire
            if not self.connected or self.closed.is_set():
                raise SwitchNotConnected("not connected to FreeSWITCH %s:%s" % (self.host, self.port))
            self._commands_sent.append(result)
            wrote = False
            try:
                with gevent.Timeout(timeout, False):
                    self.sock.sendall(payload)
                    wrote = True
            except OSError as exc:
                self.close("send failed: %s" % exc)
                raise SwitchDisconnected("connection to %s:%s lost while sending: %s"
                                         % (self.host, self.port, exc)) from exc
            if not wrote:
                # partial write: the command stream is corrupt, the connection must go
                self.close("send timed out")
                raise SwitchTimeout("could not send to %s:%s within %ss" % (self.host, self.port, timeout))
        result.wait(timeout)
        if not result.ready():
            # keep the slot in the FIFO: the late reply must still be matched to this command
            raise SwitchTimeout("no reply from FreeSWITCH %s:%s within %ss to %r"
                                % (self.host, self.port, timeout, _cmd_name(payload)))
        return result.get()

    def close(self, reason: str = "closed") -> None:
        """Close the socket; pending commands fail with SwitchDisconnected. Idempotent."""
        if self.close_reason is None:
            self.close_reason = reason
        self.connected = False
        self._run = False
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(_pysocket.SHUT_RDWR)
            except OSError:
                pass
        self._close_socket()
        reader = self._receive_events_greenlet
        if reader is not None and not reader.dead and reader is not gevent.getcurrent():
            reader.join(timeout=1.0)
            if not reader.dead:  # pragma: no cover - closing the socket always wakes it
                reader.kill(block=False)
        if reader is None or reader.dead:
            self._finish(self.close_reason)

    # -- internals ------------------------------------------------------------------------------
    def _route(self, frame: EslFrame) -> str | None:
        """Handle one frame; return a reason string when the connection is ending."""
        ctype = frame.headers.get("Content-Type", "")
        if ctype == "text/event-plain":
            self._deliver(frame, parse_plain_event)
        elif ctype == "text/event-json":
            self._deliver(frame, parse_json_event)
        elif ctype == "command/reply" or ctype == "api/response":
            reply = EslReply(ctype, frame.headers, frame.text() if ctype == "api/response" else "")
            if self._commands_sent:
                self._commands_sent.pop(0).set(reply)
            else:
                logger.warning("FreeSWITCH %s:%s: unsolicited %s %r ignored", self.host, self.port,
                               ctype, reply.text[:200])
        elif ctype == "auth/request":
            self._auth_request_event.set()
        elif ctype == "text/disconnect-notice":
            # its body has been consumed by the frame parser (greenswitch leaves it on the stream)
            if frame.headers.get("Content-Disposition") == "linger":
                self._lingering = True
                logger.info("FreeSWITCH %s:%s: linger notice (%s)", self.host, self.port,
                            frame.headers.get("Linger-Time", "?"))
                return None
            text = frame.text().strip().replace("\n", " ")
            return "disconnect notice from FreeSWITCH: %s" % (text or "(no text)")
        elif ctype == "text/rude-rejection":
            text = frame.text().strip()
            logger.error("FreeSWITCH %s:%s refused the connection (ACL): %s", self.host, self.port, text)
            return "rejected by FreeSWITCH ACL: %s" % text
        elif ctype == "log/data":
            pass
        else:
            self._bad_frame("unsupported Content-Type %r" % ctype, frame)
        return None

    def _deliver(self, frame: EslFrame, parse: Callable[[bytes], EslEvent]) -> None:
        try:
            event = parse(frame.body)
        except Exception as exc:  # noqa: BLE001 - a bad event must never kill the reader
            self._bad_frame("%s: %s" % (type(exc).__name__, exc), frame)
            return
        self._sink(event)

    def _bad_frame(self, why: str, frame: EslFrame) -> None:
        self._bad_frames += 1
        n = self._bad_frames
        if n <= 5 or n % _LOG_EVERY == 0:
            logger.warning("FreeSWITCH %s:%s: skipping unparseable frame #%d (%s); headers=%r body=%r",
                           self.host, self.port, n, why, dict(frame.headers), frame.body[:200])

    def _finish(self, reason: str | None) -> None:
        """Runs once when the session ends: fail pending commands, unblock connect()."""
        if self.closed.is_set():
            return
        self.connected = False
        self._run = False
        if self.close_reason is None:
            self.close_reason = reason
        pending, self._commands_sent = self._commands_sent, []
        if pending:
            exc_reason = self.close_reason or "connection lost"
            for result in pending:
                if not result.ready():
                    result.set_exception(SwitchDisconnected(
                        "connection to FreeSWITCH %s:%s lost: %s" % (self.host, self.port, exc_reason)))
        self._auth_request_event.set()  # wake InboundESL.connect() if still waiting for the greeting
        self._close_socket()
        self.closed.set()

    def _close_socket(self) -> None:
        for obj in (self.sock_file, self.sock):
            if obj is not None:
                try:
                    obj.close()
                except OSError:  # pragma: no cover
                    pass


def _cmd_name(payload: bytes) -> str:
    first = payload.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.startswith("auth "):
        return "auth ***"
    return first[:80]


def _check_line(value: str, what: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError("%s must be a single line: %r" % (what, value))


def _check_token(value: str, what: str) -> None:
    if not value or any(c.isspace() for c in value):
        raise ValueError("%s must be a non-empty token without whitespace: %r" % (what, value))


def _subscription_command(events: Sequence[str]) -> str:
    """``event plain <names> CUSTOM <subclasses>``; in each entry, tokens after ``CUSTOM`` are
    subclasses (so ``("CUSTOM sofia::register", "CHANNEL_PARK")`` works)."""
    names: list[str] = []
    subclasses: list[str] = []
    custom = False
    for entry in events:
        in_custom = False
        for token in entry.split():
            if token.upper() == "CUSTOM":
                in_custom = custom = True
            elif in_custom:
                if token not in subclasses:
                    subclasses.append(token)
            elif token not in names:
                names.append(token)
    if not names and not custom:
        raise ValueError("events must name at least one event")
    parts = ["event plain"] + names
    if custom:
        parts.append("CUSTOM")
        parts.extend(subclasses)
    return " ".join(parts)


class EslConnection:
    """Supervised inbound ESL connection: connects, authenticates, subscribes, reconnects forever.

    * ``on_event(event)`` is called from ONE greenlet, in wire order, for every event whatever its
      name; it must be fast (it delays later events, never command replies).
    * ``on_disconnected()`` is called from that same greenlet after the last event of a lost
      connection; ``on_connected()`` runs in a new greenlet after each (re)connect + subscription,
      so it may issue commands (e.g. resync with ``show channels as json``).
    """

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        events: Sequence[str] = ("ALL",),
        on_event: Callable[[EslEvent], None],
        on_connected: Callable[[], None] | None = None,
        on_disconnected: Callable[[], None] | None = None,
        command_timeout: float = 10.0,
        reconnect_delays: Sequence[float] = (0.2, 0.5, 1, 2, 5),
        connect_timeout: float = 5.0,
        auth_retry_delay: float | None = None,
    ) -> None:
        if isinstance(events, str):
            events = (events,)
        self.host = host
        self.port = port
        self._password = password
        self._subscribe_cmd = _subscription_command(events)
        self._on_event = on_event
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self.command_timeout = command_timeout
        self._delays = tuple(float(d) for d in reconnect_delays) or (1.0,)
        self._connect_timeout = connect_timeout
        # a wrong password is not retried fast (FreeSWITCH logs every failed auth)
        self._auth_retry_delay = (max(30.0, max(self._delays)) if auth_retry_delay is None
                                  else auth_retry_delay)
        self._queue: gevent.queue.Queue = gevent.queue.Queue()
        self._session: EslSession | None = None
        self._attempt: EslSession | None = None
        self._ready = False
        self._connected_evt = gevent.event.Event()
        self._auth_failed_evt = gevent.event.Event()
        self._stopping = gevent.event.Event()
        self._supervisor: gevent.Greenlet | None = None
        self._dispatcher: gevent.Greenlet | None = None
        self._filters: list[tuple[str, str]] = []
        self._subscriptions: list[str] = []
        #: the error of the last failed connection attempt (None once connected)
        self.last_error: Exception | None = None
        #: number of successful connections so far
        self.connect_count = 0
        #: why the last established connection ended (for logs / health pages)
        self.last_disconnect_reason: str | None = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._supervisor is not None:
            return
        self._stopping.clear()
        self._dispatcher = gevent.spawn(self._dispatch)
        self._supervisor = gevent.spawn(self._supervise)

    def stop(self) -> None:
        self._stopping.set()
        if self._session is not None:
            self._session.stop(timeout=1.0)
        elif self._attempt is not None:
            self._attempt.close("stopped by client")
        sup = self._supervisor
        if sup is not None and sup is not gevent.getcurrent():
            sup.join(timeout=2.0)
            if not sup.dead:
                sup.kill(block=True, timeout=1.0)
        self._ready = False
        self._connected_evt.clear()
        if self._dispatcher is not None:
            self._queue.put(_STOP)
        self._supervisor = None

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected + subscribed. False on timeout, or early if the password was
        rejected (see :attr:`last_error`)."""
        if self._ready:
            return True
        gevent.wait([self._connected_evt, self._auth_failed_evt], timeout=timeout, count=1)
        return self._ready

    @property
    def connected(self) -> bool:
        session = self._session
        return self._ready and session is not None and session.connected

    # -- commands -------------------------------------------------------------------------------
    def api(self, command: str, timeout: float | None = None) -> str:
        """``api <command>``; returns the api/response body verbatim (``-ERR ...`` included)."""
        _check_line(command, "api command")
        return self._send("api " + command, timeout).text

    def bgapi(self, command: str, job_uuid: str | None = None, timeout: float | None = None) -> str:
        """``bgapi <command>`` (+ ``Job-UUID:`` header if given); returns the Job-UUID.

        Pass your own ``job_uuid`` to register the job before the BACKGROUND_JOB event can be
        dispatched (the reply and the event may reach you in either order)."""
        _check_line(command, "bgapi command")
        text = "bgapi " + command
        if job_uuid is not None:
            _check_token(job_uuid, "job_uuid")
            text += "\nJob-UUID: " + job_uuid
        reply = self._send(text, timeout)
        rt = reply.reply_text
        if not rt.startswith("+OK"):
            raise SwitchCommandError("bgapi %s: %s" % (command.split(" ", 1)[0], rt))
        jid = reply.headers.get("Job-UUID") or rt.partition("Job-UUID:")[2].strip() or job_uuid
        return jid or ""

    def sendmsg(
        self,
        uuid: str,
        app: str | None = None,
        arg: str | None = None,
        *,
        command: str = "execute",
        event_uuid: str | None = None,
        event_lock: bool = False,
        loops: int | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> str:
        """``sendmsg <uuid>``; returns Reply-Text (``+OK`` = queued, or ``-ERR invalid session id
        [...]``, returned, not raised)."""
        _check_token(uuid, "uuid")
        _check_token(command, "command")
        lines = ["sendmsg " + uuid, "call-command: " + command]
        body: bytes | None = None
        if command == "execute":
            if not app:
                raise ValueError("sendmsg execute needs an application name")
            _check_token(app, "app")
            lines.append("execute-app-name: " + app)
            if arg:
                if "\n" in arg or "\r" in arg or arg != arg.strip():
                    body = arg.encode("utf-8")  # multi-line arg: content-type text/plain body
                else:
                    lines.append("execute-app-arg: " + arg)
            if loops is not None:
                lines.append("loops: %d" % int(loops))
        elif command == "hangup":
            cause = arg or "NORMAL_CLEARING"
            _check_token(cause, "hangup cause")
            lines.append("hangup-cause: " + cause)
        else:
            if app:
                _check_token(app, "app")
                lines.append("execute-app-name: " + app)
            if arg:
                _check_line(arg, "arg")
                lines.append("execute-app-arg: " + arg)
        if event_lock:
            lines.append("event-lock: true")
        if event_uuid:
            _check_token(event_uuid, "event_uuid")
            lines.append("Event-UUID: " + event_uuid)
        for name, value in (headers or {}).items():
            _check_token(name, "header name")
            _check_line(str(value), "header %s" % name)
            lines.append("%s: %s" % (name, value))
        if body is not None:
            lines.append("content-type: text/plain")
            lines.append("content-length: %d" % len(body))
            payload = ("\n".join(lines) + "\n\n").encode("utf-8") + body
        else:
            payload = ("\n".join(lines) + "\n\n").encode("utf-8")
        return self._session_or_raise().send_raw(payload, self._timeout(timeout)).reply_text

    def command(self, text: str, timeout: float | None = None) -> str:
        """Raw command (may contain ``Header: value`` lines, no blank line) -> Reply-Text (or the
        body for an api/response). ``filter``/``event``/``nixevent`` commands that succeed are
        remembered and replayed after a reconnect."""
        text = text.rstrip("\n")
        if not text or "\n\n" in text:
            raise ValueError("command must be non-empty and contain no blank line: %r" % text)
        reply = self._send(text, timeout)
        self._remember(text, reply.text)
        return reply.text

    # -- internals ------------------------------------------------------------------------------
    def _timeout(self, timeout: float | None) -> float:
        return self.command_timeout if timeout is None else timeout

    def _session_or_raise(self) -> EslSession:
        session = self._session
        if session is None or not self._ready or not session.connected:
            raise SwitchNotConnected("not connected to FreeSWITCH %s:%s" % (self.host, self.port))
        return session

    def _send(self, text: str, timeout: float | None) -> EslReply:
        return self._session_or_raise().send(text, self._timeout(timeout))

    def _remember(self, text: str, result: str) -> None:
        if not result.startswith("+OK"):
            return
        first = text.split(None, 1)[0].lower()
        if first == "filter":
            parts = text.split(None, 2)
            if len(parts) < 3:
                return
            if parts[1].lower() == "delete":
                rest = parts[2].split(None, 1)
                if rest[0].lower() == "all":
                    self._filters.clear()
                elif len(rest) == 1:
                    self._filters = [f for f in self._filters if f[0] != rest[0]]
                else:
                    self._filters = [f for f in self._filters if f != (rest[0], rest[1])]
                return
            if parts[1].lower() == "add":
                rest = parts[2].split(None, 1)
                if len(rest) < 2:
                    return
                item = (rest[0], rest[1])
            else:
                item = (parts[1], parts[2])
            if item not in self._filters:
                self._filters.append(item)
        elif first in ("event", "nixevent", "noevents"):
            if not self._subscriptions or self._subscriptions[-1] != text:
                self._subscriptions.append(text)

    def _subscribe(self, session: EslSession) -> None:
        timeout = self.command_timeout
        for cmd in [self._subscribe_cmd] + list(self._subscriptions):
            reply = session.send(cmd, timeout).reply_text
            if not reply.startswith("+OK"):
                raise SwitchCommandError("%r failed: %s" % (cmd, reply))
        for name, value in list(self._filters):
            reply = session.send("filter %s %s" % (name, value), timeout).reply_text
            if not reply.startswith("+OK"):
                logger.warning("re-applying filter %s %s failed: %s", name, value, reply)

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            session = EslSession(self.host, self.port, self._password, sink=self._queue.put,
                                 connect_timeout=self._connect_timeout,
                                 command_timeout=self.command_timeout)
            self._attempt = session
            try:
                session.connect()
                self._subscribe(session)
            except SwitchAuthError as exc:
                session.close(str(exc))
                self.last_error = exc
                self._auth_failed_evt.set()
                delay = self._auth_retry_delay
                logger.error("ESL authentication to %s:%s failed; next attempt in %.1fs",
                             self.host, self.port, delay)
            except Exception as exc:  # noqa: BLE001 - the supervisor must never die
                session.close(str(exc))
                self.last_error = exc
                delay = self._delays[min(failures, len(self._delays) - 1)]
                failures += 1
                logger.warning("ESL connection to %s:%s failed: %s; retrying in %.1fs",
                               self.host, self.port, exc, delay)
            else:
                self._attempt = None
                if self._stopping.is_set():
                    session.stop(timeout=1.0)
                    break
                self.last_error = None
                self._auth_failed_evt.clear()
                self._session = session
                self._ready = True
                self.connect_count += 1
                self._connected_evt.set()
                logger.info("ESL connected to FreeSWITCH %s:%s (%s)", self.host, self.port,
                            self._subscribe_cmd)
                self._queue.put(_CONNECTED)
                started = time.monotonic()
                session.closed.wait()
                self._ready = False
                self._connected_evt.clear()
                self._session = None
                self.last_disconnect_reason = session.close_reason
                if self._stopping.is_set():
                    logger.info("ESL connection to %s:%s closed", self.host, self.port)
                    self._queue.put(_DISCONNECTED)
                    break
                logger.warning("ESL connection to FreeSWITCH %s:%s lost: %s", self.host, self.port,
                               session.close_reason)
                self._queue.put(_DISCONNECTED)
                if time.monotonic() - started >= _STABLE_AFTER:
                    failures = 0
                delay = self._delays[min(failures, len(self._delays) - 1)]
                failures += 1
            finally:
                self._attempt = None
            if self._stopping.wait(delay):
                break

    def _dispatch(self) -> None:
        on_event = self._on_event
        queue = self._queue
        while True:
            item = queue.get()
            if item.__class__ is EslEvent:
                try:
                    on_event(item)
                except Exception:  # noqa: BLE001 - a failing handler must not stop delivery
                    logger.exception("on_event handler failed for %s %s", item.name, item.uuid or "")
            elif item is _CONNECTED:
                if self._on_connected is not None:
                    gevent.spawn(self._safe_call, self._on_connected, "on_connected")
            elif item is _DISCONNECTED:
                if self._on_disconnected is not None:
                    self._safe_call(self._on_disconnected, "on_disconnected")
            elif item is _STOP:
                return

    @staticmethod
    def _safe_call(fn: Callable[[], None], what: str) -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001
            logger.exception("%s callback failed", what)
