"""Which deadline clock applies to a work order's step (issue 15, item 3; R-TKT-2). Pure, validated data.

The purchasers' rules: orders are dispatched within 3 hours (seed 004 派单及时性, a 7×24 dispatch desk: natural
hours); a general question is answered the same day, a hard one within 2 working days (seed 001 一般问题当日回复，
疑难问题两个工作日内). Special (特殊事项) and special-urgent (特殊紧急事项) orders must be dispatched with a phone
call to the department at once (seed 004): the defaults give them 1 hour and 30 minutes to dispatch, and a working
day (7 working hours) and about half of one (4) to reply, since a department acts in its office hours. Every clock
is configurable:

    {"dispatch": {"general": "3h", "special": "1h", "special_urgent": "30min"},
     "reply": {"general": "same_day", "hard": "2wd", "special": "7wh", "special_urgent": "4wh"}}

A clock is written `<n>h` / `<n>min` (natural time), `<n>wh` (working hours), `<n>wd` (working days from the
day after receipt) or `same_day` (the close of the working day of receipt); see engine.domain.deadlines.
"""
from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping

from engine.domain.deadlines import Clock, Unit

__all__ = ["Step", "Urgency", "ClockError", "OrderClocks", "parse_clock", "DEFAULT_SPEC"]


class Step(str, enum.Enum):
    DISPATCH = "dispatch"       # received → dispatched to the departments (派单)
    REPLY = "reply"             # dispatched → the department's reply (答复)


class Urgency(str, enum.Enum):
    GENERAL = "general"                 # 一般
    SPECIAL = "special"                 # 特殊事项
    SPECIAL_URGENT = "special_urgent"   # 特殊紧急事项


HARD = "hard"           # a general order marked hard (疑难) has its own reply clock

DEFAULT_SPEC: Mapping[str, Mapping[str, str]] = {
    "dispatch": {"general": "3h", "special": "1h", "special_urgent": "30min"},
    "reply": {"general": "same_day", "hard": "2wd", "special": "7wh", "special_urgent": "4wh"},
}


class ClockError(ValueError):
    """A clock setting that cannot be used; the message names the setting."""


_CLOCK = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|min|wh|wd)\s*$")


def parse_clock(text: str, where: str = "clock") -> Clock:
    """"3h", "30min", "7wh", "2wd" or "same_day"."""
    value = str(text).strip().lower()
    if value == "same_day":
        return Clock(1, Unit.END_OF_WORKING_DAY)
    m = _CLOCK.match(value)
    if not m:
        raise ClockError(f'{where}: "{text}" must look like 3h, 30min, 7wh, 2wd or same_day')
    amount, unit = float(m.group(1)), m.group(2)
    if amount <= 0:
        raise ClockError(f'{where}: "{text}" must be more than zero')
    try:
        if unit == "min":
            return Clock(amount / 60.0, Unit.HOURS)
        return Clock(amount, {"h": Unit.HOURS, "wh": Unit.WORKING_HOURS, "wd": Unit.WORKING_DAYS}[unit])
    except ValueError:
        raise ClockError(f'{where}: "{text}": working days are whole days') from None


@dataclasses.dataclass(frozen=True)
class OrderClocks:
    """The clock of each step by urgency (and, for replies, the hard-question clock)."""

    clocks: Mapping[tuple[Step, str], Clock]

    @classmethod
    def from_spec(cls, spec: Mapping[str, Mapping[str, str]] | None = None) -> "OrderClocks":
        """The defaults, with the given settings over them; unknown steps or urgencies are refused by name."""
        merged = {step: dict(keys) for step, keys in DEFAULT_SPEC.items()}
        for step, keys in (spec or {}).items():
            if step not in merged:
                raise ClockError(f'"{step}" is not a step (dispatch, reply)')
            if not isinstance(keys, Mapping):
                raise ClockError(f"{step}: give a clock per urgency, e.g. {{general = \"3h\"}}")
            for key, text in keys.items():
                if key not in merged[step]:
                    raise ClockError(f'{step}.{key}: not an urgency ({", ".join(merged[step])})')
                merged[step][key] = text
        return cls({(Step(step), key): parse_clock(text, f"{step}.{key}")
                    for step, keys in merged.items() for key, text in keys.items()})

    def clock(self, step: Step, urgency: Urgency, hard: bool = False) -> Clock:
        """The clock that applies: a hard general question has the hard reply clock."""
        if step is Step.REPLY and hard and urgency is Urgency.GENERAL:
            return self.clocks[(step, HARD)]
        return self.clocks[(step, urgency.value)]
