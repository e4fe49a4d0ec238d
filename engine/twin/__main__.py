"""`python -m engine.twin --plan PLAN.json [--json OUT.json] [--speed N] [--seed N]`: run a plan through the twin
(the console's report worker runs it this way, in a process of its own; `callcenter wfm twin` builds the plan
from the database)."""
from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from gevent import monkey
    monkey.patch_all()
    import argparse
    import json
    import logging

    from engine.twin import result
    from engine.twin.plan import TwinPlan
    from engine.twin.run import TwinOptions, run

    ap = argparse.ArgumentParser(prog="python -m engine.twin", description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", required=True, help="the plan as JSON (engine.twin.plan.TwinPlan.as_dict)")
    ap.add_argument("--json", default=None, help="write the result here as JSON")
    ap.add_argument("--speed", type=float, default=60.0, help="virtual seconds per wall-clock second")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", default=None, help="the twin's database file (new; default a temporary one)")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with open(a.plan, encoding="utf-8") as fh:
            plan = TwinPlan.from_dict(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"twin: the plan cannot be read: {exc}", flush=True)
        return 2
    options = TwinOptions(speed=a.speed, seed=a.seed, database_url=f"sqlite:///{a.db}" if a.db else None)
    res = result.build(run(plan, options, say=lambda m: print(m, flush=True)))
    print(result.text(res), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(res.as_dict(), fh, ensure_ascii=False, indent=1)
    return 0 if res.checks_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
