"""The digital twin (engine.twin): half an hour of a planned day run through the real engine on the simulated switch,
both on one accelerated clock set to that day. Its service level must come out within a few points of Erlang A for
the same staffing and of the ideal queue on the very same callers (what is left is the engine's own time), and its
records must be a live day's: one call record per placed call, dated the planned day, with the offers, the agents'
state changes and the report figures a real day has."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.reports.definitions import load_definitions
from engine.reports.periods import day_range, local
from engine.reports.queries import call_report
from engine.store.models import AgentStateChange, CallOffer, CallRecord
from engine.store.repos import to_epoch
from engine.store.session import make_engine, make_session_factory, transaction
from engine.twin import result as twin_result
from engine.twin.plan import TwinInterval, TwinPlan
from engine.twin.run import TwinOptions, run

# timing-sensitive (an accelerated clock, or a load benchmark): never beside another of them (make test:
# --dist loadgroup), so that one does not starve the other of CPU
pytestmark = pytest.mark.xdist_group("timing")

DAY = dt.date(2026, 12, 8)          # a future day: the records must carry its date, not today's
SPEED = 50.0                        # half an hour in 36 s of wall clock


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """10:00-10:30, 150 calls expected per quarter hour, AHT 60 s (10 s of it the queue's wrap-up), patience 90 s,
    12 agents: Erlang A gives 87.7 % answered within 15 s."""
    db = tmp_path_factory.mktemp("twin") / "twin.db"
    plan = TwinPlan(DAY, "tax_policy", (TwinInterval(40, 150.0, 60.0, 12), TwinInterval(41, 150.0, 60.0, 12)),
                    patience=90.0, wrap_up_s=10.0, sl_seconds=15.0, abandons="exclude_short", short_abandon_s=5.0,
                    source="given", staffing="given")
    data = run(plan, TwinOptions(speed=SPEED, seed=1, database_url=f"sqlite:///{db}"))
    res = twin_result.build(data)
    print(twin_result.text(res))
    return data, res


def test_the_twins_service_level_is_erlang_as_for_the_same_staffing(twin):
    _data, res = twin
    sl = res.total.service_level("exclude_short")
    ideal = res.ideal_total.service_level("exclude_short")
    assert res.erlang_day.sl_a == pytest.approx(0.877, abs=0.001)
    assert sl == pytest.approx(res.erlang_day.sl_a, abs=0.05), twin_result.text(res)
    # the same callers in an ideal queue: what differs is what the engine and the switch add to each call
    assert sl == pytest.approx(ideal, abs=0.05), twin_result.text(res)
    assert res.total.asa == pytest.approx(res.ideal_total.asa, abs=4.0)
    assert abs(res.total.abandoned - res.ideal_total.abandoned) <= max(8, 0.4 * res.ideal_total.abandoned)
    assert 250 < res.placed < 350


def test_every_placed_call_has_exactly_one_record_dated_the_planned_day(twin):
    data, res = twin
    assert res.checks_ok and res.missing == 0 and res.stray == 0, twin_result.text(res)
    assert data.calls_left == 0 and data.legs_left == 0
    eng = make_engine(data.database_url)
    with transaction(make_session_factory(eng)) as s:
        records = list(s.scalars(select(CallRecord)))
        offers = s.scalar(select(func.count()).select_from(CallOffer))
        changes = list(s.scalars(select(AgentStateChange)))
        start, end = day_range(DAY, DAY)
        report = call_report(s, start, end, "range", "all", load_definitions(s)).total.figures
    eng.dispose()
    assert sorted(r.call_uuid for r in records) == sorted(data.placed)
    days = {local(to_epoch(r.started_at)).date() for r in records} | {local(to_epoch(c.at)).date() for c in changes}
    assert days == {DAY}
    first = min(to_epoch(r.started_at) for r in records)
    assert local(first).strftime("%H:%M") == "10:00"
    # what a live day has: offers, the agents' state log, the reports' figures from the event log and its rollups
    assert offers >= sum(r.outcome.value == "answered" for r in records)
    assert {c.to_state.value for c in changes} >= {"ready", "reserved", "talking", "wrap_up"}
    assert report["arrived"] == len(data.placed)
    assert report["answered"] == res.total.answered
    assert report["abandoned"] == res.total.abandoned


def test_the_engine_timed_the_wrap_up_on_the_shared_clock(twin):
    """The queue's 10 s wrap-up is an engine timer: on the accelerated clock it lasts 10 virtual seconds (before the
    shared clock it lasted 10 wall-clock seconds, 500 virtual ones at this speed)."""
    data, _res = twin
    eng = make_engine(data.database_url)
    with transaction(make_session_factory(eng)) as s:
        changes = list(s.scalars(select(AgentStateChange).order_by(AgentStateChange.agent_id, AgentStateChange.id)))
    eng.dispose()
    wraps = [to_epoch(b.at) - to_epoch(a.at) for a, b in zip(changes, changes[1:])
             if a.agent_id == b.agent_id and a.to_state.value == "wrap_up"]
    assert wraps and sorted(wraps)[len(wraps) // 2] == pytest.approx(10.0, abs=1.5)
