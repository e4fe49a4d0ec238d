"""A call flows end to end through the real ESL TCP path: DID -> IVR -> queue -> skilled agent -> record."""
from __future__ import annotations

import os
import time

from sqlalchemy import select

from engine.domain.events import AgentRequest
from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason
from engine.store.models import Agent, AgentSkill, AgentStateChange, CallEvent, CallRecord, Queue, QueueSkill
from engine.store.session import make_engine, make_session_factory, transaction
from tests.e2e.conftest import wait_until


def read(db_url, fn):
    eng = make_engine(db_url)
    try:
        with transaction(make_session_factory(eng)) as session:
            return fn(session)
    finally:
        eng.dispose()


def record_of(db_url, call_uuid):
    return read(db_url, lambda s: s.scalars(select(CallRecord).where(CallRecord.call_uuid == call_uuid)).first())


def agent_has_queue_skills(session, agent_id, queue_id):
    levels = {s.skill_id: s.level for s in session.scalars(select(AgentSkill).where(AgentSkill.agent_id == agent_id))}
    required = session.scalars(select(QueueSkill).where(QueueSkill.queue_id == queue_id)).all()
    return all(levels.get(q.skill_id, 0) >= q.min_level for q in required)


def test_caller_pressing_2_reaches_an_etax_agent_and_the_call_is_recorded(sim, engine, db_url):
    uuid = sim.place_call(did="12366", ani="13800138000", digits="2", talk_time=2.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    assert (rec.ani, rec.dnis, rec.outcome, rec.hangup_side) == ("13800138000", "12366", CallOutcome.ANSWERED,
                                                                   HangupSide.CALLER)
    assert rec.hangup_cause == "NORMAL_CLEARING"
    assert rec.started_at <= rec.enqueued_at <= rec.answered_at <= rec.ended_at
    assert "key:2" in rec.ivr_path and rec.ivr_path.endswith("queue:etax")
    queue_code = read(db_url, lambda s: s.get(Queue, rec.queue_id).code)
    assert queue_code == "etax"
    assert read(db_url, lambda s: agent_has_queue_skills(s, rec.agent_id, rec.queue_id))
    # the agent went ringing -> talking -> wrap-up -> ready, each change stored
    def changes(s):
        rows = s.scalars(select(AgentStateChange).where(AgentStateChange.agent_id == rec.agent_id)
                         .order_by(AgentStateChange.id)).all()
        return [r.to_state for r in rows]
    wait_until(lambda: read(db_url, changes)[-1:] == [AgentState.READY], 10, "the agent back to ready")
    assert read(db_url, changes) == [AgentState.RESERVED, AgentState.TALKING, AgentState.WRAP_UP, AgentState.READY]
    # what went over the wire: the prompt, the menu, an originate to the agent and the bridge
    sent = [c["command"] for c in sim.commands()]
    assert any("originate" in c and "origination_uuid=" + rec.agent_leg_uuid in c for c in sent)
    # the immutable call-event log every report is computed from has the call step by step
    def call_log(s):
        return [(e.kind, e.agent_id, e.queue_code) for e in s.scalars(
            select(CallEvent).where(CallEvent.call_uuid == uuid).order_by(CallEvent.id))]
    wait_until(lambda: [k for k, _, _ in read(db_url, call_log)][-1:] == ["wrap_up_ended"], 10, "the wrap-up logged")
    assert read(db_url, call_log) == [
        ("arrived", None, None), ("ivr_entered", None, None), ("ivr_completed", None, "etax"), ("queued", None, "etax"),
        ("offered", rec.agent_id, "etax"), ("answered", rec.agent_id, "etax"), ("talk_ended", rec.agent_id, "etax"),
        ("ended", rec.agent_id, "etax"), ("wrap_up_ended", rec.agent_id, "etax")]
    assert any(c.startswith("api uuid_bridge " + uuid) for c in sent)
    # what the engine stored is sealed: the caller's number is nowhere in the database file or its WAL
    path = db_url.split("///", 1)[1]
    for name in (path, path + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as fh:
                assert b"13800138000" not in fh.read(), name


def set_not_ready(engine, extensions, reason="break"):
    """Agents take a break, through the same request path the console uses."""
    ids = {a.extension: a.agent_id for a in engine.center.floor.agents.values()}
    for ext in extensions:
        engine.runtime.post(AgentRequest(ids[ext], "not_ready", reason, "test", time.time()))
    wait_until(lambda: all(engine.center.floor.agents[ids[e]].state is AgentState.NOT_READY for e in extensions),
               5, "agents not ready")
    return ids


def test_agent_not_answering_is_set_not_ready_and_the_call_goes_to_another_agent(sim, engine, db_url):
    # etax agents 1006..1009 and 1001: only 1006 (first by 工号 among equally idle agents) and 1007 stay ready
    ids = set_not_ready(engine, ["1001", "1008", "1009"])
    sim.set_phone("1006", behaviour="no_answer")
    uuid = sim.place_call(did="12366", digits="2", talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 40, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED and rec.offers == 2
    assert rec.agent_id == ids["1007"]
    agent_1006 = read(db_url, lambda s: s.get(Agent, ids["1006"]))
    assert (agent_1006.state, agent_1006.not_ready_reason) == (AgentState.NOT_READY, NotReadyReason.NO_ANSWER)
    log = read(db_url, lambda s: s.scalars(select(AgentStateChange).where(
        AgentStateChange.agent_id == ids["1006"], AgentStateChange.to_state == AgentState.NOT_READY)).one())
    assert log.cause == "NO_ANSWER" and log.call_uuid == uuid


def test_unknown_number_hears_the_fallback_and_is_hung_up_with_a_record(sim, engine, db_url):
    uuid = sim.place_call(did="99999", digits="")
    rec = wait_until(lambda: record_of(db_url, uuid), 20, "the call record")
    assert rec.outcome is CallOutcome.NO_ROUTE and rec.hangup_side is HangupSide.SYSTEM
    sent = [c["command"] for c in sim.commands()]
    assert any("unknown_number.wav" in c for c in sent)


def test_caller_giving_up_in_the_queue_is_recorded_as_abandoned(sim, engine, db_url):
    set_not_ready(engine, ["1005", "1009", "1010", "1011", "1012"], "meeting")    # every social-fee agent
    uuid = sim.place_call(did="12366", digits="3", patience=40.0)   # 2 s at the test time scale; the IVR takes ~1 s
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    assert rec.outcome is CallOutcome.ABANDONED and rec.hangup_side is HangupSide.CALLER
    assert rec.answered_at is None and rec.enqueued_at is not None and rec.offers == 0
