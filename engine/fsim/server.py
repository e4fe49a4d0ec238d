"""Inbound ESL listener: one Session per TCP connection (mod_event_socket.c listener_run/parse_command)."""
import socket
import logging
import uuid as uuidlib

import gevent
from gevent.queue import Queue

from . import wire
from .events import EVENT_NAMES
from .subscriptions import Subscriptions

logger = logging.getLogger(__name__)

FIRST_COMMAND_TIMEOUT = 25.0  # mes.c: read_packet(listener, &event, 25) before the first command
_CLOSE = object()


class Session(Subscriptions):
    """One inbound ESL connection: auth, subscriptions, filters, strictly ordered replies and event queue."""

    def __init__(self, switch, sock, conn_id):
        self.sw = switch
        self.sock = sock
        # mod_event_socket.c listener_run: FreeSWITCH sets TCP_NODELAY on every accepted ESL socket, so small
        # replies are not held back by Nagle's algorithm (without it round trips grow from ~1 ms to ~40 ms)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.conn_id = conn_id
        self.authed = False
        self.fmt = "plain"
        self.events_on = False          # LFLAG_EVENTS
        self.event_list = set()
        self.all_events = False
        self.custom = set()
        self.filters = []               # list of [name, value] (switch_event headers of listener->filters)
        self.my_uuid = None             # inbound `myevents <uuid>` binding
        self.linger = None              # None = off, -1 = forever, else seconds
        self.lingering = False
        self.api_busy = False
        self.held = []
        self.outq = Queue()
        self.closed = False
        self.writer = None

    # ----------------------------------------------------------------- output
    def _send(self, data):
        if not self.closed:
            self.outq.put(data)

    def _close_after_flush(self):
        self.outq.put(_CLOSE)

    def _writer(self):
        while True:
            item = self.outq.get()
            if item is _CLOSE:
                break
            try:
                self.sock.sendall(item)
            except OSError:
                break
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ input
    def run(self):
        """Greet, then read and execute commands one at a time until the socket closes."""
        self.writer = gevent.spawn(self._writer)
        self._send(wire.auth_request())
        parser = wire.CommandParser()
        first = True
        try:
            while not self.closed:
                try:
                    if first:
                        with gevent.Timeout(FIRST_COMMAND_TIMEOUT):
                            data = self.sock.recv(65536)
                    else:
                        data = self.sock.recv(65536)
                except gevent.Timeout:
                    logger.info("conn %s: no command within 25 s, closing", self.conn_id)
                    break
                if not data:
                    break
                try:
                    cmds = parser.feed(data)
                except ValueError:
                    break  # mes.c drops the connection on an out-of-range Content-Length
                for cmd, headers, body in cmds:
                    first = False
                    self.handle(cmd, headers, body)
                    if self.closed or self._closing:
                        break
                if self._closing:
                    break
        except OSError:
            pass
        finally:
            self._closing = True
            self._close_after_flush()
            self.sw._session_gone(self)
            # StreamServer closes the socket when the handler returns: let the writer flush first.
            self.writer.join(timeout=5)

    _closing = False

    def _bye(self, reply):
        self._send(wire.command_reply(reply))
        self._send(wire.disconnect_notice())
        self._closing = True

    def handle(self, cmd, headers, body):
        """mes.c parse_command: exact reply texts."""
        self.sw._log_command(self.conn_id, cmd, headers, body)
        low = cmd.lower()
        if low.startswith("exit") or cmd.startswith("..."):
            return self._bye("+OK bye")
        if not self.authed:
            if low.startswith("auth "):
                if cmd[5:] == self.sw.password:
                    self.authed = True
                    return self._send(wire.command_reply("+OK accepted"))
                return self._bye("-ERR invalid")
            return self._send(wire.command_reply("-ERR command not found"))
        if low.startswith("api "):
            return self._api(cmd[4:])
        if low.startswith("bgapi "):
            return self._bgapi(cmd[6:], headers)
        if low.startswith("sendmsg"):
            return self._sendmsg(cmd, headers, body)
        if low.startswith("nixevent"):
            return self._nixevent(cmd)
        if low.startswith("noevents"):
            return self._noevents()
        if low.startswith("myevents"):
            return self._myevents(cmd)
        if low.startswith("event"):
            return self._event(cmd)
        if low.startswith("filter"):
            return self._filter(cmd)
        if low.startswith("nolinger"):
            return self._nolinger()
        if low.startswith("linger"):
            return self._linger(cmd)
        if low.startswith("sendevent"):
            return self._sendevent(cmd, headers, body)
        if low.startswith("nolog"):
            return self._send(wire.command_reply("-ERR not loging"))
        if low.startswith("log"):
            level = cmd[3:].strip() or "debug"
            levels = ["console", "alert", "crit", "err", "warning", "notice", "info", "debug"]
            if level.isdigit() or level.lower() in levels:
                n = int(level) if level.isdigit() else levels.index(level.lower())
                return self._send(wire.command_reply("+OK log level %s [%d]" % (level, n)))
            return self._send(wire.command_reply("-ERR invalid log level"))
        if low.startswith("divert_events"):
            return self._send(wire.command_reply("-ERR not controlling a session."))
        return self._send(wire.command_reply("-ERR command not found"))

    # --------------------------------------------------------------- commands
    def _api(self, line):
        name, _, arg = line.partition(" ")
        self.api_busy = True
        try:
            out = self.sw.api(name, arg or None)
        finally:
            self.api_busy = False
        if out == "":
            out = "-ERR no reply\n"  # mes.c api_exec
        self._send(wire.api_response(out))
        held, self.held = self.held, []
        for frame in held:
            if callable(frame):
                frame()
            else:
                self._send(frame)
        self.sw.fire_api_event(name, arg or None)  # observation 9: the API event follows the api/response

    def _bgapi(self, line, headers):
        name, _, arg = line.partition(" ")
        job = next((v for k, v in headers if k.lower() == "job-uuid"), None) or str(uuidlib.uuid4())
        self._send(wire.command_reply("+OK Job-UUID: %s" % job, extra=[("Job-UUID", job)]))
        self.sw.spawn_bgapi(job, name, arg or None)
        # mes.c: bgapi launches the api_exec thread before the listener reads the next command, so the job
        # starts first (capture 08: six bgapi originates then an api originate; the api one found the session-rate
        # tokens already taken by the jobs)
        gevent.sleep(0)

    def _sendmsg(self, cmd, headers, body):
        uuid = cmd[7:].strip() or next((v for k, v in headers if k.lower() == "session-id"), "")
        chan = self.sw.channel(uuid)
        if chan is None or chan.hangup_cause:
            return self._send(wire.command_reply("-ERR invalid session id [%s]" % uuid))
        chan.queue_command(cmd, headers, body)
        self._send(wire.command_reply("+OK"))

    def _tokens(self, cmd):
        return cmd.split()[1:]

    def _sendevent(self, cmd, headers, body):
        name = cmd[9:].strip().upper() or "CUSTOM"
        ev_uuid = str(uuidlib.uuid4())
        ev = self.sw.factory.new(name if name in EVENT_NAMES else "CUSTOM")
        for k, v in headers:
            ev.add(k, v)
        ev.add("Event-UUID", ev_uuid)
        ev.body = body
        self.sw.fire(ev)
        self._send(wire.command_reply("+OK %s" % ev_uuid))

    def shutdown(self):
        """Switch stopping: send the disconnect notice and close."""
        self._send(wire.disconnect_notice())
        self._closing = True
        self._close_after_flush()
