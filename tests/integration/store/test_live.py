"""The live feed's engine side (engine/store/live.py): a stored batch publishes what it changed, once, in its own
transaction; on PostgreSQL a listener is woken by NOTIFY only when that transaction commits; old changes are
pruned. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import select
import time

import pytest
from sqlalchemy import select as sql_select

from engine.domain import commands as c
from engine.domain.agent import AgentStateChanged
from engine.domain.calllog import CallEventKind as K
from engine.domain.states import AgentState as S
from engine.store import live
from engine.store.models import Agent, LiveChange
from engine.store.session import make_engine, make_session_factory, transaction
from engine.store_writer import StoreWriter

UTC = dt.timezone.utc


@pytest.fixture
def store(sessions):
    """(the demo center's session factory, two of its agents)."""
    with sessions() as s:
        return sessions, [a.id for a in s.scalars(sql_select(Agent).order_by(Agent.id).limit(2))]


def changes(factory) -> list[tuple[str, str]]:
    with factory() as s:
        return [(r.topic, r.key) for r in s.scalars(sql_select(LiveChange).order_by(LiveChange.seq))]


def test_a_batch_publishes_each_agent_and_call_it_changed_once_and_the_queues(store):
    factory, (a1, a2) = store
    t = time.time()
    batch = [c.SaveAgentState(AgentStateChanged(a1, t, S.READY, S.RESERVED, None, "offer", "system", "u1")),
             c.LogCallEvent("u1", K.OFFERED, t, queue_code="tax_policy", agent_id=a1),
             c.SaveAgentState(AgentStateChanged(a1, t + 1, S.RESERVED, S.TALKING, None, "answered", "system", "u1")),
             c.SaveRequestResult(999_999, False, "no such request", a2),
             c.SaveQueueStatus((c.QueueSnapshot("tax_policy", 0, None, 1, 1, 2),), t),
             c.LogCallEvent("u2", K.ARRIVED, t)]                    # no agent yet: its call only
    StoreWriter(factory).write(batch)
    assert changes(factory) == [("agent", str(a1)), ("call", "u1"), ("agent", str(a2)), ("queue", ""),
                                ("call", "u2")]


def test_a_failed_batch_publishes_nothing(store):
    factory, (a1, _a2) = store
    with pytest.raises(RuntimeError):
        with transaction(factory) as s:
            live.publish(s, [("agent", str(a1))], dt.datetime.now(UTC))
            raise RuntimeError("the batch failed")
    assert changes(factory) == []


def test_old_changes_are_pruned(store):
    factory, (a1, a2) = store
    now = dt.datetime.now(UTC)
    with transaction(factory) as s:
        live.publish(s, [("agent", str(a1))], now - dt.timedelta(seconds=live.KEEP_S + 5))
        live.publish(s, [("agent", str(a2))], now)
    with transaction(factory) as s:
        assert live.prune(s, now) == 1
    assert changes(factory) == [("agent", str(a2))]


@pytest.mark.postgres
def test_on_postgresql_a_listener_is_woken_when_the_change_commits(pg_database):
    """LISTEN/NOTIFY is PostgreSQL's (on SQLite each console process reads the table)."""
    from engine.store.migrate import upgrade
    upgrade(pg_database)
    eng = make_engine(pg_database)
    factory = make_session_factory(eng)
    a1 = 1
    raw = eng.raw_connection()
    try:
        conn = raw.driver_connection
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f"LISTEN {live.CHANNEL}")
        with transaction(factory) as s:
            live.publish(s, [("agent", str(a1))], dt.datetime.now(UTC))
            s.flush()
            select.select([conn], [], [], 0.3)
            conn.poll()
            assert conn.notifies == []                  # not before the commit
        assert select.select([conn], [], [], 2.0)[0]
        conn.poll()
        assert [n.channel for n in conn.notifies] == [live.CHANNEL]
    finally:
        raw.close()
        eng.dispose()
