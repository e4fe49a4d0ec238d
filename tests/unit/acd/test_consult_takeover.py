"""Consultations and three-party conferences when their engine dies: the engine taking over finds the consulted
party's leg by its marks (cc_phase consult, engine.acd.consult) and goes on with it, or releases it."""
import itertools

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import AgentRequest, DirectoryLoaded, LegHungUp, LiveChannel, SwitchSynced
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState

QUEUES = (QueueSpec(1, "policy", "税收政策", {1: 5}, wrap_up_s=0), QueueSpec(2, "etax", "电子税务局", {2: 5}, wrap_up_s=0))


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def center(consulted_state=AgentState.TALKING):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({}, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.TALKING, call_uuid="x"),
                               Agent(2, "A2", "b", "1002", {2: 5}, state=consulted_state, call_uuid="x")),
                              QUEUES, {}, 0.0))
    return cc


def channels(answered=True, application="playback", bridged=True, agent_leg_alive=True):
    caller = LiveChannel(uuid="x", inbound=True, ani="139", dnis="12366", caller_name="", created_at=1.0,
                         parked=False, answered=True, cc_phase="connected", cc_queue="policy", cc_enqueued_at=2.0,
                         cc_answered_at=5.0, cc_agent="A1", application=application)
    agent_leg = LiveChannel(uuid="a", inbound=False, ani="139", dnis="1001", caller_name="", created_at=4.0,
                            parked=False, answered=True, cc_call_uuid="x", cc_agent="A1", cc_queue="policy")
    consulted = LiveChannel(uuid="k", inbound=False, ani="1001", dnis="1002", caller_name="", created_at=50.0,
                            parked=not answered, answered=answered, cc_agent="A1", cc_phase="consult",
                            cc_consult_of="x", cc_consulted="A2", cc_consult_kind="agent", cc_consult_target="A2",
                            cc_consult_bridged="1" if bridged else "")
    legs = (caller, agent_leg, consulted) if agent_leg_alive else (caller, consulted)
    return SwitchSynced(frozenset(ch.uuid for ch in legs), 100.0, legs)


def ask(cc, agent_id, action, at=110.0):
    out = cc.handle(AgentRequest(agent_id, action, None, f"A{agent_id}", at, 1, None, ""))
    return out, of(out, c.SaveRequestResult)[0]


def test_a_consultation_in_progress_is_taken_over_and_the_agent_can_transfer_to_the_consulted_agent():
    cc = center()
    out = cc.handle(channels())
    assert not of(out, c.Hangup)
    call = cc.floor.calls["x"]
    assert call.consult is not None and call.consult.leg_uuid == "k" and call.consult.agent_id == 2
    assert cc.floor.agents[2].state is AgentState.TALKING
    out, result = ask(cc, 1, "consult_transfer")
    assert result.accepted, result.message
    assert c.Bridge("x", "k") in out and c.Hangup("a", "NORMAL_CLEARING") in out
    assert cc.floor.calls["x"].agent_id == 2


def test_going_back_to_the_caller_after_a_takeover_reconnects_them_and_frees_the_consulted_agent():
    cc = center()
    cc.handle(channels())
    out, result = ask(cc, 1, "consult_cancel")
    assert result.accepted and c.Bridge("x", "a") in out and c.Hangup("k", "NORMAL_CLEARING") in out
    assert cc.floor.agents[2].state is AgentState.READY


def test_a_three_party_conference_is_taken_over_and_the_third_party_keeps_the_caller_when_the_agent_leaves():
    cc = center()
    cc.handle(channels(application="conference"))
    assert cc.floor.calls["x"].consult.conference == "cc-x"
    out = cc.handle(LegHungUp("a", "NORMAL_CLEARING", 120.0))
    assert not of(out, c.Hangup) and cc.floor.calls["x"].agent_id == 2
    assert cc.floor.agents[1].state is not AgentState.TALKING


def test_a_consulted_phone_still_ringing_at_the_takeover_is_released_and_its_agent_freed():
    cc = center(AgentState.RESERVED)
    out = cc.handle(channels(answered=False))
    assert c.Hangup("k", "ORIGINATOR_CANCEL") in out and cc.floor.calls["x"].consult is None
    assert cc.floor.agents[2].state is AgentState.READY
    assert cc.floor.agents[1].state is AgentState.TALKING        # the agent keeps the caller
    assert 2 in cc.floor.leg_of_agent                            # not offered a call until that leg is gone
    cc.handle(LegHungUp("k", "ORIGINATOR_CANCEL", 100.5))
    assert 2 not in cc.floor.leg_of_agent


def test_a_consulted_phone_that_answered_while_no_engine_listened_is_bridged_to_the_consulting_agent():
    cc = center()
    out = cc.handle(channels(bridged=False))
    assert c.Bridge("a", "k") in out and of(out, c.PlayMusic)[0].uuid == "x"
    assert cc.floor.calls["x"].consult.answered


def test_a_caller_the_consulted_agent_kept_is_taken_over_with_that_agent_not_released():
    """Transferred to the consulted agent, or left to them in the conference, just before the kill: the caller's
    own agent leg is gone, the consulted leg holds the caller (bench-failover: such callers were hung up)."""
    cc = center()
    out = cc.handle(channels(agent_leg_alive=False, application="conference"))
    assert not of(out, c.Hangup)
    call = cc.floor.calls["x"]
    assert (call.agent_id, call.agent_leg, call.transfers, call.consult) == (2, "k", 1, None)
    assert cc.floor.agents[2].state is AgentState.TALKING
    record = of(cc.handle(LegHungUp("x", "NORMAL_CLEARING", 200.0)), c.SaveCallRecord)[0]
    assert (record.agent_id, record.transfers) == (2, 1)
