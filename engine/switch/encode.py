"""Pure builders of FreeSWITCH command strings (mod_commands / mod_dptools syntax quoted in each docstring).

Nothing here does I/O. Every builder returns the text that follows ``api `` / ``bgapi `` (api commands) or
an :class:`AppCall` (application name + argument for ``sendmsg`` ``execute``). Values that the command line
cannot carry raise :class:`ValueError` naming the argument.

How FreeSWITCH splits what we send (src/switch_utils.c, FreeSWITCH 1.10/1.11):

* ``switch_separate_string(buf, ' ', ...)`` (``separate_string_blank_delim``) splits api arguments on
  spaces; ``'...'`` groups, ``\\`` protects the next character. Every piece then goes through
  ``cleanup_separated_string``: paired single quotes are REMOVED, ``\\'`` ``\\"`` ``\\\\`` become the
  character, ``\\n \\r \\t \\s`` become LF/CR/TAB/space, any other ``\\x`` is kept as the two characters,
  leading and trailing blanks are trimmed.
* With another delimiter (``separate_string_char_delim``) the same cleanup runs again, and ``\\<delim>``
  becomes the delimiter character.
* ``api originate`` (mod_commands.c ``originate_function``) splits its whole argument on spaces, then
  ``switch_ivr_originate`` (src/switch_ivr_originate.c) cuts the ``{...}`` block with
  ``switch_event_create_brackets`` (switch_event.c): split on ``,`` then each item on the first ``=``, a
  cleanup at every level. A ``{}`` value is therefore cleaned three times; see :func:`dial_var`.
  (The ``bridge`` application gets its argument without the blank split: two levels; ``api=False``.)
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Union

__all__ = [
    "AppCall", "Leg", "dial_var", "leg_var", "dial_string", "originate", "agent_originate", "collect_arg",
    "uuid_bridge", "uuid_transfer", "uuid_transfer_inline", "uuid_kill", "uuid_hold", "uuid_broadcast",
    "uuid_break", "uuid_record", "uuid_setvar", "uuid_setvar_multi", "uuid_getvar", "uuid_exists",
    "uuid_recv_dtmf", "uuid_send_dtmf", "uuid_answer", "uuid_park", "uuid_display", "SHOW_CHANNELS_JSON",
    "show_channels_json", "sofia_status_reg", "sofia_contact", "conference_list", "conference_member",
    "hupall", "playback", "playback_with_terminators", "collect", "record_session", "stop_record_session",
    "multiset", "set_var", "export_var", "bridge", "eavesdrop_originate", "EAVESDROP_MODES", "conference",
    "conference_inline_dest",
]

_TOKEN_BAD = re.compile(r"[\s]")
_VAR_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
_CAUSE = re.compile(r"^[A-Z_]+$|^\d+$")
_DTMF = re.compile(r"^[0-9*#A-Da-dwW]+$")


class AppCall(NamedTuple):
    """One dialplan application to run with ``sendmsg <uuid>`` ``call-command: execute``."""

    app: str
    arg: str = ""


@dataclass(frozen=True)
class Leg:
    """One dial-string leg: ``[k=v,...]<endpoint>`` (per-leg variables, switch_ivr_originate.c)."""

    endpoint: str
    variables: Mapping[str, str] = field(default_factory=dict)


# -- validation -----------------------------------------------------------------------------------
def _line(value: object, what: str) -> str:
    value = str(value)
    if "\n" in value or "\r" in value or "\x00" in value:
        raise ValueError(f"{what} must be a single line (no CR/LF/NUL): {value!r}")
    return value


def _token(value: object, what: str) -> str:
    """A bare command-line token: non-empty, one line, no blank."""
    value = _line(value, what)
    if not value or _TOKEN_BAD.search(value):
        raise ValueError(f"{what} must be a non-empty word without spaces: {value!r}")
    return value


def _var_name(name: object, what: str = "variable name") -> str:
    name = _line(name, what)
    if not _VAR_NAME.match(name):
        raise ValueError(f"{what} must match [A-Za-z0-9_.:-]+: {name!r}")
    return name


def _cause(cause: object) -> str:
    cause = _token(cause, "cause")
    if not _CAUSE.match(cause):
        raise ValueError(f"cause must be an upper-case hangup cause name or a number: {cause!r}")
    return cause


def _no(value: str, chars: str, what: str, why: str) -> str:
    bad = sorted({c for c in value if c in chars})
    if bad:
        raise ValueError(f"{what} cannot contain {''.join(bad)!r} ({why}): {value!r}")
    return value


# -- quoting ---------------------------------------------------------------------------------------
def _blank_level(text: str) -> str:
    """Make ``text`` survive ONE blank split + cleanup as a single word (mod_commands api argv).

    ``\\`` and ``'`` are escaped (cleanup turns ``\\\\`` and ``\\'`` back); the word is wrapped in single
    quotes when it holds a space (the quotes group it, the cleanup removes them)."""
    out = text.replace("\\", "\\\\").replace("'", "\\'")
    if " " in out or out == "":
        out = "'" + out + "'"
    return out


def dial_var(value: object, *, api: bool = True) -> str:
    """A ``{name=value}`` dial-string variable value, escaped for switch_ivr_originate.c.

    The value is cleaned three times (``api=True``: blank split of ``api originate``, ``,`` split and
    ``=`` split of ``switch_event_create_brackets``) or twice (``api=False``: ``bridge`` app argument).
    Encoding, innermost first: ``'`` -> ``\\'`` (for the ``=`` level); then ``\\`` -> ``\\\\``, ``'`` ->
    ``\\'``, ``,`` -> ``\\,`` (the ``,`` level); then, for api, ``\\`` and ``'`` are escaped once more except
    before ``,`` (the blank level keeps ``\\,`` verbatim) and the value is single-quoted if it has a space.
    ``'Doe, John'`` alone would NOT work through ``api originate``: the blank level strips the quotes and
    the ``,`` level then cuts the value. FreeSWITCH trims leading/trailing blanks at every level, so they
    are dropped here. Rejected: CR/LF, ``\\`` (an escape character at every level), ``{`` ``}``
    (``switch_find_end_paren`` does not honour escapes)."""
    value = _line(value, "dial-string variable value")
    _no(value, "\\{}", "dial-string variable value", "FreeSWITCH's bracket parser cannot carry it")
    value = value.strip(" ")
    eq_level = value.replace("'", "\\'")
    comma_level = eq_level.replace("\\", "\\\\").replace("'", "\\'").replace(",", "\\,")
    if not api:
        return comma_level
    # blank level: double every backslash except the one of "\," (kept verbatim by the blank cleanup)
    out = []
    for i, ch in enumerate(comma_level):
        if ch == "\\":
            out.append("\\" if comma_level[i + 1:i + 2] == "," else "\\\\")
        elif ch == "'":
            out.append("\\'")
        else:
            out.append(ch)
    text = "".join(out)
    return "'" + text + "'" if " " in text else text


def leg_var(value: object, *, api: bool = True) -> str:
    """A per-leg ``[name=value]`` variable value. The ``[]`` block is cleaned up to five times (blank,
    ``|``, ``,`` legs, ``[]`` items, ``=``; switch_ivr_originate.c), so only commas (``\\,``, which the
    leg split skips and its cleanup unescapes) and spaces (quoted at the blank level) are carried;
    ``'`` ``\\`` ``|`` ``[`` ``]`` ``{`` ``}`` are rejected."""
    value = _line(value, "per-leg variable value")
    _no(value, "'\\|[]{}", "per-leg variable value", "use a {} global variable for such values")
    value = value.strip(" ").replace(",", "\\,")
    if api and " " in value:
        return "'" + value + "'"
    return value


def _vars_block(variables: Mapping[str, object] | None, open_: str, close: str, enc) -> str:
    if not variables:
        return ""
    items = []
    for name, value in variables.items():
        items.append(f"{_var_name(name)}={enc(value)}")
    return open_ + ",".join(items) + close


def _endpoint(endpoint: object) -> str:
    endpoint = _token(endpoint, "endpoint")
    _no(endpoint, ",|[]{}'", "endpoint", "it would split or confuse the dial string")
    return endpoint


def _leg(leg: Union[str, Leg], api: bool) -> str:
    if isinstance(leg, Leg):
        return _vars_block(leg.variables, "[", "]", lambda v: leg_var(v, api=api)) + _endpoint(leg.endpoint)
    return _endpoint(leg)


LegSpec = Union[str, Leg, Sequence[Union[str, Leg]]]


def dial_string(legs: LegSpec | Sequence[LegSpec], variables: Mapping[str, object] | None = None, *,
                sequential: bool = False, api: bool = True) -> str:
    """``{global vars}[leg vars]ep1,[leg vars]ep2|ep3`` (switch_ivr_originate.c).

    ``legs``: one endpoint (str or :class:`Leg`), or a list of them rung simultaneously (``,``), or, with
    ``sequential=True``, tried one after the other (``|`` failover); a nested list inside a sequential
    list is a simultaneous group. ``variables`` go in the ``{}`` block (every leg)."""
    if isinstance(legs, (str, Leg)):
        body = _leg(legs, api)
    else:
        legs = list(legs)
        if not legs:
            raise ValueError("legs must name at least one endpoint")
        parts = []
        for item in legs:
            if isinstance(item, (str, Leg)):
                parts.append(_leg(item, api))
            else:
                if not sequential:
                    raise ValueError("nested leg groups need sequential=True (groups are separated by '|')")
                group = [_leg(x, api) for x in item]
                if not group:
                    raise ValueError("empty simultaneous group in legs")
                parts.append(",".join(group))
        body = ("|" if sequential else ",").join(parts)
    return _vars_block(variables, "{", "}", lambda v: dial_var(v, api=api)) + body


def originate(target: LegSpec | Sequence[LegSpec], variables: Mapping[str, object] | None = None,
              app: str | None = "park", app_arg: str = "", *, extension: str | None = None,
              dialplan: str | None = None, context: str | None = None, cid_name: str | None = None,
              cid_num: str | None = None, timeout_s: int | None = None, sequential: bool = False) -> str:
    """``originate <dialstring> <exten>|&<app>(<args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>]
    [<timeout_sec>]`` (mod_commands.c ``originate_function``; ``undef`` fills a skipped position).

    ``target`` is a dial string (str, e.g. ``user/1001``) or legs as for :func:`dial_string`;
    ``variables`` become the ``{}`` block (``origination_uuid``, ``originate_timeout`` ...). With
    ``extension`` the answered leg is routed through ``<dialplan> <context>`` instead of running
    ``&app(arg)``. The app argument ends at the first ``)``, so it cannot contain one."""
    if isinstance(target, str):   # a ready dial string (may hold its own [] , |): one word
        ds = _vars_block(variables, "{", "}", dial_var) + _token(target, "dial string")
    else:
        ds = dial_string(target, variables, sequential=sequential)
    if extension is not None:
        dest = _token(extension, "extension")
        _no(dest, "'&", "extension", "it must be a plain extension")
    else:
        app = _token(app or "", "app")
        if not re.match(r"^[A-Za-z0-9_]+$", app):
            raise ValueError(f"app must be an application name: {app!r}")
        arg = _line(app_arg or "", "app_arg")
        _no(arg, ")", "app_arg", "the &app(...) argument ends at the first ')'")
        dest = _blank_level(f"&{app}({arg})") if (" " in arg or "'" in arg or "\\" in arg) else f"&{app}({arg})"
    tail = [dialplan, context, cid_name, cid_num, None if timeout_s is None else str(int(timeout_s))]
    while tail and tail[-1] is None:
        tail.pop()
    words = []
    for what, value in zip(("dialplan", "context", "cid_name", "cid_num", "timeout_s"), tail):
        if value is None:
            words.append("undef")
        elif what in ("cid_name",):
            words.append(_blank_level(_line(value, what)))
        else:
            words.append(_token(value, what))
    if timeout_s is not None and int(timeout_s) <= 0:
        raise ValueError(f"timeout_s must be positive: {timeout_s!r}")
    return " ".join(["originate", ds, dest] + words)


def agent_originate(dial_string: str, leg_uuid: str, timeout_s: int, caller_id_number: str,
                    caller_id_name: str, extra: Mapping[str, str]) -> str:
    """Ring an agent: known leg uuid, ring timeout, early media ignored, caller's number shown; park on answer."""
    variables = {
        "origination_uuid": leg_uuid,
        "ignore_early_media": "true",
        "originate_timeout": str(timeout_s),
        "origination_caller_id_number": caller_id_number,
        "origination_caller_id_name": caller_id_name,
        **extra,
    }
    return originate(dial_string, variables)


def collect_arg(min_digits: int, max_digits: int, tries: int, timeout_ms: int, terminators: str, prompt: str,
                invalid_prompt: str, variable: str, regex: str, digit_timeout_ms: int) -> str:
    """play_and_get_digits argument: <min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var>
    <regex> <digit_timeout> (mod_dptools.c play_and_get_digits_function); every argument given explicitly."""
    return (f"{min_digits} {max_digits} {tries} {timeout_ms} {terminators or 'none'} {prompt} {invalid_prompt} "
            f"{variable} {regex} {digit_timeout_ms}")


# -- uuid_* api commands (mod_commands.c) ----------------------------------------------------------
def uuid_bridge(a_uuid: str, b_uuid: str, fallback_uuid: str | None = None) -> str:
    """`uuid_bridge <uuid> <other_uuid> [<fallback_uuid>]` (mod_commands.c uuid_bridge_function)."""
    parts = ["uuid_bridge", _token(a_uuid, "a_uuid"), _token(b_uuid, "b_uuid")]
    if fallback_uuid is not None:
        parts.append(_token(fallback_uuid, "fallback_uuid"))
    return " ".join(parts)


_TRANSFER_LEGS = {"aleg": "", "bleg": "-bleg ", "both": "-both "}


def uuid_transfer(uuid: str, destination: str, dialplan: str | None = "XML", context: str | None = None, *,
                  leg: str = "aleg") -> str:
    """`uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]` (mod_commands.c
    transfer_function). ``leg="bleg"`` moves the bridged partner (or the channel itself when unbridged,
    capture 06b), ``"both"`` moves both legs."""
    if leg not in _TRANSFER_LEGS:
        raise ValueError(f"leg must be one of aleg, bleg, both: {leg!r}")
    words = [_token(destination, "destination")]
    if context is not None and dialplan is None:
        raise ValueError("context needs a dialplan")
    if dialplan is not None:
        words.append(_token(dialplan, "dialplan"))
    if context is not None:
        words.append(_token(context, "context"))
    return f"uuid_transfer {_token(uuid, 'uuid')} {_TRANSFER_LEGS[leg]}" + " ".join(words)


def uuid_transfer_inline(uuid: str, apps: Sequence[AppCall | tuple[str, str]], *, leg: str = "aleg") -> str:
    """`uuid_transfer <uuid> [-bleg|-both] '<app>:<arg>,<app>:<arg>' inline` (inline dialplan,
    mod_dptools.c inline_dialplan_hunt; capture 05b: ``-both 'conference:cc-<uuid>@default' inline``).
    The list is split on ``,``: an argument cannot contain ``,`` nor ``'``."""
    if leg not in _TRANSFER_LEGS:
        raise ValueError(f"leg must be one of aleg, bleg, both: {leg!r}")
    if not apps:
        raise ValueError("apps must name at least one application")
    items = []
    for app, arg in apps:
        app = _token(app, "inline app")
        arg = _line(arg or "", "inline app argument")
        _no(arg, ",'\\", "inline app argument", "the inline dialplan splits on ',' and strips quotes")
        items.append(f"{app}:{arg}" if arg else app)
    return f"uuid_transfer {_token(uuid, 'uuid')} {_TRANSFER_LEGS[leg]}'{','.join(items)}' inline"


def uuid_phone_event(uuid: str, event: str = "talk") -> str:
    """`uuid_phone_event <uuid> [<event>]` (mod_commands.c uuid_phone_event_function): mod_sofia sends the
    phone a NOTIFY with that Event (default ``talk``: answer a ringing call / resume; ``hold``)."""
    return f"uuid_phone_event {_token(uuid, 'uuid')} {_token(event, 'event')}"


def uuid_display(uuid: str, name: str, number: str = "") -> str:
    """`uuid_display <uuid> <display>` (mod_commands.c uuid_display_function: the rest of the line after the uuid
    is the display; switch_core_session.c splits it on ``|`` into name and number, sets last_sent_callee_id_name
    and _number, and mod_sofia sends it to the phone where the phone supports a display update)."""
    display = _line(name, "display name").replace("|", " ").strip() or number
    if number:
        display = f"{display}|{_token(number, 'display number')}"
    if not display:
        raise ValueError("uuid_display needs a name or a number")
    return f"uuid_display {_token(uuid, 'uuid')} {display}"


def uuid_kill(uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    """`uuid_kill <uuid> [cause]`."""
    return f"uuid_kill {_token(uuid, 'uuid')} {_cause(cause)}"


def uuid_hold(uuid: str, mode: str = "on") -> str:
    """`uuid_hold [off|toggle] <uuid> [<display>]` (mod_commands.c uuid_hold_function): ``on`` holds,
    ``off`` resumes, ``toggle`` flips (a silent no-op on a ringing call)."""
    if mode not in ("on", "off", "toggle"):
        raise ValueError(f"mode must be on, off or toggle: {mode!r}")
    uuid = _token(uuid, "uuid")
    return f"uuid_hold {uuid}" if mode == "on" else f"uuid_hold {mode} {uuid}"


_BROADCAST_LEGS = ("aleg", "bleg", "both", "holdb")


def uuid_broadcast(uuid: str, path_or_app: str, arg: str | None = None, leg: str = "aleg") -> str:
    """`uuid_broadcast <uuid> <path|app::args> [aleg|bleg|both|holdb]` (mod_commands.c
    uuid_broadcast_function; ``app!cause`` hangs up after). Played as a queued, event-locked sendmsg."""
    if leg not in _BROADCAST_LEGS:
        raise ValueError(f"leg must be one of {', '.join(_BROADCAST_LEGS)}: {leg!r}")
    what = _line(path_or_app, "path_or_app")
    if not what:
        raise ValueError("path_or_app must not be empty")
    if arg is not None:
        what = f"{_token(what, 'app')}::{_line(arg, 'arg')}"
    return f"uuid_broadcast {_token(uuid, 'uuid')} {_blank_level(what) if _needs_quote(what) else what} {leg}"


def _needs_quote(text: str) -> bool:
    return any(c in text for c in " '\\") or text == ""


def uuid_break(uuid: str, all_queued: bool = True, *, both: bool = False) -> str:
    """`uuid_break <uuid> [all] [both]`: stop the current app (and, with all, what is queued)."""
    return f"uuid_break {_token(uuid, 'uuid')}{' all' if all_queued else ''}{' both' if both else ''}"


_RECORD_ACTIONS = ("start", "stop", "pause", "resume", "mask", "unmask")


def _record_vars(variables: Mapping[str, object] | None, api: bool) -> str:
    return _vars_block(variables, "{", "}", lambda v: dial_var(v, api=api))


def uuid_record(uuid: str, action: str, path: str = "all", limit_s: int | None = None,
                variables: Mapping[str, object] | None = None) -> str:
    """`uuid_record <uuid> start|stop|pause|resume|mask|unmask <path> [<limit_s>] [{vars}]`
    (mod_commands.c session_record_function, switch_ivr_record_session_event; FREESWITCH.md §6).
    ``stop all`` stops every recording of the channel. The path cannot contain spaces."""
    if action not in _RECORD_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(_RECORD_ACTIONS)}: {action!r}")
    path = _token(path, "path")
    _no(path, "{}'", "path", "it would be read as variables or quotes")
    parts = ["uuid_record", _token(uuid, "uuid"), action, path]
    if action == "start":
        if limit_s is not None:
            if int(limit_s) <= 0:
                raise ValueError(f"limit_s must be positive: {limit_s!r}")
            parts.append(str(int(limit_s)))
        if variables:
            if limit_s is None:
                parts.append("0")
            parts.append(_record_vars(variables, True))
    elif limit_s is not None or variables:
        raise ValueError(f"limit_s and variables only apply to start, not {action}")
    return " ".join(parts)


def _setvar_value(value: str) -> str:
    """The tail of a blank split keeps spaces but is still cleaned: escape ``\\`` and ``'``."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def uuid_setvar(uuid: str, name: str, value: object | None) -> str:
    """`uuid_setvar <uuid> <var> [value]` (mod_commands.c uuid_setvar_function; the value is the rest of
    the line, spaces allowed; no value (None or "") UNSETS the variable, capture 03). FreeSWITCH trims
    leading/trailing blanks of the value."""
    base = f"uuid_setvar {_token(uuid, 'uuid')} {_var_name(name)}"
    if value is None or str(value).strip(" ") == "":
        return base
    return f"{base} {_setvar_value(_line(value, 'value').strip(' '))}"


def uuid_setvar_multi(uuid: str, variables: Mapping[str, object]) -> str:
    """`uuid_setvar_multi <uuid> <var>=<value>;<var>=<value>...` (mod_commands.c; capture 03
    ``cc_a=1;cc_b=two words``). ``;`` in a value is escaped ``\\;`` (the ``;`` split unescapes it)."""
    if not variables:
        raise ValueError("variables must not be empty")
    items = []
    for name, value in variables.items():
        v = _line(value, f"value of {name}").strip(" ")
        v = v.replace("\\", "\\\\").replace("'", "\\'").replace(";", "\\;")   # the ';' level
        v = v.replace("\\", "\\\\").replace("'", "\\'")                      # the blank level
        items.append(f"{_var_name(name)}={v}")
    return f"uuid_setvar_multi {_token(uuid, 'uuid')} " + ";".join(items)


def uuid_getvar(uuid: str, name: str) -> str:
    """`uuid_getvar <uuid> <var>` (reply: the raw value without LF, or ``_undef_``)."""
    return f"uuid_getvar {_token(uuid, 'uuid')} {_var_name(name)}"


def uuid_exists(uuid: str) -> str:
    """`uuid_exists <uuid>` (reply ``true`` / ``false``, no LF)."""
    return f"uuid_exists {_token(uuid, 'uuid')}"


def uuid_recv_dtmf(uuid: str, digits: str) -> str:
    """`uuid_recv_dtmf <uuid> <digits>`: inject digits as if the far end pressed them (drives eavesdrop)."""
    digits = _token(digits, "digits")
    if not _DTMF.match(digits):
        raise ValueError(f"digits must be DTMF characters 0-9*#A-D (w/W pauses): {digits!r}")
    return f"uuid_recv_dtmf {_token(uuid, 'uuid')} {digits}"


def uuid_send_dtmf(uuid: str, digits: str, duration_ms: int | None = None) -> str:
    """`uuid_send_dtmf <uuid> <digits>[@<tone_duration_ms>]`: send DTMF to the far end."""
    digits = _token(digits, "digits")
    if not _DTMF.match(digits):
        raise ValueError(f"digits must be DTMF characters 0-9*#A-D (w/W pauses): {digits!r}")
    if duration_ms is not None:
        digits += f"@{int(duration_ms)}"
    return f"uuid_send_dtmf {_token(uuid, 'uuid')} {digits}"


def uuid_answer(uuid: str) -> str:
    """`uuid_answer <uuid>` (``+OK`` / ``-ERROR``)."""
    return f"uuid_answer {_token(uuid, 'uuid')}"


def uuid_park(uuid: str) -> str:
    """`uuid_park <uuid>`: the channel goes to CS_PARK."""
    return f"uuid_park {_token(uuid, 'uuid')}"


SHOW_CHANNELS_JSON = "show channels as json"


def show_channels_json() -> str:
    """`show channels as json` (mod_commands.c show_function)."""
    return SHOW_CHANNELS_JSON


def sofia_status_reg(profile: str = "internal", user_filter: str | None = None) -> str:
    """`sofia status profile <profile> reg [<filter>]` (mod_sofia.c, show_reg_callback text)."""
    text = f"sofia status profile {_token(profile, 'profile')} reg"
    if user_filter is not None:
        text += " " + _token(user_filter, "user_filter")
    return text


def sofia_contact(user: str, domain: str | None = None, profile: str | None = None) -> str:
    """`sofia_contact [<profile>/]<user>[@<domain>]` (mod_sofia.c; ``profile="*"`` searches all profiles).
    Reply: ``sofia/<profile>/sip:...`` or ``error/user_not_registered`` (no LF)."""
    target = _token(user, "user")
    _no(target, "/@", "user", "give domain and profile separately")
    if domain is not None:
        target += "@" + _token(domain, "domain")
    if profile is not None:
        target = _token(profile, "profile") + "/" + target
    return "sofia_contact " + target


def conference_list(name: str | None = None) -> str:
    """`conference list` (every conference) or `conference <name> list` (mod_conference.c)."""
    return "conference list" if name is None else f"conference {_token(name, 'conference name')} list"


_MEMBER_ACTIONS = ("mute", "unmute", "deaf", "undeaf", "kick", "hup", "tmute")


def conference_member(name: str, action: str, member_id: int | str) -> str:
    """`conference <name> mute|unmute|deaf|undeaf|kick|hup <member_id|all|last>` (mod_conference.c;
    capture 05b: ``+OK mute 6``)."""
    if action not in _MEMBER_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(_MEMBER_ACTIONS)}: {action!r}")
    member = str(member_id)
    if not (member.isdigit() or member in ("all", "last", "non_moderator")):
        raise ValueError(f"member_id must be a member number, all, last or non_moderator: {member_id!r}")
    return f"conference {_token(name, 'conference name')} {action} {member}"


def hupall(cause: str = "NORMAL_CLEARING", var: str | None = None, value: str | None = None) -> str:
    """`hupall <cause> [<var> <value>]` (mod_commands.c hupall_api_function)."""
    text = f"hupall {_cause(cause)}"
    if (var is None) != (value is None):
        raise ValueError("hupall needs both var and value, or neither")
    if var is not None:
        text += f" {_var_name(var)} {_token(value, 'value')}"
    return text


# -- sendmsg application arguments (mod_dptools.c) --------------------------------------------------
#: sendmsg ``loops:`` header for an app run again and again: switch_ivr.c switch_ivr_parse_event runs it
#: ``for (x = 0; x < loops || loops < 0; x++)`` and stops on CF_STOP_BROADCAST (``uuid_break``), a channel no
#: longer ready (bridge, transfer, hang-up), a failing app, or a pass of under 0.5 s (a file that cannot play)
LOOP_FOREVER = -1


def playback(path: str) -> AppCall:
    """`playback <file>` (mod_dptools.c playback_function; ``file@@<samples>`` seeks). Terminators are the
    channel variable ``playback_terminators`` (default ``*``); see :func:`playback_with_terminators`."""
    path = _line(path, "path")
    if not path:
        raise ValueError("path must not be empty")
    return AppCall("playback", path)


def playback_with_terminators(path: str, terminators: str) -> tuple[AppCall, AppCall]:
    """``set playback_terminators=<keys|none|any>`` then ``playback <file>`` (queue both, in order)."""
    terminators = terminators or "none"
    if terminators not in ("none", "any") and not _DTMF.match(terminators):
        raise ValueError(f"terminators must be DTMF keys, 'none' or 'any': {terminators!r}")
    return set_var("playback_terminators", terminators), playback(path)


def collect(min_digits: int, max_digits: int, tries: int, timeout_ms: int, terminators: str, prompt: str,
            invalid_prompt: str, variable: str, regex: str, digit_timeout_ms: int) -> AppCall:
    """`play_and_get_digits ...` as an AppCall (argument from :func:`collect_arg`)."""
    for what, value in (("prompt", prompt), ("invalid_prompt", invalid_prompt), ("regex", regex),
                        ("terminators", terminators or "none")):
        _token(value, what)
    _var_name(variable)
    return AppCall("play_and_get_digits", collect_arg(min_digits, max_digits, tries, timeout_ms, terminators,
                                                      prompt, invalid_prompt, variable, regex, digit_timeout_ms))


def record_session(path: str, limit_s: int | None = None, variables: Mapping[str, object] | None = None) -> AppCall:
    """`record_session <path> [+<limit_s>] [{var=val,...}]` (mod_dptools.c record_session_function,
    switch_ivr_record_session_event; FREESWITCH.md §6: ``RECORD_STEREO``, ``RECORD_ANSWER_REQ`` ...).
    The path cannot hold spaces, ``+`` (the limit marker) or braces."""
    path = _token(path, "path")
    _no(path, "+{}'", "path", "record_session reads '+' as the limit and '{' as variables")
    parts = [path]
    if limit_s is not None:
        if int(limit_s) <= 0:
            raise ValueError(f"limit_s must be positive: {limit_s!r}")
        parts.append(f"+{int(limit_s)}")
    if variables:
        parts.append(_record_vars(variables, False))
    return AppCall("record_session", " ".join(parts))


MULTISET_DELIMITER = "|"


def multiset(variables: Mapping[str, object]) -> AppCall:
    """`multiset ^^|<var>=<value>|<var>=<value>...` (mod_dptools.c multiset_function: `^^` then the delimiter;
    each item is a `set`). Run with sendmsg it sets the variables in the channel's own thread, so the event
    socket's thread, which runs every api command of the connection one after the other, is not held. A value
    cannot hold the delimiter or a line break."""
    if not variables:
        raise ValueError("variables must not be empty")
    items = []
    for name, value in variables.items():
        v = _line(value, f"value of {name}")
        _no(v, MULTISET_DELIMITER, f"value of {name}", "it is multiset's delimiter here")
        items.append(f"{_var_name(name)}={v}")
    return AppCall("multiset", f"^^{MULTISET_DELIMITER}" + MULTISET_DELIMITER.join(items))


def stop_record_session(path: str = "all") -> AppCall:
    """`stop_record_session <path|all>`."""
    return AppCall("stop_record_session", _token(path, "path"))


def set_var(name: str, value: object) -> AppCall:
    """`set <var>=<value>` (mod_dptools.c set_function; UTF-8 and spaces fine; an empty value unsets;
    ``${...}`` in the value is expanded by FreeSWITCH when the app runs)."""
    return AppCall("set", f"{_var_name(name)}={_line(value, 'value')}")


def export_var(name: str, value: object, *, nolocal: bool = False) -> AppCall:
    """`export [nolocal:]<var>=<value>`: also copied to legs originated later from this channel."""
    prefix = "nolocal:" if nolocal else ""
    return AppCall("export", f"{prefix}{_var_name(name)}={_line(value, 'value')}")


def bridge(legs: LegSpec | Sequence[LegSpec], variables: Mapping[str, object] | None = None, *,
           sequential: bool = False) -> AppCall:
    """`bridge <dialstring>` (mod_dptools.c audio_bridge_function -> switch_ivr_originate; the argument is
    not blank-split, so values are escaped for two levels only)."""
    return AppCall("bridge", dial_string(legs, variables, sequential=sequential, api=False))


EAVESDROP_MODES = ("listen", "whisper", "barge")


def eavesdrop_originate(supervisor: LegSpec, target_uuid: str, mode: str = "listen", *,
                        supervisor_uuid: str | None = None, timeout_s: int | None = None,
                        dtmf: bool = False, variables: Mapping[str, object] | None = None) -> str:
    """Originate the supervisor's phone into a listen / whisper / barge session on ``target_uuid``, which
    must be the AGENT leg (FREESWITCH.md §3.5, mod_dptools.c eavesdrop / three_way, switch_ivr_async.c).

    * ``listen``: ``&eavesdrop(<agent>)`` with both whisper flags false: hears agent and caller.
    * ``whisper`` (coach): ``eavesdrop_whisper_bleg=true`` = ED_MUX_WRITE, the supervisor is mixed into
      what is SENT TO the target, i.e. only the agent hears him. (``eavesdrop_whisper_aleg`` = ED_MUX_READ
      would reach the agent's PARTNER, the caller, despite its name; issue signalwire/freeswitch#2460.)
    * ``barge``: ``&three_way(<agent>)``: both parties hear the supervisor (DTMF control disabled).

    ``dtmf=True`` (listen/whisper) lets the supervisor switch modes with 1/2/3/0 (``eavesdrop_enable_dtmf``).
    """
    if mode not in EAVESDROP_MODES:
        raise ValueError(f"mode must be one of {', '.join(EAVESDROP_MODES)}: {mode!r}")
    target_uuid = _token(target_uuid, "target_uuid")
    v: dict[str, object] = {}
    if supervisor_uuid is not None:
        v["origination_uuid"] = _token(supervisor_uuid, "supervisor_uuid")
    v["ignore_early_media"] = "true"
    if timeout_s is not None:
        v["originate_timeout"] = str(int(timeout_s))
    if mode == "barge":
        app = "three_way"
    else:
        app = "eavesdrop"
        v["eavesdrop_enable_dtmf"] = "true" if dtmf else "false"
        v["eavesdrop_whisper_aleg"] = "false"
        v["eavesdrop_whisper_bleg"] = "true" if mode == "whisper" else "false"
    v.update(variables or {})
    return originate(supervisor, v, app, target_uuid)


def conference(name: str, profile: str = "default", flags: Sequence[str] = ()) -> AppCall:
    """`conference <name>[@<profile>][+flags{mute|deaf|...}]` (mod_conference.c conference app)."""
    name = _token(name, "conference name")
    _no(name, "@+{}|,", "conference name", "it is part of the conference app syntax")
    arg = f"{name}@{_token(profile, 'profile')}"
    if flags:
        for f in flags:
            if not re.match(r"^[a-z_-]+$", str(f)):
                raise ValueError(f"conference flag must be a lower-case word: {f!r}")
        arg += "+flags{" + "|".join(flags) + "}"
    return AppCall("conference", arg)


def conference_inline_dest(name: str, profile: str = "default") -> AppCall:
    """The inline-dialplan step that puts a channel into a conference (for :func:`uuid_transfer_inline`)."""
    return conference(name, profile)
