"""Flow conditions and ${var} templates: pure evaluation against a call's context."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclasses.dataclass(frozen=True)
class CallContext:
    """What a condition can look at: local time and its calendar, numbers, caller region, call variables."""

    now: dt.datetime                      # local wall-clock time of the center
    caller: str
    called: str
    holiday: bool = False                 # statutory holiday (法定节假日)
    workday: bool = True                  # a working day, make-up working days (调休) included
    province: str = ""
    city: str = ""
    variables: Mapping[str, str] = dataclasses.field(default_factory=dict)


def expand(template: str, variables: Mapping[str, str]) -> str:
    """Replace ${name} with the call variable (empty when unset)."""
    return _VAR.sub(lambda m: str(variables.get(m.group(1), "")), template)


def validate_when(when: Mapping[str, object]) -> None:
    """Raise ValueError naming the first malformed condition."""
    for key, value in when.items():
        if key == "time":
            if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and _HHMM.match(v)
                                                                       for v in value)):
                raise ValueError('time must be ["HH:MM", "HH:MM"]')
        elif key == "weekdays":
            if not (isinstance(value, list) and value and all(isinstance(d, int) and 1 <= d <= 7 for d in value)):
                raise ValueError("weekdays must be a list of 1 (Monday) .. 7 (Sunday)")
        elif key in ("holiday", "workday"):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
        elif key in ("caller", "called"):
            re.compile(str(value))
        elif key == "caller_prefix":
            if not (isinstance(value, (str, list)) and value):
                raise ValueError("caller_prefix must be a prefix or a list of prefixes")
        elif key == "region":
            if not str(value).strip():
                raise ValueError("region must name a province or city")
        elif key == "var":
            if not isinstance(value, dict) or not value:
                raise ValueError("var must map variable names to regexes")
            for pattern in value.values():
                re.compile(str(pattern))


def matches(when: Mapping[str, object], ctx: CallContext) -> bool:
    """True when every condition of `when` holds (an empty `when` always matches)."""
    return all(_CHECKS[key](value, ctx) for key, value in when.items())


def _time(value, ctx: CallContext) -> bool:
    start, end = (dt.time.fromisoformat(v) for v in value)
    now = ctx.now.time()
    return start <= now < end if start <= end else (now >= start or now < end)   # ranges may cross midnight


def _prefix(value, ctx: CallContext) -> bool:
    prefixes = [value] if isinstance(value, str) else list(value)
    return any(ctx.caller.startswith(str(p)) for p in prefixes)


def _region(value, ctx: CallContext) -> bool:
    wanted = str(value).strip()
    return bool(wanted) and (wanted in ctx.province or wanted in ctx.city or
                             (ctx.province and ctx.province in wanted) or (ctx.city and ctx.city in wanted))


def _var(value, ctx: CallContext) -> bool:
    return all(re.search(str(pattern), str(ctx.variables.get(name, ""))) for name, pattern in value.items())


_CHECKS = {
    "time": _time,
    "weekdays": lambda value, ctx: ctx.now.isoweekday() in value,
    "holiday": lambda value, ctx: ctx.holiday is value,
    "workday": lambda value, ctx: ctx.workday is value,
    "caller": lambda value, ctx: re.search(str(value), ctx.caller) is not None,
    "caller_prefix": _prefix,
    "called": lambda value, ctx: re.search(str(value), ctx.called) is not None,
    "region": _region,
    "var": _var,
}
