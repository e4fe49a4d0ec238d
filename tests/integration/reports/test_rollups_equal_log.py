"""Property: whatever stream of log entries and agent state changes is written, the rollups kept while writing
equal a recomputation from the raw logs (on SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.domain.states import AgentState, NotReadyReason
from engine.reports import rollups
from engine.store.calllog import append
from engine.store.models import Agent, AgentStateChange, CallEvent
from engine.store.models.reports import (ReportAgentDay, ReportCalls15m, ReportCallsDay, ReportCallerRegionDay,
                                         ReportSetting)
from engine.store.session import make_engine, make_session_factory

BASE = dt.datetime(2026, 3, 1, 15, 50, tzinfo=dt.timezone.utc).timestamp()   # 23:50 local: streams cross midnight

waits = st.one_of(st.none(), st.sampled_from([0.0, 4.9995, 5.0, 5.0005, 15.0, 15.0004999, 15.0005, 59.9, 120.0]),
                  st.floats(min_value=0, max_value=400, allow_nan=False))
entries = st.builds(
    dict,
    kind=st.sampled_from(list(K)),
    offset=st.floats(min_value=0, max_value=2 * 86400, allow_nan=False),
    queued_before=st.one_of(st.none(), st.floats(min_value=0, max_value=900, allow_nan=False)),
    queue_code=st.sampled_from([None, "tax", "etax"]),
    agent_id=st.sampled_from([None, 1, 2]),
    hall_id=st.sampled_from([None, 1]),
    direction=st.sampled_from(["inbound", "outbound"]),
    wait_s=waits, duration_s=waits,
    value=st.one_of(st.none(), st.integers(min_value=0, max_value=9)),
    detail=st.sampled_from(["", "ringing", "overflow:etax", "widen:tax", "trunk-a", "satisfied", "transfer"]),
    ani=st.sampled_from(["13800138000", "075512345678", "", "+8613912345678"]),
)
changes = st.lists(st.tuples(st.floats(min_value=0, max_value=3 * 86400, allow_nan=False),
                             st.sampled_from([1, 2]), st.sampled_from(list(AgentState)),
                             st.sampled_from(list(NotReadyReason))), max_size=25)


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory() as session:
        session.add_all([Agent(id=1, employee_no="1", name="a", extension="801"),
                         Agent(id=2, employee_no="2", name="b", extension="802")])
        session.commit()
    yield factory
    engine.dispose()


def _clear(session):
    for model in (CallEvent, AgentStateChange, ReportCalls15m, ReportCallsDay, ReportCallerRegionDay, ReportAgentDay,
                  ReportSetting):
        session.execute(delete(model))
    session.commit()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.lists(entries, max_size=40), state_changes=changes,
       now_offset=st.floats(min_value=0, max_value=4 * 86400, allow_nan=False))
def test_rollups_equal_recomputation_from_the_log(sessions, stream, state_changes, now_offset):
    with sessions() as session:
        _clear(session)
        for i, e in enumerate(stream):
            at = BASE + e["offset"]
            queued_at = None if e["queued_before"] is None else at - e["queued_before"]
            append(session, LogCallEvent(f"call-{i % 7}", e["kind"], at, queue_code=e["queue_code"],
                                         agent_id=e["agent_id"], queued_at=queued_at, ani=e["ani"],
                                         hall_id=e["hall_id"], direction=e["direction"], wait_s=e["wait_s"],
                                         duration_s=e["duration_s"], value=e["value"], detail=e["detail"]))
            session.commit()        # one transaction per entry, as the engine's store writer does
        for offset, agent_id, state, reason in sorted(state_changes, key=lambda c: c[0]):
            at = dt.datetime.fromtimestamp(BASE + offset, dt.timezone.utc)
            session.add(AgentStateChange(agent_id=agent_id, at=at, from_state=AgentState.READY, to_state=state,
                                         reason=reason if state is AgentState.NOT_READY else None))
            session.commit()
            rollups.refresh(session, now=at)      # reports folding closed days while the day goes on
        now = dt.datetime.fromtimestamp(BASE + max([now_offset] + [c[0] for c in state_changes]), dt.timezone.utc)
        rollups.refresh(session, now=now)
        assert rollups.verify(session, now=now) == []


def test_verify_notices_a_rollup_that_differs_from_the_log(sessions):
    with sessions() as session:
        append(session, LogCallEvent("c1", K.ANSWERED, BASE + 30, queue_code="tax", queued_at=BASE, wait_s=30.0))
        session.commit()
        assert rollups.verify(session) == []
        row = session.scalars(select(ReportCallsDay)).one()
        row.answered = 2
        session.commit()
        assert any("report_calls_day" in problem for problem in rollups.verify(session))
        rollups.rebuild(session)
        assert rollups.verify(session) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.lists(entries, max_size=60), cuts=st.lists(st.integers(min_value=1, max_value=25), max_size=60))
def test_rollups_written_by_batches_equal_recomputation_and_entry_by_entry(sessions, stream, cuts):
    """The store writer's batches (engine.store.batch.write_batch: entries summed per rollup row, one upsert each)
    give the rollups a recomputation from the log gives, and the ones appending entry by entry gives."""
    from engine.store.batch import write_batch
    commands = []
    for i, e in enumerate(stream):
        at = BASE + e["offset"]
        queued_at = None if e["queued_before"] is None else at - e["queued_before"]
        commands.append(LogCallEvent(f"call-{i % 7}", e["kind"], at, queue_code=e["queue_code"],
                                     agent_id=e["agent_id"], queued_at=queued_at, ani=e["ani"], hall_id=e["hall_id"],
                                     direction=e["direction"], wait_s=e["wait_s"], duration_s=e["duration_s"],
                                     value=e["value"], detail=e["detail"]))
    with sessions() as session:
        _clear(session)
        for command in commands:
            append(session, command)
            session.commit()
        one_by_one = {m: rollups.stored_call_rows(session, m) for m in (ReportCalls15m, ReportCallsDay)}
        regions = sorted(tuple(r) for r in session.execute(select(ReportCallerRegionDay.__table__)))
        _clear(session)
        sizes = iter(cuts + [len(commands)])      # batches of the drawn sizes, then the rest in one
        i = 0
        while i < len(commands):
            size = next(sizes)
            write_batch(session, commands[i:i + size])     # one transaction per batch, as the engine's writer
            session.commit()
            i += size
        assert rollups.verify(session) == []
        assert {m: rollups.stored_call_rows(session, m) for m in (ReportCalls15m, ReportCallsDay)} == one_by_one
        assert sorted(tuple(r) for r in session.execute(select(ReportCallerRegionDay.__table__))) == regions
