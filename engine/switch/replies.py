"""Pure parsers of FreeSWITCH api replies, as a real FreeSWITCH 1.10/1.11 formats them.

Sources: FREESWITCH.md §3.1-3.3 and the wire captures (freeswitch-captures/README.md observations 3, 4,
23, 25, 30, 32). Quirks handled here:

* the trailing LF is inconsistent: ``+OK\\n``, ``-ERR No such channel!\\n``, ``+OK Success\\n`` end in LF;
  ``uuid_getvar`` / ``uuid_exists`` / ``sofia_contact`` answers do not;
* failures are ``-ERR <text>`` except ``uuid_answer`` (``-ERROR``) and wrong usage (``-USAGE: ...``);
* ``uuid_getvar`` answers ``_undef_`` for an unset variable; ``uuid_hold`` answers ``+OK Success`` for an
  unknown uuid;
* ``show channels as json`` is ``{"row_count": 0}\\n`` when empty, otherwise compact JSON without LF whose
  values are all strings.

A refused command raises :class:`CommandRejected` (``NoSuchChannel`` when the switch says the channel is
gone) carrying the switch's own text; nothing here decides what to do about it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping

from .errors import SwitchCommandError

__all__ = [
    "CommandRejected", "NoSuchChannel", "OriginateResult", "ChannelRow", "Registration", "ConferenceMember",
    "check_ok", "parse_originate", "parse_bridge", "parse_getvar", "parse_exists", "parse_channels",
    "parse_registrations", "parse_contact", "parse_conference_list", "UNDEF", "SwitchStatus", "parse_status",
]

UNDEF = "_undef_"
_NO_CHANNEL = ("no such channel", "invalid uuid", "cannot locate session")


class CommandRejected(SwitchCommandError):
    """FreeSWITCH refused an api command; ``text`` is its reply without the trailing LF."""

    def __init__(self, command: str, text: str) -> None:
        self.command = command
        self.text = text.rstrip("\n")
        super().__init__(f"{command}: {self.text}" if command else self.text)


class NoSuchChannel(CommandRejected):
    """The uuid names no channel (``-ERR No such channel!``, ``-ERR Invalid uuid``,
    ``-ERR invalid uuid``, ``-ERR Cannot locate session!``). Note ``-ERR Invalid uuid`` from
    ``uuid_bridge`` also means "neither leg has media" (FREESWITCH.md §3.2)."""


def _rejected(command: str, text: str) -> CommandRejected:
    low = text.lower()
    if low.startswith("-err") and any(k in low for k in _NO_CHANNEL):
        return NoSuchChannel(command, text)
    return CommandRejected(command, text)


def _is_error(text: str) -> bool:
    return text.startswith("-ERR") or text.startswith("-ERROR") or text.startswith("-USAGE")


def check_ok(text: str, command: str = "") -> str:
    """Reply of a command that answers ``+OK[ <detail>]``: return the detail (``""``, ``Success``,
    ``Message sent``, ``<uuid> received DTMF 2.`` ...); raise CommandRejected on anything else
    (``-ERR ...``, ``-ERROR``, ``-USAGE: ...``, empty)."""
    body = text.rstrip("\n")
    if body == "+OK" or body.startswith("+OK ") or body.startswith("+OK\n"):
        return body[3:].strip()
    raise _rejected(command, text or "-ERR no reply")


@dataclass(frozen=True)
class OriginateResult:
    """``+OK <uuid>\\n`` (answered) or ``-ERR <CAUSE>\\n`` (failed), also the BACKGROUND_JOB body."""

    ok: bool
    uuid: str | None = None
    cause: str | None = None
    text: str = ""


_CAUSE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def parse_originate(text: str, command: str = "originate") -> OriginateResult:
    """Parse an originate result; ``-USAGE`` (a malformed command) raises CommandRejected."""
    body = text.strip()
    if body.startswith("+OK"):
        uuid = body[3:].strip() or None
        return OriginateResult(True, uuid, None, text)
    if body.startswith("-ERR"):
        cause = body[4:].strip()
        if _CAUSE_RE.match(cause):
            return OriginateResult(False, None, cause, text)
    raise CommandRejected(command, text or "-ERR no reply")


def parse_bridge(text: str, command: str = "uuid_bridge") -> str:
    """``+OK <b-uuid>\\n`` -> the other leg's uuid (capture 04a); failures raise."""
    return check_ok(text, command)


def parse_getvar(text: str, command: str = "uuid_getvar") -> str | None:
    """``uuid_getvar``: the raw value (no LF is added by FreeSWITCH, none is removed here), None for
    ``_undef_``; ``-ERR No such channel!\\n`` raises NoSuchChannel."""
    if text == UNDEF:
        return None
    if text.startswith("-ERR ") and text.endswith("\n"):
        raise _rejected(command, text)
    if text.startswith("-USAGE"):
        raise CommandRejected(command, text)
    return text


def parse_exists(text: str, command: str = "uuid_exists") -> bool:
    """``true`` / ``false`` (no LF)."""
    body = text.strip()
    if body == "true":
        return True
    if body == "false":
        return False
    raise CommandRejected(command, text or "-ERR no reply")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ChannelRow:
    """One row of ``show channels as json`` (view ``channels``, FREESWITCH.md §3.3); empty strings are
    kept as "", the numeric columns are ints (None when empty)."""

    uuid: str
    direction: str
    created: str
    created_epoch: int | None
    name: str
    state: str
    cid_name: str
    cid_num: str
    ip_addr: str
    dest: str
    application: str
    application_data: str
    dialplan: str
    context: str
    read_codec: str
    read_rate: int | None
    write_codec: str
    write_rate: int | None
    callstate: str
    callee_name: str
    callee_num: str
    call_uuid: str
    presence_id: str
    accountcode: str
    hostname: str
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, row: Mapping[str, object]) -> "ChannelRow":
        r = {k: ("" if v is None else str(v)) for k, v in row.items()}
        g = r.get
        return cls(
            uuid=g("uuid", ""), direction=g("direction", ""), created=g("created", ""),
            created_epoch=_int(g("created_epoch")), name=g("name", ""), state=g("state", ""),
            cid_name=g("cid_name", ""), cid_num=g("cid_num", ""), ip_addr=g("ip_addr", ""), dest=g("dest", ""),
            application=g("application", ""), application_data=g("application_data", ""),
            dialplan=g("dialplan", ""), context=g("context", ""), read_codec=g("read_codec", ""),
            read_rate=_int(g("read_rate")), write_codec=g("write_codec", ""), write_rate=_int(g("write_rate")),
            callstate=g("callstate", ""), callee_name=g("callee_name", ""), callee_num=g("callee_num", ""),
            call_uuid=g("call_uuid", ""), presence_id=g("presence_id", ""), accountcode=g("accountcode", ""),
            hostname=g("hostname", ""), raw=r)


def parse_channels(text: str, command: str = "show channels as json") -> list[ChannelRow]:
    """``show channels as json`` -> rows (``{"row_count": 0}\\n`` -> [])."""
    body = text.strip()
    if not body.startswith("{"):
        raise CommandRejected(command, text or "-ERR no reply")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise CommandRejected(command, f"-ERR unparseable JSON ({exc}): {body[:200]}") from None
    if not isinstance(data, dict):
        raise CommandRejected(command, f"-ERR unexpected JSON: {body[:200]}")
    rows = data.get("rows") or []
    return [ChannelRow.from_json(r) for r in rows if isinstance(r, dict)]


@dataclass(frozen=True)
class Registration:
    """One block of ``sofia status profile <p> reg`` (mod_sofia.c show_reg_callback)."""

    user: str                  # "1001@127.0.0.1" (the ``User:`` line)
    extension: str             # "1001"
    realm: str                 # "127.0.0.1"
    contact: str               # '"" <sip:1001@127.0.0.1:5071>'
    status: str                # "Registered(UDP)(unknown)"
    expires_in: int | None     # EXPSECS(...): seconds left
    expires_at: str | None     # EXP(...): local time "YYYY-MM-DD HH:MM:SS"
    call_id: str = ""
    agent: str = ""
    ping_status: str = ""
    host: str = ""
    ip: str = ""
    port: int | None = None
    auth_user: str = ""
    auth_realm: str = ""
    fields: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


_STATUS_RE = re.compile(r"^(?P<status>.*?)(?:\s+EXP\((?P<at>[^)]*)\))?(?:\s+EXPSECS\((?P<secs>-?\d+)\))?\s*$")


def _registration(fields: dict[str, str]) -> Registration:
    user = fields.get("User", "")
    ext, _, realm = user.partition("@")
    m = _STATUS_RE.match(fields.get("Status", ""))
    return Registration(
        user=user, extension=ext, realm=realm, contact=fields.get("Contact", ""),
        status=(m.group("status") if m else fields.get("Status", "")).strip(),
        expires_in=_int(m.group("secs")) if m else None, expires_at=m.group("at") if m else None,
        call_id=fields.get("Call-ID", ""), agent=fields.get("Agent", ""),
        ping_status=fields.get("Ping-Status", ""), host=fields.get("Host", ""), ip=fields.get("IP", ""),
        port=_int(fields.get("Port")), auth_user=fields.get("Auth-User", ""),
        auth_realm=fields.get("Auth-Realm", ""), fields=dict(fields))


def parse_registrations(text: str, command: str = "sofia status profile reg") -> list[Registration]:
    """``\\nRegistrations:\\n====\\n<Name>:<spaces>\\t<value> blocks separated by empty lines>Total items
    returned: N\\n====\\n`` -> registrations (capture 02_registration)."""
    if _is_error(text.lstrip()) or "Registrations:" not in text:
        raise CommandRejected(command, text or "-ERR no reply")
    regs: list[Registration] = []
    current: dict[str, str] = {}
    for line in text.split("\n"):
        if line.startswith("Total items returned:") or line.startswith("====") or line == "Registrations:":
            if current:
                regs.append(_registration(current))
                current = {}
            continue
        if not line.strip():
            if current:
                regs.append(_registration(current))
                current = {}
            continue
        name, sep, value = line.partition(":")
        if sep:
            current[name.strip()] = value.lstrip(" \t")
    if current:
        regs.append(_registration(current))
    return regs


def parse_contact(text: str, command: str = "sofia_contact") -> str | None:
    """``sofia/internal/sip:1001@127.0.0.1:5071`` (several comma-separated when several registrations; a
    dial string either way) or None for ``error/user_not_registered``. Other ``error/...`` raise."""
    body = text.strip()
    if body == "error/user_not_registered":
        return None
    if not body or body.startswith("error/") or _is_error(body):
        raise CommandRejected(command, text or "-ERR no reply")
    return body


@dataclass(frozen=True)
class SwitchStatus:
    """What ``status`` says of the switch's load and limits (mod_commands.c status_function)."""

    sessions: int | None            # sessions now
    sessions_per_second_limit: int | None   # switch.conf sessions-per-second (fsctl sps)
    last_second: int | None         # sessions created in the last second (sps_last)
    max_sessions: int | None        # switch.conf max-sessions (fsctl max_sessions)
    ready: bool


_STATUS_SPS = re.compile(r"^(-?\d+) session\(s\) per Sec out of max (\d+)", re.M)
_STATUS_MAX = re.compile(r"^(\d+) session\(s\) max", re.M)
_STATUS_NOW = re.compile(r"^(\d+) session\(s\) - peak", re.M)


def parse_status(text: str, command: str = "status") -> SwitchStatus:
    """``status``: e.g. ``27 session(s) per Sec out of max 30, peak 105, last 5min 27`` and ``1000 session(s) max``
    (capture 08). Lines that are missing give None; an error reply raises."""
    if _is_error(text.strip()):
        raise CommandRejected(command, text)
    sps, top, now = _STATUS_SPS.search(text), _STATUS_MAX.search(text), _STATUS_NOW.search(text)
    return SwitchStatus(sessions=int(now.group(1)) if now else None,
                        sessions_per_second_limit=int(sps.group(2)) if sps else None,
                        last_second=int(sps.group(1)) if sps else None,
                        max_sessions=int(top.group(1)) if top else None,
                        ready=" is ready" in text)


@dataclass(frozen=True)
class ConferenceMember:
    """One line of ``conference <name> list``:
    ``<id>;<channel>;<uuid>;<cid_name>;<cid_num>;<flags a|b>;<volume_in>;<volume_out>;<energy>``."""

    member_id: int
    channel: str
    uuid: str
    cid_name: str
    cid_num: str
    flags: tuple[str, ...]
    volume_in: int | None
    volume_out: int | None
    energy: int | None
    conference: str | None = None

    @property
    def muted(self) -> bool:
        return "speak" not in self.flags

    @property
    def deaf(self) -> bool:
        return "hear" not in self.flags


_CONF_HEADER = re.compile(r"^\+OK Conference (\S+) \(")


def parse_conference_list(text: str, command: str = "conference list") -> list[ConferenceMember]:
    """``conference <name> list`` member lines, or ``conference list`` (each conference introduced by
    ``+OK Conference <name> (<n> members rate: ... flags: ...)``); ``+OK No active conferences.`` -> []
    (capture 05b)."""
    body = text.rstrip("\n")
    if _is_error(body):
        raise _rejected(command, text)
    members: list[ConferenceMember] = []
    conf: str | None = None
    for line in body.split("\n"):
        if not line.strip():
            continue
        if line.startswith("+OK"):
            m = _CONF_HEADER.match(line)
            conf = m.group(1) if m else None
            continue
        parts = line.split(";")
        if len(parts) < 9 or not parts[0].isdigit():
            raise CommandRejected(command, f"-ERR unexpected conference list line: {line}")
        # a caller name may itself contain ';': the 4 trailing fields and 3 leading ones are fixed
        head, tail = parts[:3], parts[-4:]
        middle = parts[3:-4]
        cid_num = middle[-1] if middle else ""
        cid_name = ";".join(middle[:-1])
        members.append(ConferenceMember(
            member_id=int(head[0]), channel=head[1], uuid=head[2], cid_name=cid_name, cid_num=cid_num,
            flags=tuple(f for f in tail[0].split("|") if f), volume_in=_int(tail[1]), volume_out=_int(tail[2]),
            energy=_int(tail[3]), conference=conf))
    return members
