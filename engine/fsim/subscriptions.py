"""ESL event subscriptions of an inbound connection (mod_event_socket.c): `event`, `nixevent`, `noevents`,
`myevents`, `filter`, `linger`/`nolinger`, the event_handler delivery checks, and what a `myevents` socket does when
its channel hangs up (disconnect, or linger then disconnect)."""
import re

from . import wire
from .events import EVENT_NAMES

# mes.c parse_command "myevents": the event kinds an inbound `myevents <uuid>` subscribes to.
MYEVENTS = {
    "CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA", "CHANNEL_DESTROY",
    "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE",
    "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE",
    "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK", "DETECTED_SPEECH", "DTMF", "NOTALK", "TALK",
}


class Subscriptions:
    """Mixin of server.Session: the subscription state lives on the session (events_on, event_list, all_events,
    custom, filters, my_uuid, linger, lingering, fmt) and frames go out through its _send / held queue."""

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
        if self.lingering and ev.get("Unique-ID") == self.my_uuid and (
                ev.name == "CHANNEL_DESTROY" or ev.get("Channel-State") == "CS_DESTROY"):
            # capture 01 (obs. 6): a lingering socket gets neither CHANNEL_DESTROY nor CHANNEL_STATE(CS_DESTROY)
            return
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

    def channel_hungup(self, chan):
        """Inbound `myevents <uuid>`: disconnect or linger when that channel hangs up (mes.c read_packet).

        The notice is written by the listener thread, which is busy while an api runs: it follows the
        api/response of the `uuid_kill` that caused it and the CHANNEL_HANGUP already queued (capture 01)."""
        if self.my_uuid != chan.uuid or self.closed:
            return
        if self.linger is None:
            self._out(self._notice(chan, "disconnect"))
            self._out(self._disconnect)
            return
        self.lingering = True
        self._out(("Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\nContent-Disposition: linger\n"
                   "Channel-Name: %s\nLinger-Time: %d\nContent-Length: 0\n\n"
                   % (chan.uuid, chan.name, self.linger)).encode())
        if self.linger > 0:
            self.sw.later(self.linger, self._linger_done, chan)

    def _out(self, item):
        """Queue a frame (or a closing action) behind the api/response when an api is running."""
        if self.api_busy:
            self.held.append(item)
        elif callable(item):
            item()
        else:
            self._send(item)

    def _disconnect(self):
        self._closing = True
        self._close_after_flush()

    def _notice(self, chan, disposition):
        body = wire.DISCONNECT_BODY.encode()
        return ("Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\nContent-Disposition: %s\n"
                "Content-Length: %d\n\n" % (chan.uuid, disposition, len(body))).encode() + body

    def _linger_done(self, chan):
        """Linger time over: the disconnect notice, then the writer closes the socket once it is flushed."""
        self._send(self._notice(chan, "disconnect"))
        self._disconnect()
