"""Follow-up visits (回访) of closed work orders (issue 15, item 4; R-TKT-3). Pure.

* Which closed orders are followed up: every complaint and report (投诉, 举报) by default, and a sample of the
  others. The sample is decided from the order's number (a hash), so every engine and every rerun picks the same
  orders, and the share is exact over many orders; an order answered on the spot may be left out (configurable).
* When an automated follow-up call is tried again: after `gap` when unanswered, at most `attempts` times, and
  only inside the allowed calling hours (by default 09:00–12:00 and 14:00–20:00 every day but statutory
  holidays: nobody is rung about their complaint at lunch or on New Year's Day).
* What a rating means: 不满意 reopens the order for rectification (整改); 满意 and 基本满意 count as satisfied.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib

from engine.domain.calendar import BusinessHours, WorkCalendar

__all__ = ["RequestType", "Rating", "FollowUpRule", "RetryPolicy", "DEFAULT_CALLING_HOURS", "FOLLOW_UP_VAR",
           "RATED_VAR"]

MAX_DAYS = 60
FOLLOW_UP_VAR = "follow_up"             # an automated follow-up call's flow variable: the follow-up's id
RATED_VAR = "follow_up_rated"           # set once the citizen rated the handling (the visit is done)


class RequestType(str, enum.Enum):
    CONSULTATION = "consultation"   # 咨询
    COMPLAINT = "complaint"         # 投诉
    REPORT = "report"               # 举报
    HELP = "help"                   # 求助
    SUGGESTION = "suggestion"       # 建议


class Rating(str, enum.Enum):
    SATISFIED = "satisfied"                 # 满意
    BASICALLY_SATISFIED = "basically"       # 基本满意
    UNSATISFIED = "unsatisfied"             # 不满意

    @property
    def satisfied(self) -> bool:
        return self is not Rating.UNSATISFIED

    @property
    def reopens(self) -> bool:
        """An unsatisfied citizen: the order goes back to its departments for rectification."""
        return self is Rating.UNSATISFIED


@dataclasses.dataclass(frozen=True)
class FollowUpRule:
    always: frozenset[RequestType] = frozenset({RequestType.COMPLAINT, RequestType.REPORT})
    sample_percent: float = 20.0            # of the other closed orders
    include_on_the_spot: bool = False       # orders answered on the spot (当场答复) are sampled too

    def __post_init__(self) -> None:
        if not 0 <= self.sample_percent <= 100:
            raise ValueError(f"the follow-up sample must be 0 to 100 %, got {self.sample_percent}")

    def selects(self, number: str, kind: RequestType, on_the_spot: bool = False) -> bool:
        """Whether the closed order `number` enters the follow-up list."""
        if kind in self.always:
            return True
        if on_the_spot and not self.include_on_the_spot:
            return False
        bucket = int.from_bytes(hashlib.sha256(number.encode("utf-8")).digest()[:4], "big") % 10_000
        return bucket < round(self.sample_percent * 100)


DEFAULT_CALLING_HOURS = BusinessHours.from_spec({"mon-sun": ["09:00-12:00", "14:00-20:00"], "holiday": "closed",
                                                 "makeup": ["09:00-12:00", "14:00-20:00"]})


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    gap: dt.timedelta = dt.timedelta(hours=2)
    hours: BusinessHours = DEFAULT_CALLING_HOURS

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.gap <= dt.timedelta(0):
            raise ValueError("a follow-up needs at least one attempt and a positive gap between attempts")

    def first_attempt(self, closed_at: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo) -> dt.datetime:
        """The first moment the citizen may be called once the order is closed."""
        return self._next_open(closed_at.astimezone(tz), calendar, tz)

    def next_attempt(self, last_attempt: dt.datetime, attempts_made: int, calendar: WorkCalendar,
                     tz: dt.tzinfo) -> dt.datetime | None:
        """After an unanswered call: when to ring again, or None when the attempts are used up."""
        if attempts_made >= self.attempts:
            return None
        return self._next_open((last_attempt + self.gap).astimezone(tz), calendar, tz)

    def _next_open(self, at: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo) -> dt.datetime:
        day = at.date()
        for _ in range(MAX_DAYS):
            for start, end in sorted(r.on(day, tz) for r in self.hours.ranges_on(day, calendar)):
                if at < end:
                    return max(at, start)
            day += dt.timedelta(days=1)
        raise ValueError("no calling hours within 60 days: check the follow-up calling hours")
