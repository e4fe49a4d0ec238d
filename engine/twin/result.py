"""A twin run's figures, read back from the call records the engine wrote (one per call), per interval and for the
run, next to the Erlang A and C figures for the same staffing (engine.twin.plan.predict).

Definitions are the reports' (docs/reports.md): a call counts in the interval in which it entered the queue; its
wait runs from entering the queue to the agent's answer (answered) or to the hang-up (abandoned); the service
level is the calls answered within T over the calls offered, abandons counted as the definitions say (all, none,
or all but the short ones)."""
from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict

from sqlalchemy import func, select

from engine.domain.states import CallOutcome
from engine.reports.periods import INTERVAL_S, local_midnight
from engine.store.models import CallRecord
from engine.store.repos import to_epoch
from engine.store.session import make_engine, make_session_factory, transaction

from . import ideal
from .plan import Prediction, TwinPlan, predict
from .run import TwinRun


@dataclasses.dataclass
class Figures:
    """What happened to the calls of one interval (or of the run)."""

    offered: int = 0            # entered the queue
    answered: int = 0
    abandoned: int = 0
    other: int = 0              # released, failed…
    within_t: int = 0           # answered within T
    short_abandons: int = 0     # abandoned within S
    waits: list = dataclasses.field(default_factory=list)            # every offered call
    answered_waits: list = dataclasses.field(default_factory=list)

    def service_level(self, abandons: str) -> float | None:
        base = {"include": self.offered, "exclude": self.answered,
                "exclude_short": self.offered - self.short_abandons}[abandons]
        return self.within_t / base if base else None

    @property
    def asa(self) -> float | None:
        return statistics.fmean(self.answered_waits) if self.answered_waits else None

    @property
    def mean_wait(self) -> float | None:
        return statistics.fmean(self.waits) if self.waits else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None


@dataclasses.dataclass(frozen=True)
class Row:
    """One interval: plan, twin, Erlang."""

    index: int
    label: str
    agents: int
    expected: float             # calls the plan expects
    twin: Figures
    ideal: Figures              # the ideal queue on the same callers (engine.twin.ideal)
    erlang: Prediction


@dataclasses.dataclass(frozen=True)
class TwinResult:
    plan: TwinPlan
    rows: list[Row]
    total: Figures
    ideal_total: Figures
    erlang_day: Prediction      # interval figures weighted by the expected calls
    placed: int
    records: int                # call records of placed calls
    missing: int                # placed calls without a record
    stray: int                  # records of calls never placed
    speed: float
    wall_s: float
    cpu_s: float
    lateness_p99: float         # virtual seconds calls were placed after their due time
    lag_p99: float              # event-loop lateness, virtual seconds
    checks_ok: bool

    def as_dict(self) -> dict:
        """JSON-ready (the /wfm/ page and `--json`)."""
        p = self.plan
        return {
            "day": p.day.isoformat(), "queue": p.queue_code, "source": p.source, "staffing": p.staffing,
            "sl_seconds": p.sl_seconds, "abandons": p.abandons, "short_abandon_s": p.short_abandon_s,
            "patience": p.patience, "wrap_up_s": p.wrap_up_s, "speed": self.speed, "wall_s": round(self.wall_s, 1),
            "cpu_s": round(self.cpu_s, 1), "placed": self.placed, "records": self.records, "missing": self.missing,
            "stray": self.stray, "lateness_p99": round(self.lateness_p99, 2), "lag_p99": round(self.lag_p99, 2),
            "checks_ok": self.checks_ok, "total": _fig_dict(self.total, p), "ideal": _fig_dict(self.ideal_total, p),
            "erlang": dataclasses.asdict(self.erlang_day),
            "rows": [{"start": r.label, "agents": r.agents, "expected": round(r.expected, 2),
                      **_fig_dict(r.twin, p), "ideal": _fig_dict(r.ideal, p), "erlang": dataclasses.asdict(r.erlang)}
                     for r in self.rows],
        }


def _fig_dict(f: Figures, p: TwinPlan) -> dict:
    return {"offered": f.offered, "answered": f.answered, "abandoned": f.abandoned, "other": f.other,
            "service_level": f.service_level(p.abandons), "asa": f.asa, "mean_wait": f.mean_wait,
            "abandon_rate": f.abandon_rate}


def _weighted(preds: list[tuple[float, Prediction]]) -> Prediction:
    out = {}
    for field in dataclasses.fields(Prediction):
        pairs = [(w, getattr(p, field.name)) for w, p in preds if getattr(p, field.name) is not None and w > 0]
        total = sum(w for w, _ in pairs)
        out[field.name] = sum(w * v for w, v in pairs) / total if total else None
    return Prediction(**out)


def build(run: TwinRun) -> TwinResult:
    """Read the run's records and set them against the plan's Erlang figures."""
    plan = run.plan
    eng = make_engine(run.database_url)
    try:
        with transaction(make_session_factory(eng)) as s:
            records = {r.call_uuid: r for r in s.scalars(select(CallRecord).where(CallRecord.direction == "inbound"))}
            n_records = s.scalar(select(func.count()).select_from(CallRecord))
    finally:
        eng.dispose()
    midnight = local_midnight(plan.day)
    by_interval: dict[int, Figures] = defaultdict(Figures)
    total = Figures()
    for uuid in run.placed:
        rec = records.get(uuid)
        if rec is None or rec.enqueued_at is None:
            continue
        enq = to_epoch(rec.enqueued_at)
        index = int((enq - midnight) // INTERVAL_S)
        answered = rec.outcome is CallOutcome.ANSWERED and rec.answered_at is not None
        wait = (to_epoch(rec.answered_at) if answered else to_epoch(rec.ended_at)) - enq
        for f in (by_interval[index], total):
            f.offered += 1
            f.waits.append(wait)
            if answered:
                f.answered += 1
                f.answered_waits.append(wait)
                f.within_t += wait <= plan.sl_seconds
            elif rec.outcome is CallOutcome.ABANDONED:
                f.abandoned += 1
                f.short_abandons += wait <= plan.short_abandon_s
            else:
                f.other += 1
    ideal_by, ideal_total = _ideal(run)
    rows = [Row(iv.index, iv.label, iv.agents, iv.calls, by_interval.get(iv.index, Figures()),
                ideal_by.get(iv.index, Figures()), predict(plan, iv)) for iv in plan.intervals]
    missing = sum(1 for u in run.placed if u not in records)
    stray = n_records - (len(run.placed) - missing)
    late = sorted(p.at - p.due for p in run.placed.values())
    ok = missing == 0 and stray == 0 and run.calls_left == 0 and run.legs_left == 0
    return TwinResult(plan, rows, total, ideal_total, _weighted([(r.expected, r.erlang) for r in rows]),
                      len(run.placed), len(run.placed) - missing, missing, stray, run.options.speed, run.wall_s,
                      run.cpu_s, _p99(late), _p99(sorted(run.loop_lag)), ok)


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else 0.0


def _ideal(run: TwinRun) -> tuple[dict[int, Figures], Figures]:
    """The ideal queue's figures on the callers the twin placed (by the interval they arrived in)."""
    plan, ring = run.plan, run.options.answer_delay_s
    heads = {iv.index: iv.agents for iv in plan.intervals}
    midnight = local_midnight(plan.day)

    def agents_at(t: float) -> int:
        index = int((t - midnight) // INTERVAL_S)
        return heads.get(index, plan.intervals[-1].agents if index > plan.intervals[-1].index else 0)

    callers = {p.uuid: ideal.Caller(p.at, p.patience, ring + p.talk + plan.wrap_up_s, ring)
               for p in run.placed.values()}
    by: dict[int, Figures] = defaultdict(Figures)
    total = Figures()
    for o in ideal.simulate(callers.values(), agents_at):
        for f in (by[int((o.caller.at - midnight) // INTERVAL_S)], total):
            f.offered += 1
            f.waits.append(o.wait)
            if o.answered:
                f.answered += 1
                f.answered_waits.append(o.wait)
                f.within_t += o.wait <= plan.sl_seconds
            else:
                f.abandoned += 1
                f.short_abandons += o.wait <= plan.short_abandon_s
    return by, total


def _pct(v: float | None) -> str:
    return "    -" if v is None else f"{100 * v:5.1f}"


def _sec(v: float | None) -> str:
    return "    -" if v is None else f"{v:5.1f}"


def text(r: TwinResult) -> str:
    """The run as a table: per interval and for the run, the twin next to Erlang A and C."""
    p = r.plan
    lines = [f"digital twin {p.day.isoformat()} queue {p.queue_code or '(all)'}: calls from the {p.source}, agents "
             f"{p.staffing}; patience {_sec(p.patience).strip()} s, wrap-up {p.wrap_up_s:.0f} s; service level = "
             f"answered within {p.sl_seconds:.0f} s ({p.abandons}, S = {p.short_abandon_s:.0f} s)",
             f"speed x{r.speed:g}: {r.wall_s:.0f} s wall clock ({r.cpu_s:.0f} s CPU); calls placed late by p99 "
             f"{r.lateness_p99:.2f} s, event loop late by p99 {r.lag_p99:.2f} s (virtual)",
             "(ideal: the same callers in an ideal queue with the same agents; A, C: Erlang A and C)",
             "start  agents  exp.  offered answ  aband |  SL % ideal  A SL %  C SL % |  ASA  A ASA | wait  A wait | "
             "ab %  A ab %"]
    for row in r.rows + [None]:
        f, e, i = (row.twin, row.erlang, row.ideal) if row else (r.total, r.erlang_day, r.ideal_total)
        head = (f"{row.label}  {row.agents:6d} {row.expected:5.1f}" if row
                else f"{'day':5s}  {'':6s} {sum(x.expected for x in r.rows):5.0f}")
        lines.append(f"{head}  {f.offered:7d} {f.answered:4d} {f.abandoned:6d} | {_pct(f.service_level(p.abandons))}"
                     f" {_pct(i.service_level(p.abandons))}  {_pct(e.sl_a)}  {_pct(e.sl_c)} | {_sec(f.asa)}"
                     f" {_sec(e.asa_a)} | {_sec(f.mean_wait)} {_sec(e.wait_a)} | {_pct(f.abandon_rate)}"
                     f" {_pct(e.abandon_a)}")
    lines.append(f"records: {r.placed} calls placed, {r.records} with a record, {r.missing} without, {r.stray} "
                 f"records of calls never placed -> {'OK' if r.checks_ok else 'FAILED'}")
    return "\n".join(lines)
