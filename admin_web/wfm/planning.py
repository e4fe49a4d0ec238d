"""A day's staffing plan from the center's own history (issue 17): the calls of each 15-minute interval forecast
from the call rollups (engine.store.wfm → engine.domain.forecast), the agents each needs for the target
(engine.domain.staffing), the errors of the same forecast over the last weeks, and the chart of both.

What cannot be planned (no history, no call handled, no abandon for Erlang A, a forecast the history does not
allow) is a `NoPlan` with a sentence in the console's language, never an error page."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from admin_web.wfm.forms import DAY_TYPE_LABELS
from engine.calendar_source import build_calendar
from engine.domain.forecast import ForecastRefused, backtest, forecast
from engine.domain.staffing import (AnswerRateTarget, AverageWaitTarget, IntervalForecast, ServiceLevelTarget,
                                    Target, staff_intervals)
from engine.reports.definitions import Definitions
from engine.store import wfm
from engine.store.numbers import load_overrides

logger = logging.getLogger(__name__)

HISTORY_DAYS = 26 * 7          # the history read for a forecast: level and trend use 8 weeks, type ratios all of it
BACKTEST_DAYS = 28             # the errors of the last 4 weeks' one-day-ahead forecasts
WINDOW_DAYS = 28               # AHT per interval and the patience: measured over the last 4 weeks of the history
INTERVAL_HOURS = 0.25


class NoPlan(Exception):
    """Why no plan can be shown (a translated sentence)."""


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What the form asks: the day, the queue (None: all), the target, the model and the shrinkage (0-1)."""

    day: dt.date
    queue_code: str | None
    target_kind: str               # "service_level" | "answer_rate" | "asa"
    level: float                   # 0-1: service level or answer rate
    seconds: float                 # T of the service level, or the ASA's maximum
    model: str                     # "C" | "A"
    shrinkage: float


@dataclasses.dataclass(frozen=True)
class Row:
    start: str                     # local HH:MM
    calls: float                   # forecast
    actual: int | None             # the day's real requests, when the day is over
    aht: float
    agents: int
    scheduled: int
    service_level: float | None    # predicted, %, at the target's T (or the definitions' T)
    asa: float | None              # predicted, seconds
    answer_rate: float | None      # predicted, % (Erlang A)


@dataclasses.dataclass(frozen=True)
class Plan:
    inputs: Inputs
    rows: list[Row]                # every interval (96)
    day_type: str
    total_calls: float
    total_actual: int | None
    aht: float                     # the day's forecast-weighted AHT
    peak_agents: int
    peak_scheduled: int
    agent_hours: float             # Σ agents × ¼ h
    scheduled_hours: float
    patience: float | None
    sl_seconds: float
    history_first: dt.date
    history_last: dt.date
    history_days: int
    backtest: dict | None          # wape, interval_wape, mape, bias (0-1), days, start, end; None: not enough days
    backtest_note: str
    chart: dict


def target_of(i: Inputs, d: Definitions) -> Target:
    if i.target_kind == "service_level":
        return ServiceLevelTarget(i.level, i.seconds, d.abandons_in_service_level, d.short_abandon_s)
    if i.target_kind == "answer_rate":
        return AnswerRateTarget(i.level)
    return AverageWaitTarget(i.seconds)


def _calendar(session: Session, first: dt.date, last: dt.date):
    return build_calendar(range(first.year - 1, last.year + 1), load_overrides(session))


def refusal_words(exc: ForecastRefused) -> str:
    """Why the forecast refused the day, in the console's language."""
    if exc.code == "no_day_of_kind" and exc.kind is not None:
        return _("the history before %(day)s holds no ordinary %(kind)s to forecast it from (holidays, make-up "
                 "days and filing-period days are not ordinary); plan it once such a day is in the history",
                 day=exc.day.isoformat(), kind=DAY_TYPE_LABELS.get(exc.kind.value, exc.kind.value))
    return _("%(day)s is not after the history's first day", day=exc.day.isoformat())


def plan(session: Session, i: Inputs, today: dt.date, d: Definitions) -> Plan:
    """The plan of `i.day`, forecast from the complete days before it (and before today)."""
    last = min(i.day, today) - dt.timedelta(days=1)
    h = wfm.history(session, last - dt.timedelta(days=HISTORY_DAYS - 1), last, i.queue_code)
    if h.empty:
        raise NoPlan(_("There is no call history yet before %(day)s for this choice: the forecast needs the "
                       "requests of past days (the reports' figures). Plan again once the center has taken calls.",
                       day=i.day.isoformat()))
    # the history starts on its first day with calls (days before the first request are not observed)
    first_call = min(d_ for d_, v in h.calls.items() if sum(v))
    h = h.since(first_call)
    cal = _calendar(session, h.first, i.day)
    try:
        day = forecast(h.calls, cal, i.day).days[0]
    except ForecastRefused as exc:
        raise NoPlan(_("The forecast cannot be made from this history (%(first)s to %(last)s): %(reason)s",
                       first=h.first.isoformat(), last=h.last.isoformat(), reason=refusal_words(exc))) from exc
    except ValueError as exc:           # a history the forecast cannot read: said, and logged for the operator
        logger.warning("forecast of %s refused: %s", i.day, exc)
        raise NoPlan(_("The forecast cannot be made from this history (%(first)s to %(last)s): it is not a "
                       "history of calls per interval the forecast can read.", first=h.first.isoformat(),
                       last=h.last.isoformat())) from exc
    recent = h.since(h.last - dt.timedelta(days=WINDOW_DAYS - 1))
    ahts = wfm.interval_aht(recent)
    if ahts[0] is None:
        ahts = wfm.interval_aht(h)
    if ahts[0] is None:
        raise NoPlan(_("No call was handled in the history: the handling time (AHT) is unknown, so no staffing "
                       "can be computed."))
    patience = wfm.patience(recent) or wfm.patience(h)
    if i.model == "A" and patience is None:
        raise NoPlan(_("No caller abandoned in the history: their patience cannot be measured, so Erlang A cannot "
                       "be used. Choose Erlang C."))
    target = target_of(i, d)
    staffed = staff_intervals([IntervalForecast(v, ahts[n], n) for n, v in enumerate(day.intervals)], target,
                              i.model, patience if i.model == "A" else None, i.shrinkage)
    actual = None
    if i.day < today:
        seen = wfm.history(session, i.day, i.day, i.queue_code).calls.get(i.day)
        actual = list(seen) if seen is not None else None
    sl_t = i.seconds if i.target_kind == "service_level" else d.service_level_s
    rows = []
    for n, s in enumerate(staffed):
        m = s.staffing.metrics
        rows.append(Row(f"{n * 15 // 60:02d}:{n * 15 % 60:02d}", s.forecast.volume,
                        None if actual is None else actual[n], s.forecast.aht, s.staffing.agents, s.staffing.scheduled,
                        None if m is None else 100 * m.service_level(sl_t, d.abandons_in_service_level,
                                                                     d.short_abandon_s),
                        None if m is None else m.asa, None if m is None else 100 * m.answer_rate))
    total = sum(r.calls for r in rows)
    bt, note = _backtest(h, cal)
    return Plan(i, rows, day.day_type.value, total, None if actual is None else sum(actual),
                sum(r.calls * r.aht for r in rows) / total if total else wfm.overall_aht(h) or 0.0,
                max(r.agents for r in rows), max(r.scheduled for r in rows),
                sum(r.agents for r in rows) * INTERVAL_HOURS, sum(r.scheduled for r in rows) * INTERVAL_HOURS,
                patience, sl_t, h.first, h.last, len(h.calls), bt, note, _chart(rows, bt, i.day, total))


def _backtest(h: wfm.History, cal) -> tuple[dict | None, str]:
    start = max(h.last - dt.timedelta(days=BACKTEST_DAYS - 1), h.first + dt.timedelta(days=1))
    if start > h.last:
        return None, _("One day of history is not enough to measure the forecast's error.")
    try:
        b = backtest(h.calls, cal, start, h.last)
    except ValueError:
        return None, _("No day of the last 4 weeks could be forecast from the days before it yet (the history is "
                       "too short).")
    days = [{"date": r.date.isoformat(), "actual": r.actual, "forecast": r.forecast} for r in b.days]
    note = (_("%(n)d days could not be forecast from the days before them and are left out.", n=len(b.skipped))
            if b.skipped else "")
    return {"wape": b.wape, "interval_wape": b.interval_wape, "mape": b.mape, "bias": b.bias, "days": days,
            "start": b.days[0].date, "end": b.days[-1].date}, note


def _chart(rows: list[Row], bt: dict | None, day: dt.date, total: float) -> dict:
    """Two charts, drawn as given by static/js/wfm.js: past days' forecast against the actual requests (with the
    planned day's forecast last), and the planned day's calls and agents per interval."""
    past = bt["days"] if bt else []
    daily = {"categories": [p["date"] for p in past] + [day.isoformat()],
             "series": [{"name": _("Actual calls"), "type": "line",
                         "data": [p["actual"] for p in past] + [None]},
                        {"name": _("Forecast calls"), "type": "line",
                         "data": [round(p["forecast"], 1) for p in past] + [round(total, 1)]}]}
    shown = [r for r in rows if r.calls >= 0.05 or r.agents or (r.actual or 0)]
    series = [{"name": _("Forecast calls"), "type": "bar", "data": [round(r.calls, 1) for r in shown]},
              {"name": _("Required agents"), "type": "line", "yAxisIndex": 1, "data": [r.agents for r in shown]},
              {"name": _("Scheduled head count"), "type": "line", "yAxisIndex": 1,
               "data": [r.scheduled for r in shown]}]
    if rows and rows[0].actual is not None:
        series.insert(1, {"name": _("Actual calls"), "type": "bar", "data": [r.actual for r in shown]})
    intervals = {"categories": [r.start for r in shown], "series": series,
                 "axes": [_("Number of calls"), _("Number of agents")]}
    return {"daily": daily, "intervals": intervals}
