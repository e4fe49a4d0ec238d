"""Pure builders of FreeSWITCH command strings (mod_commands / mod_dptools syntax quoted in each docstring)."""
from __future__ import annotations

from collections.abc import Mapping

_NEEDS_QUOTES = set(", '{}[]")


def dial_var(value: str) -> str:
    """A dial-string variable value; single-quoted when it holds commas or spaces (switch_ivr_originate.c)."""
    value = str(value)
    if any(ch in _NEEDS_QUOTES for ch in value):
        return "'" + value.replace("'", "") + "'"
    return value


def originate(target: str, variables: Mapping[str, str], app: str = "park", app_arg: str = "") -> str:
    """`originate {k=v,...}<dialstring> &<app>(<arg>)` (mod_commands.c originate_function)."""
    vars_part = ",".join(f"{k}={dial_var(v)}" for k, v in variables.items())
    return f"originate {{{vars_part}}}{target} &{app}({app_arg})"


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


def uuid_bridge(a_uuid: str, b_uuid: str) -> str:
    """`uuid_bridge <uuid> <other_uuid>`."""
    return f"uuid_bridge {a_uuid} {b_uuid}"


def uuid_kill(uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    """`uuid_kill <uuid> [cause]`."""
    return f"uuid_kill {uuid} {cause}"


def uuid_break(uuid: str, all_queued: bool = True) -> str:
    """`uuid_break <uuid> [all]`: stop the current app (and, with all, what is queued)."""
    return f"uuid_break {uuid}{' all' if all_queued else ''}"


SHOW_CHANNELS_JSON = "show channels as json"
