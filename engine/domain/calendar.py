"""Work calendar and business hours (R-HOURS-1). Pure: the data comes in, nothing is looked up.

A day is one of:
  workday          Monday–Friday that is not a holiday, or a make-up working day (调休上班) on a weekend
  holiday          a statutory holiday (法定节假日), or a local override declaring one
  weekend          Saturday/Sunday that is neither of the above
Local overrides (set in the console) win over the statutory data, which wins over the weekday.

`is_holiday(d)` is True only for holidays (not for ordinary weekends); `is_workday(d)` is True for working
days, make-up working days included. A routing rule or flow condition says `holiday: true` for "closed for
the festival" and `workday: false` for "any day off".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping

__all__ = ["DayKind", "DayOverride", "DayInfo", "WorkCalendar", "TimeRange", "BusinessHours", "HoursError",
           "WEEKDAY_NAMES"]


class DayKind(str, enum.Enum):
    """What a local override declares a date to be."""

    HOLIDAY = "holiday"     # closed (e.g. a local festival, a typhoon day)
    WORKDAY = "workday"     # open (e.g. a tax-deadline Saturday)


@dataclasses.dataclass(frozen=True)
class DayOverride:
    """A local decision about one date, with the name shown to operators (e.g. "台风停工")."""

    kind: DayKind
    name: str = ""


@dataclasses.dataclass(frozen=True)
class DayInfo:
    """Everything the calendar knows about one date, for display and for explaining decisions."""

    date: dt.date
    workday: bool
    holiday: bool
    makeup: bool            # a weekend day worked in exchange for a holiday (调休上班)
    name: str | None        # holiday or make-up day name, or the override's name
    source: str             # "override", "statutory" or "weekday"


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _named(days: Mapping[dt.date, str] | Iterable[dt.date]) -> dict[dt.date, str]:
    if isinstance(days, Mapping):
        return {_as_date(d): str(n or "") for d, n in days.items()}
    return {_as_date(d): "" for d in days}


class WorkCalendar:
    """Statutory holidays and make-up working days, plus local overrides.

    holidays / workdays: dates (or date -> name) from the statutory schedule; workdays are the make-up
    working days on weekends (调休). overrides: date -> DayOverride (or (kind, name)); they win.
    """

    def __init__(self, holidays: Mapping[dt.date, str] | Iterable[dt.date] = (),
                 workdays: Mapping[dt.date, str] | Iterable[dt.date] = (),
                 overrides: Mapping[dt.date, DayOverride | tuple[str, str]] | None = None,
                 years: Iterable[int] | None = None) -> None:
        self._holidays = _named(holidays)
        self._workdays = _named(workdays)
        self._overrides: dict[dt.date, DayOverride] = {}
        for day, value in (overrides or {}).items():
            if not isinstance(value, DayOverride):
                kind, name = value
                value = DayOverride(DayKind(kind), name or "")
            self._overrides[_as_date(day)] = value
        # years the statutory data covered (None: not said, every date is taken as covered)
        self.years = None if years is None else frozenset(years)

    def covers(self, day: dt.date | dt.datetime) -> bool:
        """True when the statutory data covered this date's year (else only weekends and overrides count)."""
        return self.years is None or _as_date(day).year in self.years

    def info(self, day: dt.date | dt.datetime) -> DayInfo:
        """The kind and name of a date, and where that came from."""
        d = _as_date(day)
        weekend = d.isoweekday() >= 6
        override = self._overrides.get(d)
        if override is not None:
            work = override.kind is DayKind.WORKDAY
            return DayInfo(d, work, not work, work and weekend, override.name or None, "override")
        if d in self._workdays:
            return DayInfo(d, True, False, weekend, self._workdays[d] or None, "statutory")
        if d in self._holidays:
            return DayInfo(d, False, True, False, self._holidays[d] or None, "statutory")
        return DayInfo(d, not weekend, False, False, None, "weekday")

    def is_holiday(self, day: dt.date | dt.datetime) -> bool:
        """A statutory (or locally declared) holiday; an ordinary weekend is not a holiday."""
        return self.info(day).holiday

    def is_workday(self, day: dt.date | dt.datetime) -> bool:
        """A working day: Monday–Friday except holidays, plus make-up working days on weekends."""
        return self.info(day).workday

    def is_makeup_workday(self, day: dt.date | dt.datetime) -> bool:
        """A Saturday or Sunday worked in exchange for a holiday (调休上班)."""
        return self.info(day).makeup

    def holiday_name(self, day: dt.date | dt.datetime) -> str | None:
        """The holiday's name (e.g. 春节), None on other days."""
        info = self.info(day)
        return info.name if info.holiday else None

    def day_name(self, day: dt.date | dt.datetime) -> str | None:
        """The holiday's or the make-up day's name (None on ordinary days)."""
        return self.info(day).name

    def overrides(self) -> dict[dt.date, DayOverride]:
        """The local overrides in force (a copy)."""
        return dict(self._overrides)

    def with_overrides(self, overrides: Mapping[dt.date, DayOverride | tuple[str, str]]) -> "WorkCalendar":
        """A new calendar with these overrides added to (and replacing) the current ones."""
        merged: dict = dict(self._overrides)
        merged.update(overrides)
        return WorkCalendar(self._holidays, self._workdays, merged, self.years)


# ---------------------------------------------------------------- business hours

class HoursError(ValueError):
    """Business hours that cannot be understood; the message names the part."""


WEEKDAY_NAMES = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


@dataclasses.dataclass(frozen=True)
class TimeRange:
    """Start inclusive, end exclusive; end 24:00 means midnight; start > end crosses midnight."""

    start: dt.time
    end: dt.time | None     # None = 24:00

    @classmethod
    def parse(cls, text: str) -> "TimeRange":
        """"08:00-18:00" (also "08:00–18:00", "22:00-06:00", "00:00-24:00")."""
        m = _RANGE.match(str(text))
        if not m:
            raise HoursError(f'time range "{text}" must look like "08:00-18:00"')
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise HoursError(f'time range "{text}" has an impossible time')
        start, end = dt.time(h1, m1), (None if h2 == 24 else dt.time(h2, m2))
        if end == start:
            raise HoursError(f'time range "{text}" is empty')
        return cls(start, end)

    def on(self, day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """This range on `day` as aware datetimes; one to 24:00 or past midnight ends at that day's midnight."""
        start = dt.datetime.combine(day, self.start, tz)
        if self.end is None or self.end < self.start:
            return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tz)
        return start, dt.datetime.combine(day, self.end, tz)

    def contains(self, t: dt.time) -> bool:
        t = t.replace(tzinfo=None)
        if self.end is None:
            return t >= self.start
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end       # crosses midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{'24:00' if self.end is None else format(self.end, '%H:%M')}"


def _ranges(value: object, where: str) -> tuple[TimeRange, ...]:
    if value is None or value == "" or value == "closed":
        return ()
    items = [value] if isinstance(value, (str, TimeRange)) else list(value)   # type: ignore[arg-type]
    out = []
    for item in items:
        try:
            out.append(item if isinstance(item, TimeRange) else TimeRange.parse(str(item)))
        except HoursError as exc:
            raise HoursError(f"{where}: {exc}") from None
    return tuple(out)


def _day_keys(key: str) -> list[int]:
    k = key.strip().lower()
    if k in WEEKDAY_NAMES:
        return [WEEKDAY_NAMES[k]]
    if k.isdigit() and 1 <= int(k) <= 7:
        return [int(k)]
    if "-" in k:
        a, b = (part.strip() for part in k.split("-", 1))
        first, last = (WEEKDAY_NAMES.get(a, int(a) if a.isdigit() else 0),
                       WEEKDAY_NAMES.get(b, int(b) if b.isdigit() else 0))
        if 1 <= first <= last <= 7:
            return list(range(first, last + 1))
    raise HoursError(f'"{key}" is not a weekday (mon..sun, 1..7, or a range like mon-fri), "holiday" or "makeup"')


@dataclasses.dataclass(frozen=True)
class BusinessHours:
    """Opening hours per ISO weekday (1 = Monday), with their own hours on holidays and make-up days.

    weekly:   {1: (08:00-18:00,), ..., 6: (), 7: ()}
    holiday:  hours on statutory holidays (default closed; 7x24 services set 00:00-24:00)
    makeup:   hours on a make-up working day (调休上班) on a weekend; None = Monday's hours
    """

    weekly: Mapping[int, tuple[TimeRange, ...]]
    holiday: tuple[TimeRange, ...] = ()
    makeup: tuple[TimeRange, ...] | None = None

    @classmethod
    def from_spec(cls, spec: Mapping[str, object]) -> "BusinessHours":
        """From configuration, e.g. {"mon-fri": "08:00-18:00", "sat": ["09:00-12:00"], "holiday": "closed"}."""
        weekly: dict[int, tuple[TimeRange, ...]] = {d: () for d in range(1, 8)}
        holiday: tuple[TimeRange, ...] = ()
        makeup: tuple[TimeRange, ...] | None = None
        for key, value in spec.items():
            k = str(key).strip().lower()
            if k == "holiday":
                holiday = _ranges(value, key)
            elif k == "makeup":
                makeup = _ranges(value, key)
            else:
                for day in _day_keys(k):
                    weekly[day] = _ranges(value, key)
        return cls(weekly, holiday, makeup)

    @classmethod
    def weekdays(cls, *ranges: str) -> "BusinessHours":
        """Monday–Friday the given ranges (default 08:00-18:00), closed on weekends and holidays."""
        return cls.from_spec({"mon-fri": list(ranges) or ["08:00-18:00"]})

    @classmethod
    def always(cls) -> "BusinessHours":
        """7x24, holidays included."""
        all_day = (TimeRange(dt.time(0, 0), None),)
        return cls({d: all_day for d in range(1, 8)}, all_day, all_day)

    def ranges_on(self, day: dt.date | dt.datetime, calendar: WorkCalendar) -> tuple[TimeRange, ...]:
        """The opening ranges on this date, given the calendar."""
        info = calendar.info(day)
        if info.holiday:
            return self.holiday
        if info.makeup:
            return self.weekly.get(1, ()) if self.makeup is None else self.makeup
        return self.weekly.get(info.date.isoweekday(), ())

    def is_open(self, now: dt.datetime, calendar: WorkCalendar) -> bool:
        """Open at this local time? (A range crossing midnight counts on the day it starts and the next.)"""
        today = self.ranges_on(now, calendar)
        t = now.time()
        if any(r.contains(t) and not (r.end is not None and r.start > r.end and t < r.end) for r in today):
            return True
        yesterday = self.ranges_on(now.date() - dt.timedelta(days=1), calendar)
        return any(r.end is not None and r.start > r.end and t < r.end for r in yesterday)
