"""A working day of a 124-seat 12366 center (the 110 agents; supervisors are not simulated) against the
simulated FreeSWITCH over real ESL, driven by the shared traffic profile; prints the day's report.

Run: ``.venv/bin/python benchmarks/day_simulation.py``            the whole day in about 10 minutes
     ``.venv/bin/python benchmarks/day_simulation.py --hours 3``  08:00-11:00 (the morning peak)
     ``--deadline-day`` (1.8x calls), ``--time-scale 0.05``, ``--start 14:00``, ``--agents 60``…
See docs/day-simulation.md for the assumptions and definitions. Exit status 1 when a correctness check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


from benchmarks.daysim import Options, run  # noqa: E402
from benchmarks.daysim import report  # noqa: E402
from benchmarks.daysim.profile import parse_hhmm  # noqa: E402



def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=110, help="agents simulated (default 110)")
    ap.add_argument("--start", default="08:00", help="simulated start time HH:MM (default 08:00)")
    ap.add_argument("--hours", type=float, default=10.0, help="simulated hours of arrivals (default 10: to 18:00)")
    ap.add_argument("--time-scale", type=float, default=1 / 60,
                    help="wall-clock seconds per simulated second (default 1/60: the day in ~10 minutes)")
    ap.add_argument("--deadline-day", action="store_true", help="1.8x the calls (filing deadline)")
    ap.add_argument("--calls-per-day", type=float, default=None, help="override the profile's 5,000")
    ap.add_argument("--seed", type=int, default=12366)
    ap.add_argument("--db", default=None, help="SQLite file (default: a new one in a temporary folder)")
    ap.add_argument("--profile", default=None, help="half-hour shares CSV (default /work/shared/traffic/...)")
    ap.add_argument("--max-wait", type=float, default=1200.0, help="queue maximum wait, simulated s (1200)")
    ap.add_argument("--announce-after", type=float, default=90.0,
                    help="'all agents busy' announcement after this many simulated s in queue (0: none)")
    ap.add_argument("--overflow-after", type=float, default=None,
                    help="overflow social_fee calls to tax_policy after this many simulated s (default: off)")
    ap.add_argument("--log", default=None, help="write the engine's INFO log to this file")
    ap.add_argument("--json", default=None, help="also write the figures and checks as JSON here")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    ap.add_argument("--no-sim-nodelay", action="store_true",
                    help="leave Nagle on for the simulator's ESL sockets (real FreeSWITCH turns it off)")
    a = ap.parse_args(argv)
    db_url = None
    if a.db:
        if os.path.exists(a.db):
            ap.error(f"{a.db} exists; the simulation needs a fresh database")
        db_url = f"sqlite:///{os.path.abspath(a.db)}"
    opts = Options(agents=a.agents, start=parse_hhmm(a.start), hours=a.hours, time_scale=a.time_scale,
                   deadline_day=a.deadline_day, calls_per_day=a.calls_per_day, seed=a.seed, database_url=db_url,
                   profile_csv=a.profile, max_wait_s=a.max_wait, announce_after_s=a.announce_after,
                   overflow_after_s=a.overflow_after, log_file=a.log, quiet=a.quiet,
                   sim_nodelay=not a.no_sim_nodelay)
    data = run(opts, say=lambda m: print(m, flush=True))
    rep = report.build(data)
    print(rep.text)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"figures": rep.figures, "checks": rep.checks}, f, ensure_ascii=False, indent=1, default=str)
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
