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

# timing-sensitive (an accelerated clock, or a load benchmark): never beside another of them (make test:
# --dist loadgroup), so that one does not starve the other of CPU
pytestmark = pytest.mark.xdist_group("timing")

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



def test_the_reports_agree_with_the_simulators_own_record_of_the_calls(day):
    """The report figures, computed from the call-event log and its rollups, match what the simulated switch saw
    happen to each caller's leg: placed, bridged to an agent (answered) or hung up unbridged by the caller
    (abandoned), and the time each answered caller spent bridged."""
    from engine.reports.definitions import load_definitions
    from engine.reports.queries import call_report
    from engine.store.session import make_engine, make_session_factory, transaction

    data, _rep = day
    legs = [c for c in data.calls_log if c.get("direction") == "inbound" and c["uuid"] in data.placed]
    ended = {c["uuid"]: c["ended"] for c in legs}
    # an agent's phone answered for the caller while the caller was still there (cc_call_uuid rides on the leg)
    answered = {c["variables"]["cc_call_uuid"] for c in data.calls_log
                if c.get("direction") == "outbound" and c.get("answered_at")
                and c.get("variables", {}).get("cc_call_uuid") in ended
                and c["answered_at"] < ended[c["variables"]["cc_call_uuid"]]}
    unanswered = [c for c in legs if c["uuid"] not in answered]
    # the caller hung up while hearing the queue's music: an abandon; in the IVR's prompts: not a request
    abandoned = [c for c in unanswered if c.get("disposition") == "recv_bye"
                 and "moh" in c.get("variables", {}).get("last_arg", "")]
    in_ivr = [c for c in unanswered if c.get("disposition") == "recv_bye" and c not in abandoned]
    released = [c for c in unanswered if c.get("disposition") != "recv_bye"]
    assert len(answered) + len(abandoned) + len(in_ivr) + len(released) == len(legs)
    bridged_s = sum(c["ended"] - c["bridged_at"] for c in legs if c.get("bridged_at"))
    start = int(min(c["created"] for c in legs)) // 900 * 900 - 900
    end = (int(max(c["ended"] for c in legs)) // 900 + 2) * 900     # the run's own (simulated) clock
    eng = make_engine(data.database_url)
    with transaction(make_session_factory(eng)) as session:
        total = call_report(session, start, end, "range", "all", load_definitions(session)).total.figures
    eng.dispose()
    assert total["arrived"] == len(data.placed)
    assert total["answered"] == len(answered)
    # a caller hanging up as the menu ends is in the queue for the engine a few ms before the music starts:
    # those few are short abandons (excluded from the service level by default), the rest match exactly
    extra = total["abandoned"] - len(abandoned)
    assert 0 <= extra <= total["abandoned_short"]
    assert total["arrived"] - total["requests"] <= len(in_ivr) + len(released)
    # the engine hung up on callers it released from the queue (max wait, full) and on some in the IVR
    assert total["released"] <= len(released)
    assert total["requests"] == total["answered"] + total["abandoned"] + total["released"] + total["callbacks"] \
        + total["voicemails"]
    # talk (hold included) measured by the engine from its events vs the bridged time on the switch
    assert abs((total["talk_s"] + total["hold_s"]) - bridged_s) <= 0.02 * bridged_s + 0.05 * len(answered)
