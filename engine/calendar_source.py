"""The work calendar from the maintained statutory data (chinese_calendar) merged with local overrides.

chinese_calendar publishes each year's State Council schedule: `holidays` (days off, with the festival),
`workdays` (make-up working days, 调休上班) and `get_holiday_detail`. Years it does not cover yet fall back to
plain weekends (logged), plus whatever overrides the console holds.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

import chinese_calendar

from engine.domain.calendar import DayOverride, WorkCalendar

logger = logging.getLogger(__name__)

# chinese_calendar names days in English ("Spring Festival"); the console speaks Chinese (春节).
CHINESE_NAMES = {member.value: member.chinese for member in chinese_calendar.Holiday}
_warned: set[int] = set()       # years already reported as not covered


def library_years() -> range:
    """The years chinese_calendar has data for."""
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def statutory_days(years: Iterable[int]) -> tuple[dict[dt.date, str], dict[dt.date, str], set[int]]:
    """(holidays, make-up working days, covered years) for the given years, names in Chinese."""
    covered = set(library_years())
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    used: set[int] = set()
    for year in sorted(set(years)):
        if year not in covered:
            if year in _warned:
                continue
            _warned.add(year)           # once per process: the calendar is rebuilt at every reload
            logger.warning("chinese_calendar %s has no holiday data for %d: only weekends and local overrides "
                           "apply", chinese_calendar.__version__, year)
            continue
        used.add(year)
        day = dt.date(year, 1, 1)
        while day.year == year:
            off, name = chinese_calendar.get_holiday_detail(day)
            if name is not None:
                (holidays if off else workdays)[day] = CHINESE_NAMES.get(name, name)
            day += dt.timedelta(days=1)
    return holidays, workdays, used


def build_calendar(years: Iterable[int], overrides: Mapping[dt.date, DayOverride] | None = None) -> WorkCalendar:
    """A WorkCalendar for these years from the statutory data, with local overrides winning."""
    holidays, workdays, covered = statutory_days(years)
    return WorkCalendar(holidays, workdays, overrides or {}, years=covered)


def load_calendar(session, years: Iterable[int] | None = None, today: dt.date | None = None) -> WorkCalendar:
    """The calendar with the overrides stored in the database; default years: last, this and next year."""
    from engine.store.numbers import load_overrides
    if years is None:
        this = (today or dt.date.today()).year
        years = (this - 1, this, this + 1)
    return build_calendar(years, load_overrides(session))
