"""The digital twin on the planning page (issue 17, item 7; docs/twin.md): the plan shown — its forecast calls, AHT
and required agents per interval, the measured patience — run through the real engine on the simulated switch in
accelerated time, and its service level, waits and abandons shown next to the plan's Erlang figures.

The plan is computed here, in the user's scope, and handed to the twin as numbers: the twin itself
(`python -m engine.twin`) runs in a process of its own, started by the report worker (admin_web.jobs), with its own
database; the console never talks to a switch (the import contracts keep engine.fsim and the engine out of it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from admin_web.jobs.registry import JobKind, Progress, Result, json_result, register
from admin_web.wfm.planning import Plan
from engine.reports.definitions import Definitions
from engine.twin.plan import TwinInterval, TwinPlan, scheduled_heads, wrap_up_of

SPEEDS = (60, 120, 300)         # virtual seconds per wall-clock second the page offers
RESULT_TTL_S = 3600.0           # the same plan's run is shown to the next viewer in the same scope for an hour
TIMEOUT_S = 3 * 3600.0          # a twin that runs longer than this is stopped (a whole day at x60 takes ~10 min)


STAFFINGS = ("required", "schedule")     # the plan's required agents, or the published schedules' agents at work


def twin_plan(session: Session, p: Plan, d: Definitions, staffing: str = "required") -> TwinPlan | None:
    """The intervals of the plan from the first to the last with calls, with on the phones the plan's required
    agents or (staffing "schedule") the agents the published schedules have at work in each quarter hour
    (engine.twin.plan.scheduled_heads, in the user's scope); None when no interval has calls."""
    busy = [n for n, r in enumerate(p.rows) if r.calls >= 0.05]
    if not busy:
        return None
    i = p.inputs
    heads = scheduled_heads(session, i.day, i.queue_code) if staffing == "schedule" else \
        [r.agents for r in p.rows]
    ivs = tuple(TwinInterval(n, p.rows[n].calls, p.rows[n].aht, heads[n]) for n in range(busy[0], busy[-1] + 1))
    return TwinPlan(i.day, i.queue_code, ivs, p.patience, wrap_up_of(session, i.queue_code), float(p.sl_seconds),
                    d.abandons_in_service_level, float(d.short_abandon_s), "forecast",
                    "schedule" if staffing == "schedule" else "required")


def _compute(_session: Session, params: dict, progress: Progress) -> Result:
    """Run the twin as `python -m engine.twin` and hand back its figures (progress: the intervals played)."""
    plan = TwinPlan.from_dict(params["plan"])               # checked before it reaches the process
    with tempfile.TemporaryDirectory(prefix="twin-job-") as tmp:
        plan_file, out_file = Path(tmp) / "plan.json", Path(tmp) / "result.json"
        plan_file.write_text(json.dumps(plan.as_dict(), ensure_ascii=False), encoding="utf-8")
        cmd = [sys.executable, "-m", "engine.twin", "--plan", str(plan_file), "--json", str(out_file),
               "--speed", str(int(params["speed"])), "--db", str(Path(tmp) / "twin.db")]
        tail: list[str] = []
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=dict(os.environ)) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("progress "):
                    done, _, total = line.split()[1].partition("/")
                    progress(int(done), int(total) + 1)         # +1: the drain and the records after the last
                else:
                    tail = (tail + [line.rstrip()])[-20:]
            proc.wait(timeout=TIMEOUT_S)
        if not out_file.exists():
            raise RuntimeError(f"the twin stopped with status {proc.returncode}: " + " | ".join(tail[-5:]))
        return json_result(json.loads(out_file.read_text(encoding="utf-8")))


TWIN = register(JobKind("wfm_twin", _compute, lambda _params: RESULT_TTL_S))
