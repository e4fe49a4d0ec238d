"""Call forecast per 15-minute interval: synthetic histories whose structure is known are recovered, the filing
deadlines match the State Taxation Administration's published calendars, and the backtest measures the error."""
import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st

from engine.calendar_source import build_calendar
from engine.domain.forecast import (
    DayType, ForecastSettings, backtest, day_type, days_to_deadline, filing_deadline, forecast, normalise_history)
from engine.domain.staffing import ServiceLevelTarget, staff_intervals

D = dt.date
CAL = build_calendar([2025, 2026])


def _shape(weights):
    total = sum(weights)
    return [w / total for w in weights]


# 09:00-12:00 peak, a smaller 14:00-16:00 one, open 08:00-18:00 on working days; 09:00-17:00 flat at weekends;
# 10:00-12:00 on holidays (only the hotline's urgent queue)
WORK_SHAPE = _shape([0] * 32 + [2 if 36 <= i < 48 else 1.5 if 56 <= i < 64 else 1 for i in range(32, 72)] + [0] * 24)
WEEKEND_SHAPE = _shape([1 if 36 <= i < 68 else 0 for i in range(96)])
HOLIDAY_SHAPE = _shape([1 if 40 <= i < 48 else 0 for i in range(96)])


def truth(day, trend=0.0, boost=1.5, boost_k=(0, 1), after_holiday=1.0, origin=D(2025, 7, 1)):
    """Calls per interval of the synthetic product on `day`."""
    kind = day_type(day, CAL)
    if kind is DayType.HOLIDAY:
        total, shape = 50.0, HOLIDAY_SHAPE
    elif kind is DayType.WEEKEND:
        total, shape = 200.0, WEEKEND_SHAPE
    else:
        total, shape = 1000.0, WORK_SHAPE
        if kind is DayType.AFTER_HOLIDAY:
            total *= after_holiday
        if days_to_deadline(day, CAL) in boost_k:
            total *= boost
    total *= (1 + trend) ** ((day - origin).days / 7)
    return [total * s for s in shape]


def history(start, end, noise=0.0, seed=1, **kw):
    rng = random.Random(seed)
    out, day = {}, start
    while day <= end:
        out[day] = [max(0.0, v * (1 + noise * rng.gauss(0, 1))) for v in truth(day, **kw)]
        day += dt.timedelta(days=1)
    return out


def days(start, end):
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# --- filing deadlines ---------------------------------------------------------------------------------------------

# 税总办征科函〔2025〕64号 《关于明确2026年度申报纳税期限的通知》 (STA, December 2025)
STA_2026 = {1: D(2026, 1, 20), 2: D(2026, 2, 24), 3: D(2026, 3, 16), 4: D(2026, 4, 20), 5: D(2026, 5, 22),
            6: D(2026, 6, 15), 7: D(2026, 7, 15), 8: D(2026, 8, 17), 9: D(2026, 9, 15), 10: D(2026, 10, 26),
            11: D(2026, 11, 16), 12: D(2026, 12, 15)}
# 2025年国家税务总局广东省税务局征期日历 (after 税总办征科函〔2024〕71号)
STA_2025 = {1: D(2025, 1, 15), 2: D(2025, 2, 20), 3: D(2025, 3, 17), 4: D(2025, 4, 18), 5: D(2025, 5, 22),
            6: D(2025, 6, 16), 7: D(2025, 7, 15), 8: D(2025, 8, 15), 9: D(2025, 9, 15), 10: D(2025, 10, 27),
            11: D(2025, 11, 17), 12: D(2025, 12, 15)}


@pytest.mark.parametrize("year,published", [(2026, STA_2026), (2025, STA_2025)])
def test_the_deadline_rule_gives_every_published_month(year, published):
    assert {m: filing_deadline(year, m, CAL) for m in range(1, 13)} == published


def test_deadline_arithmetic_by_hand_for_the_long_holidays_of_2026():
    # February: the 15th is the first day of the Spring Festival (15th-23rd off); the first working day after is
    # Tuesday the 24th. The 9 days off lie after the 15th, so nothing else extends it.
    assert CAL.is_holiday(D(2026, 2, 15)) and CAL.is_workday(D(2026, 2, 24))
    assert filing_deadline(2026, 2, CAL) == D(2026, 2, 24)
    # October: National Day 1st-7th is 7 holidays inside 1..15; Thursday the 15th + 7 working days
    # (16, 19, 20, 21, 22, 23, 26) is Monday the 26th. The make-up Saturday the 10th is before the 15th.
    assert filing_deadline(2026, 10, CAL) == D(2026, 10, 26)
    # May: 1st-5th off (5 days), Friday the 15th + 5 working days (18..22); January: 1st-3rd, Thursday the 15th +
    # 3 working days (16, 19, 20).
    assert filing_deadline(2026, 5, CAL) == D(2026, 5, 22) and filing_deadline(2026, 1, CAL) == D(2026, 1, 20)
    # A single day off (1 January 2025, a Wednesday) does not extend it: the run must be >= 3 days.
    assert filing_deadline(2025, 1, CAL) == D(2025, 1, 15)


def test_a_published_deadline_overrides_the_rule_and_moves_the_filing_window():
    published = {(2026, 3): D(2026, 3, 18)}
    assert filing_deadline(2026, 3, CAL, published) == D(2026, 3, 18)
    assert filing_deadline(2026, 4, CAL, published) == D(2026, 4, 20)
    assert days_to_deadline(D(2026, 3, 16), CAL) == 0
    assert days_to_deadline(D(2026, 3, 16), CAL, published) == 2


def test_working_days_before_the_deadline():
    assert days_to_deadline(D(2026, 2, 24), CAL) == 0
    assert days_to_deadline(D(2026, 2, 14), CAL) == 1        # the make-up Saturday: the next working day is the 24th
    assert days_to_deadline(D(2026, 2, 13), CAL) == 2
    assert days_to_deadline(D(2026, 2, 16), CAL) is None     # a holiday
    assert days_to_deadline(D(2026, 2, 25), CAL) is None     # after the deadline


def test_day_types_of_the_2026_spring_festival():
    assert day_type(D(2026, 2, 13), CAL) is DayType.WORKDAY
    assert day_type(D(2026, 2, 14), CAL) is DayType.MAKEUP
    assert day_type(D(2026, 2, 18), CAL) is DayType.HOLIDAY
    assert day_type(D(2026, 2, 24), CAL) is DayType.AFTER_HOLIDAY
    assert day_type(D(2026, 3, 7), CAL) is DayType.WEEKEND
    assert day_type(D(2026, 3, 9), CAL) is DayType.WORKDAY       # after an ordinary weekend: no holiday in it
    assert day_type(D(2026, 1, 4), CAL) is DayType.AFTER_HOLIDAY  # the make-up Sunday after New Year


# --- recovering a known structure ---------------------------------------------------------------------------------

def test_the_forecast_recovers_levels_shapes_holidays_make_up_days_and_the_filing_peak():
    hist = history(D(2025, 7, 1), D(2026, 2, 10))
    targets = days(D(2026, 2, 11), D(2026, 3, 16))
    result = forecast(hist, CAL, targets)
    assert result.interval_minutes == 15
    by_day = {f.date: f for f in result.days}
    for day in targets:
        expected = truth(day)
        assert by_day[day].volume == pytest.approx(sum(expected), rel=1e-9), day
        assert by_day[day].intervals == pytest.approx(expected, rel=1e-9, abs=1e-9), day
    assert by_day[D(2026, 2, 12)].volume == pytest.approx(1000)                  # ordinary Thursday
    assert by_day[D(2026, 3, 1)].volume == pytest.approx(200)                # ordinary Sunday 1 March
    for day in days(D(2026, 2, 15), D(2026, 2, 23)):                             # Spring Festival: closed
        assert by_day[day].volume == pytest.approx(50) and by_day[day].day_type is DayType.HOLIDAY
    assert by_day[D(2026, 2, 28)].volume == pytest.approx(1000)                  # make-up Saturday: a working day
    assert by_day[D(2026, 2, 14)].volume == pytest.approx(1500)                  # make-up Saturday 1 day before
    assert by_day[D(2026, 2, 24)].volume == pytest.approx(1500)                  # the deadline
    assert by_day[D(2026, 2, 13)].volume == pytest.approx(1000)                  # 2 working days before
    assert by_day[D(2026, 3, 13)].volume == pytest.approx(1500)                  # Friday before Monday 16 March
    assert by_day[D(2026, 2, 12)].intervals[36] == pytest.approx(1000 * WORK_SHAPE[36])   # 09:00-09:15
    assert by_day[D(2026, 2, 12)].intervals[0] == 0                              # nobody calls at midnight


def test_filing_factors_are_estimated_from_history_per_working_day_before_the_deadline():
    result = forecast(history(D(2025, 7, 1), D(2026, 3, 31)), CAL, days(D(2026, 4, 13), D(2026, 4, 20)))
    by_k = {f.filing_k: f.filing_factor for f in result.days if f.filing_k is not None}
    assert by_k.keys() == {0, 1, 2, 3, 4}                         # 20 April is the deadline
    assert by_k[0] == pytest.approx(1.5) and by_k[1] == pytest.approx(1.5)
    assert by_k[2] == pytest.approx(1.0) and by_k[3] == pytest.approx(1.0) and by_k[4] == pytest.approx(1.0)
    # without a filing peak in the history the factor is 1
    flat = forecast(history(D(2025, 7, 1), D(2026, 3, 31), boost=1.0), CAL, D(2026, 4, 20))
    assert flat.days[0].filing_factor == pytest.approx(1.0) and flat.days[0].volume == pytest.approx(1000)


def test_a_weekly_trend_of_two_percent_is_carried_forward():
    kw = dict(trend=0.02)
    hist = history(D(2025, 7, 1), D(2025, 11, 30), **kw)
    targets = days(D(2025, 12, 1), D(2025, 12, 7))               # an ordinary week (deadline 15 December)
    result = forecast(hist, CAL, targets)
    for f in result.days:
        assert f.volume == pytest.approx(sum(truth(f.date, **kw)), rel=0.01), f.date
        assert f.trend > 1.04                                     # the level stands ~3 weeks back
    flat = forecast(hist, CAL, targets, settings=ForecastSettings(trend_weeks=0))
    for f in flat.days:
        assert f.trend == 1.0
        assert abs(f.volume / sum(truth(f.date, **kw)) - 1) > 0.03   # ignoring the trend misses by > 3 %


def test_a_trend_four_weeks_ahead_is_damped_not_straight():
    hist = history(D(2025, 7, 1), D(2025, 11, 2), trend=0.02)
    near, far = forecast(hist, CAL, [D(2025, 11, 3), D(2025, 11, 24)]).days       # two ordinary Mondays
    straight = forecast(hist, CAL, [D(2025, 11, 24)], settings=ForecastSettings(damping=1.0)).days[0]
    assert far.volume > near.volume
    assert far.volume < straight.volume
    assert straight.volume == pytest.approx(sum(truth(D(2025, 11, 24), trend=0.02)), rel=0.01)


def test_the_first_working_day_after_a_long_holiday_gets_its_own_ratio_when_the_history_has_one():
    kw = dict(after_holiday=1.3)
    hist = history(D(2025, 7, 1), D(2026, 2, 10), **kw)          # has 9 October 2025 and 4 January 2026
    f = forecast(hist, CAL, D(2026, 2, 24)).days[0]
    assert f.day_type is DayType.AFTER_HOLIDAY
    assert f.type_ratio == pytest.approx(1.3) and f.filing_factor == pytest.approx(1.5)
    assert f.volume == pytest.approx(1000 * 1.3 * 1.5)


def test_three_weeks_around_national_day_have_no_weekend_to_forecast_a_sunday_from():
    """Found by hypothesis: 2026-09-20 … 10-10 holds no ordinary weekend day (中秋 and 国庆 holidays, make-up days
    on 9-20 and 10-10); forecasting Sunday 10-11 from it is refused in words, not guessed."""
    hist = {D(2026, 9, 20) + dt.timedelta(days=i): [10.0] * 96 for i in range(21)}
    assert not [d for d in hist if day_type(d, CAL) is DayType.WEEKEND]
    with pytest.raises(ValueError, match="the history before it has no weekend day"):
        forecast(hist, CAL, [D(2026, 10, 11)])


def test_rare_day_types_fall_back_while_the_history_has_none():
    hist = history(D(2025, 11, 3), D(2025, 12, 28))                # no holiday, make-up or after-holiday day
    new_year, makeup_sunday = forecast(hist, CAL, [D(2026, 1, 1), D(2026, 1, 4)]).days
    assert new_year.day_type is DayType.HOLIDAY and new_year.volume == pytest.approx(200)     # as a weekend day
    assert new_year.intervals == pytest.approx([200 * s for s in WEEKEND_SHAPE])
    assert makeup_sunday.day_type is DayType.AFTER_HOLIDAY and makeup_sunday.volume == pytest.approx(1000)
    assert makeup_sunday.intervals == pytest.approx([1000 * s for s in WORK_SHAPE])


def test_history_by_date_and_interval_gives_the_same_forecast():
    hist = history(D(2025, 9, 1), D(2025, 11, 30))
    flat = {(day, i): v for day, counts in hist.items() for i, v in enumerate(counts) if v}
    a = forecast(hist, CAL, days(D(2025, 12, 1), D(2025, 12, 20)))
    b = forecast(flat, CAL, days(D(2025, 12, 1), D(2025, 12, 20)))
    assert [v for f in a.days for v in f.intervals] == pytest.approx([v for f in b.days for v in f.intervals])


def test_the_forecast_feeds_staffing_per_interval():
    f = forecast(history(D(2025, 9, 1), D(2025, 11, 30)), CAL, D(2025, 12, 1)).days[0]
    rows = f.interval_forecasts(aht=240)
    assert len(rows) == 96 and rows[36].start == dt.datetime(2025, 12, 1, 9, 0)
    assert sum(r.volume for r in rows) == pytest.approx(f.volume)
    staffed = staff_intervals(rows, ServiceLevelTarget(0.8, 20))
    assert staffed[0].staffing.agents == 0                                  # midnight: no calls, no agents
    assert staffed[36].staffing.agents > staffed[70].staffing.agents > 0    # the 09:00 peak needs more than 17:30


# --- backtest -----------------------------------------------------------------------------------------------------

def test_backtest_error_is_nil_on_noiseless_data_and_grows_with_noise():
    start, end = D(2026, 1, 5), D(2026, 3, 31)
    clean = backtest(history(D(2025, 7, 1), end), CAL, start, end)
    assert len(clean.days) == (end - start).days + 1 and not clean.skipped
    assert clean.wape < 1e-9 and clean.interval_wape < 1e-9 and abs(clean.bias) < 1e-9 and clean.mape < 1e-9
    low = backtest(history(D(2025, 7, 1), end, noise=0.05), CAL, start, end)
    high = backtest(history(D(2025, 7, 1), end, noise=0.25), CAL, start, end)
    assert 0 < low.wape < high.wape and low.interval_wape < high.interval_wape
    assert low.mape < high.mape
    assert high.interval_wape > high.wape          # interval errors partly cancel within the day
    day = next(r for r in high.days if r.date == D(2026, 2, 24))
    assert day.error == pytest.approx(day.forecast - day.actual)
    assert day.ape == pytest.approx(abs(day.error) / day.actual)


def test_backtest_one_day_ahead_follows_a_trend_without_bias():
    end = D(2025, 12, 31)
    result = backtest(history(D(2025, 7, 1), end, trend=0.02), CAL, D(2025, 11, 1), end)
    assert result.wape < 0.01 and abs(result.bias) < 0.005
    frozen = backtest(history(D(2025, 7, 1), end, trend=0.02), CAL, D(2025, 11, 1), end,
                      settings=ForecastSettings(trend_weeks=0))
    assert frozen.bias < -0.03 and frozen.wape > 3 * result.wape      # without the trend it lags behind


def test_backtest_skips_days_it_cannot_forecast_and_says_why():
    hist = history(D(2025, 11, 3), D(2025, 11, 30))                  # starts on a Monday
    result = backtest(hist, CAL, D(2025, 11, 4), D(2025, 11, 30))
    assert [d for d, _ in result.skipped] == [D(2025, 11, 8)]          # the first Saturday: no weekend before it
    assert "no weekend day" in result.skipped[0][1]


# --- unusable input -----------------------------------------------------------------------------------------------

def test_unusable_input_is_refused_with_the_reason():
    hist = history(D(2025, 11, 3), D(2025, 11, 30))
    with pytest.raises(ValueError, match="no history"):
        forecast({}, CAL, D(2025, 12, 1))
    with pytest.raises(ValueError, match="not after the history"):
        forecast(hist, CAL, D(2025, 10, 1))
    with pytest.raises(ValueError, match="must start after the history's first day"):
        backtest(hist, CAL, D(2025, 11, 3), D(2025, 11, 30))
    with pytest.raises(ValueError, match="ends .* before it starts"):
        backtest(hist, CAL, D(2025, 11, 20), D(2025, 11, 10))
    with pytest.raises(ValueError, match="95 intervals, the other days 96"):
        normalise_history({D(2025, 11, 3): [1] * 96, D(2025, 11, 4): [1] * 95})
    with pytest.raises(ValueError, match=">= 0"):
        forecast({D(2025, 11, 3): [-1] + [0] * 95}, CAL, D(2025, 11, 4))
    with pytest.raises(ValueError, match="outside 0..95"):
        forecast({(D(2025, 11, 3), 96): 1}, CAL, D(2025, 11, 4))
    with pytest.raises(ValueError, match="no weekend day"):
        forecast({D(2025, 11, 3): [1] * 96}, CAL, D(2025, 11, 8))
    with pytest.raises(ValueError, match="decay"):
        ForecastSettings(decay=0)


# --- properties ---------------------------------------------------------------------------------------------------

histories = st.tuples(
    st.dates(D(2025, 1, 1), D(2026, 11, 30)),
    st.lists(st.integers(0, 3000), min_size=21, max_size=35),            # daily totals
    st.lists(st.integers(0, 20), min_size=96, max_size=96).filter(any),  # an intra-day shape
    st.lists(st.integers(0, 5), min_size=96, max_size=96))               # per-day shape disturbance


def _random_history(spec):
    start, totals, shape, wobble = spec
    out = {}
    for i, total in enumerate(totals):
        weights = [s + wobble[(j + i) % 96] for j, s in enumerate(shape)]
        out[start + dt.timedelta(days=i)] = [total * w / sum(weights) for w in weights]
    return out


def _forecast(hist, targets):
    """The forecast, or None when it refuses because the history has no ordinary day of a target's kind (three
    weeks around 中秋 and 国庆 2026 hold no ordinary weekend day: every Saturday and Sunday is a holiday or a make-up
    working day); the refusal must say so."""
    try:
        return forecast(hist, CAL, targets)
    except ValueError as exc:
        assert "the history before it has no" in str(exc)
        missing = str(exc).rsplit("has no ", 1)[1].removesuffix(" day")
        ordinary_weekends = [d for d in hist if day_type(d, CAL) is DayType.WEEKEND]
        assert missing == "workday" or (missing == "weekend" and not ordinary_weekends), str(exc)
        return None


@settings(max_examples=40, deadline=None)
@given(histories, st.integers(1, 10))
def test_the_forecast_is_never_negative(spec, ahead):
    hist = _random_history(spec)
    last = max(hist)
    result = _forecast(hist, days(last + dt.timedelta(days=1), last + dt.timedelta(days=ahead)))
    for f in (result.days if result else ()):
        assert f.volume >= 0 and all(v >= 0 for v in f.intervals)
        assert sum(f.intervals) == pytest.approx(f.volume)


@settings(max_examples=40, deadline=None)
@given(histories, st.floats(0.01, 1000))
def test_scaling_the_history_scales_the_forecast(spec, factor):
    hist = _random_history(spec)
    scaled = {d: [v * factor for v in counts] for d, counts in hist.items()}
    last = max(hist)
    targets = days(last + dt.timedelta(days=1), last + dt.timedelta(days=7))
    plain, bigger = _forecast(hist, targets), _forecast(scaled, targets)
    assert (plain is None) == (bigger is None)
    for a, b in zip(plain.days if plain else (), bigger.days if bigger else ()):
        assert b.volume == pytest.approx(a.volume * factor, rel=1e-9, abs=1e-9)
        assert b.intervals == pytest.approx([v * factor for v in a.intervals], rel=1e-9, abs=1e-9)
