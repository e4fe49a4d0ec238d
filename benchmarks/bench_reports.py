"""Report times on a seeded year of a 124-seat center, on SQLite and on PostgreSQL, against R-NF-1's 3 s.

1. Seeds the year (`engine.seeding.year`, the code behind `callcenter reports seed-year`: about 3 million calls,
   their call-event log, agent state changes, call records and surveys; then the rollups are rebuilt) into a
   SQLite file and into a PostgreSQL database of its own (`bench_reports` on 127.0.0.1:5432, created and
   dropped; skipped with a message when no server answers).
2. Times every standard report through the functions the console uses (engine.reports): queue service figures
   by day for a month, by 15-minute interval for a day, by month for the year; agent statistics for a month;
   caller regions for the year; trunk-group all-busy for the year; the monthly scorecard; the calls behind a
   figure (drill-down, first page). Each report runs on a fresh session: the first run and the best of three.

Run: ``.venv/bin/python benchmarks/bench_reports.py [--calls 3000000] [--only sqlite|postgresql] [--keep]``
(``make bench-reports``). ``--calls 100000`` tries it in a couple of minutes. With --keep the databases stay
(SQLite file, PostgreSQL database) and a later run with the same options reuses them instead of seeding again.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.seeding.profile import working_days  # noqa: E402
from engine.seeding.year import YearOptions, YearSummary, seed_year  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.session import make_engine, unreachable  # noqa: E402

GOAL_S = 3.0
PG_ADMIN_URL = os.environ.get("CALLCENTER_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
PG_DATABASE = "bench_reports"
DEFAULT_SQLITE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                              "bench_reports.sqlite")


@dataclasses.dataclass
class Timing:
    report: str
    first_s: float
    best_s: float
    rows: int


def standard_reports(options: YearOptions) -> list[tuple[str, Callable[[Session], int]]]:
    """(name, run(session) -> rows) for each standard report over the seeded year."""
    from engine.reports.agents import agent_report
    from engine.reports.definitions import load_definitions
    from engine.reports.drill import calls_behind
    from engine.reports.periods import local_midnight, month_range
    from engine.reports.queries import call_report, region_report
    from engine.reports.scorecard import monthly_scorecard

    days = working_days(options.start, options.days)
    deadline = next((d for d, is_deadline in days if is_deadline and d.month == days[len(days) // 4][0].month),
                    days[len(days) // 4][0])      # a filing-deadline day (the busiest kind) about a quarter in
    year_start, year_end = local_midnight(options.start), local_midnight(options.start + dt.timedelta(options.days))
    month = month_range(deadline.year, deadline.month)
    day = (local_midnight(deadline), local_midnight(deadline + dt.timedelta(days=1)))
    label_month, label_day = f"{deadline:%Y-%m}", f"{deadline}"

    def report(grain: str, dimension: str, span: tuple[int, int]) -> Callable[[Session], int]:
        return lambda s: len(call_report(s, span[0], span[1], grain, dimension, load_definitions(s)).rows)

    return [
        (f"queues by day, month {label_month}", report("day", "queue", month)),
        (f"queues by 15 min, day {label_day}", report("interval", "queue", day)),
        (f"queues by month, year {options.start:%Y}", report("month", "queue", (year_start, year_end))),
        (f"agent statistics, month {label_month}",
         lambda s: len(agent_report(s, month[0], month[1], "range", "agent", load_definitions(s)))),
        (f"agent groups by day, month {label_month}",
         lambda s: len(agent_report(s, month[0], month[1], "day", "group", load_definitions(s)))),
        (f"caller regions, year {options.start:%Y}", lambda s: len(region_report(s, year_start, year_end))),
        (f"trunk all-busy by month, year {options.start:%Y}", report("month", "trunk", (year_start, year_end))),
        (f"scorecard, month {label_month}",
         lambda s: len(monthly_scorecard(s, deadline.year, deadline.month, load_definitions(s)).items)),
        (f"calls behind 'abandoned', day {label_day}",
         lambda s: calls_behind(s, "abandoned", day[0], day[1], load_definitions(s), limit=100)[0]),
    ]


def time_reports(url: str, options: YearOptions, repeats: int = 3) -> list[Timing]:
    engine = make_engine(url)
    out = []
    try:
        for name, run in standard_reports(options):
            times, rows = [], 0
            for _ in range(repeats):
                with Session(engine) as session:
                    started = time.perf_counter()
                    rows = run(session)
                    times.append(time.perf_counter() - started)
                    session.rollback()
            out.append(Timing(name, times[0], min(times), rows))
    finally:
        engine.dispose()
    return out


def params(options: YearOptions) -> str:
    return json.dumps({k: str(v) for k, v in dataclasses.asdict(options).items() if k != "replace"}, sort_keys=True)


def prepare_sqlite(path: str, options: YearOptions, reuse: bool, log) -> tuple[str, YearSummary | None]:
    url, marker = f"sqlite:///{path}", path + ".params.json"
    if reuse and os.path.exists(path) and os.path.exists(marker) and open(marker).read() == params(options):
        log(f"SQLite: reusing {path}")
        return url, None
    for suffix in ("", "-wal", "-shm", ".params.json"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    upgrade(url)
    summary = seed_year(url, options, progress=log)
    with open(marker, "w") as f:
        f.write(params(options))
    return url, summary


def prepare_postgres(options: YearOptions, reuse: bool, log) -> tuple[str, YearSummary | None]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    with admin.connect() as conn:
        comment = conn.scalar(text("select shobj_description(oid, 'pg_database') from pg_database "
                                   "where datname = :n"), {"n": PG_DATABASE})
        if reuse and comment == params(options):
            log(f"PostgreSQL: reusing database {PG_DATABASE}")
            admin.dispose()
            return url, None
        drop_postgres(conn)
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    upgrade(url)
    summary = seed_year(url, options, progress=log)
    with admin.connect() as conn:
        conn.execute(text(f"COMMENT ON DATABASE \"{PG_DATABASE}\" IS '{params(options)}'"))
    admin.dispose()
    return url, summary


def drop_postgres(conn) -> None:
    conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": PG_DATABASE})
    conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"'))


def sizes(url: str) -> dict[str, int]:
    from engine.store.models import AgentStateChange, CallEvent, CallRecord
    engine = make_engine(url)
    with Session(engine) as s:
        out = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
               for m in (CallRecord, CallEvent, AgentStateChange)}
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=3_000_000)
    ap.add_argument("--agents", type=int, default=124)
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    ap.add_argument("--seed", type=int, default=12366)
    ap.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    ap.add_argument("--sqlite-path", default=DEFAULT_SQLITE)
    ap.add_argument("--keep", action="store_true", help="keep the databases, and reuse them when they match")
    args = ap.parse_args()
    options = YearOptions(calls=args.calls, agents=args.agents, start=args.start, days=365, seed=args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.sqlite_path)), exist_ok=True)

    def log(line: str) -> None:
        print(line, flush=True)

    results: dict[str, tuple[list[Timing], YearSummary | None, dict[str, int]]] = {}
    if args.only in (None, "sqlite"):
        url, summary = prepare_sqlite(args.sqlite_path, options, args.keep, log)
        results["SQLite"] = (time_reports(url, options), summary, sizes(url))
        if not args.keep:
            for suffix in ("", "-wal", "-shm", ".params.json"):
                if os.path.exists(args.sqlite_path + suffix):
                    os.remove(args.sqlite_path + suffix)
    if args.only in (None, "postgresql"):
        reason = unreachable(PG_ADMIN_URL)
        if reason:
            log(f"PostgreSQL skipped: {reason}")
        else:
            url, summary = prepare_postgres(options, args.keep, log)
            try:
                results["PostgreSQL"] = (time_reports(url, options), summary, sizes(url))
            finally:
                if not args.keep:
                    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        drop_postgres(conn)
                    admin.dispose()
    print_table(results, options)


def print_table(results, options: YearOptions) -> None:
    if not results:
        return
    kinds = list(results)
    names = [t.report for t in next(iter(results.values()))[0]]
    width = max(len(n) for n in names) + 2
    print()
    print(f"Standard reports on a seeded year ({options.calls:,} calls, {options.agents} agents from {options.start}); "
          f"first run / best of 3, goal < {GOAL_S:g} s")
    print("report".ljust(width) + "".join(f"{k:>22}" for k in kinds) + "   rows")
    worst = 0.0
    for i, name in enumerate(names):
        cells = []
        for k in kinds:
            t = results[k][0][i]
            worst = max(worst, t.first_s)
            cells.append(f"{t.first_s:8.3f} / {t.best_s:6.3f} s")
        print(name.ljust(width) + "".join(f"{c:>22}" for c in cells) + f"   {results[kinds[0]][0][i].rows}")
    for k in kinds:
        timings, summary, counts = results[k]
        seeded = (f"seeded in {summary.seconds:.0f} s + rollups {summary.rollup_seconds or 0:.0f} s"
                  if summary else "reused")
        print(f"{k}: {counts['call_records']:,} calls, {counts['call_events']:,} call events, "
              f"{counts['agent_state_changes']:,} agent state changes; {seeded}; "
              f"median report {statistics.median(t.first_s for t in timings):.3f} s")
    print(f"slowest first run: {worst:.3f} s -> {'within' if worst < GOAL_S else 'OVER'} the {GOAL_S:g} s goal")


if __name__ == "__main__":
    main()
