"""Consultation in the core: cancel, the consulted party hanging up, the caller leaving, refusals."""
import itertools

import pytest

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import AgentRequest, CallParked, DirectoryLoaded, LegHungUp, OriginateResult
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState
from engine.ivr.loader import parse_flow

QUEUES = (QueueSpec(1, "policy", "税收政策", {1: 5}, wrap_up_s=0), QueueSpec(2, "etax", "电子税务局", {2: 5}, wrap_up_s=0))
FLOW = parse_flow({"name": "f", "start": "q", "nodes": {"q": {"type": "queue", "queue": "policy"}}}, "f.yaml")


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def ask(cc, agent_id, action, argument=None, at=50.0):
    out = cc.handle(AgentRequest(agent_id, action, None, f"A{agent_id}", at, 1, argument, ""))
    return out, of(out, c.SaveRequestResult)[0]


@pytest.fixture
def cc():
    ids = (f"id{n}" for n in itertools.count())
    center = CallCenter({"f": FLOW}, "/p", new_id=lambda: next(ids))
    center.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY, idle_since=1),
                                   Agent(2, "A2", "b", "1002", {2: 5}, state=AgentState.READY, idle_since=2),
                                   Agent(3, "A3", "c", "1003", {2: 5}, state=AgentState.NOT_READY)),
                                  QUEUES, {"12366": "f"}, 0.0))
    dial = of(center.handle(CallParked("caller", "139", "12366", "", True, 1.0)), c.DialAgent)[0]
    center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 5.0))
    center.agent_leg = dial.leg_uuid
    return center


def consulted(cc, target="queue:etax"):
    out, result = ask(cc, 1, "consult", target)
    assert result.accepted, result.message
    dial = of(out, c.DialCustomer)[0]
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 60.0))
    return dial, out


def test_consulting_a_queue_rings_its_longest_idle_ready_agent_and_sets_the_caller_aside_with_music(cc):
    dial, out = consulted(cc)
    assert (dial.number, dial.extension) == ("1002", True)
    assert c.Bridge(cc.agent_leg, dial.leg_uuid) in out
    assert of(out, c.PlayMusic) == [c.PlayMusic("caller", "local_stream://moh")]
    assert cc.floor.agents[2].state is AgentState.TALKING and cc.floor.agents[2].call_uuid == "caller"


def test_going_back_to_the_caller_reconnects_and_frees_the_consulted_agent(cc):
    dial, _ = consulted(cc)
    out, result = ask(cc, 1, "consult_cancel")
    assert result.accepted
    assert c.Bridge("caller", cc.agent_leg) in out and c.Hangup(dial.leg_uuid, "NORMAL_CLEARING") in out
    # the consulted agent is ready again at once (free for a new call once its own leg is gone)
    assert cc.floor.agents[2].state is AgentState.READY and cc.floor.calls["caller"].consult is None
    assert not cc.floor.is_free(2) and cc.floor.agents[1].state is AgentState.TALKING


def test_the_consulted_party_hanging_up_puts_the_agent_back_with_the_caller(cc):
    dial, _ = consulted(cc, "number:13900000001")
    assert dial.extension is False
    out = cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", 70.0))
    assert c.Bridge("caller", cc.agent_leg) in out and cc.floor.calls["caller"].consult is None


def test_an_unanswered_consult_leaves_the_consulted_agent_ready_and_the_call_as_it_was(cc):
    out, _ = ask(cc, 1, "consult", "agent:A2")
    dial = of(out, c.DialCustomer)[0]
    assert cc.floor.agents[2].state is AgentState.RESERVED
    _, result = ask(cc, 1, "consult_transfer")
    assert not result.accepted and "not answered" in result.message
    cc.handle(OriginateResult(dial.job_uuid, False, None, "NO_ANSWER", 80.0))
    assert cc.floor.agents[2].state is AgentState.READY and cc.floor.calls["caller"].consult is None


def test_the_caller_leaving_during_a_consult_releases_the_consulted_agent(cc):
    dial, _ = consulted(cc, "agent:A2")
    out = cc.handle(LegHungUp("caller", "NORMAL_CLEARING", 90.0))
    assert c.Hangup(dial.leg_uuid, "NORMAL_CLEARING") in out
    assert cc.floor.agents[2].state is AgentState.READY and cc.floor.agents[1].state is AgentState.READY


def test_refusals_say_why(cc):
    assert "not ready" in ask(cc, 1, "consult", "agent:A3")[1].message
    assert "not consulting" in ask(cc, 1, "conference")[1].message
    assert "must be" in ask(cc, 1, "consult", "flow:survey")[1].message
    consulted(cc, "agent:A2")
    assert "already in progress" in ask(cc, 1, "consult", "number:1")[1].message
    assert "finish the consultation" in ask(cc, 1, "hold")[1].message


def test_the_consulted_agent_hanging_up_from_the_desktop_ends_only_their_leg(cc):
    dial, _ = consulted(cc, "agent:A2")
    out, result = ask(cc, 2, "hangup")
    assert result.accepted and of(out, c.Hangup) == [c.Hangup(dial.leg_uuid, "NORMAL_CLEARING")]
    assert "being consulted" in ask(cc, 2, "hold")[1].message
