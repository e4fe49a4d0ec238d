"""What a twin run plays: a day's calls per 15-minute interval, their handling time, the callers' patience and the
agents on the phones per interval — from the forecast (engine.store.wfm → engine.domain.forecast, as the /wfm/
page plans a day) or from a past day's actual requests, and the staffing the plan requires (engine.domain.staffing)
or the head count given. Plus the Erlang A and C prediction for exactly that staffing, to set the twin against."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar_source import build_calendar
from engine.domain.forecast import forecast
from engine.domain.staffing import (AbandonTreatment, IntervalForecast, ServiceLevelTarget, erlang_a,
                                    erlang_a_service_level, erlang_c_metrics, service_level, staff_intervals)
from engine.reports.definitions import Definitions
from engine.reports.periods import INTERVAL_S, local_midnight
from engine.store import wfm
from engine.store.models import Queue
from engine.store.numbers import load_overrides

HISTORY_DAYS = 26 * 7           # as the /wfm/ plan (admin_web/wfm/planning.py)
WINDOW_DAYS = 28
INTERVALS = wfm.INTERVALS


class NoTwinPlan(ValueError):
    """The day cannot be planned from the database (no history, no AHT, no patience…): the reason."""


@dataclasses.dataclass(frozen=True)
class TwinInterval:
    """One 15-minute interval: calls offered (expected, or the day's actual count), AHT, agents on the phones."""

    index: int                  # 0..95: local start = index × 15 min
    calls: float
    aht: float                  # talk + wrap-up, seconds
    agents: int

    @property
    def label(self) -> str:
        return f"{self.index * 15 // 60:02d}:{self.index * 15 % 60:02d}"


@dataclasses.dataclass(frozen=True)
class TwinPlan:
    """A day (or a stretch of it) to run through the twin."""

    day: dt.date
    queue_code: str | None      # None: all queues as one
    intervals: tuple[TwinInterval, ...]     # consecutive
    patience: float | None      # callers' mean patience, seconds (None: nobody hangs up, Erlang C)
    wrap_up_s: float            # the queue's wrap-up: the part of the AHT the engine times itself
    sl_seconds: float = 15.0
    abandons: AbandonTreatment = "exclude_short"
    short_abandon_s: float = 5.0
    source: str = "forecast"    # the calls: "forecast" | "actual" (the day's requests) | "given"
    staffing: str = "required"  # the agents: "required" (Erlang A for the target) | "schedule" (published) | "given"
    exact_counts: bool = False  # actual: the interval's calls are placed exactly (times uniform), else Poisson

    @property
    def start(self) -> float:
        """Epoch of the first interval's start (local time of the center, engine.reports.periods)."""
        return local_midnight(self.day) + self.intervals[0].index * INTERVAL_S

    @property
    def end(self) -> float:
        return local_midnight(self.day) + (self.intervals[-1].index + 1) * INTERVAL_S

    def interval_start(self, iv: TwinInterval) -> float:
        return local_midnight(self.day) + iv.index * INTERVAL_S

    def as_dict(self) -> dict:
        """JSON-ready (what `--plan FILE` reads: the console hands its plan to the twin this way)."""
        return {**{f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "intervals"},
                "day": self.day.isoformat(),
                "intervals": [dataclasses.asdict(iv) for iv in self.intervals]}

    @classmethod
    def from_dict(cls, d: dict) -> "TwinPlan":
        """The plan as_dict() wrote; checked: consecutive intervals of one day, sensible figures."""
        ivs = tuple(TwinInterval(int(iv["index"]), float(iv["calls"]), float(iv["aht"]), int(iv["agents"]))
                    for iv in d["intervals"])
        if not ivs or any(b.index != a.index + 1 for a, b in zip(ivs, ivs[1:])) or ivs[0].index < 0 \
                or ivs[-1].index >= INTERVALS:
            raise NoTwinPlan("the plan's intervals must be consecutive quarter hours of one day")
        if any(iv.calls < 0 or iv.aht <= 0 or iv.agents < 0 for iv in ivs):
            raise NoTwinPlan("calls and agents must not be negative, the AHT must be positive")
        patience = d.get("patience")
        return cls(dt.date.fromisoformat(d["day"]), d.get("queue_code"), ivs,
                   None if patience is None else float(patience), float(d.get("wrap_up_s", 0.0)),
                   float(d.get("sl_seconds", 15.0)), d.get("abandons", "exclude_short"),
                   float(d.get("short_abandon_s", 5.0)), d.get("source", "given"), d.get("staffing", "given"),
                   bool(d.get("exact_counts", False)))


@dataclasses.dataclass(frozen=True)
class Prediction:
    """Erlang A and C for one interval's staffing (None where the model has no answer, e.g. C with N <= A)."""

    sl_a: float | None
    sl_c: float | None
    asa_a: float | None
    asa_c: float | None
    abandon_a: float | None
    wait_a: float | None        # mean wait of all offered calls (Erlang A)


def predict(plan: TwinPlan, iv: TwinInterval) -> Prediction:
    """The staffing's Erlang figures at the plan's service-level definition (shares 0-1, times seconds)."""
    if iv.calls <= 0 or iv.agents <= 0:
        return Prediction(None, None, None, None, None, None)
    rate = iv.calls / INTERVAL_S
    sl_a = asa_a = ab_a = w_a = None
    if plan.patience:
        m = erlang_a(rate, iv.aht, plan.patience, iv.agents)
        sl_a = erlang_a_service_level(rate, iv.aht, plan.patience, iv.agents, plan.sl_seconds, plan.abandons,
                                      plan.short_abandon_s)
        asa_a, ab_a, w_a = m.asa, m.p_abandon, m.mean_wait
    sl_c = asa_c = None
    if iv.agents > rate * iv.aht:
        sl_c = service_level(rate * iv.aht, iv.agents, iv.aht, plan.sl_seconds)
        asa_c = erlang_c_metrics(rate, iv.aht, iv.agents).asa
    return Prediction(sl_a, sl_c, asa_a, asa_c, ab_a, w_a)


def _history(session: Session, day: dt.date, queue_code: str | None, today: dt.date) -> wfm.History:
    last = min(day, today) - dt.timedelta(days=1)
    h = wfm.history(session, last - dt.timedelta(days=HISTORY_DAYS - 1), last, queue_code)
    if h.empty:
        raise NoTwinPlan(f"no call history before {day.isoformat()} for this choice: nothing to forecast from")
    first_call = min(d for d, v in h.calls.items() if sum(v))
    return h.since(first_call)


def wrap_up_of(session: Session, queue_code: str | None) -> float:
    """The queue's configured wrap-up (all queues: their mean), seconds."""
    rows = session.scalars(select(Queue.wrap_up_s) if queue_code is None
                           else select(Queue.wrap_up_s).where(Queue.code == queue_code)).all()
    return float(sum(rows) / len(rows)) if rows else 0.0


def scheduled_heads(session: Session, day: dt.date, queue_code: str | None) -> list[int]:
    """Agents at work per interval of `day` by the published schedules (engine.store.schedules): a shift's agent
    counts in every quarter hour whose middle falls in its working time (its unpaid break left out); with a queue,
    only agents able to take it."""
    from engine.store import schedules            # the schedules' store (issue 17): read only here
    midnight = local_midnight(day)
    start = dt.datetime.fromtimestamp(midnight - 86400, dt.timezone.utc)      # a night shift of the day before
    end = dt.datetime.fromtimestamp(midnight + 86400, dt.timezone.utc)
    able = None if queue_code is None else {a.id for a in schedules.pool_agents(session, "queue",
                                                                                 queue_code=queue_code)}
    heads = [0] * INTERVALS
    for row in schedules.published_shifts(session, start, end):
        if able is not None and row.agent_id not in able:
            continue
        for a, b in schedules.shift_times(row).working():
            for n in range(INTERVALS):
                middle = midnight + n * INTERVAL_S + INTERVAL_S / 2
                heads[n] += a.timestamp() <= middle < b.timestamp()
    return heads


def from_database(session: Session, day: dt.date, queue_code: str | None, today: dt.date, *,
                  source: str = "forecast", agents: Sequence[int] | int | str | None = None, level: float = 0.8,
                  definitions: Definitions | None = None, shrinkage: float = 0.0,
                  first: int | None = None, last: int | None = None) -> TwinPlan:
    """The day's plan: calls per interval from the forecast (or, source="actual", the requests the day really had),
    AHT per interval and the patience measured over the last 4 weeks (as the /wfm/ plan), and per interval the
    agents given (one number for every interval, one per interval of the day, or "schedule": the published
    schedules' head count, scheduled_heads) or else the Erlang A staffing for `level` of the calls answered within
    the definitions' T. Intervals first..last (indexes; default: from
    the first to the last interval with calls)."""
    d = definitions or Definitions()
    h = _history(session, day, queue_code, today)
    recent = h.since(h.last - dt.timedelta(days=WINDOW_DAYS - 1))
    ahts = wfm.interval_aht(recent)
    if ahts[0] is None:
        ahts = wfm.interval_aht(h)
    if ahts[0] is None:
        raise NoTwinPlan("no call was handled in the history: the handling time is unknown")
    patience = wfm.patience(recent) or wfm.patience(h)
    if source == "actual":
        seen = wfm.history(session, day, day, queue_code).calls.get(day)
        if day >= today or seen is None:
            raise NoTwinPlan(f"{day.isoformat()} is not a past day with calls: no actual arrivals to replay")
        volumes = [float(v) for v in seen]
    else:
        cal = build_calendar(range(h.first.year - 1, day.year + 1), load_overrides(session))
        try:
            volumes = list(forecast(h.calls, cal, day).days[0].intervals)
        except ValueError as exc:
            raise NoTwinPlan(f"the forecast cannot be made from this history: {exc}") from exc
    if agents is None:
        if patience is None:
            raise NoTwinPlan("no caller abandoned in the history: the patience is unknown; give the agents")
        target = ServiceLevelTarget(level, d.service_level_s, d.abandons_in_service_level, d.short_abandon_s)
        staffed = staff_intervals([IntervalForecast(v, ahts[n], n) for n, v in enumerate(volumes)], target, "A",
                                  patience, shrinkage)
        heads = [s.staffing.agents for s in staffed]
    elif agents == "schedule":
        heads = scheduled_heads(session, day, queue_code)
        if not any(heads):
            raise NoTwinPlan(f"no published schedule has anyone at work on {day.isoformat()} for this choice")
    elif isinstance(agents, int):
        heads = [agents] * INTERVALS
    else:
        heads = list(agents)
        if len(heads) != INTERVALS:
            raise NoTwinPlan(f"agents per interval: {INTERVALS} numbers expected, {len(heads)} given")
    busy = [n for n, v in enumerate(volumes) if v >= 0.05]
    if not busy and (first is None or last is None):
        raise NoTwinPlan(f"no call expected on {day.isoformat()}")
    lo = busy[0] if first is None else first
    hi = busy[-1] if last is None else last
    ivs = tuple(TwinInterval(n, volumes[n], float(ahts[n]), max(0, int(heads[n]))) for n in range(lo, hi + 1))
    return TwinPlan(day, queue_code, ivs, patience, wrap_up_of(session, queue_code), float(d.service_level_s),
                    d.abandons_in_service_level, float(d.short_abandon_s), source,
                    "required" if agents is None else "schedule" if agents == "schedule" else "given",
                    exact_counts=source == "actual")
