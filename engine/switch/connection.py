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

Pipelining: mod_event_socket executes one connection's commands strictly in order and answers each
with exactly one reply frame (FREESWITCH.md §1.1), so a client may write many commands without
waiting. ``api_nowait`` / ``bgapi_nowait`` / ``sendmsg_nowait`` / ``command_nowait`` write the
command and return a :class:`PendingReply` at once; the reply is matched FIFO like any other and
completes it (callbacks registered with :meth:`PendingReply.link` run, on an EslConnection, in its
dispatch greenlet, in wire order with the events). Every pending command has its own timer: with no
reply within the timeout it fails with SwitchTimeout but keeps its FIFO slot (the late reply is
matched to it and dropped); still no reply ``stall_timeout`` later and the connection is considered
wedged: it is dropped and re-established, so slots never pile up. A lost connection fails every
pending command with SwitchDisconnected. The blocking ``api()`` & co. are ``*_nowait(...).get()``.
"""
from __future__ import annotations

import logging
import socket as _pysocket
import time
from collections import deque
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

__all__ = ["EslConnection", "EslSession", "EslReply", "PendingReply"]

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


def _run_inline(callback: Callable[["PendingReply"], None], pending: "PendingReply") -> None:
    """Default callback runner (a bare EslSession): run it now, in the completing greenlet; from the
    hub (a timer), in a new greenlet, since the hub must never block."""
    if gevent.getcurrent() is gevent.get_hub():
        gevent.spawn(_call_safely, callback, pending)
    else:
        _call_safely(callback, pending)


def _call_safely(callback: Callable[["PendingReply"], None], pending: "PendingReply") -> None:
    try:
        callback(pending)
    except Exception:  # noqa: BLE001 - a failing callback must not stop the reader or the dispatcher
        logger.exception("reply callback %r failed for %s", callback, pending.command)


class PendingReply:
    """The reply to come to a command already written to FreeSWITCH.

    Completed by the matching reply frame (FIFO), by its timeout (SwitchTimeout; the FIFO slot is kept
    so the late reply is still matched to it and dropped) or by the loss of the connection
    (SwitchDisconnected). ``value`` is what the blocking method returns (``api`` -> body text,
    ``bgapi`` -> Job-UUID, ``sendmsg`` -> Reply-Text, ``command`` -> text); ``reply`` the raw reply.
    """

    __slots__ = ("_payload", "_transform", "_runner", "_timer", "_done", "_value", "_exc", "_reply", "_callbacks",
                 "_waiter", "_where", "_on_stall", "_answered")

    def __init__(self, payload: bytes, transform: Callable[[EslReply], object],
                 runner: Callable[[Callable[["PendingReply"], None], "PendingReply"], None], where: str,
                 on_stall: tuple[float, Callable[["PendingReply"], None]] | None = None) -> None:
        self._payload: bytes | None = payload
        self._on_stall = on_stall
        self._answered = False
        self._transform = transform
        self._runner = runner
        self._timer = None
        self._done = False
        self._value: object = None
        self._exc: SwitchError | None = None
        self._reply: EslReply | None = None
        self._callbacks: list | None = None
        self._waiter: gevent.event.Event | None = None
        self._where = where  # "host:port", for messages

    # -- the public side ------------------------------------------------------------------------
    @property
    def command(self) -> str:
        """The command's first line (``auth`` masked), for logs."""
        return _cmd_name(self._payload) if self._payload is not None else "(completed command)"

    def ready(self) -> bool:
        return self._done

    def successful(self) -> bool:
        return self._done and self._exc is None

    @property
    def value(self):
        """The result once successful (None before, or after a failure)."""
        return self._value

    @property
    def exception(self) -> SwitchError | None:
        """The SwitchError the command failed with (None while pending or when successful)."""
        return self._exc

    @property
    def reply(self) -> EslReply | None:
        """The reply frame, once it came (also when it was a rejection such as a bgapi ``-ERR``)."""
        return self._reply

    def wait(self, timeout: float | None = None) -> bool:
        """Block this greenlet until completed (or ``timeout``); True when completed."""
        if not self._done:
            waiter = self._waiter
            if waiter is None:
                waiter = self._waiter = gevent.event.Event()
            waiter.wait(timeout)
        return self._done

    def get(self, timeout: float | None = None):
        """Wait for completion, then return the value or raise the SwitchError. Without ``timeout``
        the command's own timeout bounds the wait."""
        if not self.wait(timeout):
            raise SwitchTimeout("no reply from FreeSWITCH %s within %ss to %r" % (self._where, timeout, self.command))
        if self._exc is not None:
            raise self._exc
        return self._value

    def link(self, callback: Callable[["PendingReply"], None]) -> None:
        """Call ``callback(pending)`` once completed (now, in this greenlet, if it already is). On an
        EslConnection callbacks run in its dispatch greenlet, in wire order with the events; they
        must not block."""
        if self._done:
            callback(self)
        elif self._callbacks is None:
            self._callbacks = [callback]
        else:
            self._callbacks.append(callback)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        state = "pending" if not self._done else ("failed: %s" % self._exc if self._exc else "ok")
        return "<PendingReply %r %s>" % (self.command, state)

    # -- the session's side ---------------------------------------------------------------------
    def _start_timer(self, timeout: float) -> None:
        timer = gevent.get_hub().loop.timer(max(0.0, timeout))
        timer.start(self._expire, timeout)
        self._timer = timer

    def _stop_timer(self) -> None:
        """Close the reply timer or the stall watch, if one is armed."""
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.close()

    def _expire(self, timeout: float) -> None:  # runs in the hub
        self._timer = None
        self._fail(SwitchTimeout("no reply from FreeSWITCH %s within %ss to %r" % (self._where, timeout, self.command)))
        if self._on_stall is not None and not self._answered:
            # the slot stays in the FIFO for its late reply; if that never comes either, the connection is wedged
            seconds, on_stall = self._on_stall
            timer = gevent.get_hub().loop.timer(seconds)
            timer.start(on_stall, self)
            self._timer = timer

    def _resolve(self, reply: EslReply) -> None:
        """The reply frame for this slot arrived (reader greenlet)."""
        self._answered = True
        if self._done:
            self._stop_timer()  # the stall watch of a timed-out command
            logger.debug("late reply to %r dropped: %r", self.command, reply.text[:200])
            return
        self._reply = reply
        try:
            self._value = self._transform(reply)
        except SwitchError as exc:
            self._exc = exc
        except Exception as exc:  # noqa: BLE001 - defensive
            self._exc = SwitchError("bad reply to %r: %r" % (self.command, exc))
        self._complete()

    def _fail(self, exc: SwitchError) -> None:
        if not self._done:
            self._exc = exc
            self._complete()
        else:
            self._answered = True  # the connection is gone: no stall watch any more
            self._stop_timer()

    def _complete(self) -> None:
        self._done = True
        self._stop_timer()
        self._transform = None  # type: ignore[assignment]
        if self._exc is None:
            self._payload = None  # keep the command text only for failure messages
        waiter = self._waiter
        if waiter is not None:
            waiter.set()
        callbacks = self._callbacks
        if callbacks:
            self._callbacks = None
            runner = self._runner
            for callback in callbacks:
                runner(callback, self)


def _reply_text(reply: EslReply) -> str:
    return reply.reply_text


def _reply_body(reply: EslReply) -> str:
    return reply.text


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<%s>" % self.name


class _Callback(tuple):
    """A reply callback queued for the dispatch greenlet: (callback, pending)."""

    __slots__ = ()


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
        callback_runner: Callable[[Callable[[PendingReply], None], PendingReply], None] | None = None,
        stall_timeout: float | None = 30.0,
    ) -> None:
        super().__init__(host, port, password, timeout=connect_timeout)
        self.sock = None
        self.sock_file = None
        self._sink = sink
        self._command_timeout = command_timeout
        self._runner = callback_runner or _run_inline
        # a command that timed out and still has no reply this much later: the connection is wedged
        self._stall = None if stall_timeout is None else (float(stall_timeout), self._stalled)
        self._where = "%s:%s" % (host, port)
        self._commands_sent: deque[PendingReply] = deque()  # written, reply not yet read: FIFO
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

    @property
    def pending_count(self) -> int:
        """Commands written whose reply has not been read yet (timed-out ones included)."""
        return len(self._commands_sent)

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
        return self.send_nowait(payload, timeout, _identity).get()

    def send_nowait(self, payload: bytes, timeout: float | None = None,
                    transform: Callable[[EslReply], object] | None = None) -> PendingReply:
        """Write exact command bytes (one or more whole commands' worth of ONE command) and return at
        once; the reply completes the returned PendingReply (value = ``transform(reply)``, the reply
        itself by default; a SwitchError raised by ``transform`` becomes its exception).

        Raises at once (nothing pending) SwitchNotConnected, or SwitchDisconnected / SwitchTimeout
        when the bytes cannot be written (the connection is closed then: the stream would be corrupt).
        """
        if timeout is None:
            timeout = self._command_timeout
        pending = PendingReply(payload, transform or _identity, self._runner, self._where, self._stall)
        with self._send_lock:
            # check + enqueue + write is atomic w.r.t. other senders: the FIFO order of
            # _commands_sent is the order of the commands on the wire
            if not self.connected or self.closed.is_set():
                raise SwitchNotConnected("not connected to FreeSWITCH %s" % self._where)
            pending._start_timer(timeout)
            self._commands_sent.append(pending)
            self._write(payload, timeout, pending)
        return pending

    def _write(self, payload: bytes, timeout: float, pending: PendingReply) -> None:
        sock = self.sock
        sent = 0
        try:
            try:
                sent = sock.send(payload, 0, 0.0)  # gevent: one non-blocking attempt, no timer needed
            except BlockingIOError:
                sent = 0
            if sent < len(payload):
                wrote = False
                with gevent.Timeout(timeout, False):
                    sock.sendall(memoryview(payload)[sent:])
                    wrote = True
                if not wrote:
                    # partial write: the command stream is corrupt, the connection must go
                    pending._callbacks = None
                    self.close("send timed out")
                    raise SwitchTimeout("could not send to %s within %ss" % (self._where, timeout))
        except OSError as exc:
            pending._callbacks = None
            self.close("send failed: %s" % exc)
            raise SwitchDisconnected("connection to %s lost while sending: %s" % (self._where, exc)) from exc

    def _stalled(self, pending: PendingReply) -> None:  # a timer: runs in the hub
        pending._stop_timer()
        if pending._answered or self.closed.is_set():
            return
        reason = ("FreeSWITCH stopped answering: no reply to %r within %.0fs of its timeout"
                  % (pending.command, self._stall[0] if self._stall else 0))
        logger.error("FreeSWITCH %s: %s; dropping the connection (it will be re-established)", self._where, reason)
        gevent.spawn(self.close, reason)

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
                self._commands_sent.popleft()._resolve(reply)
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
        pending, self._commands_sent = self._commands_sent, deque()
        if pending:
            exc_reason = self.close_reason or "connection lost"
            for slot in pending:
                slot._fail(SwitchDisconnected(
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


def _identity(reply: EslReply) -> EslReply:
    return reply


def _cmd_name(payload: bytes) -> str:
    first = payload.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.startswith("auth "):
        return "auth ***"
    return first[:80]


def _check_line(value: str, what: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError("%s must be a single line: %r" % (what, value))


def _check_token(value: str, what: str) -> None:
    if value.split() != [value]:  # empty, or some whitespace (str.split() splits on exactly str.isspace())
        raise ValueError("%s must be a non-empty token without whitespace: %r" % (what, value))


def _sendmsg_payload(uuid: str, app: str | None, arg: str | None, command: str, event_uuid: str | None,
                     event_lock: bool, loops: int | None, headers: Mapping[str, str] | None) -> bytes:
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
        return ("\n".join(lines) + "\n\n").encode("utf-8") + body
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _subscription_command(events: Sequence[str], event_format: str = "plain") -> str:
    """``event plain <names> CUSTOM <subclasses>`` (or ``event json ...``); in each entry, tokens after
    ``CUSTOM`` are subclasses (so ``("CUSTOM sofia::register", "CHANNEL_PARK")`` works)."""
    if event_format not in ("plain", "json"):
        raise ValueError("event_format must be 'plain' or 'json': %r" % (event_format,))
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
    parts = ["event " + event_format] + names
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
    * Callbacks linked to a :class:`PendingReply` of this connection run in that same greenlet too,
      queued when the reply is read: after every event that preceded the reply on the wire.
    * ``event_format="json"`` subscribes with ``event json ...`` instead of ``event plain ...``.
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
        event_format: str = "plain",
        stall_timeout: float | None = 30.0,
        filters: Sequence[tuple[str, str]] = (),
    ) -> None:
        if isinstance(events, str):
            events = (events,)
        self.host = host
        self.port = port
        self._password = password
        #: "plain" or "json": how FreeSWITCH serializes events to us (both parse to the same EslEvent)
        self.event_format = event_format
        self._subscribe_cmd = _subscription_command(events, event_format)
        self._on_event = on_event
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self.command_timeout = command_timeout
        #: seconds after a command timed out with still no reply at which the connection is dropped and
        #: re-established (FreeSWITCH answers every command: a missing reply means a wedged connection, which
        #: delivers no events either); None: never
        self.stall_timeout = stall_timeout
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
        #: ``filter <header> <value>`` commands sent after the subscription on every connection, so that only
        #: the events the engine reads are serialized and sent (mod_event_socket.c event_handler: a listener
        #: with filters gets a subscribed event only when one positive filter matches it)
        self._filters: list[tuple[str, str]] = [(str(n), str(v)) for n, v in filters]
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
    # Each command exists blocking (returns the result; for code that needs it) and ``_nowait``
    # (writes it and returns a PendingReply at once; see the module docstring). Both raise
    # SwitchNotConnected at once when the connection is down; ValueError for a malformed command.
    def api(self, command: str, timeout: float | None = None) -> str:
        """``api <command>``; returns the api/response body verbatim (``-ERR ...`` included)."""
        return self.api_nowait(command, timeout).get()

    def api_nowait(self, command: str, timeout: float | None = None,
                   callback: Callable[[PendingReply], None] | None = None) -> PendingReply:
        """``api <command>`` without waiting; value: the api/response body verbatim."""
        _check_line(command, "api command")
        return self._write_text("api " + command, timeout, _reply_body, callback)

    def bgapi(self, command: str, job_uuid: str | None = None, timeout: float | None = None) -> str:
        """``bgapi <command>`` (+ ``Job-UUID:`` header if given); returns the Job-UUID.

        Pass your own ``job_uuid`` to register the job before the BACKGROUND_JOB event can be
        dispatched (the reply and the event may reach you in either order)."""
        return self.bgapi_nowait(command, job_uuid, timeout).get()

    def bgapi_nowait(self, command: str, job_uuid: str | None = None, timeout: float | None = None,
                     callback: Callable[[PendingReply], None] | None = None) -> PendingReply:
        """``bgapi`` without waiting; value: the Job-UUID; a reply other than ``+OK`` fails it with
        SwitchCommandError (as ``bgapi()`` raises)."""
        _check_line(command, "bgapi command")
        text = "bgapi " + command
        if job_uuid is not None:
            _check_token(job_uuid, "job_uuid")
            text += "\nJob-UUID: " + job_uuid
        name = command.split(" ", 1)[0]

        def job_of(reply: EslReply) -> str:
            rt = reply.reply_text
            if not rt.startswith("+OK"):
                raise SwitchCommandError("bgapi %s: %s" % (name, rt))
            return reply.headers.get("Job-UUID") or rt.partition("Job-UUID:")[2].strip() or job_uuid or ""

        return self._write_text(text, timeout, job_of, callback)

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
        return self.sendmsg_nowait(uuid, app, arg, command=command, event_uuid=event_uuid, event_lock=event_lock,
                                   loops=loops, headers=headers, timeout=timeout).get()

    def sendmsg_nowait(
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
        callback: Callable[[PendingReply], None] | None = None,
    ) -> PendingReply:
        """``sendmsg`` without waiting; value: the Reply-Text (``-ERR ...`` is a value, not a failure)."""
        payload = _sendmsg_payload(uuid, app, arg, command, event_uuid, event_lock, loops, headers)
        pending = self._session_or_raise().send_nowait(payload, self._timeout(timeout), _reply_text)
        if callback is not None:
            pending.link(callback)
        return pending

    def command(self, text: str, timeout: float | None = None) -> str:
        """Raw command (may contain ``Header: value`` lines, no blank line) -> Reply-Text (or the
        body for an api/response). ``filter``/``event``/``nixevent`` commands that succeed are
        remembered and replayed after a reconnect."""
        return self.command_nowait(text, timeout).get()

    def command_nowait(self, text: str, timeout: float | None = None,
                       callback: Callable[[PendingReply], None] | None = None) -> PendingReply:
        """``command`` without waiting; value: the Reply-Text (or api/response body)."""
        text = text.rstrip("\n")
        if not text or "\n\n" in text:
            raise ValueError("command must be non-empty and contain no blank line: %r" % text)

        def remembered(reply: EslReply) -> str:
            self._remember(text, reply.text)
            return reply.text

        return self._write_text(text, timeout, remembered, callback)

    @property
    def pending_count(self) -> int:
        """Commands written on the current connection whose reply has not been read yet."""
        session = self._session
        return session.pending_count if session is not None else 0

    # -- internals ------------------------------------------------------------------------------
    def _timeout(self, timeout: float | None) -> float:
        return self.command_timeout if timeout is None else timeout

    def _session_or_raise(self) -> EslSession:
        session = self._session
        if session is None or not self._ready or not session.connected:
            raise SwitchNotConnected("not connected to FreeSWITCH %s:%s" % (self.host, self.port))
        return session

    def _write_text(self, text: str, timeout: float | None, transform: Callable[[EslReply], object],
                    callback: Callable[[PendingReply], None] | None) -> PendingReply:
        pending = self._session_or_raise().send_nowait((text + "\n\n").encode("utf-8"), self._timeout(timeout),
                                                       transform)
        if callback is not None:
            pending.link(callback)
        return pending

    def _run_callback(self, callback: Callable[[PendingReply], None], pending: PendingReply) -> None:
        """Session callback runner: reply callbacks join the events in the dispatch queue."""
        self._queue.put(_Callback((callback, pending)))

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
                                 command_timeout=self.command_timeout,
                                 callback_runner=self._run_callback, stall_timeout=self.stall_timeout)
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
            cls = item.__class__
            if cls is EslEvent:
                try:
                    on_event(item)
                except Exception:  # noqa: BLE001 - a failing handler must not stop delivery
                    logger.exception("on_event handler failed for %s %s", item.name, item.uuid or "")
            elif cls is _Callback:
                _call_safely(item[0], item[1])
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
