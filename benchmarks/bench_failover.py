"""Failover benchmark: the active engine killed (SIGKILL) at random moments on a loaded floor of the simulated switch,
a hot standby taking over each time; then the database compared with the switch's own record of every caller.

    .venv/bin/python benchmarks/bench_failover.py [--kills 5] [--seconds 90] [--cps 1] [--agents 12]
        [--consultants 2] [--seed 12366] [--database-url postgresql+psycopg2://postgres@127.0.0.1:5432/test] [--keep]
    make bench-failover KILLS=3 SECONDS=60 CPS=1 AGENTS=12 SEED=7

Two engines (`callcenter run --no-sim --no-web --no-demo`) share one scratch database (SQLite, or a database of
its own created on the PostgreSQL server of --database-url and dropped afterwards), with the console (CTI API, CDR
intake) and the simulated switch as processes of their own. Callers go through an IVR (prompt, menu, digit
collection, queue, survey after the talk) or straight to a queue; some give up on their own, some press the
callback key; conversations are put on hold now and then, and now and then an agent consults another (one of
the back-office consultants, or a queue agent who happens to be ready), then joins the three in a conference,
transfers the caller or goes back to them (benchmarks/failover/scenario.py). At each kill moment (seeded) the
callers' phases are noted, the active engine gets SIGKILL, the standby takes over, and the killed engine is
started again as the next standby.

Progress and one line per kill on stderr (the callers' phases at that moment, the takeover: the new engine's ESL
connection, its channel listing, its first command about a call), then the detail behind the figures, and as the
LAST line on stdout one JSON object (benchmarks/failover/compare.py defines each figure):

  kills, takeover_s_p50, takeover_s_max, calls, calls_without_record, calls_counted_twice, queued_callers_lost,
  queue_order_violations, agents_needing_login

Exit status 0 whatever the figures say; 1 when the run could not be carried out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.failover.run import run  # noqa: E402
from benchmarks.failover.scenario import Scenario, plan  # noqa: E402
from benchmarks.load.harness import RunFailed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=90.0, help="seconds of arrivals")
    ap.add_argument("--cps", type=float, default=1.0, help="mean arrival rate (callers per second, Poisson)")
    ap.add_argument("--agents", type=int, default=12, help="agents of the queues")
    ap.add_argument("--consultants", type=int, default=2, help="agents of no queue, to be consulted")
    ap.add_argument("--seed", type=int, default=12366, help="the same seed gives the same callers and kill moments")
    ap.add_argument("--database-url", default=None,
                    help="a PostgreSQL server to run on (a scratch database is created there and dropped), e.g. "
                         "postgresql+psycopg2://postgres@127.0.0.1:5432/test; default: SQLite")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, database, switch records)")
    a = ap.parse_args(argv)
    scn = Scenario(kills=a.kills, seconds=a.seconds, cps=a.cps, agents=a.agents, consultants=a.consultants,
                   seed=a.seed, database_url=a.database_url, keep=a.keep)
    if a.kills < 1 or a.seconds <= 0 or a.cps <= 0 or a.agents < 1 or a.consultants < 0:
        ap.error("need --kills >= 1, --seconds > 0, --cps > 0, --agents >= 1 and --consultants >= 0")
    try:
        plan(scn)
    except ValueError as exc:
        ap.error(str(exc))
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    try:
        figures, detail = run(scn, say=say)
    except RunFailed as exc:
        say(f"bench-failover: {exc}")
        return 1
    for key, value in detail.items():
        say(f"  {key}: {json.dumps(value, ensure_ascii=False, default=str)}")
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
