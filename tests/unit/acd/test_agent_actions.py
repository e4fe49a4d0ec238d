"""Agent call actions in the core: hang up, hold, blind transfer (queue, agent, flow, number), dial out."""
import itertools

import pytest

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import (AgentRequest, CallParked, DirectoryLoaded, LegHungUp, OriginateResult,
                                  TimerFired)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, CallOutcome, NotReadyReason
from engine.ivr.loader import parse_flow

QUEUES = (QueueSpec(1, "policy", "税收政策", {1: 5}, wrap_up_s=0), QueueSpec(2, "etax", "电子税务局", {2: 5}, wrap_up_s=0))
FLOW = parse_flow({"name": "f", "start": "q", "nodes": {"q": {"type": "queue", "queue": "policy"}}}, "f.yaml")
SURVEY = parse_flow({"name": "survey", "start": "s", "nodes": {
    "s": {"type": "survey", "prompt": "rate.wav", "invalid_prompt": "bad.wav", "next": "bye"},
    "bye": {"type": "hangup"}}}, "s.yaml")


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def ask(cc, agent_id, action, argument=None, note="", at=50.0, request_id=1):
    out = cc.handle(AgentRequest(agent_id, action, None, f"A{agent_id}", at, request_id, argument, note))
    return out, of(out, c.SaveRequestResult)[0]


@pytest.fixture
def cc():
    ids = (f"id{n}" for n in itertools.count())
    center = CallCenter({"f": FLOW, "survey": SURVEY}, "/p", new_id=lambda: next(ids))
    center.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY, idle_since=1),
                                   Agent(2, "A2", "b", "1002", {2: 5}, state=AgentState.NOT_READY,
                                         reason=NotReadyReason.MEETING),
                                   Agent(3, "A3", "c", "1003", {1: 5}, state=AgentState.NOT_READY,
                                         reason=NotReadyReason.BREAK)),
                                  QUEUES, {"12366": "f"}, 0.0))
    return center


def connected(cc):
    dial = of(cc.handle(CallParked("caller", "139", "12366", "", True, 1.0)), c.DialAgent)[0]
    cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 5.0))
    return dial.leg_uuid


def test_hold_hangup_and_refusals(cc):
    leg = connected(cc)
    out, result = ask(cc, 1, "hold")
    assert result.accepted and of(out, c.HoldCall) == [c.HoldCall(leg, True)]   # music to the caller
    out, result = ask(cc, 1, "hangup")
    assert c.Hangup(leg, "NORMAL_CLEARING") in out
    _, result = ask(cc, 2, "hold")
    assert not result.accepted and "no call in conversation" in result.message


def test_blind_transfer_to_a_queue_carries_the_note_and_a_higher_priority(cc):
    leg = connected(cc)
    ask(cc, 2, "ready")
    out, result = ask(cc, 1, "transfer", "queue:etax", note="发票作废问题，已核实身份")
    assert result.accepted and c.Hangup(leg, "NORMAL_CLEARING") in out
    out = cc.handle(LegHungUp(leg, "NORMAL_CLEARING", 60.0))
    call = cc.floor.calls["caller"]
    assert (call.queue_code, call.priority, call.transfers) == ("etax", 5, 1)
    assert call.variables == {"transferred_by": "A1", "transfer_note": "发票作废问题，已核实身份"}
    assert of(out, c.DialAgent)[0].extension == "1002"
    # etax has no wrap-up time: ready in the same event, no wrap-up timer
    assert cc.floor.agents[1].state is AgentState.READY and not [t for t in of(out, c.StartTimer)
                                                                  if t.key.startswith("wrapup:")]
    _, result = ask(cc, 1, "transfer", "queue:nowhere", request_id=9)
    assert not result.accepted


def test_transfer_to_a_named_agent_and_to_an_ivr_flow(cc):
    leg = connected(cc)
    _, result = ask(cc, 1, "transfer", "agent:A3")
    assert not result.accepted and "not ready" in result.message
    ask(cc, 3, "ready")
    ask(cc, 1, "transfer", "agent:A3")
    out = cc.handle(LegHungUp(leg, "NORMAL_CLEARING", 60.0))
    assert of(out, c.DialAgent)[0].extension == "1003"
    dial = of(out, c.DialAgent)[0]
    cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 62.0))
    ask(cc, 3, "transfer", "flow:survey", request_id=2)
    out = cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", 90.0))
    assert of(out, c.Collect)[0].prompt == "/p/rate.wav" and cc.floor.calls["caller"].flow == "survey"


def test_transfer_to_a_number_that_fails_puts_the_caller_back_in_the_queue(cc):
    leg = connected(cc)
    ask(cc, 1, "transfer", "number:95566")
    out = cc.handle(LegHungUp(leg, "NORMAL_CLEARING", 60.0))
    dial = of(out, c.DialCustomer)[0]
    assert dial.number == "95566"
    out = cc.handle(OriginateResult(dial.job_uuid, False, None, "USER_BUSY", 65.0))
    call = cc.floor.calls["caller"]
    assert "transfer_failed:USER_BUSY" in call.ivr_path and call.priority == 5
    # back in the queue, and offered at once: the transferring agent had no wrap-up time and is ready again
    assert call.phase.value == "offering" and of(out, c.DialAgent)[0].extension == "1001"


def test_an_agent_dials_out_while_not_ready_and_returns_to_not_ready(cc):
    out, result = ask(cc, 2, "dial", "number:13800000001")
    assert result.accepted and cc.floor.agents[2].state is AgentState.RESERVED
    dial = of(out, c.DialAgent)[0]
    assert (dial.extension, dial.caller_id_number) == ("1002", "13800000001")
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 52.0))
    customer = of(out, c.DialCustomer)[0]
    assert customer.number == "13800000001"
    out = cc.handle(OriginateResult(customer.job_uuid, True, customer.leg_uuid, "", 55.0))
    assert of(out, c.Bridge) == [c.Bridge(customer.leg_uuid, dial.leg_uuid)]
    out = cc.handle(LegHungUp(customer.leg_uuid, "NORMAL_CLEARING", 100.0))
    rec = of(out, c.SaveCallRecord)[0]
    assert (rec.direction, rec.outcome, rec.agent_id, rec.dnis) == ("outbound", CallOutcome.ANSWERED, 2, "13800000001")
    cc.handle(TimerFired("wrapup:2", 101.0))
    agent = cc.floor.agents[2]
    assert (agent.state, agent.reason) == (AgentState.NOT_READY, NotReadyReason.MEETING)
    _, result = ask(cc, 1, "dial", "number:abc", request_id=3)
    assert not result.accepted


def test_a_supervisor_takes_over_the_call_on_their_extension(cc):
    leg = connected(cc)
    out = cc.handle(AgentRequest(1, "takeover", None, "super", 50.0, 7, "2000"))
    assert of(out, c.SaveRequestResult)[0].accepted and c.Hangup(leg, "NORMAL_CLEARING") in out
    out = cc.handle(LegHungUp(leg, "NORMAL_CLEARING", 51.0))
    dial = of(out, c.DialCustomer)[0]
    assert (dial.number, dial.extension) == ("2000", True)
    assert cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 53.0)) == [c.Bridge("caller", dial.leg_uuid)]
    assert cc.floor.agents[1].state is AgentState.READY         # its conversation handed over; no wrap-up time


def test_supervision_is_refused_once_the_caller_has_hung_up_though_the_agent_leg_is_still_going(cc):
    """FreeSWITCH tears the agent's leg down after the caller's: a whisper asked in between would eavesdrop on a
    leg being hung up; it is refused like one after the call."""
    leg = connected(cc)
    _, result = ask(cc, 1, "listen", "2000", request_id=8)
    assert result.accepted
    cc.handle(LegHungUp("caller", "NORMAL_CLEARING", 60.0))
    out, result = ask(cc, 1, "whisper", "2000", at=60.1, request_id=9)
    assert not result.accepted and "not in a conversation" in result.message and not of(out, c.Supervise)
    cc.handle(LegHungUp(leg, "NORMAL_CLEARING", 60.2))
    _, result = ask(cc, 1, "whisper", "2000", at=60.3, request_id=10)
    assert not result.accepted


def test_a_supervisors_listening_is_logged_from_the_moment_they_join_until_their_phone_leaves(cc):
    """The floor marks a monitored call from `supervised` to `supervision_ended` (admin_web.floor.queries)."""
    connected(cc)
    out, result = ask(cc, 1, "listen", "2000", at=50.0, request_id=8)
    (sup,) = of(out, c.Supervise)
    started = [e for e in of(out, c.LogCallEvent) if e.kind.value == "supervised"]
    assert result.accepted and [(e.call_uuid, e.agent_id, e.detail) for e in started] == [("caller", 1, "listen")]
    assert not of(cc.handle(OriginateResult(sup.job_uuid, True, sup.leg_uuid, "", 52.0)), c.LogCallEvent)
    out = cc.handle(LegHungUp(sup.leg_uuid, "NORMAL_CLEARING", 82.0))
    (ended,) = of(out, c.LogCallEvent)
    assert (ended.kind.value, ended.call_uuid, ended.agent_id, ended.detail, ended.duration_s) == (
        "supervision_ended", "caller", 1, "listen", 30.0)
    assert cc.floor.agents[1].state is AgentState.TALKING, "the agent's conversation goes on"


def test_a_supervisors_phone_that_never_joined_ends_the_mark_at_once(cc):
    connected(cc)
    out, _ = ask(cc, 1, "whisper", "2000", at=50.0, request_id=8)
    (sup,) = of(out, c.Supervise)
    out = cc.handle(OriginateResult(sup.job_uuid, False, None, "USER_BUSY", 51.0))
    assert [(e.kind.value, e.duration_s) for e in of(out, c.LogCallEvent)] == [("supervision_ended", 0.0)]
    assert not cc.floor.supervision_legs
