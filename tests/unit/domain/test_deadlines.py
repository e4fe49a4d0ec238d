"""Work-order deadlines against hand-computed cases: the 2026 Spring Festival (15–23 February off, Saturdays 14 and
28 February worked), the National Day week (1–7 October off, Sunday 20 September and Saturday 10 October worked,
Mid-Autumn 25–27 September off), in natural hours and in working time; office hours 09:00–12:00 and 13:30–17:30
(7 hours a day). The statutory days come from chinese_calendar, as the IVR's calendar gets them."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.calendar_source import build_calendar, library_years
from engine.domain.calendar import BusinessHours
from engine.domain.deadlines import CalendarNotCovered, Clock, Unit, due, working_seconds

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = BusinessHours.weekdays("09:00-12:00", "13:30-17:30")
CAL = build_calendar([2026])


def at(month, day, hour, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize("start,clock,expected", [
    # dispatch within 3 working hours, Friday 13 Feb 16:00: 1.5 h that day, 1.5 h on the make-up Saturday
    (at(2, 13, 16), Clock(3, Unit.WORKING_HOURS), at(2, 14, 10, 30)),
    # after closing on the make-up Saturday: the festival, then Tuesday 24 Feb (Monday 23 is still off)
    (at(2, 14, 17, 45), Clock(3, Unit.WORKING_HOURS), at(2, 24, 12)),
    # half an hour before closing that Saturday: 0.5 h there, 2.5 h on Tuesday 24
    (at(2, 14, 17), Clock(3, Unit.WORKING_HOURS), at(2, 24, 11, 30)),
    # in the lunch break: counting starts at 13:30
    (at(2, 13, 12, 15), Clock(1, Unit.WORKING_HOURS), at(2, 13, 14, 30)),
    # natural hours ignore the calendar
    (at(2, 14, 17), Clock(3, Unit.HOURS), at(2, 14, 20)),
    (at(2, 16, 23), Clock(2, Unit.HOURS), at(2, 17, 1)),
    # 2 working days from the day after receipt: Saturday 14 (worked), then Tuesday 24
    (at(2, 13, 10), Clock(2, Unit.WORKING_DAYS), at(2, 24, 17, 30)),
    # received during the festival: Tuesday 24 and Wednesday 25
    (at(2, 18, 9), Clock(2, Unit.WORKING_DAYS), at(2, 25, 17, 30)),
    # the same day: before closing that day; after closing, or on a day off, the next working day
    (at(2, 13, 11), Clock(1, Unit.END_OF_WORKING_DAY), at(2, 13, 17, 30)),
    (at(2, 14, 18), Clock(1, Unit.END_OF_WORKING_DAY), at(2, 24, 17, 30)),
    (at(2, 28, 8), Clock(1, Unit.END_OF_WORKING_DAY), at(2, 28, 17, 30)),     # the second make-up Saturday
    # National Day: Wednesday 30 Sep 15:00 + 7 working hours: 2.5 h, the holiday week, then Thursday 8 Oct
    (at(9, 30, 15), Clock(7, Unit.WORKING_HOURS), at(10, 8, 15)),
    # the make-up Sunday 20 Sep counts; Mid-Autumn Friday 25 Sep does not
    (at(9, 20, 10), Clock(3, Unit.WORKING_HOURS), at(9, 20, 14, 30)),
    (at(9, 24, 17), Clock(1, Unit.WORKING_HOURS), at(9, 28, 9, 30)),
    # 2 working days from Tuesday 29 Sep: Wednesday 30, then Thursday 8 Oct
    (at(9, 29, 16), Clock(2, Unit.WORKING_DAYS), at(10, 8, 17, 30)),
    # the make-up Saturday 10 Oct: Friday 9 Oct 17:00 + 1 working hour
    (at(10, 9, 17), Clock(1, Unit.WORKING_HOURS), at(10, 10, 9, 30)),
])
def test_deadlines_by_hand(start, clock, expected):
    assert due(start, clock, CAL, OFFICE, TZ) == expected


def test_a_utc_start_is_counted_in_the_hotlines_time_zone():
    start = dt.datetime(2026, 2, 13, 8, 0, tzinfo=dt.timezone.utc)         # 16:00 in Beijing
    assert due(start, Clock(3, Unit.WORKING_HOURS), CAL, OFFICE, TZ) == at(2, 14, 10, 30)


def test_office_time_taken_between_two_instants():
    # Friday 13 Feb 16:00 to Tuesday 24 Feb 10:00: 1.5 h + 7 h (make-up Saturday) + 1 h
    assert working_seconds(at(2, 13, 16), at(2, 24, 10), CAL, OFFICE, TZ) == 9.5 * 3600
    assert working_seconds(at(2, 15, 9), at(2, 23, 17), CAL, OFFICE, TZ) == 0.0           # the festival
    assert working_seconds(at(2, 24, 10), at(2, 13, 16), CAL, OFFICE, TZ) == 0.0


def test_a_year_the_calendar_does_not_know_raises_instead_of_counting_its_festival_as_working_days():
    unknown = max(library_years()) + 1
    calendar = build_calendar([unknown - 1, unknown])
    start = dt.datetime(unknown - 1, 12, 31, 16, tzinfo=TZ)
    with pytest.raises(CalendarNotCovered) as err:
        due(start, Clock(7, Unit.WORKING_HOURS), calendar, OFFICE, TZ)
    assert err.value.year == unknown
    assert due(start, Clock(7, Unit.HOURS), calendar, OFFICE, TZ) == start + dt.timedelta(hours=7)


def test_impossible_clocks_are_refused():
    with pytest.raises(ValueError):
        Clock(-1, Unit.HOURS)
    with pytest.raises(ValueError):
        Clock(1.5, Unit.WORKING_DAYS)
    with pytest.raises(ValueError):
        due(dt.datetime(2026, 2, 13, 16), Clock(1, Unit.HOURS), CAL, OFFICE, TZ)
