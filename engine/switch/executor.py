"""Executes the core's switch commands over ESL; failures come back as CommandFailed events."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Protocol

from engine.domain import commands as c
from engine.domain.events import CommandFailed, Event, OriginateResult
from engine.switch import encode
from engine.switch.decode import DIGITS_VAR
from engine.switch.errors import SwitchError

logger = logging.getLogger(__name__)


class SwitchLink(Protocol):
    """What the executor needs of a connection (EslConnection provides it)."""

    def api(self, command: str, timeout: float | None = None) -> str: ...
    def bgapi(self, command: str, job_uuid: str | None = None) -> str: ...
    def sendmsg(self, uuid: str, app: str | None = None, arg: str | None = None, *, command: str = "execute",
                event_uuid: str | None = None, event_lock: bool = False, loops: int | None = None,
                headers: object = None) -> str: ...


SWITCH_COMMANDS = (c.Answer, c.Play, c.Collect, c.StopMedia, c.DialAgent, c.DialCustomer, c.Record,
                   c.StartRecording, c.Supervise, c.HoldCall, c.Bridge, c.Hangup, c.PhoneEvent, c.PlayMusic,
                   c.JoinConference)


class SwitchExecutor:
    """Turns Answer/Play/Collect/DialAgent/Bridge/Hangup into sendmsg, bgapi and api commands."""

    def __init__(self, link: SwitchLink, report: Callable[[Event], None], agent_dial_string: str = "user/{extension}",
                 outbound_dial_string: str = "sofia/gateway/trunk/{number}"):
        self.link = link
        self.report = report
        self.agent_dial_string = agent_dial_string
        self.outbound_dial_string = outbound_dial_string

    def execute(self, command: object) -> None:
        """Run one command; never raises (a failure is logged and reported to the core)."""
        try:
            self._run(command)
        except SwitchError as exc:
            self._failed(command, f"{type(exc).__name__}: {exc}")

    def _run(self, cmd: object) -> None:
        if isinstance(cmd, c.Answer):
            self._sendmsg(cmd.uuid, "answer", "", None, "answer")
        elif isinstance(cmd, c.Play):
            self._sendmsg(cmd.uuid, "playback", cmd.source, cmd.app_uuid, "play")
        elif isinstance(cmd, c.Collect):
            arg = encode.collect_arg(cmd.min_digits, cmd.max_digits, cmd.tries, cmd.timeout_ms, cmd.terminators,
                                     cmd.prompt, cmd.invalid_prompt, DIGITS_VAR, cmd.regex, cmd.digit_timeout_ms)
            self._sendmsg(cmd.uuid, "play_and_get_digits", arg, cmd.app_uuid, "collect")
        elif isinstance(cmd, c.StopMedia):
            self._api(encode.uuid_break(cmd.uuid), "stop_media", cmd.uuid)
        elif isinstance(cmd, c.DialAgent):
            target = (self.outbound_dial_string.format(number=cmd.remote_number) if cmd.remote_number
                      else self.agent_dial_string.format(extension=cmd.extension))
            line = encode.agent_originate(target, cmd.leg_uuid, cmd.timeout_s, cmd.caller_id_number,
                                          cmd.caller_id_name, cmd.variables)
            self.link.bgapi(line, job_uuid=cmd.job_uuid)
        elif isinstance(cmd, c.DialCustomer):
            template = self.agent_dial_string if cmd.extension else self.outbound_dial_string
            target = template.format(extension=cmd.number, number=cmd.number)
            line = encode.agent_originate(target, cmd.leg_uuid, cmd.timeout_s, cmd.caller_id_number,
                                          cmd.caller_id_number, cmd.variables)
            self.link.bgapi(line, job_uuid=cmd.job_uuid)
        elif isinstance(cmd, c.Record):
            # the record app stops on the keys in playback_terminators (mod_dptools.c record_function);
            # directories are made here because `record` (unlike record_session) does not create them
            os.makedirs(os.path.dirname(cmd.path), exist_ok=True)
            self._sendmsg(cmd.uuid, "set", "playback_terminators=#", None, "record")
            self._sendmsg(cmd.uuid, "record", f"{cmd.path} {cmd.max_s}", cmd.app_uuid, "record")
        elif isinstance(cmd, c.StartRecording):
            # stereo: left = the caller (this leg), right = what the caller hears (the agent) — switch_ivr_async.c
            self._api(encode.uuid_setvar(cmd.uuid, "RECORD_STEREO", "true"), "record", cmd.uuid)
            self._api(encode.uuid_record(cmd.uuid, "start", cmd.path), "record", cmd.uuid)
        elif isinstance(cmd, c.Supervise):
            target = self.agent_dial_string.format(extension=cmd.supervisor_extension)
            line = encode.eavesdrop_originate(target, cmd.agent_leg, cmd.mode, supervisor_uuid=cmd.leg_uuid,
                                              timeout_s=30, dtmf=cmd.mode != "barge")
            self.link.bgapi(line, job_uuid=cmd.job_uuid)
        elif isinstance(cmd, c.HoldCall):
            self._api(encode.uuid_hold(cmd.uuid, "on" if cmd.on else "off"), "hold", cmd.uuid)
        elif isinstance(cmd, c.Bridge):
            self._api(encode.uuid_bridge(cmd.a_uuid, cmd.b_uuid), "bridge", cmd.a_uuid)
        elif isinstance(cmd, c.PhoneEvent):
            self._api(encode.uuid_phone_event(cmd.uuid, cmd.event), "phone_event", cmd.uuid)
        elif isinstance(cmd, c.PlayMusic):
            self._api(encode.uuid_broadcast(cmd.uuid, cmd.source, leg="aleg"), "music", cmd.uuid)
        elif isinstance(cmd, c.JoinConference):
            # capture 05b: uuid_transfer <agent> -both 'conference:cc-<caller>@default' inline
            self._api(encode.uuid_transfer_inline(cmd.uuid, [("conference", f"{cmd.room}@default")],
                                                  leg="both" if cmd.both else "aleg"), "conference", cmd.uuid)
        elif isinstance(cmd, c.Hangup):
            self._api(encode.uuid_kill(cmd.uuid, cmd.cause), "hangup", cmd.uuid, quiet="No such channel")
        else:
            logger.error("not a switch command: %r", cmd)

    def _sendmsg(self, uuid: str, app: str, arg: str, app_uuid: str | None, key: str) -> None:
        reply = self.link.sendmsg(uuid, app, arg or None, event_uuid=app_uuid, event_lock=True)
        if not reply.startswith("+OK"):
            self._failed_key(key, uuid, reply)

    def _api(self, line: str, key: str, uuid: str, quiet: str | None = None) -> None:
        reply = self.link.api(line).strip()
        if reply.startswith("-"):
            if quiet and quiet in reply:
                logger.debug("%s: %s", line, reply)
                return
            self._failed_key(key, uuid, reply)

    def _failed(self, cmd: object, detail: str) -> None:
        key = type(cmd).__name__.lower()
        self._failed_key(key, getattr(cmd, "uuid", None) or getattr(cmd, "a_uuid", None), detail)
        if isinstance(cmd, (c.DialAgent, c.DialCustomer)):   # the outcome will never come from the switch
            self.report(OriginateResult(cmd.job_uuid, False, None, "NORMAL_TEMPORARY_FAILURE", time.time()))

    def _failed_key(self, key: str, uuid: str | None, detail: str) -> None:
        logger.warning("switch command %s on %s failed: %s", key, uuid, detail)
        self.report(CommandFailed(key, uuid, detail, time.time()))
