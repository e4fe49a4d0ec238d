"""Channel model: states, call states, answer, DTMF, private-command queue, park loop and hang-up sequence.

Mirrors switch_channel.c / switch_core_state_machine.c / switch_ivr.c (park) as observed in the captures.
Each channel runs in its own greenlet; every block point goes through Channel.wait(), which turns hang-up,
uuid_break and bridge requests into exceptions at well-defined places.
"""
import collections
import logging
import time
import uuid as uuidlib

import gevent
from gevent.event import Event as GEvent

from .causes import q850
from .events import STATE_NUMBERS, CALLSTATE_NUMBERS, add_channel_data
from .loops import execute_loops

logger = logging.getLogger(__name__)


class Hangup(Exception):
    """The channel is hanging up: unwind to the state machine."""


class Break(Exception):
    """uuid_break: stop the current application."""


class BridgeRequest(Exception):
    """uuid_bridge asked this channel to leave what it does and join a bridge."""

    state_number = 8   # Channel-State-Number shown on the CHANNEL_UNPARK this request causes

    def __init__(self, bridge):
        super().__init__("bridge")
        self.bridge = bridge

    def resume(self, chan):
        """What the channel thread runs next (run_channel); transfer.TransferRequest overrides it."""
        from .bridge import bridged_phase
        bridged_phase(chan, self.bridge)


class BridgeEnded(Exception):
    """The bridged partner went away (moved: it was transferred / re-bridged rather than hung up)."""

    def __init__(self, cause, moved=False):
        super().__init__(cause)
        self.cause = cause
        self.moved = moved

    @property
    def mode(self):
        return "left" if self.moved else "partner"


def now_us(sw):
    """The switch's clock in microseconds (Event-Date-Timestamp, Caller-*-Time): the wall clock, or the shared
    accelerated clock of a twin run (engine.clock)."""
    return int(sw.clock.now() * 1_000_000)


class VarDict(collections.OrderedDict):
    """Channel variables. Setting one that exists moves it to the end: switch_channel_set_variable deletes the
    header, then appends it (SWITCH_STACK_BOTTOM), which is the order variable_* headers show in events."""

    def __setitem__(self, key, value):
        if key in self:
            super().__delitem__(key)
        super().__setitem__(key, value)


class Command:
    """A queued sendmsg (switch_core_session_queue_private_event)."""

    def __init__(self, line, headers, body):
        self.line = line
        self.headers = headers
        self.body = body

    def get(self, name, default=None):
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return default


class Channel:
    """One call leg."""

    def __init__(self, sw, uuid, direction, name, profile, variables):
        self.sw = sw
        self.uuid = uuid or str(uuidlib.uuid4())
        self.direction = direction
        self.name = name
        self.profile = profile
        self.variables = VarDict(variables)
        self.running_state = "CS_NEW"
        self.state_number = 0
        self.callstate = "DOWN"
        self.answer_state = "ringing"
        self.hit_dialplan = direction == "inbound"
        self.presence_visible = False
        self.profile_ready = False
        self.codec = None
        self.other_leg = None
        self.other_type = None
        self.partner = None
        self.bridge = None
        # CF_TRANSFER/CF_REDIRECT of a pending uuid_bridge (bridge.py uuid_bridge): the Bridge this leg is being
        # moved to, set in the api thread before `+OK`, cleared when the leg's state machine runs its next state
        self.moving = None
        self.hangup_cause = None
        self.hangup_disposition = None
        self.created_us = now_us(self.sw)
        self.answered_us = self.progress_us = self.progress_media_us = self.bridged_us = self.hangup_us = 0
        self.destroyed_us = 0   # CHANNEL_DESTROY: FreeSWITCH keeps the session until then (cdr.report)
        self.dtmf = collections.deque()
        self.commands = collections.deque()
        self._pending = []
        self._wake = GEvent()
        self.nested_ok = False
        self.current_app = None
        self.app_stack = []
        self.current_app_data = ""
        self.parked = False
        self.script = None
        self.phone = None
        self.on_reported = []
        self.destroyed = False
        self.greenlet = None
        self.timers = []
        self.sendmsg_depth = 0          # sendmsg apps running (nested ones inside a playback count too)
        self.stop_broadcast = False     # CF_STOP_BROADCAST

    # ------------------------------------------------------------ events
    def fire(self, name, before=(), after=(), calling=None, with_vars=None, pre=()):
        """Build and fire a channel event with this channel's data."""
        ev = self.sw.factory.new(name, calling=calling, pre=pre)
        add_channel_data(ev, self, before=before, after=after, with_vars=with_vars)
        if name == "CHANNEL_EXECUTE":    # the core database's channels row (switch_core_sqldb.c core_event_handler)
            self.db_application = ev.get("Application") or ""
            self.db_application_data = ev.get("Application-Data") or ""
        self.sw.fire(ev)
        return ev

    def set_state(self, state, number=None):
        """switch_channel_perform_set_running_state: fire CHANNEL_STATE."""
        self.running_state = state
        self.state_number = STATE_NUMBERS[state] if number is None else number
        self.fire("CHANNEL_STATE")

    def set_callstate(self, new):
        """switch_channel_perform_set_callstate: fire CHANNEL_CALLSTATE."""
        old, self.callstate = self.callstate, new
        self.fire("CHANNEL_CALLSTATE", before=(("Original-Channel-Call-State", old),
                                                ("Channel-Call-State-Number", CALLSTATE_NUMBERS[new])))

    @property
    def answered(self):
        return bool(self.answered_us)

    @property
    def media_up(self):
        return bool(self.answered_us or self.progress_media_us)

    def pre_answer(self):
        """183 with SDP: CHANNEL_PROGRESS_MEDIA (Answer-State early) then CALLSTATE EARLY."""
        if self.media_up:
            return
        self.progress_media_us = now_us(self.sw)
        self.profile["Channel-Progress-Media-Time"] = self.progress_media_us
        self.answer_state = "early"
        self.variables["endpoint_disposition"] = "EARLY MEDIA"
        self._media_vars()
        self.fire("CHANNEL_PROGRESS_MEDIA")
        self.set_callstate("EARLY")

    def answer(self):
        """200 OK: (pre-answer for inbound sofia legs) CHANNEL_ANSWER, then CALLSTATE ACTIVE (obs. 16)."""
        if self.answered or self.hangup_cause:
            return
        if self.direction == "inbound":
            self.pre_answer()
        else:
            self._media_vars()
        self.answered_us = now_us(self.sw)
        self.profile["Channel-Answered-Time"] = self.answered_us
        self.answer_state = "answered"
        self.fire("CHANNEL_ANSWER")
        # CHANNEL_ANSWER still shows the previous endpoint_disposition (EARLY MEDIA inbound, none outbound, 04a)
        self.variables["endpoint_disposition"] = "ANSWER"
        self.set_callstate("ACTIVE")

    def _media_vars(self):
        codec = "PCMA" if self.direction == "inbound" else "PCMU"
        self.codec = (codec, 8000, 64000)
        for k, v in (("read_codec", codec), ("original_read_codec", codec), ("read_rate", "8000"),
                     ("original_read_rate", "8000"), ("write_codec", codec), ("write_rate", "8000"),
                     ("dtmf_type", "rfc2833")):
            self.variables[k] = v

    # ------------------------------------------------------- interruption
    def interrupt(self, exc):
        """Queue an exception to raise at this channel's next wait()."""
        self._pending.append(exc)
        self._wake.set()

    def poke(self):
        self._wake.set()

    def wait(self, seconds=None, dtmf=False, cmd=False, bridge=True, brk=True, nested=False, until=None,
             ended=True):
        """Block up to `seconds` simulated seconds; return 'timeout', 'dtmf', 'cmd' or 'until' (when the callable
        `until` is true at a wake-up, see poke()).

        Raises Hangup (always), Break / BridgeRequest / BridgeEnded when accepted. With nested=True queued
        sendmsg commands run inside the current app (switch_ivr_parse_all_events in play/sleep loops) and
        the remaining wait is extended by their duration. ended=False leaves a BridgeEnded pending: a media app
        run inside a bridge's loop plays on when the partner goes (the loop sees it once the app returns).
        """
        deadline = None if seconds is None else time.monotonic() + self.sw.real(seconds)
        while True:
            if self.hangup_cause:
                raise Hangup()
            # a BridgeEnded is moot once the leg left that bridge, and while a uuid_bridge is moving it (CF_TRANSFER:
            # its bridge loop exits clean, switch_ivr_bridge.c audio_bridge_thread, see bridge.py uuid_bridge)
            self._pending = [e for e in self._pending
                             if not (isinstance(e, BridgeEnded) and (self.partner is None or self.moving))]
            for i, exc in enumerate(self._pending):
                if (isinstance(exc, Break) and brk) or (isinstance(exc, BridgeRequest) and bridge) or (
                        isinstance(exc, BridgeEnded) and bridge and ended):
                    del self._pending[i]
                    raise exc
            if until is not None and until():
                return "until"
            if dtmf and self.dtmf:
                return "dtmf"
            if self.commands and (cmd or (nested and self.nested_ok)):
                if cmd:
                    return "cmd"
                t0 = time.monotonic()
                self.run_command(self.commands.popleft())
                if deadline is not None:
                    deadline += time.monotonic() - t0
                continue
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return "timeout"
            self._wake.clear()
            self._wake.wait(remaining)

    # ---------------------------------------------------------------- DTMF
    def queue_dtmf(self, digits, source="APP"):
        """switch_channel_queue_dtmf: digits wait until an application (or park) dequeues them."""
        for d in digits:
            self.dtmf.append((d, source))
        self._wake.set()

    def dequeue_dtmf(self):
        """switch_channel_dequeue_dtmf: pop one digit and fire DTMF (obs. 19: APP 2000, RTP 2240)."""
        digit, source = self.dtmf.popleft()
        self.digits_dialed = getattr(self, "digits_dialed", "") + digit   # CDR digits_dialed (03c)
        self.fire("DTMF", after=(("DTMF-Digit", digit), ("DTMF-Duration", 2240 if source == "RTP" else 2000),
                                 ("DTMF-Source", source)), with_vars=False)
        return digit

    def request_input(self):
        """An application is asking for digits: let the virtual caller answer (callers.py)."""
        if self.script is not None:
            self.script.input_requested(self)

    # ------------------------------------------------------------ commands
    def queue_command(self, line, headers, body):
        """sendmsg: queue a private event; executed FIFO by the channel's loops."""
        self.commands.append(Command(line, headers, body))
        self._wake.set()

    def run_command(self, cmd):
        """switch_ivr_parse_event: execute / hangup / others, then PRIVATE_COMMAND (obs. 17)."""
        if getattr(cmd, "run", None) is not None:
            return cmd.run(self)   # private events queued by other modules (broadcast.py)
        had_media = self.media_up
        cc = (cmd.get("call-command") or "").lower()
        if cc == "execute":
            app = cmd.get("execute-app-name") or ""
            arg = cmd.get("execute-app-arg")
            if arg is None and cmd.body:
                arg = cmd.body
            lock = (cmd.get("event-lock") or "").lower() == "true"
            try:
                execute_loops(self, cmd, app, arg or "", lock)
            finally:
                # obs. 17: PRIVATE_COMMAND follows each executed sendmsg, except one dequeued while the call had
                # no media (the first `answer` of a parked unanswered call had none).
                if had_media:
                    self.private_command(cmd)
            return
        if cc == "hangup":
            self.hangup(cmd.get("hangup-cause") or "NORMAL_CLEARING")
            raise Hangup()
        self.private_command(cmd)

    def private_command(self, cmd):
        """PRIVATE_COMMAND: Command line and the sendmsg headers come before Event-Name (obs. 11)."""
        pre = [("Command", cmd.line)] + [(k, v) for k, v in cmd.headers]
        self.fire("PRIVATE_COMMAND", pre=pre, with_vars=False)

    # ---------------------------------------------------------------- park
    def park_loop(self, in_app):
        """switch_ivr_park: CHANNEL_PARK, then run queued commands and dequeue DTMF until something ends it."""
        self.parked = True
        self.fire("CHANNEL_PARK")
        try:
            while True:
                try:
                    what = self.wait(None, dtmf=True, cmd=True)
                except Break:
                    continue
                if what == "dtmf":
                    self.dequeue_dtmf()
                elif what == "cmd":
                    self.run_command(self.commands.popleft())
        except BridgeRequest as req:
            self.state_number = req.state_number
            self._unpark()
            raise
        except Hangup:
            self._unpark()
            raise

    def _unpark(self):
        self.parked = False
        self.fire("CHANNEL_UNPARK")

    # -------------------------------------------------------------- hangup
    def remote_hangup(self, cause="NORMAL_CLEARING"):
        """The far end hangs up: BYE when answered, CANCEL (ORIGINATOR_CANCEL) before."""
        if self.answered or self.direction == "outbound":
            self.hangup(cause, disposition="recv_bye", term_status="200")
        else:
            self.hangup("ORIGINATOR_CANCEL", disposition="recv_cancel", term_status="487")

    def hangup(self, cause="NORMAL_CLEARING", disposition=None, term_status=None):
        """switch_channel_perform_hangup: fire CHANNEL_HANGUP at once, then unwind the channel greenlet."""
        if self.hangup_cause or self.destroyed:
            return
        self.hangup_cause = cause
        self.hangup_us = now_us(self.sw)
        self.profile["Channel-Hangup-Time"] = self.hangup_us
        if disposition is None:
            disposition = "send_bye" if self.answered else ("send_cancel" if self.direction == "outbound"
                                                            else "send_refuse")
        self.hangup_disposition = disposition
        status = term_status or ("200" if disposition.endswith("bye") else None)
        if status:
            self.variables["sip_term_status"] = status
            self.variables["proto_specific_hangup_cause"] = "sip:%s" % status
            self.variables["sip_term_cause"] = str(q850(cause))
        self.state_number = 10
        self.answer_state = "hangup"
        if self.partner is not None:   # the leg whose side ends the bridge keeps its role (captures 04a/04c)
            self.variables["last_bridge_role"] = "originator" if self.bridge_a() else "originatee"
        for t in self.timers:
            t.kill(block=False)
        self.fire("CHANNEL_HANGUP")
        if self.partner is not None:
            self.partner.interrupt(BridgeEnded(cause))
        self.sw._channel_hungup(self)
        self._wake.set()
        if self.greenlet is None or self.greenlet.dead:
            gevent.spawn(self.finalize)

    def finalize(self):
        """CS_HANGUP, CALLSTATE HANGUP, CS_REPORTING, HANGUP_COMPLETE (CDR vars), DESTROY (cdr.report, obs. 22)."""
        from .cdr import report
        report(self)

    # -------------------------------------------------------------- bridge
    def end_bridge(self, cause, mode="partner"):
        """Leave the current bridge (bridge.leave_bridge): variables, CHANNEL_UNBRIDGE on the A leg only."""
        from .bridge import leave_bridge
        leave_bridge(self, cause, mode)

    def bridge_a(self):
        """Is this the A leg (originator) of its current bridge?"""
        role = getattr(self, "bridge_is_a", None)
        return self.other_type == "originatee" if role is None else role

    # ---------------------------------------------------------- reporting
    def describe(self):
        """Dict view for SimSwitch.channels() / GET /channels (cdr.describe)."""
        from .cdr import describe
        return describe(self)

    def summary(self):
        """Dict view of a finished channel for SimSwitch.calls_log() (cdr.summary)."""
        from .cdr import summary
        return summary(self)
