"""A short working-day simulation through the real ESL path: the morning busy hour of a 30-agent floor.

The same harness as `benchmarks/day_simulation.py` (docs/day-simulation.md): the simulated switch and the engine
in this process, callers from the shared 12366 traffic profile (scaled to 30 agents), breaks and unanswered
offers driven by the agents' schedule. The run must leave no misrouted call, no agent offered two calls at
once, no call without exactly one record, no agent left ringing or talking (nor its phone off-hook: a caller
leaving between the agent's answer and the bridge used to leave the agent's leg parked); the service figures
must come out of the stored records.
"""
from __future__ import annotations

import pytest

from benchmarks.daysim import Options, report, run
from benchmarks.daysim.profile import parse_hhmm

AGENTS = 30
TIME_SCALE = 0.01       # the simulated hour in 36 s of wall clock

REQUIRED_ZERO = (
    "offers to an agent lacking the queue's skill",
    "answered calls whose agent lacks the queue's skill",
    "agents offered two calls at once (offer log)",
    "overlapping legs on one agent phone (simulator)",
    "calls placed without exactly one call record",
    "call records for calls never placed",
    "caller legs still up on the switch after the run",
    "calls still in the engine after the run",
    "agents left ringing/talking after the run (engine)",
    "agents left ringing/talking after the run (database)",
    "agents stuck in wrap-up after the run",
    "agent legs left up on the switch (phone off-hook)",
)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """One busy hour (10:00-11:00), run once for the tests of this module."""
    db = tmp_path_factory.mktemp("daysim") / "day.db"
    opts = Options(agents=AGENTS, start=parse_hhmm("10:00"), hours=1.0, time_scale=TIME_SCALE,
                   volume_factor=AGENTS / 110, seed=7, database_url=f"sqlite:///{db}", drain_max_s=1800,
                   quiet=True)
    data = run(opts, say=lambda _msg: None)
    rep = report.build(data)
    print(rep.text)
    return data, rep


def test_the_busy_hour_routes_every_call_correctly_and_leaves_nothing_behind(day):
    data, rep = day
    failed = {name: rep.checks[name] for name in REQUIRED_ZERO if rep.checks[name]}
    assert not failed, f"correctness checks failed: {failed}\n{rep.text}"
    assert len(data.placed) > 100, "the hour should bring a couple of hundred calls"


def test_the_service_figures_are_computed_from_the_records(day):
    _data, rep = day
    f = rep.figures
    assert f["entered_queue"] > 0 and f["answered"] > 0
    assert f["answered"] + f["abandoned"] + f["timed_out"] == f["entered_queue"]
    assert 0.0 <= f["service_level"] <= 1.0 and 0.0 <= f["abandon_rate"] <= 1.0
    assert f["asa"] is not None and f["asa"] >= 0 and f["average_wait"] is not None
    assert f["aht"] is not None and f["aht"] > f["talk_mean"] > 0      # talk plus a measured wrap-up
    assert set(f["per_queue"]) == {"tax_policy", "etax", "social_fee"}
    assert f["offers"] >= f["answered"]
    assert f["offer_results"].get("no_answer", 0) >= 0

