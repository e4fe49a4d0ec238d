"""Inbound ESL listener: one Session per TCP connection (mod_event_socket.c listener_run/parse_command)."""
import logging
import re
import uuid as uuidlib

import gevent
from gevent.queue import Queue

from . import wire
from .events import EVENT_NAMES

logger = logging.getLogger(__name__)

# mes.c parse_command "myevents": the event kinds an inbound `myevents <uuid>` subscribes to.
MYEVENTS = {
    "CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA", "CHANNEL_DESTROY",
    "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE",
    "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE",
    "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK", "DETECTED_SPEECH", "DTMF", "NOTALK", "TALK",
}
FIRST_COMMAND_TIMEOUT = 25.0  # mes.c: read_packet(listener, &event, 25) before the first command
_CLOSE = object()


class Session:
    """One inbound ESL connection: auth, subscriptions, filters, strictly ordered replies and event queue."""

    def __init__(self, switch, sock, conn_id):
        self.sw = switch
        self.sock = sock
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

    def deliver(self, ev):
        """mes.c event_handler: subscription, myevents and filter checks, then queue (held while an api runs)."""
        if self.closed or not self.events_on:
            return
        if self.all_events:
            send = True
        elif ev.name in self.event_list:
            send = ev.name != "CUSTOM" or not ev.subclass or ev.subclass in self.custom
        else:
            send = False
        if send and self.my_uuid:
            send = ev.get("Unique-ID") == self.my_uuid
        if send and self.filters:
            send = self._filter_pass(ev)
        if not send:
            return
        if self.lingering and ev.name == "CHANNEL_DESTROY" and ev.get("Unique-ID") == self.my_uuid:
            return  # capture observation 6: CHANNEL_DESTROY was not delivered to the lingering socket
        frame = wire.event_frame(ev.headers, ev.body, self.fmt)
        if self.api_busy:
            self.held.append(frame)   # mes.c: api runs in the listener thread, events wait in the queue
        else:
            self._send(frame)

    def _filter_pass(self, ev):
        # mes.c event_handler filters: positive OR, a matching negative ("-value") drops the event.
        send = False
        for name, value in self.filters:
            hval = ev.get(name)
            if hval is None:
                continue
            comp, pos = value, True
            while comp and comp[0] in "+- ":
                if comp[0] == "+":
                    pos = True
                elif comp[0] == "-":
                    pos = False
                comp = comp[1:]
            if send and pos:
                continue
            if value.startswith("/"):
                m = re.match(r"^/(.*)/([a-z]*)$", comp, re.S)
                pat = m.group(1) if m else comp.strip("/")
                flags = re.I if m and "i" in m.group(2) else 0
                try:
                    cmp = re.search(pat, hval, flags) is not None
                except re.error:
                    cmp = False
            else:
                cmp = hval.lower() == comp.lower()
            if cmp:
                if pos:
                    send = True
                else:
                    return False
        return send

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
            self._send(frame)
        self.sw.fire_api_event(name, arg or None)  # observation 9: the API event follows the api/response

    def _bgapi(self, line, headers):
        name, _, arg = line.partition(" ")
        job = next((v for k, v in headers if k.lower() == "job-uuid"), None) or str(uuidlib.uuid4())
        self._send(wire.command_reply("+OK Job-UUID: %s" % job, extra=[("Job-UUID", job)]))
        self.sw.spawn_bgapi(job, name, arg or None)

    def _sendmsg(self, cmd, headers, body):
        uuid = cmd[7:].strip() or next((v for k, v in headers if k.lower() == "session-id"), "")
        chan = self.sw.channel(uuid)
        if chan is None or chan.hangup_cause:
            return self._send(wire.command_reply("-ERR invalid session id [%s]" % uuid))
        chan.queue_command(cmd, headers, body)
        self._send(wire.command_reply("+OK"))

    def _tokens(self, cmd):
        return cmd.split()[1:]

    def _event(self, cmd):
        # mes.c "event": format words, names (case-insensitive, optional SWITCH_EVENT_ prefix), CUSTOM <subclasses>
        custom, keys = False, 0
        for tok in self._tokens(cmd):
            low = tok.lower()
            if low in ("plain", "json", "xml"):
                self.fmt = low
                continue
            if custom:
                self.custom.add(tok)
                continue
            name = tok.upper()
            if name.startswith("SWITCH_EVENT_"):
                name = name[13:]
            if name not in EVENT_NAMES:
                continue
            keys += 1
            if name == "ALL":
                self.all_events = True
                self.event_list.update(EVENT_NAMES)
            elif name == "CUSTOM":
                custom = True
                self.event_list.add("CUSTOM")
            else:
                self.event_list.add(name)
        if not keys:
            return self._send(wire.command_reply("-ERR no keywords supplied"))
        self.events_on = True
        self._send(wire.command_reply("+OK event listener enabled %s" % self.fmt))

    def _nixevent(self, cmd):
        custom, keys = False, 0
        for tok in self._tokens(cmd):
            if custom:
                self.custom.discard(tok)
                continue
            name = tok.upper()
            if name.startswith("SWITCH_EVENT_"):
                name = name[13:]
            if name not in EVENT_NAMES:
                continue
            keys += 1
            if name == "ALL":
                self.all_events = False
                self.event_list.clear()
                self.custom.clear()
            elif name == "CUSTOM":
                custom = True
            else:
                self.all_events = False
                self.event_list.discard(name)
        if not keys:
            return self._send(wire.command_reply("-ERR no keywords supplied"))
        self._send(wire.command_reply("+OK events nixed"))

    def _noevents(self):
        if not self.events_on:
            return self._send(wire.command_reply("-ERR not listening for events"))
        self.events_on = False
        self.all_events = False
        self.event_list.clear()
        self.custom.clear()
        self._send(wire.command_reply("+OK no longer listening for events"))

    def _myevents(self, cmd):
        if self.my_uuid:
            return self._send(wire.command_reply("-ERR aready enabled."))  # sic, mes.c
        toks = self._tokens(cmd)
        if not toks:
            return self._send(wire.command_reply("-ERR invalid uuid"))
        chan = self.sw.channel(toks[0])
        if chan is None:
            return self._send(wire.command_reply("-ERR invalid uuid"))
        if len(toks) > 1 and toks[1].lower() in ("plain", "json", "xml"):
            self.fmt = toks[1].lower()
        self.my_uuid = chan.uuid
        self.event_list.update(MYEVENTS)
        self.events_on = True
        self._send(wire.command_reply("+OK Events Enabled"))

    def _filter(self, cmd):
        rest = cmd[6:].strip()
        parts = rest.split(" ", 1)
        if parts and parts[0].lower() == "delete":
            args = parts[1].split(" ", 1) if len(parts) > 1 else []
            if not args:
                return self._send(wire.command_reply("-ERR invalid syntax"))
            name = args[0]
            value = args[1] if len(args) > 1 else ""
            if name.lower() == "all":
                self.filters = []
                return self._send(wire.command_reply("+OK filter deleted. [all][]"))
            self.filters = [f for f in self.filters
                            if not (f[0].lower() == name.lower() and (not value or f[1] == value))]
            return self._send(wire.command_reply("+OK filter deleted. [%s][%s]" % (name, value)))
        if parts and parts[0].lower() == "add":
            rest = parts[1] if len(parts) > 1 else ""
        args = rest.split(" ", 1)
        if len(args) < 2 or not args[0] or not args[1]:
            return self._send(wire.command_reply("-ERR invalid syntax"))
        self.filters.append([args[0], args[1]])
        self._send(wire.command_reply("+OK filter added. [%s]=[%s]" % (args[0], args[1])))

    def _linger(self, cmd):
        if not self.my_uuid:
            return self._send(wire.command_reply("-ERR not controlling a session"))
        arg = cmd[6:].strip()
        if arg.lstrip("-").isdigit() and int(arg) > 0:
            self.linger = int(arg)
            return self._send(wire.command_reply("+OK will linger %d seconds" % self.linger))
        self.linger = -1
        self._send(wire.command_reply("+OK will linger"))

    def _nolinger(self):
        if not self.my_uuid:
            return self._send(wire.command_reply("-ERR not controlling a session"))
        self.linger = None
        self._send(wire.command_reply("+OK will not linger"))

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

    # --------------------------------------------------- bound channel ending
    def channel_hungup(self, chan):
        """Inbound `myevents <uuid>`: disconnect or linger when that channel hangs up (mes.c read_packet)."""
        if self.my_uuid != chan.uuid or self.closed:
            return
        if self.linger is None:
            self._send(self._notice(chan, "disconnect"))
            self._closing = True
            self._close_after_flush()
            return
        self.lingering = True
        self._send(("Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\nContent-Disposition: linger\n"
                    "Channel-Name: %s\nLinger-Time: %d\nContent-Length: 0\n\n"
                    % (chan.uuid, chan.name, self.linger)).encode())
        if self.linger > 0:
            gevent.spawn_later(self.linger, self._linger_done, chan)

    def _notice(self, chan, disposition):
        body = wire.DISCONNECT_BODY.encode()
        return ("Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\nContent-Disposition: %s\n"
                "Content-Length: %d\n\n" % (chan.uuid, disposition, len(body))).encode() + body

    def _linger_done(self, chan):
        self._send(self._notice(chan, "disconnect"))
        self._closing = True
        self._close_after_flush()
        try:
            self.sock.shutdown(2)
        except OSError:
            pass

    def shutdown(self):
        """Switch stopping: send the disconnect notice and close."""
        self._send(wire.disconnect_notice())
        self._closing = True
        self._close_after_flush()
