"""`make bench-failover`: the active engine killed (SIGKILL) at random moments on a loaded floor, a hot standby
taking over each time; the database compared with the simulated switch's record of every caller.

Prints progress on stderr, one line per kill (what the callers were doing at that moment, the takeover time), and
as its last line on stdout one JSON object: kills, takeover_s_p50, takeover_s_max, calls, calls_without_record,
calls_counted_twice, queued_callers_lost, queue_order_violations, agents_needing_login (benchmarks/failover/
compare.py defines each)."""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.failover.run import Scenario, run  # noqa: E402
from benchmarks.load.harness import RunFailed  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=90.0, help="seconds of arrivals")
    ap.add_argument("--cps", type=float, default=1.0, help="callers per second")
    ap.add_argument("--seed", type=int, default=12366, help="the same seed gives the same callers and kill times")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (database, logs)")
    a = ap.parse_args()
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    try:
        figures = run(Scenario(kills=a.kills, seconds=a.seconds, cps=a.cps, seed=a.seed, keep=a.keep), say=say)
    except RunFailed as exc:
        say(f"bench-failover failed: {exc}")
        return 1
    detail = figures.pop("_detail")
    say("  detail: " + json.dumps(detail, ensure_ascii=False))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
