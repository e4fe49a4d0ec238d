"""Executes the core's switch commands over ESL; failures come back as CommandFailed events.

Pipelined: ``execute()`` writes the command(s) and returns at once, without waiting for FreeSWITCH's
reply (mod_event_socket runs one connection's commands in order, one reply each, so the order of the
commands on the wire - the order of the execute() calls - is the order they run in, and replies are
matched FIFO). Each reply is checked when it arrives, in the connection's dispatch greenlet; a failure
is reported exactly as when execute() used to wait: the same CommandFailed keys and details, an
OriginateResult for a DialAgent/DialCustomer that cannot start, "No such channel" quiet for hang-ups.
A link without the ``*_nowait`` methods is driven the blocking way.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Protocol

from engine.domain import commands as c
from engine.domain.events import CommandFailed, Event, OriginateResult, PhoneProbed
from engine.switch import encode, replies
from engine.switch.decode import DIGITS_VAR
from engine.switch.errors import SwitchError

logger = logging.getLogger(__name__)


class SwitchLink(Protocol):
    """What the executor needs of a connection (EslConnection provides it; the ``*_nowait`` variants,
    returning a PendingReply, make it pipelined)."""

    def api(self, command: str, timeout: float | None = None) -> str: ...
    def bgapi(self, command: str, job_uuid: str | None = None) -> str: ...
    def sendmsg(self, uuid: str, app: str | None = None, arg: str | None = None, *, command: str = "execute",
                event_uuid: str | None = None, event_lock: bool = False, loops: int | None = None,
                headers: object = None) -> str: ...


SWITCH_COMMANDS = (c.Answer, c.Play, c.Collect, c.StopMedia, c.DialAgent, c.DialCustomer, c.Record,
                   c.StartRecording, c.Supervise, c.HoldCall, c.Bridge, c.Hangup, c.PhoneEvent, c.PlayMusic,
                   c.JoinConference, c.SetLegVars, c.UpdateDisplay, c.ProbePhone)
UNAVAILABLE = "SWITCH_UNAVAILABLE"      # the cause reported for a dial that never reached the switch


class _Run:
    """One execute() call: its command and whether a SwitchError was already reported for it (a command
    written as two switch commands reports a timeout / lost connection once, as when the first one's
    failure stopped the second from being sent)."""

    __slots__ = ("cmd", "raised")

    def __init__(self, cmd: object) -> None:
        self.cmd = cmd
        self.raised = False


class SwitchExecutor:
    """Turns Answer/Play/Collect/DialAgent/Bridge/Hangup into sendmsg, bgapi and api commands."""

    def __init__(self, link: SwitchLink, report: Callable[[Event], None], agent_dial_string: str = "user/{extension}",
                 outbound_dial_string: str = "sofia/gateway/trunk/{number}", pipelined: bool | None = None,
                 sip_domain: str | None = None, now: Callable[[], float] = time.time):
        self.link = link
        #: the time stamped on the results it reports (the engine's clock, engine.clock)
        self.now = now
        self.sip_domain = sip_domain
        self.report = report
        self.agent_dial_string = agent_dial_string
        self.outbound_dial_string = outbound_dial_string
        #: write and return (True), or wait for each reply (False); by default whatever the link offers
        self.pipelined = hasattr(link, "api_nowait") if pipelined is None else pipelined
        #: switch commands written whose reply has not been checked yet
        self.in_flight = 0
        #: set when this engine lost its lease (engine.lease): another engine may be in control, so nothing more
        #: is sent to the switch from here
        self.fenced = False

    def fence(self) -> None:
        """Send nothing more to the switch, at once (the engine lost its lease)."""
        self.fenced = True

    def execute(self, command: object) -> None:
        """Run one command; never raises (a failure is logged and reported to the core). Pipelined, it
        returns once the command is written; its outcome is reported when the reply comes."""
        if self.fenced:
            logger.warning("fenced: %s not sent", type(command).__name__)
            return
        run = _Run(command)
        try:
            self._run(command, run)
        except SwitchError as exc:
            self._raised(run, exc)

    def _run(self, cmd: object, run: _Run) -> None:
        if isinstance(cmd, c.Answer):
            self._sendmsg(run, cmd.uuid, "answer", "", None, "answer")
        elif isinstance(cmd, c.Play) and cmd.loop:
            self._music(run, cmd.uuid, cmd.source, cmd.app_uuid)
        elif isinstance(cmd, c.Play):
            self._sendmsg(run, cmd.uuid, "playback", cmd.source, cmd.app_uuid, "play")
        elif isinstance(cmd, c.Collect):
            arg = encode.collect_arg(cmd.min_digits, cmd.max_digits, cmd.tries, cmd.timeout_ms, cmd.terminators,
                                     cmd.prompt, cmd.invalid_prompt, DIGITS_VAR, cmd.regex, cmd.digit_timeout_ms)
            self._sendmsg(run, cmd.uuid, "play_and_get_digits", arg, cmd.app_uuid, "collect")
        elif isinstance(cmd, c.StopMedia):
            self._api(run, encode.uuid_break(cmd.uuid), "stop_media", cmd.uuid)
        elif isinstance(cmd, c.DialAgent):
            target = (self.outbound_dial_string.format(number=cmd.remote_number) if cmd.remote_number
                      else self.agent_dial_string.format(extension=cmd.extension))
            line = encode.agent_originate(target, cmd.leg_uuid, cmd.timeout_s, cmd.caller_id_number,
                                          cmd.caller_id_name, cmd.variables)
            self._bgapi(run, line, cmd.job_uuid)
        elif isinstance(cmd, c.DialCustomer):
            template = self.agent_dial_string if cmd.extension else self.outbound_dial_string
            target = template.format(extension=cmd.number, number=cmd.number)
            line = encode.agent_originate(target, cmd.leg_uuid, cmd.timeout_s, cmd.caller_id_number,
                                          cmd.caller_id_number, cmd.variables)
            self._bgapi(run, line, cmd.job_uuid)
        elif isinstance(cmd, c.Record):
            # the record app stops on the keys in playback_terminators (mod_dptools.c record_function);
            # directories are made here because `record` (unlike record_session) does not create them
            os.makedirs(os.path.dirname(cmd.path), exist_ok=True)
            self._sendmsg(run, cmd.uuid, "set", "playback_terminators=#", None, "record")
            self._sendmsg(run, cmd.uuid, "record", f"{cmd.path} {cmd.max_s}", cmd.app_uuid, "record")
        elif isinstance(cmd, c.StartRecording):
            # stereo: left = the caller (this leg), right = what the caller hears (the agent) — switch_ivr_async.c.
            # record_session runs in the caller's own session thread (sendmsg execute, taken up in the playback or
            # bridge loop), never `uuid_record start` from the event socket's thread: on a real FreeSWITCH an
            # uuid_record that races the caller's hang-up attaches its media bug after the hang-up removed them, its
            # recording thread (switch_ivr_async.c recording_thread) then waits for frames for ever holding the
            # session's read lock, and the session never ends ("Locked, Waiting on external entities"; seen 4 times
            # in 600 calls at 20 calls/s). In its own thread the app runs before the hang-up, or not at all.
            app = encode.record_session(cmd.path, variables={"RECORD_STEREO": "true"})
            self._sendmsg(run, cmd.uuid, app.app, app.arg, None, "record")
        elif isinstance(cmd, c.Supervise):
            target = self.agent_dial_string.format(extension=cmd.supervisor_extension)
            line = encode.eavesdrop_originate(target, cmd.agent_leg, cmd.mode, supervisor_uuid=cmd.leg_uuid,
                                              timeout_s=30, dtmf=cmd.mode != "barge")
            self._bgapi(run, line, cmd.job_uuid)
        elif isinstance(cmd, c.HoldCall):
            self._api(run, encode.uuid_hold(cmd.uuid, "on" if cmd.on else "off"), "hold", cmd.uuid)
        elif isinstance(cmd, c.Bridge):
            self._api(run, encode.uuid_bridge(cmd.a_uuid, cmd.b_uuid), "bridge", cmd.a_uuid)
        elif isinstance(cmd, c.PhoneEvent):
            self._api(run, encode.uuid_phone_event(cmd.uuid, cmd.event), "phone_event", cmd.uuid)
        elif isinstance(cmd, c.PlayMusic):
            # a caller set aside (consult) until it is bridged again: a uuid_broadcast plays a file once, and its
            # endless_playback would never yield to what the engine sends next (a survey after the agent hung up):
            # uuid_break does not stop it (mod_dptools.c endless_playback_function takes BREAK as SUCCESS)
            self._music(run, cmd.uuid, cmd.source, None)
        elif isinstance(cmd, c.JoinConference):
            # capture 05b: uuid_transfer <agent> -both 'conference:cc-<caller>@default' inline
            self._api(run, encode.uuid_transfer_inline(cmd.uuid, [("conference", f"{cmd.room}@default")],
                                                       leg="both" if cmd.both else "aleg"), "conference", cmd.uuid)
        elif isinstance(cmd, c.Hangup):
            self._api(run, encode.uuid_kill(cmd.uuid, cmd.cause), "hangup", cmd.uuid, quiet="No such channel")
        elif isinstance(cmd, c.SetLegVars) and cmd.in_channel:
            app = encode.multiset(cmd.variables)
            self._sendmsg(run, cmd.uuid, app.app, app.arg, None, "setvars")
        elif isinstance(cmd, c.SetLegVars):
            self._api(run, encode.uuid_setvar_multi(cmd.uuid, cmd.variables), "setvars", cmd.uuid,
                      quiet="No such channel")
        elif isinstance(cmd, c.UpdateDisplay):
            # mod_commands.c uuid_display: "-ERR Operation failed" once the leg is gone (nothing to report)
            self._api(run, encode.uuid_display(cmd.uuid, cmd.name, cmd.number), "display", cmd.uuid,
                      quiet="Operation failed")
        elif isinstance(cmd, c.ProbePhone):
            self._probe(run, cmd)
        else:
            logger.error("not a switch command: %r", cmd)

    def _probe(self, run: _Run, cmd: c.ProbePhone) -> None:
        """Is the agent's phone registered? `sofia_contact */<ext>@<domain>` answers a contact or
        error/user_not_registered (capture 02). An outside line, or a dial string that is not `user/`, cannot
        be checked: the next offer is the check."""
        if cmd.remote_number or not self.agent_dial_string.startswith("user/"):
            self.report(PhoneProbed(cmd.agent_id, True, "not checkable: the next offer checks it", self.now()))
            return
        line = encode.sofia_contact(cmd.extension, self.sip_domain, "*")
        if not self.pipelined:
            self._probe_reply(run, cmd, self.link.api(line))
            return
        self._track(self.link.api_nowait(line), run, self._probe_reply, cmd)  # type: ignore[attr-defined]

    def _probe_reply(self, run: _Run, cmd: c.ProbePhone, reply: str) -> None:
        try:
            contact = replies.parse_contact(reply)
        except replies.CommandRejected as exc:
            self.report(PhoneProbed(cmd.agent_id, False, str(exc), self.now()))
            return
        self.report(PhoneProbed(cmd.agent_id, contact is not None,
                                f"registered at {contact}" if contact else "not registered", self.now()))

    def _music(self, run: _Run, uuid: str, source: str, app_uuid: str | None) -> None:
        """Music that never runs out: `playback` with `loops: -1`, which FreeSWITCH runs again each time the file
        ends (switch_ivr.c switch_ivr_parse_event) until `uuid_break` (CF_STOP_BROADCAST), a bridge or transfer
        (the channel is no longer ready) or a pass shorter than 0.5 s (a missing file never spins). No event-lock:
        what is queued on the channel meanwhile (the engine's marks) runs inside the music, as it plays
        (switch_ivr_play_file parses private events unless CF_EVENT_LOCK)."""
        app = encode.playback(source)
        self._sendmsg(run, uuid, app.app, app.arg, app_uuid, "play" if app_uuid else "music",
                      loops=encode.LOOP_FOREVER, event_lock=False)

    # -- the three kinds of switch command: write, then check the reply when it comes ----------------
    def _sendmsg(self, run: _Run, uuid: str, app: str, arg: str, app_uuid: str | None, key: str,
                 loops: int | None = None, event_lock: bool = True) -> None:
        extra = {} if loops is None else {"loops": loops}
        if not self.pipelined:
            self._sendmsg_reply(run, uuid, key, self.link.sendmsg(uuid, app, arg or None, event_uuid=app_uuid,
                                                                  event_lock=event_lock, **extra))
            return
        pending = self.link.sendmsg_nowait(uuid, app, arg or None, event_uuid=app_uuid,  # type: ignore[attr-defined]
                                           event_lock=event_lock, **extra)
        self._track(pending, run, self._sendmsg_reply, uuid, key)

    def _sendmsg_reply(self, run: _Run, uuid: str, key: str, reply: str) -> None:
        if not reply.startswith("+OK"):
            self._failed_key(key, uuid, reply)

    def _api(self, run: _Run, line: str, key: str, uuid: str, quiet: str | None = None) -> None:
        if not self.pipelined:
            self._api_reply(run, line, key, uuid, quiet, self.link.api(line))
            return
        pending = self.link.api_nowait(line)  # type: ignore[attr-defined]
        self._track(pending, run, self._api_reply, line, key, uuid, quiet)

    def _api_reply(self, run: _Run, line: str, key: str, uuid: str, quiet: str | None, reply: str) -> None:
        reply = reply.strip()
        if reply.startswith("-"):
            if quiet and quiet in reply:
                logger.debug("%s: %s", line, reply)
                return
            self._failed_key(key, uuid, reply)

    def _bgapi(self, run: _Run, line: str, job_uuid: str) -> None:
        """A ``-ERR`` reply is a SwitchCommandError (reported like any switch error, with the
        OriginateResult for a dial); the outcome itself comes later as BACKGROUND_JOB."""
        if not self.pipelined:
            self.link.bgapi(line, job_uuid=job_uuid)
            return
        pending = self.link.bgapi_nowait(line, job_uuid=job_uuid)  # type: ignore[attr-defined]
        self._track(pending, run, None)

    def _track(self, pending, run: _Run, on_value: Callable[..., None] | None, *args: object) -> None:
        self.in_flight += 1

        def done(p) -> None:
            self.in_flight -= 1
            exc = p.exception
            if exc is not None:
                self._raised(run, exc)
            elif on_value is not None and not run.raised:
                on_value(run, *args, p.value)

        pending.link(done)

    # -- reporting --------------------------------------------------------------------------------
    def _raised(self, run: _Run, exc: SwitchError) -> None:
        if run.raised:
            logger.debug("switch command %r: further failure %s", run.cmd, exc)
            return
        run.raised = True
        self._failed(run.cmd, f"{type(exc).__name__}: {exc}")

    def _failed(self, cmd: object, detail: str) -> None:
        key = type(cmd).__name__.lower()
        self._failed_key(key, getattr(cmd, "uuid", None) or getattr(cmd, "a_uuid", None), detail)
        if isinstance(cmd, (c.DialAgent, c.DialCustomer)):   # the outcome will never come from the switch
            self.report(OriginateResult(cmd.job_uuid, False, None, UNAVAILABLE, self.now()))
        elif isinstance(cmd, c.ProbePhone):
            self.report(PhoneProbed(cmd.agent_id, False, detail, self.now()))

    def _failed_key(self, key: str, uuid: str | None, detail: str) -> None:
        logger.warning("switch command %s on %s failed: %s", key, uuid, detail)
        self.report(CommandFailed(key, uuid, detail, self.now()))
