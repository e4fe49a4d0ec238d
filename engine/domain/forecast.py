"""Call forecast per interval (15 minutes by default) from the product's own history. Pure: stdlib only, no I/O.

Input: arrivals per local interval, either {date: [96 counts]} or {(date, interval index): count}; a WorkCalendar
(statutory holidays and make-up working days, engine/domain/calendar.py); optionally the tax filing deadlines
(征期) per month when the published ones differ from the rule below. A date missing from the history is taken as
not observed (skipped), not as a day without calls; a day given in the history has 0 in its missing intervals.

Day types (day_type): an ordinary working day (Mon–Fri), a make-up working day (调休上班, a weekend worked), the
first working day after a long break (>= 3 consecutive days off including a holiday: callers come back), an
ordinary weekend day, a statutory holiday. The rarer types fall back to a common one while the history has no day
of their kind (make-up and first-after-holiday to the working day, holiday to the weekend).

Filing deadline (filing_deadline). Taxes declared monthly are due within 15 days after the month
(《税收征收管理法实施细则》第一百零九条): when the last day is a holiday the deadline is the day after the holiday, and
when the period holds >= 3 consecutive statutory holiday days it is extended by that many days. The rule used here
reproduces every month of the published calendars for 2025 (广东省税务局征期日历 after 税总办征科函〔2024〕71号)
and 2026 (税总办征科函〔2025〕64号): n = the number of days 1..15 of the month that are holidays in a run of >= 3
consecutive holidays inside those days (a festival begun the month before counts from the 1st); the deadline is
the n-th working day after the 15th, or (n = 0) the first working day on or after the 15th. Callers pass the
STA's published dates to override it per month.
A working day is "k working days before the deadline" (k = 0 on the deadline day itself) for k < filing_days.

Method (a multiplicative decomposition, each factor estimated only from the days before the forecast date):
  daily volume = level × trend × type ratio × filing factor
  * level: for an ordinary working day or weekend day, the exponentially weighted mean (weight decay^age in
    weeks) of the same weekday's ordinary days (same type, outside the filing window) in the last level_weeks
    weeks (older ones when there are none, then any weekday of the type). For the other types the level is the
    average over Monday..Friday of the ordinary working-day levels, and the type ratio is the weighted mean, over
    the past days of that type, of volume / (the working-day baseline of the +-14 days around it × its filing
    factor); the baseline is the mean of the weekday means of ordinary working days.
  * trend: a least-squares line through the logarithms of the last trend_weeks weeks of ordinary days, each
    divided by the mean of its weekday and type (so the weekly pattern does not look like a trend); its slope g
    (growth per day) moves the level from the date it stands for (its weights' mean date) to the forecast date:
    exp(g × days), the days after the history's end damped (Gardner's damped trend: day i after the end counts
    damping^(i/7)).
  * filing factor f_k for a working day k working days before its month's deadline: the mean over past such
    ordinary working days of volume / (mean of the same weekday's ordinary days within +-28 days); 1 when the
    history has none.
  interval forecast = daily volume × shape; the shape is the weighted mean of the past days' shares per interval,
    days of the same type (recent level_weeks weeks first), normalised to sum 1.
backtest() forecasts each past day from the history before it and reports WAPE, MAPE and bias.
The method and its sources are in docs/forecast.md.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Iterable, Mapping

from engine.domain.calendar import WorkCalendar
from engine.domain.staffing import IntervalForecast

__all__ = ["DayType", "ForecastSettings", "DayForecast", "Forecast", "BacktestDay", "Backtest", "day_type",
           "filing_deadline", "days_to_deadline", "forecast", "backtest", "normalise_history"]

_DAY = dt.timedelta(days=1)
_BASELINE_DAYS = 14          # +- days around a rare day for its working-day baseline
_FILING_WINDOW_DAYS = 28     # +- days around a filing day for its same-weekday ordinary mean


class DayType(str, enum.Enum):
    WORKDAY = "workday"                 # ordinary Monday–Friday working day
    MAKEUP = "makeup"                   # weekend day worked in exchange for a holiday (调休上班)
    AFTER_HOLIDAY = "after_holiday"     # first working day after >= 3 days off including a holiday
    WEEKEND = "weekend"                 # ordinary Saturday / Sunday
    HOLIDAY = "holiday"                 # statutory (or locally declared) holiday


_FALLBACK = {DayType.MAKEUP: DayType.WORKDAY, DayType.AFTER_HOLIDAY: DayType.WORKDAY,
             DayType.HOLIDAY: DayType.WEEKEND}
_WORKING = (DayType.WORKDAY, DayType.MAKEUP, DayType.AFTER_HOLIDAY)


@dataclasses.dataclass(frozen=True)
class ForecastSettings:
    level_weeks: int = 8            # weeks of same-weekday days in the level and the shape
    decay: float = 0.8              # weight per week of age (1 = plain mean)
    trend_weeks: int = 8            # weeks in the trend line (0 or 1 = no trend)
    damping: float = 0.9            # per week beyond the history (1 = straight line, 0 = no extrapolation)
    filing_days: int = 5            # k = 0..filing_days-1 working days before the deadline get a factor

    def __post_init__(self) -> None:
        if self.level_weeks < 1:
            raise ValueError(f"level_weeks must be at least 1, not {self.level_weeks}")
        if not 0 < self.decay <= 1:
            raise ValueError(f"decay must be in (0, 1], not {self.decay}")
        if self.trend_weeks < 0:
            raise ValueError(f"trend_weeks must not be negative, not {self.trend_weeks}")
        if not 0 <= self.damping <= 1:
            raise ValueError(f"damping must be in [0, 1], not {self.damping}")
        if self.filing_days < 0:
            raise ValueError(f"filing_days must not be negative, not {self.filing_days}")


@dataclasses.dataclass(frozen=True)
class DayForecast:
    """One day's forecast and the factors it is the product of (volume = level × trend × ratio × filing)."""

    date: dt.date
    day_type: DayType
    volume: float
    intervals: tuple[float, ...]      # calls per interval, sums to volume
    level: float
    trend: float
    type_ratio: float                 # 1 for ordinary working and weekend days
    filing_factor: float
    filing_k: int | None              # working days before the month's deadline, None outside the window
    deadline: dt.date                 # this month's filing deadline

    def interval_forecasts(self, aht: float, patience_mean: float | None = None) -> list[IntervalForecast]:
        """The staffing input (engine.domain.staffing) for this day, each labelled with its local start time."""
        minutes = 1440 // len(self.intervals)
        start = dt.datetime.combine(self.date, dt.time(0))
        return [IntervalForecast(v, aht, start + dt.timedelta(minutes=i * minutes), patience_mean)
                for i, v in enumerate(self.intervals)]


@dataclasses.dataclass(frozen=True)
class Forecast:
    days: tuple[DayForecast, ...]
    interval_minutes: int

    @property
    def total(self) -> float:
        return sum(d.volume for d in self.days)


@dataclasses.dataclass(frozen=True)
class BacktestDay:
    date: dt.date
    day_type: DayType
    actual: float
    forecast: float
    error: float                       # forecast - actual
    ape: float | None                  # |error| / actual; None when actual is 0
    interval_abs_error: float          # sum over intervals of |forecast - actual|


@dataclasses.dataclass(frozen=True)
class Backtest:
    """Errors of past forecasts. wape = Σ|F-A| / ΣA (days), interval_wape the same per interval, mape the mean of
    |F-A|/A over days with calls, bias = Σ(F-A) / ΣA (> 0: the forecast was too high)."""

    days: tuple[BacktestDay, ...]
    skipped: tuple[tuple[dt.date, str], ...]     # days that could not be forecast, with the reason
    wape: float
    interval_wape: float
    mape: float | None
    bias: float


# --- calendar: day types and filing deadlines -------------------------------------------------------------------

def day_type(day: dt.date, calendar: WorkCalendar) -> DayType:
    """The forecast's day type of a date (see the module docstring)."""
    info = calendar.info(day)
    if info.holiday:
        return DayType.HOLIDAY
    if not info.workday:
        return DayType.WEEKEND
    off, holiday, d = 0, False, day - _DAY
    while off < 60 and not calendar.is_workday(d):
        off, holiday, d = off + 1, holiday or calendar.is_holiday(d), d - _DAY
    if off >= 3 and holiday:
        return DayType.AFTER_HOLIDAY
    return DayType.MAKEUP if info.makeup else DayType.WORKDAY


def filing_deadline(year: int, month: int, calendar: WorkCalendar,
                    overrides: Mapping[tuple[int, int], dt.date] | None = None) -> dt.date:
    """The month's tax filing deadline (征期截止日): the published date from `overrides` {(year, month): date} if
    given, else the rule of the module docstring (the 15th extended past holidays, 实施细则第一百零九条)."""
    if overrides and (year, month) in overrides:
        return overrides[(year, month)]
    fifteenth = dt.date(year, month, 15)
    extension, run = 0, 0
    for d in range(1, 17):                  # runs of holidays inside days 1..15 (day 16 closes the last one)
        if d <= 15 and calendar.is_holiday(dt.date(year, month, d)):
            run += 1
            continue
        extension, run = extension + (run if run >= 3 else 0), 0
    day = fifteenth
    if extension == 0:
        while not calendar.is_workday(day):
            day += _DAY
        return day
    while extension:
        day += _DAY
        if calendar.is_workday(day):
            extension -= 1
    return day


def days_to_deadline(day: dt.date, calendar: WorkCalendar,
                     overrides: Mapping[tuple[int, int], dt.date] | None = None) -> int | None:
    """Working days from `day` to its month's deadline (0 on the deadline); None on a day off or after it."""
    if not calendar.is_workday(day):
        return None
    deadline = filing_deadline(day.year, day.month, calendar, overrides)
    if day > deadline:
        return None
    k, d = 0, day + _DAY
    while d <= deadline:
        k += calendar.is_workday(d)
        d += _DAY
    return k


# --- history ------------------------------------------------------------------------------------------------------

def normalise_history(history: Mapping, intervals: int = 96) -> dict[dt.date, tuple[float, ...]]:
    """{date: counts per interval} from either accepted form, checked (same length, finite, not negative)."""
    if not history:
        raise ValueError("no history: the forecast needs at least one day of arrivals")
    days: dict[dt.date, list[float]] = {}
    first = next(iter(history))
    if isinstance(first, tuple):
        for key, count in history.items():
            try:
                day, index = key
            except (TypeError, ValueError):
                raise ValueError(f"history key {key!r} is not (date, interval)") from None
            if not isinstance(index, int) or not 0 <= index < intervals:
                raise ValueError(f"interval {index!r} of {day} is outside 0..{intervals - 1}")
            days.setdefault(_date(day), [0.0] * intervals)[index] += _count(count, day)
    else:
        length = None
        for day, counts in history.items():
            values = [_count(c, day) for c in counts]
            if length is None:
                length = len(values)
                if length < 1 or 1440 % length:
                    raise ValueError(f"{day} has {length} intervals; a day must divide into equal intervals "
                                     f"(96 of 15 minutes)")
            elif len(values) != length:
                raise ValueError(f"{day} has {len(values)} intervals, the other days {length}")
            days[_date(day)] = values
    return {d: tuple(days[d]) for d in sorted(days)}


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"history key {value!r} is not a date")


def _count(value, day) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"count {value!r} on {day} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"count {value!r} on {day} must be a finite number >= 0")
    return v


class _Context:
    """The history and its calendar facts, computed once per forecast or backtest."""

    def __init__(self, days: dict[dt.date, tuple[float, ...]], calendar: WorkCalendar,
                 deadlines: Mapping[tuple[int, int], dt.date] | None, settings: ForecastSettings) -> None:
        self.days = days
        self.dates = list(days)
        self.totals = {d: sum(v) for d, v in days.items()}
        self.calendar, self.deadlines, self.settings = calendar, deadlines, settings
        self._types: dict[dt.date, DayType] = {}
        self._k: dict[dt.date, int | None] = {}
        self._deadline: dict[tuple[int, int], dt.date] = {}

    def type(self, d: dt.date) -> DayType:
        if d not in self._types:
            self._types[d] = day_type(d, self.calendar)
        return self._types[d]

    def deadline(self, d: dt.date) -> dt.date:
        key = (d.year, d.month)
        if key not in self._deadline:
            self._deadline[key] = filing_deadline(d.year, d.month, self.calendar, self.deadlines)
        return self._deadline[key]

    def k(self, d: dt.date) -> int | None:
        if d not in self._k:
            k = days_to_deadline(d, self.calendar, {(d.year, d.month): self.deadline(d)})
            self._k[d] = k if k is not None and k < self.settings.filing_days else None
        return self._k[d]

    def ordinary(self, d: dt.date) -> bool:
        t = self.type(d)
        return t is DayType.WEEKEND or (t is DayType.WORKDAY and self.k(d) is None)

    def weight(self, d: dt.date, cutoff: dt.date) -> float:
        return self.settings.decay ** ((cutoff - d).days / 7)


# --- estimation ---------------------------------------------------------------------------------------------------

def _weighted(pairs: Iterable[tuple[float, float]]) -> float | None:
    pairs = list(pairs)
    total = sum(w for w, _ in pairs)
    return None if total <= 0 else sum(w * v for w, v in pairs) / total


def _level(ctx: _Context, kind: DayType, weekday: int, cutoff: dt.date) -> tuple[float, float] | None:
    """(level, the ordinal date it stands for) of ordinary days of `kind` and `weekday` before cutoff."""
    past = [d for d in ctx.dates if d < cutoff and ctx.type(d) is kind and ctx.ordinary(d)]
    recent = [d for d in past if (cutoff - d).days <= 7 * ctx.settings.level_weeks]
    for pool in ([d for d in recent if d.isoweekday() == weekday], [d for d in past if d.isoweekday() == weekday],
                 recent, past):
        if pool:
            weights = [ctx.weight(d, cutoff) for d in pool]
            total = sum(weights)
            if total <= 0:                  # every weight underflowed (a tiny decay, old days): equal weights
                weights, total = [1.0] * len(pool), float(len(pool))
            level = sum(w * ctx.totals[d] for w, d in zip(weights, pool)) / total
            when = sum(w * d.toordinal() for w, d in zip(weights, pool)) / total
            return level, when
    return None


def _trend_line(ctx: _Context, cutoff: dt.date) -> float:
    """Growth rate per day (of the logarithm) of the ordinary days of the last trend_weeks weeks, each divided by
    the mean of its weekday and type; 0 without enough data."""
    weeks = ctx.settings.trend_weeks
    if weeks < 2:
        return 0.0
    window = [d for d in ctx.dates if cutoff - dt.timedelta(days=7 * weeks) <= d < cutoff and ctx.ordinary(d)]
    groups: dict[tuple[DayType, int], list[dt.date]] = {}
    for d in window:
        groups.setdefault((ctx.type(d), d.isoweekday()), []).append(d)
    points = []
    for members in groups.values():
        mean = sum(ctx.totals[d] for d in members) / len(members)
        if mean > 0 and len(members) >= 2:
            points.extend((d.toordinal(), math.log(ctx.totals[d] / mean)) for d in members if ctx.totals[d] > 0)
    if len(points) < 3:
        return 0.0
    t_mean = sum(t for t, _ in points) / len(points)
    y_mean = sum(y for _, y in points) / len(points)
    sxx = sum((t - t_mean) ** 2 for t, _ in points)
    return 0.0 if sxx <= 0 else sum((t - t_mean) * (y - y_mean) for t, y in points) / sxx


def _trend_factor(ctx: _Context, slope: float, since: float, day: dt.date, last: dt.date) -> float:
    """Growth from the ordinal date `since` (the level's date) to `day`: at the fitted rate up to `last` (the
    history's end), damped after it."""
    end = last.toordinal()
    beyond = max(0, day.toordinal() - end)
    phi = ctx.settings.damping ** (1 / 7)
    damped = beyond if phi == 1 else (phi * (1 - phi ** beyond) / (1 - phi) if phi > 0 else 0.0)
    return math.exp(min(700.0, slope * (min(day.toordinal(), end) + damped - since)))


def _weekday_means(ctx: _Context, days: Iterable[dt.date]) -> float | None:
    by_weekday: dict[int, list[float]] = {}
    for d in days:
        by_weekday.setdefault(d.isoweekday(), []).append(ctx.totals[d])
    if not by_weekday:
        return None
    return sum(sum(v) / len(v) for v in by_weekday.values()) / len(by_weekday)


def _filing_factors(ctx: _Context, cutoff: dt.date) -> dict[int, float]:
    ratios: dict[int, list[tuple[float, float]]] = {}
    for d in ctx.dates:
        if d >= cutoff or ctx.type(d) is not DayType.WORKDAY or ctx.k(d) is None:
            continue
        near = [e for e in ctx.dates if e < cutoff and abs((e - d).days) <= _FILING_WINDOW_DAYS
                and e.isoweekday() == d.isoweekday() and ctx.type(e) is DayType.WORKDAY and ctx.ordinary(e)]
        if near:
            mean = sum(ctx.totals[e] for e in near) / len(near)
            if mean > 0:
                ratios.setdefault(ctx.k(d), []).append((ctx.weight(d, cutoff), ctx.totals[d] / mean))
    factors = {k: _weighted(v) for k, v in ratios.items()}
    return {k: f for k, f in factors.items() if f is not None}


def _type_ratio(ctx: _Context, kind: DayType, cutoff: dt.date, filing: Mapping[int, float]) -> float | None:
    pairs = []
    for d in ctx.dates:
        if d >= cutoff or ctx.type(d) is not kind:
            continue
        base = _weekday_means(ctx, (e for e in ctx.dates if e < cutoff and abs((e - d).days) <= _BASELINE_DAYS
                                    and ctx.type(e) is DayType.WORKDAY and ctx.ordinary(e)))
        if base:
            f = filing.get(ctx.k(d), 1.0) if ctx.k(d) is not None else 1.0
            if f > 0:
                pairs.append((ctx.weight(d, cutoff), ctx.totals[d] / (base * f)))
    return _weighted(pairs)


def _shape(ctx: _Context, kind: DayType, cutoff: dt.date, width: int) -> tuple[float, ...] | None:
    past = [d for d in ctx.dates if d < cutoff and ctx.type(d) is kind and ctx.totals[d] > 0]
    recent = [d for d in past if (cutoff - d).days <= 7 * ctx.settings.level_weeks]
    pool = recent or past
    if not pool:
        return None
    acc = [0.0] * width
    for d in pool:
        w = ctx.weight(d, cutoff)
        for i, v in enumerate(ctx.days[d]):
            acc[i] += w * v / ctx.totals[d]
    s = sum(acc)
    if s <= 0:                              # every weight underflowed: equal weights
        acc = [sum(ctx.days[d][i] / ctx.totals[d] for d in pool) for i in range(width)]
        s = sum(acc)
    return tuple(a / s for a in acc)


class ForecastRefused(ValueError):
    """A day the history cannot forecast, with a code the console words: "no_day_of_kind" (the history before the
    day has no ordinary day of `kind`), "not_after_history" (the day is not after the history's first day)."""

    def __init__(self, code: str, message: str, day: dt.date, kind: DayType | None = None) -> None:
        super().__init__(message)
        self.code, self.day, self.kind = code, day, kind


def _trended_level(ctx: _Context, kind: DayType, day: dt.date, cutoff: dt.date, slope: float,
                   last: dt.date) -> tuple[float, float]:
    found = _level(ctx, kind, day.isoweekday(), cutoff)
    if found is None:
        raise ForecastRefused("no_day_of_kind", f"cannot forecast {day} ({ctx.type(day).value}): the history "
                              f"before it has no {kind.value} day", day, kind)
    level, when = found
    return level, _trend_factor(ctx, slope, when, day, last)


def _forecast_day(ctx: _Context, day: dt.date) -> DayForecast:
    if ctx.dates[0] >= day:
        raise ForecastRefused("not_after_history", f"{day} is not after the history (which starts {ctx.dates[0]}): "
                              "nothing to forecast from", day)
    last = max(d for d in ctx.dates if d < day)
    cutoff = last + _DAY                # the forecast's origin: ages and windows count back from here
    kind = ctx.type(day)
    slope = _trend_line(ctx, cutoff)
    filing = _filing_factors(ctx, cutoff)
    k = ctx.k(day)
    filing_factor = filing.get(k, 1.0) if k is not None else 1.0
    ratio = 1.0
    if kind in (DayType.WORKDAY, DayType.WEEKEND):
        level, trend = _trended_level(ctx, kind, day, cutoff, slope, last)
    else:
        r = _type_ratio(ctx, kind, cutoff, filing)
        if r is None and _FALLBACK[kind] is DayType.WORKDAY:
            r = 1.0                                 # no past day of this type: an ordinary working day
        if r is None:                               # a holiday, and no past holiday: a weekend day
            level, trend = _trended_level(ctx, DayType.WEEKEND, day, cutoff, slope, last)
        else:
            levels = [lv for lv in (_level(ctx, DayType.WORKDAY, w, cutoff) for w in range(1, 6)) if lv]
            if not levels:
                raise ForecastRefused("no_day_of_kind", f"cannot forecast {day} ({kind.value}): the history "
                                      "before it has no ordinary working day", day, DayType.WORKDAY)
            level = sum(lv for lv, _ in levels) / len(levels)
            trended = sum(lv * _trend_factor(ctx, slope, when, day, last) for lv, when in levels) / len(levels)
            trend = trended / level if level > 0 else 1.0
            ratio = r
    width = len(ctx.days[ctx.dates[0]])
    shape = None
    for shape_kind in (kind, _FALLBACK.get(kind), DayType.WORKDAY, DayType.WEEKEND, DayType.HOLIDAY,
                       DayType.MAKEUP, DayType.AFTER_HOLIDAY):
        if shape_kind is not None:
            shape = _shape(ctx, shape_kind, cutoff, width)
            if shape is not None:
                break
    volume = max(0.0, level * trend * ratio * filing_factor)
    intervals = tuple(volume * s for s in shape) if shape else tuple(volume / width for _ in range(width))
    return DayForecast(day, kind, volume, intervals, level, trend, ratio, filing_factor, k, ctx.deadline(day))


# --- public -------------------------------------------------------------------------------------------------------

def forecast(history: Mapping, calendar: WorkCalendar, days: Iterable[dt.date] | dt.date,
             deadlines: Mapping[tuple[int, int], dt.date] | None = None,
             settings: ForecastSettings | None = None, intervals: int = 96) -> Forecast:
    """Forecast the given dates (or one date), each from the history strictly before it (for a date after the
    history: all of it, with ages counted back from its last day).

    deadlines: {(year, month): date} published filing deadlines overriding the rule. intervals: the number of
    intervals per day when the history is given as {(date, interval): count}.
    """
    norm = normalise_history(history, intervals)
    ctx = _Context(norm, calendar, deadlines, settings or ForecastSettings())
    targets = [days] if isinstance(days, dt.date) else list(days)
    if not targets:
        raise ValueError("no dates to forecast")
    result = tuple(_forecast_day(ctx, _date(d)) for d in targets)
    return Forecast(result, 1440 // len(norm[ctx.dates[0]]))


def backtest(history: Mapping, calendar: WorkCalendar, start: dt.date, end: dt.date,
             deadlines: Mapping[tuple[int, int], dt.date] | None = None,
             settings: ForecastSettings | None = None, intervals: int = 96) -> Backtest:
    """Forecast every day of the history from start to end (inclusive) from the days before it; the errors."""
    norm = normalise_history(history, intervals)
    if end < start:
        raise ValueError(f"the backtest ends ({end}) before it starts ({start})")
    first = next(iter(norm))
    if start <= first:
        raise ValueError(f"the backtest must start after the history's first day {first}, not on {start}")
    ctx = _Context(norm, calendar, deadlines, settings or ForecastSettings())
    rows: list[BacktestDay] = []
    skipped: list[tuple[dt.date, str]] = []
    for d in ctx.dates:
        if not start <= d <= end:
            continue
        try:
            f = _forecast_day(ctx, d)
        except ValueError as exc:
            skipped.append((d, str(exc)))
            continue
        actual = ctx.totals[d]
        err = f.volume - actual
        rows.append(BacktestDay(d, f.day_type, actual, f.volume, err, abs(err) / actual if actual > 0 else None,
                                sum(abs(a - b) for a, b in zip(f.intervals, ctx.days[d]))))
    if not rows:
        raise ValueError(f"no day between {start} and {end} could be backtested"
                         + (f": {skipped[0][1]}" if skipped else " (the history has none)"))
    total = sum(r.actual for r in rows)
    apes = [r.ape for r in rows if r.ape is not None]

    def share(x: float) -> float:
        return x / total if total > 0 else (0.0 if x == 0 else math.inf)
    return Backtest(tuple(rows), tuple(skipped), share(sum(abs(r.error) for r in rows)),
                    share(sum(r.interval_abs_error for r in rows)), sum(apes) / len(apes) if apes else None,
                    share(sum(r.error for r in rows)))
