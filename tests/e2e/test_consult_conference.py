"""Answer from the desktop, consult-then-transfer and three-party conference, through the real ESL path:
the commands on the wire are FreeSWITCH's own (uuid_phone_event, uuid_bridge as in capture 06c, uuid_transfer
into a conference as in capture 05b)."""
from __future__ import annotations

from engine.domain.states import AgentState, CallOutcome
from tests.e2e.conftest import wait_until
from tests.e2e.test_agent_actions import request, result_of
from tests.e2e.test_walking_skeleton import record_of

ETAX = ("1001", "1006", "1007", "1008", "1009")


def answered_call(sim, engine, uuid):
    floor = engine.center.floor
    return wait_until(lambda: floor.calls.get(uuid) if floor.calls.get(uuid) and floor.calls[uuid].answered_at
                      and floor.calls[uuid].phase.value == "connected" else None, 20, "the call to be answered")


def bridged_to(sim, uuid):
    return next((ch["bridged_to"] for ch in sim.channels() if ch["uuid"] == uuid), None)


def wire(sim):
    return [c["command"] for c in sim.commands()]


def test_a_phone_that_does_not_answer_by_itself_is_answered_from_the_desktop(sim, engine, db_url):
    for ext in ETAX:
        sim.set_phone(ext, behaviour="manual")
    uuid = sim.place_call(did="12366", digits="2", talk_time=300.0)
    floor = engine.center.floor
    agent = wait_until(lambda: next((a for a in floor.agents.values() if a.state is AgentState.RESERVED
                                     and a.call_uuid == uuid), None), 20, "an agent's phone ringing")
    leg = next(o.leg_uuid for o in floor.offers.values() if o.agent_id == agent.agent_id)
    assert result_of(db_url, request(db_url, agent.extension, "answer")) == "ok"
    call = answered_call(sim, engine, uuid)
    assert call.agent_id == agent.agent_id and floor.agents[agent.agent_id].state is AgentState.TALKING
    wait_until(lambda: f"api uuid_phone_event {leg} talk" in wire(sim), 10, "the remote answer on the wire")
    ready = next(a for a in floor.agents.values() if a.state is AgentState.READY)
    refused = result_of(db_url, request(db_url, ready.extension, "answer"))
    assert refused != "ok" and "no ringing call" in refused
    sim.hangup(uuid)


def test_consult_another_agent_then_transfer_with_a_note(sim, engine, db_url):
    uuid = sim.place_call(did="12366", digits="2", talk_time=300.0)
    call = answered_call(sim, engine, uuid)
    floor = engine.center.floor
    first = floor.agents[call.agent_id]
    first_leg = call.agent_leg
    second = next(a for a in sorted(floor.agents.values(), key=lambda a: a.employee_no)
                  if a.state is AgentState.READY and a.agent_id != first.agent_id)
    assert result_of(db_url, request(db_url, first.extension, "consult", f"agent:{second.employee_no}")) == "ok"
    consult = wait_until(lambda: call.consult if call.consult and call.consult.answered else None, 20,
                         "the consulted agent to answer")
    assert floor.agents[second.agent_id].state is AgentState.TALKING
    music = (lambda c: c.startswith(f"sendmsg {uuid}\n") and "execute-app-name: playback" in c
             and "loops: -1" in c)          # hold music in a loop until the caller is bridged again
    sent = wait_until(lambda: (lambda cmds: cmds if any(music(c) for c in cmds)
                                else None)(wire(sim)), 10, "the commands of the consultation")
    assert f"api uuid_bridge {first_leg} {consult.leg_uuid}" in sent          # the caller drops out and parks
    assert any(music(c) for c in sent)                                       # and hears music meanwhile
    # the agents talk to each other while the caller waits alone
    wait_until(lambda: bridged_to(sim, uuid) is None and bridged_to(sim, first_leg) == consult.leg_uuid or None,
               10, "the caller parked and the agents bridged")
    refused = result_of(db_url, request(db_url, first.extension, "transfer", "queue:etax"))
    assert refused != "ok" and "consultation" in refused
    assert result_of(db_url, request(db_url, first.extension, "consult_transfer",
                                     note="已核实身份，需要专家解答")) == "ok"
    wait_until(lambda: call.agent_id == second.agent_id or None, 10, "the call to be the second agent's")
    wait_until(lambda: f"api uuid_bridge {uuid} {consult.leg_uuid}" in wire(sim), 10, "the transfer's bridge")
    wait_until(lambda: bridged_to(sim, uuid) == consult.leg_uuid or None, 10, "the caller with the second agent")
    wait_until(lambda: floor.agents[first.agent_id].state in (AgentState.WRAP_UP, AgentState.READY) or None, 10,
               "the first agent to wrap up")
    assert call.variables["transfer_note"] == "已核实身份，需要专家解答"
    assert floor.agents[second.agent_id].state is AgentState.TALKING
    sim.hangup(uuid)
    rec = wait_until(lambda: record_of(db_url, uuid), 10, "the record")
    assert (rec.outcome, rec.transfers, rec.agent_id) == (CallOutcome.ANSWERED, 1, second.agent_id)


def test_consult_an_outside_number_then_a_three_party_conference(sim, engine, db_url):
    sim.set_outside("13900000077", answer_delay=1.0)
    uuid = sim.place_call(did="12366", digits="2", talk_time=300.0)
    call = answered_call(sim, engine, uuid)
    floor = engine.center.floor
    agent = floor.agents[call.agent_id]
    agent_leg = call.agent_leg
    assert result_of(db_url, request(db_url, agent.extension, "conference")) != "ok"      # nobody consulted yet
    assert result_of(db_url, request(db_url, agent.extension, "consult", "number:13900000077")) == "ok"
    consult = wait_until(lambda: call.consult if call.consult and call.consult.answered else None, 20,
                         "the outside number to answer")
    assert any("sofia/gateway/trunk/13900000077" in c for c in wire(sim))
    assert result_of(db_url, request(db_url, agent.extension, "conference")) == "ok"
    room = f"cc-{uuid}"
    sent = wait_until(lambda: (lambda cmds: cmds if any(f"api uuid_transfer {uuid} " in c for c in cmds) else None)(
        wire(sim)), 10, "the moves into the conference")
    assert f"api uuid_transfer {agent_leg} -both 'conference:{room}@default' inline" in sent
    assert f"api uuid_transfer {uuid} 'conference:{room}@default' inline" in sent
    members = wait_until(lambda: next((c["members"] for c in sim.conferences() if c["name"] == room
                                       and len(c["members"]) == 3), None), 10, "three parties in conference")
    assert {m["uuid"] for m in members} == {uuid, agent_leg, consult.leg_uuid}
    # the agent leaves: the outside party keeps the caller, the agent wraps up
    assert result_of(db_url, request(db_url, agent.extension, "hangup")) == "ok"
    wait_until(lambda: floor.agents[agent.agent_id].state in (AgentState.WRAP_UP, AgentState.READY) or None, 10,
               "the agent to leave the conference")
    assert uuid in floor.calls and call.transferred and call.transfer_leg == consult.leg_uuid
    sim.hangup(uuid)
    rec = wait_until(lambda: record_of(db_url, uuid), 10, "the record")
    assert rec.outcome is CallOutcome.ANSWERED and rec.transfers == 1 and "conference" in rec.ivr_path


def _restart(engine, engine_config):
    from engine.bootstrap import Engine
    engine.stop()                        # the calls stay up on the switch, marked
    second = Engine(engine_config, directory_reload_s=0.3)
    second.start()
    return second


def test_after_an_engine_restart_a_consultation_goes_on_and_ends_in_a_conference(sim, engine, engine_config,
                                                                                  db_url):
    uuid = sim.place_call(did="12366", digits="2", talk_time=300.0)
    call = answered_call(sim, engine, uuid)
    floor = engine.center.floor
    first, first_leg = floor.agents[call.agent_id], call.agent_leg
    second = next(a for a in sorted(floor.agents.values(), key=lambda a: a.employee_no)
                  if a.state is AgentState.READY and a.agent_id != first.agent_id)
    assert result_of(db_url, request(db_url, first.extension, "consult", f"agent:{second.employee_no}")) == "ok"
    consult = wait_until(lambda: call.consult if call.consult and call.consult.answered else None, 20,
                         "the consulted agent to answer")
    wait_until(lambda: bridged_to(sim, first_leg) == consult.leg_uuid or None, 10, "the agents bridged")
    taken = _restart(engine, engine_config)
    try:
        # wait for the consultation too: once in a full run the call was on the new engine's floor a moment before
        # its consultation (left to look into: issue 12's takeover, not this test's subject)
        adopted = wait_until(lambda: (c := taken.center.floor.calls.get(uuid)) is not None and c.consult and c, 10,
                             "the call and its consultation taken over")
        assert adopted.consult.leg_uuid == consult.leg_uuid
        assert adopted.consult.agent_id == second.agent_id and adopted.agent_id == first.agent_id
        assert taken.center.floor.agents[second.agent_id].state is AgentState.TALKING
        assert result_of(db_url, request(db_url, first.extension, "conference")) == "ok"
        wait_until(lambda: any(c.startswith(f"api uuid_transfer {uuid} ") and "conference" in c for c in wire(sim))
                   or None, 10, "the caller sent into the conference")
        wait_until(lambda: all(ch["application"] == "conference" for ch in sim.channels()
                               if ch["uuid"] in (uuid, first_leg, consult.leg_uuid)) or None, 10, "all three in it")
        taken = _restart(taken, engine_config)          # and once more, in conference
        adopted = wait_until(lambda: taken.center.floor.calls.get(uuid), 10, "the conference taken over")
        assert adopted.consult is not None and adopted.consult.conference == f"cc-{uuid}"
        sim.hangup(first_leg)            # the consulting agent leaves: the consulted one keeps the caller
        wait_until(lambda: adopted.agent_id == second.agent_id or None, 10, "the call to be the second agent's")
        sim.hangup(uuid)
        rec = wait_until(lambda: record_of(db_url, uuid), 10, "the record")
        assert (rec.outcome, rec.agent_id) == (CallOutcome.ANSWERED, second.agent_id)
        assert sum(1 for a in taken.center.floor.agents.values() if a.state is AgentState.TALKING) == 0
    finally:
        taken.stop()
