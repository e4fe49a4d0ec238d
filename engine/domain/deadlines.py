"""Work-order deadlines on the working calendar (issue 15, item 3; R-TKT-2). Pure: the calendar and the office
hours come in, nothing is looked up.

A clock says how long a step may take (派单 within 3 hours, 答复 the same day or within 2 working days):

  hours               natural hours, whatever the day (a special-urgent order's 1 hour)
  working_hours       hours inside the office hours of working days (make-up Saturdays 调休上班 count,
                      statutory holidays and ordinary weekends do not)
  working_days        N working days counted from the day after receipt (受理次日起算), due at the close of the
                      Nth
  end_of_working_day  the close of the day of receipt when it is a working day and received before closing
                      time, else the close of the next working day (当日答复)

Working time needs the statutory schedule of every year it walks through: a year the calendar has no data for
(chinese_calendar publishes each year's schedule in the autumn before) raises CalendarNotCovered instead of
silently counting its festival days as working days; the caller shows that as an alert.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from engine.domain.calendar import BusinessHours, WorkCalendar

__all__ = ["Unit", "Clock", "CalendarNotCovered", "due", "working_seconds"]

MAX_DAYS = 3 * 366          # no clock walks further than this (a bad clock or a calendar with no working day)


class Unit(str, enum.Enum):
    HOURS = "hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    END_OF_WORKING_DAY = "end_of_working_day"


@dataclasses.dataclass(frozen=True)
class Clock:
    amount: float
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0 or (self.unit is Unit.WORKING_DAYS and self.amount != int(self.amount)):
            raise ValueError(f"a deadline clock of {self.amount} {self.unit.value} is not possible")


class CalendarNotCovered(Exception):
    """The deadline runs through a year the statutory calendar does not know yet."""

    def __init__(self, year: int):
        super().__init__(f"the working calendar has no statutory holiday data for {year}")
        self.year = year


def _periods(day: dt.date, calendar: WorkCalendar, hours: BusinessHours, tz: dt.tzinfo) -> list[tuple[dt.datetime,
                                                                                                      dt.datetime]]:
    """The office periods of one date as aware datetimes (none on a day off)."""
    if not calendar.covers(day):
        raise CalendarNotCovered(day.year)
    if not calendar.is_workday(day):
        return []
    return sorted(r.on(day, tz) for r in hours.ranges_on(day, calendar))


def _days_from(start: dt.datetime, tz: dt.tzinfo):
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        yield day
        day += dt.timedelta(days=1)
    raise ValueError("no working time found within three years: check the office hours and the calendar")


def due(start: dt.datetime, clock: Clock, calendar: WorkCalendar, hours: BusinessHours,
        tz: dt.tzinfo) -> dt.datetime:
    """When a step started at `start` (aware) is due under `clock`, in `tz`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(tz)
    if clock.unit is Unit.HOURS:
        return start + dt.timedelta(hours=clock.amount)
    if clock.unit is Unit.WORKING_HOURS:
        left = dt.timedelta(hours=clock.amount)
        for day in _days_from(start, tz):
            for a, b in _periods(day, calendar, hours, tz):
                a = max(a, start)
                if a >= b:
                    continue
                if b - a >= left:
                    return a + left
                left -= b - a
    if clock.unit is Unit.END_OF_WORKING_DAY:
        for day in _days_from(start, tz):
            periods = _periods(day, calendar, hours, tz)
            if periods and periods[-1][1] > start:
                return periods[-1][1]
    counted = 0
    for day in _days_from(start, tz):           # working days, from the day after receipt
        if day == start.date():
            continue
        periods = _periods(day, calendar, hours, tz)
        if periods:
            counted += 1
            if counted >= clock.amount:
                return periods[-1][1]
    raise AssertionError("unreachable")


def working_seconds(start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, hours: BusinessHours,
                    tz: dt.tzinfo) -> float:
    """Office time between two instants (0 when end is not after start): how long a step really took."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    for day in _days_from(start, tz):
        if day > end.date():
            break
        for a, b in _periods(day, calendar, hours, tz):
            a, b = max(a, start), min(b, end)
            if b > a:
                total += (b - a).total_seconds()
    return total
