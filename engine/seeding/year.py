"""`callcenter reports seed-year`: one year of a 124-seat 12366 center, about 3 million calls, for report benchmarks.

Volume: `calls` spread over the working days of [start, start + days), a filing-deadline day counting 1.8 times
a normal one, each day shaped by the half-hour shares of the workday profile. The agents can take about the
profile's 5,000 calls a normal day (scaled by the number of agents); the rest of the callers serve themselves
in the IVR. Deterministic for a given seed, start and sizes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import random
import time
from collections.abc import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.domain.states import AgentState
from engine.seeding.callers import CallerNumbers
from engine.seeding.center import ensure_center
from engine.seeding.profile import CALLS_REACHING_MENU, CENTER_SEATS, DEADLINE_FACTOR, half_hour_shares, working_days
from engine.seeding.simulation import Day, Rows, Trunk
from engine.seeding.writer import TABLES, BulkWriter
from engine.store.models import Agent, CallEvent
from engine.store.session import make_engine

FLUSH_ROWS = 250_000


class SeedingError(Exception):
    """The database is not in a state the seeding can write into."""


@dataclasses.dataclass(frozen=True)
class YearOptions:
    calls: int = 3_000_000
    agents: int = CENTER_SEATS
    start: dt.date = dt.date(dt.date.today().year - 1, 1, 1)
    days: int = 365
    seed: int = 12366
    replace: bool = False
    rebuild_rollups: bool = True


@dataclasses.dataclass
class YearSummary:
    working_days: int
    calls: int                   # calls that reached the engine
    blocked: int                 # callers who found every trunk channel busy
    rows: dict[str, int]
    seconds: float
    rollup_seconds: float | None


def trunk_groups(agents: int) -> list[Trunk]:
    """Two carriers' trunk groups sized for the center (150 channels for 124 seats): all busy only at peaks of
    deadline days."""
    scale = agents / CENTER_SEATS
    return [Trunk("电信", max(6, round(90 * scale)), 0.6), Trunk("联通", max(4, round(60 * scale)), 0.4)]


def seed_year(url: str, options: YearOptions, progress: Callable[[str], None] = print) -> YearSummary:
    """Generate the year into the (migrated) database at `url`; then rebuild the report rollups if they exist."""
    started = time.monotonic()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            tables = [CallEvent.metadata.tables[name] for name in TABLES]
            holding = [t.name for t in tables if session.scalar(select(func.count()).select_from(t))]
            if holding and not options.replace:
                raise SeedingError(f"{', '.join(holding)} already hold rows; use --replace to clear the call history "
                                   "(call events, agent state changes, call records, surveys, callbacks) first")
            for table in tables:
                session.execute(delete(table))
            plan = ensure_center(session, options.agents, random.Random(f"{options.seed}-center"))
            session.commit()
        days = working_days(options.start, options.days)
        if not days:
            raise SeedingError(f"no working day in {options.days} days from {options.start}")
        per_day = options.calls / sum(DEADLINE_FACTOR if deadline else 1.0 for _, deadline in days)
        queued_share = min(0.97, CALLS_REACHING_MENU * options.agents / CENTER_SEATS / per_day)
        progress(f"seeding {len(days)} working days from {days[0][0]} ({options.calls:,} calls, {options.agents} "
                 f"agents, {queued_share:.0%} of callers ask for an agent) into {engine.url.render_as_string()}")
        writer = BulkWriter(engine)
        with writer.indexes_deferred():
            calls, blocked = _simulate(days, per_day, queued_share, plan, options.seed, writer, started, progress)
        writer.analyze()
        _agents_logged_out(engine, plan.agents)
        seconds = time.monotonic() - started
        progress(f"{calls:,} calls, {sum(writer.written.values()):,} rows written in {seconds:.0f} s")
        rollup_seconds = _rebuild_rollups(engine, progress) if options.rebuild_rollups else None
        return YearSummary(len(days), calls, blocked, dict(writer.written), seconds, rollup_seconds)
    finally:
        engine.dispose()


def _simulate(days, per_day: float, queued_share: float, plan, seed: int, writer: BulkWriter, started: float,
              progress: Callable[[str], None]) -> tuple[int, int]:
    """Run the days one after the other (pending callbacks carry over), writing in large batches."""
    rng = random.Random(seed)
    numbers, trunks, shares = CallerNumbers(rng), trunk_groups(len(plan.agents)), half_hour_shares()
    rows, carried, calls, blocked = Rows(), [], 0, 0
    for n, (day, deadline) in enumerate(days, 1):
        sim = Day(day, deadline, per_day * (DEADLINE_FACTOR if deadline else 1.0), queued_share, plan, shares,
                  trunks, numbers, rng, rows, carried)
        carried = sim.run()
        blocked += sim.blocked
        calls = writer.written["call_records"] + len(rows.call_records)
        if rows.size() >= FLUSH_ROWS or n == len(days):
            _flush(writer, rows)
            rows = Rows()
        if n % 10 == 0 or n == len(days):
            progress(f"  {day}  day {n}/{len(days)}: {calls:,} call records, {sum(writer.written.values()):,} rows, "
                     f"{time.monotonic() - started:.0f} s")
    return calls, blocked


def _flush(writer: BulkWriter, rows: Rows) -> None:
    for table in TABLES:
        writer.write(table, getattr(rows, table))


def _agents_logged_out(engine, agent_ids) -> None:
    """After the last day every seeded agent is logged out (the current state the console shows)."""
    with Session(engine) as session:
        session.execute(update(Agent).where(Agent.id.in_(list(agent_ids)))
                        .values(state=AgentState.LOGGED_OUT, not_ready_reason=None, current_call_uuid=None))
        session.commit()


def _rebuild_rollups(engine, progress: Callable[[str], None]) -> float | None:
    """engine.reports.rollups.rebuild(session) when the reports package provides it."""
    if importlib.util.find_spec("engine.reports.rollups") is None:
        progress("no engine.reports.rollups: rollups not rebuilt")
        return None
    from engine.reports import rollups
    started = time.monotonic()
    with Session(engine) as session:
        rollups.rebuild(session)
        session.commit()
    seconds = time.monotonic() - started
    progress(f"rollups rebuilt in {seconds:.1f} s")
    return seconds
