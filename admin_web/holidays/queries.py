"""The calendar as the engine sees it (build_calendar: chinese_calendar + the overrides), laid out in months."""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from engine.calendar_source import build_calendar
from engine.domain.calendar import DayInfo, WorkCalendar
from engine.store.numbers import load_overrides


def today() -> dt.date:
    """Today on the hotline's wall clock."""
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


@dataclasses.dataclass(frozen=True)
class Month:
    year: int
    month: int
    weeks: list[list[DayInfo | None]]       # Monday first; None pads the first and last week


@dataclasses.dataclass(frozen=True)
class Year:
    year: int
    covered: bool
    months: list[Month]
    special: list[DayInfo]                  # holidays, make-up days and overridden days, by date


def calendar_years(session: Session, years: tuple[int, ...]) -> tuple[WorkCalendar, list[Year]]:
    cal = build_calendar(years, load_overrides(session))
    result = []
    for year in years:
        months = []
        for month in range(1, 13):
            weeks = [[cal.info(d) if d.month == month else None for d in week]
                     for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)]
            months.append(Month(year, month, weeks))
        day, special = dt.date(year, 1, 1), []
        while day.year == year:
            info = cal.info(day)
            if info.holiday or info.makeup or info.source == "override" or (info.workday and info.name):
                special.append(info)
            day += dt.timedelta(days=1)
        result.append(Year(year, cal.covers(dt.date(year, 1, 1)), months, special))
    return cal, result
