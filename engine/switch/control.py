"""Typed call control over an ESL link: build with :mod:`.encode`, send, parse with :mod:`.replies`.

``CallControl(link)`` needs ``api(command, timeout=None) -> str``, ``bgapi(command, job_uuid=None) -> str``
and ``sendmsg(uuid, app, arg, *, event_uuid=None, event_lock=False) -> str`` (what
:class:`engine.switch.connection.EslConnection` provides). Every method either returns a typed result or
raises: :class:`~engine.switch.replies.CommandRejected` / ``NoSuchChannel`` with FreeSWITCH's own text when
the switch refuses, a :class:`~engine.switch.errors.SwitchError` when the link fails, ``ValueError`` when an
argument cannot be expressed on the command line. It makes no business decision (no retries, no fallbacks).

Blocking ``api originate`` stops event delivery on that connection until the call is answered or fails
(observation 8): prefer :meth:`CallControl.originate_bg` and wait for the BACKGROUND_JOB event, whose body
:func:`~engine.switch.replies.parse_originate` reads.
"""
from __future__ import annotations

import uuid as _uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from . import encode, replies
from .encode import AppCall, LegSpec
from .replies import ChannelRow, ConferenceMember, NoSuchChannel, OriginateResult, Registration

__all__ = ["CallControl", "ControlLink", "BackgroundOriginate"]


class ControlLink(Protocol):
    def api(self, command: str, timeout: float | None = None) -> str: ...
    def bgapi(self, command: str, job_uuid: str | None = None) -> str: ...
    def sendmsg(self, uuid: str, app: str | None = None, arg: str | None = None, *, event_uuid: str | None = None,
                event_lock: bool = False) -> str: ...


@dataclass(frozen=True)
class BackgroundOriginate:
    """A ``bgapi originate`` in flight: its result arrives as BACKGROUND_JOB ``Job-UUID == job_uuid``;
    ``leg_uuid`` is the ``origination_uuid`` the new leg will carry."""

    job_uuid: str
    leg_uuid: str


def _new_uuid() -> str:
    return str(_uuidlib.uuid4())


class CallControl:
    """Call-control primitives of FreeSWITCH as typed methods (see module doc)."""

    def __init__(self, link: ControlLink, *, originate_timeout: float = 75.0) -> None:
        self.link = link
        #: reply timeout of a BLOCKING api originate (it answers only when the leg answers or fails)
        self.originate_timeout = originate_timeout

    # -- plumbing -----------------------------------------------------------------------------------
    def api(self, line: str, timeout: float | None = None) -> str:
        """Send one api command, return the raw reply (used by every method)."""
        return self.link.api(line, timeout) if timeout is not None else self.link.api(line)

    def _ok(self, line: str) -> str:
        return replies.check_ok(self.api(line), line.split(" ", 1)[0])

    # -- originate / bridge ----------------------------------------------------------------------------
    def originate(self, target: LegSpec | Sequence[LegSpec], variables: Mapping[str, object] | None = None,
                  app: str = "park", app_arg: str = "", *, timeout: float | None = None,
                  **options) -> OriginateResult:
        """BLOCKING ``api originate``: ``+OK <uuid>`` -> ``OriginateResult(ok=True, uuid)``,
        ``-ERR <CAUSE>`` -> ``OriginateResult(ok=False, cause)`` (not raised: a busy phone is an outcome).
        ``options`` are :func:`encode.originate` keywords (extension, dialplan, context, timeout_s ...)."""
        line = encode.originate(target, variables, app, app_arg, **options)
        return replies.parse_originate(self.api(line, timeout or self.originate_timeout))

    def originate_bg(self, target: LegSpec | Sequence[LegSpec], variables: Mapping[str, object] | None = None,
                     app: str = "park", app_arg: str = "", *, job_uuid: str | None = None,
                     leg_uuid: str | None = None, **options) -> BackgroundOriginate:
        """``bgapi originate`` with a known ``origination_uuid`` (generated unless given or already in
        ``variables``) and a client-chosen Job-UUID; returns both at once."""
        v = dict(variables or {})
        leg = str(v.get("origination_uuid") or leg_uuid or _new_uuid())
        v["origination_uuid"] = leg
        job = job_uuid or _new_uuid()
        line = encode.originate(target, v, app, app_arg, **options)
        return BackgroundOriginate(self.link.bgapi(line, job_uuid=job) or job, leg)

    def bridge(self, a_uuid: str, b_uuid: str) -> str:
        """``uuid_bridge``: returns the uuid FreeSWITCH echoes (``+OK <b>``, capture 04a). Asynchronous:
        the bridge is done when CHANNEL_BRIDGE arrives."""
        return replies.parse_bridge(self.api(encode.uuid_bridge(a_uuid, b_uuid)))

    def transfer(self, uuid: str, destination: str, dialplan: str | None = "XML", context: str | None = None,
                 *, leg: str = "aleg") -> None:
        """``uuid_transfer [-bleg|-both] <dest> <dialplan> <context>`` (``+OK`` even for an unrouted
        extension, capture 06d)."""
        self._ok(encode.uuid_transfer(uuid, destination, dialplan, context, leg=leg))

    def transfer_inline(self, uuid: str, apps: Sequence[AppCall | tuple[str, str]], *, leg: str = "aleg") -> None:
        """``uuid_transfer <uuid> [-bleg|-both] 'app:arg,...' inline``."""
        self._ok(encode.uuid_transfer_inline(uuid, apps, leg=leg))

    def kill(self, uuid: str, cause: str = "NORMAL_CLEARING", *, missing_ok: bool = False) -> bool:
        """``uuid_kill``: True when killed; with ``missing_ok`` a gone channel returns False instead of
        raising NoSuchChannel."""
        try:
            self._ok(encode.uuid_kill(uuid, cause))
            return True
        except NoSuchChannel:
            if missing_ok:
                return False
            raise

    def hupall(self, cause: str = "NORMAL_CLEARING", var: str | None = None, value: str | None = None) -> str:
        return self._ok(encode.hupall(cause, var, value))

    # -- media -----------------------------------------------------------------------------------------
    def hold(self, uuid: str) -> None:
        """``uuid_hold`` (``-ERR Operation failed`` when already held; an unknown uuid says ``+OK``)."""
        self._ok(encode.uuid_hold(uuid, "on"))

    def unhold(self, uuid: str) -> None:
        self._ok(encode.uuid_hold(uuid, "off"))

    def toggle_hold(self, uuid: str) -> None:
        self._ok(encode.uuid_hold(uuid, "toggle"))

    def broadcast(self, uuid: str, path_or_app: str, arg: str | None = None, leg: str = "aleg") -> None:
        """``uuid_broadcast`` (``+OK Message sent``)."""
        self._ok(encode.uuid_broadcast(uuid, path_or_app, arg, leg))

    def stop_media(self, uuid: str, all_queued: bool = True) -> None:
        """``uuid_break [all]``."""
        self._ok(encode.uuid_break(uuid, all_queued))

    def record_start(self, uuid: str, path: str, limit_s: int | None = None,
                     variables: Mapping[str, object] | None = None) -> None:
        """``uuid_record <uuid> start <path> [limit] [{vars}]`` (RECORD_START carries the full path).

        Not for a channel that may be hanging up: on FreeSWITCH an uuid_record that races the hang-up leaks the
        session (docs/fsim-fidelity.md); the engine records calls with ``record_session`` in the channel's thread."""
        self._ok(encode.uuid_record(uuid, "start", path, limit_s, variables))

    def record_stop(self, uuid: str, path: str = "all") -> None:
        self._ok(encode.uuid_record(uuid, "stop", path))

    def record_mask(self, uuid: str, path: str, mask: bool = True) -> None:
        """Mask (silence) or unmask a running recording, e.g. while a card number is read."""
        self._ok(encode.uuid_record(uuid, "mask" if mask else "unmask", path))

    def answer(self, uuid: str) -> None:
        """``uuid_answer`` (``-ERROR`` on failure, raised as CommandRejected)."""
        self._ok(encode.uuid_answer(uuid))

    def park(self, uuid: str) -> None:
        self._ok(encode.uuid_park(uuid))

    def recv_dtmf(self, uuid: str, digits: str) -> None:
        """``uuid_recv_dtmf``: as if the far end pressed ``digits`` (eavesdrop mode keys 1/2/3/0)."""
        self._ok(encode.uuid_recv_dtmf(uuid, digits))

    def send_dtmf(self, uuid: str, digits: str, duration_ms: int | None = None) -> None:
        self._ok(encode.uuid_send_dtmf(uuid, digits, duration_ms))

    # -- variables -------------------------------------------------------------------------------------
    def setvar(self, uuid: str, name: str, value: object | None) -> None:
        """``uuid_setvar`` (None or "" unsets)."""
        self._ok(encode.uuid_setvar(uuid, name, value))

    def unsetvar(self, uuid: str, name: str) -> None:
        self._ok(encode.uuid_setvar(uuid, name, None))

    def setvars(self, uuid: str, variables: Mapping[str, object]) -> None:
        """``uuid_setvar_multi``."""
        self._ok(encode.uuid_setvar_multi(uuid, variables))

    def getvar(self, uuid: str, name: str) -> str | None:
        """``uuid_getvar``: value, None when unset; NoSuchChannel when the channel is gone."""
        return replies.parse_getvar(self.api(encode.uuid_getvar(uuid, name)))

    def exists(self, uuid: str) -> bool:
        return replies.parse_exists(self.api(encode.uuid_exists(uuid)))

    # -- inventory -------------------------------------------------------------------------------------
    def channels(self) -> list[ChannelRow]:
        """``show channels as json`` as typed rows (resync after a reconnect)."""
        return replies.parse_channels(self.api(encode.show_channels_json()))

    def registrations(self, profile: str = "internal", user_filter: str | None = None) -> list[Registration]:
        return replies.parse_registrations(self.api(encode.sofia_status_reg(profile, user_filter)))

    def contact(self, user: str, domain: str | None = None, profile: str | None = None) -> str | None:
        """``sofia_contact``: the registered contact dial string, None when not registered."""
        return replies.parse_contact(self.api(encode.sofia_contact(user, domain, profile)))

    # -- dialplan applications on a channel (sendmsg) ---------------------------------------------------
    def execute(self, uuid: str, call: AppCall, *, event_uuid: str | None = None, event_lock: bool = True) -> None:
        """Queue one application on the channel (``sendmsg`` execute). ``+OK`` means queued; the result
        comes as CHANNEL_EXECUTE_COMPLETE with ``Application-UUID == event_uuid``."""
        reply = self.link.sendmsg(uuid, call.app, call.arg or None, event_uuid=event_uuid, event_lock=event_lock)
        if not reply.startswith("+OK"):
            if "invalid session id" in reply:
                raise NoSuchChannel(f"sendmsg {call.app}", reply)
            raise replies.CommandRejected(f"sendmsg {call.app}", reply)

    def execute_all(self, uuid: str, calls: Sequence[AppCall], *, event_uuid: str | None = None) -> None:
        """Queue several applications in order; ``event_uuid`` (if any) tags the LAST one."""
        for i, call in enumerate(calls):
            self.execute(uuid, call, event_uuid=event_uuid if i == len(calls) - 1 else None)

    # -- supervision -----------------------------------------------------------------------------------
    def eavesdrop(self, supervisor_ext: str, target_uuid: str, mode: str = "listen", *,
                  dial_string: str = "user/{extension}", supervisor_uuid: str | None = None,
                  timeout_s: int | None = None, dtmf: bool = False, job_uuid: str | None = None,
                  variables: Mapping[str, object] | None = None) -> BackgroundOriginate:
        """Ring the supervisor (``bgapi``) into listen / whisper (coach: only the agent hears) / barge on
        ``target_uuid`` = the AGENT leg (:func:`encode.eavesdrop_originate`). Returns job and leg uuids;
        the supervisor's answer and the session's end are seen as events."""
        leg = supervisor_uuid or _new_uuid()
        line = encode.eavesdrop_originate(dial_string.format(extension=supervisor_ext), target_uuid, mode,
                                          supervisor_uuid=leg, timeout_s=timeout_s, dtmf=dtmf,
                                          variables=variables)
        job = job_uuid or _new_uuid()
        return BackgroundOriginate(self.link.bgapi(line, job_uuid=job) or job, leg)

    # -- conference ------------------------------------------------------------------------------------
    def conference_members(self, name: str) -> list[ConferenceMember]:
        return replies.parse_conference_list(self.api(encode.conference_list(name)))

    def conferences(self) -> list[ConferenceMember]:
        """``conference list``: every member of every conference (``.conference`` names it)."""
        return replies.parse_conference_list(self.api(encode.conference_list()))

    def conference_member(self, name: str, action: str, member_id: int | str) -> str:
        """``conference <name> mute|unmute|deaf|undeaf|kick|hup <id>`` -> the ``+OK`` detail."""
        return self._ok(encode.conference_member(name, action, member_id))
