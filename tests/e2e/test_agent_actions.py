"""Agent call actions through the real ESL path: blind transfer with a note, and dialling out."""
from __future__ import annotations

from sqlalchemy import select

from engine.domain.states import AgentState, CallOutcome, NotReadyReason
from engine.store.base import utcnow
from engine.store.models import Agent, AgentRequest, CallRecord
from tests.e2e.conftest import wait_until
from tests.e2e.test_acd import write
from tests.e2e.test_walking_skeleton import read, record_of, set_not_ready


def request(db_url, extension, action, argument=None, note="", actor="agent"):
    def add(s):
        agent_id = s.scalar(select(Agent.id).where(Agent.extension == extension))
        row = AgentRequest(agent_id=agent_id, action=action, argument=argument, note=note, actor=actor,
                           requested_at=utcnow())
        s.add(row)
        s.flush()
        return row.id
    return write(db_url, add)


def result_of(db_url, req):
    return wait_until(lambda: read(db_url, lambda s: s.get(AgentRequest, req).result or None), 10, "the result")


def test_an_agent_transfers_the_caller_to_another_queue_with_a_note(sim, engine, db_url):
    uuid = sim.place_call(did="12366", digits="2", talk_time=300.0)
    call = wait_until(lambda: engine.center.floor.calls.get(uuid) if engine.center.floor.calls.get(uuid) and
                      engine.center.floor.calls[uuid].answered_at else None, 20, "the call to be answered")
    first = engine.center.floor.agents[call.agent_id]
    req = request(db_url, first.extension, "transfer", "queue:social_fee", note="社保补缴，已核实身份")
    assert result_of(db_url, req) == "ok"
    second = wait_until(lambda: call.agent_id if call.agent_id not in (None, first.agent_id) and call.answered_at
                        and call.phase.value == "connected" else None, 20, "another agent to take the call")
    assert call.variables["transfer_note"] == "社保补缴，已核实身份" and call.variables["transferred_by"] == first.employee_no
    assert 3 in engine.center.floor.agents[second].skills             # a social-fee agent
    sim.hangup(uuid)
    rec = wait_until(lambda: record_of(db_url, uuid), 10, "the record")
    assert (rec.outcome, rec.transfers, rec.agent_id) == (CallOutcome.ANSWERED, 1, second)
    assert f"transfer:queue:social_fee:by {first.employee_no}" in rec.ivr_path


def test_an_agent_on_a_break_dials_out_and_goes_back_on_the_break(sim, engine, db_url):
    ids = set_not_ready(engine, ["1002"], "meal")
    sim.set_outside("13900000009", answer_delay=1.0, talk_time=20.0)
    req = request(db_url, "1002", "dial", "number:13900000009")
    assert result_of(db_url, req) == "ok"
    rec = wait_until(lambda: read(db_url, lambda s: s.scalars(select(CallRecord).where(
        CallRecord.direction == "outbound")).first()), 30, "the outbound call's record")
    assert (rec.dnis, rec.outcome, rec.agent_id) == ("13900000009", CallOutcome.ANSWERED, ids["1002"])
    assert any("sofia/gateway/trunk/13900000009" in c["command"] for c in sim.commands())
    agent = wait_until(lambda: engine.center.floor.agents[ids["1002"]] if engine.center.floor.agents[
        ids["1002"]].state is AgentState.NOT_READY else None, 15, "the agent back on the break")
    assert agent.reason is NotReadyReason.MEAL
