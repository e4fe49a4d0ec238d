"""Work calendar (statutory holidays, make-up working days, local overrides) and business hours."""
import datetime as dt

import pytest

from engine.calendar_source import build_calendar, library_years
from engine.domain.calendar import BusinessHours, DayKind, DayOverride, HoursError, TimeRange, WorkCalendar

D = dt.date


@pytest.fixture(scope="module")
def cal():
    return build_calendar([2025, 2026])


def test_spring_festival_2025_and_2026_are_holidays_with_their_name(cal):
    for day in (D(2025, 1, 28), D(2025, 1, 29), D(2025, 2, 4), D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 23)):
        assert cal.is_holiday(day) and not cal.is_workday(day), day
        assert cal.holiday_name(day) == "春节"
    assert cal.is_workday(D(2026, 2, 24)) and cal.holiday_name(D(2026, 2, 24)) is None


def test_make_up_saturdays_are_workdays_not_holidays(cal):
    for day in (D(2025, 2, 8), D(2026, 2, 14), D(2026, 2, 28), D(2026, 10, 10)):   # all Saturdays (调休上班)
        assert day.isoweekday() == 6
        assert cal.is_workday(day) and cal.is_makeup_workday(day) and not cal.is_holiday(day), day
        assert cal.holiday_name(day) is None
    assert cal.day_name(D(2026, 2, 14)) == "春节" and cal.day_name(D(2026, 10, 10)) == "国庆节"
    assert cal.is_workday(D(2025, 1, 26))                                           # a make-up Sunday


def test_ordinary_weekends_are_off_but_not_holidays_and_weekdays_work(cal):
    assert not cal.is_workday(D(2026, 3, 7)) and not cal.is_holiday(D(2026, 3, 7))     # Saturday
    assert not cal.is_workday(D(2026, 3, 8))                                            # Sunday
    assert cal.is_workday(D(2026, 3, 9)) and cal.info(D(2026, 3, 9)).source == "weekday"


def test_other_holidays_2025_2026(cal):
    assert cal.holiday_name(D(2025, 10, 6)) == "中秋" and cal.holiday_name(D(2025, 10, 1)) == "国庆节"
    assert cal.holiday_name(D(2026, 1, 2)) == "元旦" and cal.holiday_name(D(2026, 6, 19)) == "端午"
    assert cal.holiday_name(D(2026, 5, 5)) == "劳动节" and cal.holiday_name(D(2026, 4, 6)) == "清明"


def test_datetimes_are_accepted(cal):
    assert cal.is_holiday(dt.datetime(2026, 2, 17, 9, 30))


def test_local_overrides_win_over_the_statutory_schedule(cal):
    local = cal.with_overrides({D(2026, 3, 10): DayOverride(DayKind.HOLIDAY, "台风停工"),
                                D(2026, 2, 17): (DayKind.WORKDAY, "值守"),
                                D(2026, 3, 14): ("workday", "申报期加班")})
    assert local.is_holiday(D(2026, 3, 10)) and local.holiday_name(D(2026, 3, 10)) == "台风停工"
    assert local.is_workday(D(2026, 2, 17)) and not local.is_holiday(D(2026, 2, 17))
    assert local.is_makeup_workday(D(2026, 3, 14)) and local.info(D(2026, 3, 14)).source == "override"
    assert cal.is_workday(D(2026, 3, 10))                      # the original calendar is unchanged


def test_years_without_statutory_data_fall_back_to_weekends():
    far = max(library_years()) + 1
    cal = build_calendar([far])
    assert not cal.covers(D(far, 1, 1))
    monday = next(D(far, 1, d) for d in range(1, 8) if D(far, 1, d).isoweekday() == 1)
    assert cal.is_workday(monday) and not cal.is_holiday(monday)


def test_pure_calendar_from_plain_sets():
    cal = WorkCalendar(holidays={D(2030, 1, 1)}, workdays=[D(2030, 1, 5)])
    assert cal.is_holiday(D(2030, 1, 1)) and cal.holiday_name(D(2030, 1, 1)) is None
    assert cal.is_workday(D(2030, 1, 5))


# ---------------------------------------------------------------- business hours

def test_weekday_hours_8_to_18(cal):
    hours = BusinessHours.weekdays("08:00-18:00")
    assert hours.is_open(dt.datetime(2026, 3, 9, 8, 0), cal)
    assert hours.is_open(dt.datetime(2026, 3, 9, 17, 59), cal)
    assert not hours.is_open(dt.datetime(2026, 3, 9, 18, 0), cal)        # end is exclusive
    assert not hours.is_open(dt.datetime(2026, 3, 9, 7, 59), cal)
    assert not hours.is_open(dt.datetime(2026, 3, 7, 10, 0), cal)        # ordinary Saturday
    assert not hours.is_open(dt.datetime(2026, 2, 17, 10, 0), cal)       # Spring Festival (a Tuesday)
    assert hours.is_open(dt.datetime(2026, 2, 14, 10, 0), cal)           # make-up Saturday: Monday's hours


def test_spec_with_lunch_break_saturday_holiday_and_makeup_hours(cal):
    hours = BusinessHours.from_spec({"mon-fri": ["09:00-12:00", "13:30-17:00"], "sat": "09:00-12:00",
                                     "holiday": "10:00-16:00", "makeup": "09:00-17:00"})
    assert not hours.is_open(dt.datetime(2026, 3, 9, 12, 30), cal)
    assert hours.is_open(dt.datetime(2026, 3, 9, 14, 0), cal)
    assert hours.is_open(dt.datetime(2026, 3, 7, 11, 0), cal) and not hours.is_open(dt.datetime(2026, 3, 7, 13, 0), cal)
    assert not hours.is_open(dt.datetime(2026, 3, 8, 11, 0), cal)        # Sunday: not listed, closed
    assert hours.is_open(dt.datetime(2026, 2, 17, 15, 0), cal)
    assert hours.is_open(dt.datetime(2026, 2, 14, 16, 0), cal)


def test_always_open_and_ranges_across_midnight(cal):
    assert BusinessHours.always().is_open(dt.datetime(2026, 2, 17, 3, 0), cal)
    night = BusinessHours.from_spec({"mon-fri": "22:00-06:00"})
    assert night.is_open(dt.datetime(2026, 3, 9, 23, 0), cal)            # Monday night
    assert night.is_open(dt.datetime(2026, 3, 10, 5, 0), cal)            # … into Tuesday morning
    assert not night.is_open(dt.datetime(2026, 3, 9, 5, 0), cal)         # Monday 05:00 belongs to Sunday night
    assert TimeRange.parse("00:00-24:00").contains(dt.time(23, 59))


@pytest.mark.parametrize("spec, message", [
    ({"mon-fri": "8-18"}, 'must look like "08:00-18:00"'),
    ({"mon-fri": "08:00-25:00"}, "impossible time"),
    ({"mon-fri": "08:00-08:00"}, "empty"),
    ({"someday": "08:00-18:00"}, "is not a weekday"),
])
def test_bad_hours_are_refused_with_the_part_named(spec, message):
    with pytest.raises(HoursError, match=message):
        BusinessHours.from_spec(spec)
