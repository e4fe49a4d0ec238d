"""Queue behaviour in the core: priorities, ring-all, overflow steps, limits, console requests."""
import dataclasses
import itertools

import pytest

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import AgentRequest, CallParked, DirectoryLoaded, LegHungUp, OriginateResult, TimerFired
from engine.domain.queueing import OverflowStep
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, CallOutcome
from engine.ivr.loader import parse_flow

QUEUES = {"policy": QueueSpec(1, "policy", "税收政策", {1: 5}), "etax": QueueSpec(2, "etax", "电子税务局", {2: 5})}


def flow(queue, priority=0):
    return parse_flow({"name": f"to_{queue}_{priority}", "start": "q",
                       "nodes": {"q": {"type": "queue", "queue": queue, "priority": priority}}}, "f.yaml")


def agent(i, skills, state=AgentState.READY, idle=0.0, position=0):
    return Agent(i, f"A{i}", f"agent{i}", str(1000 + i), skills, state=state, idle_since=idle, position=position)


def center(agents, **queue_changes):
    ids = (f"id{n}" for n in itertools.count())
    flows = {f.name: f for f in (flow("policy"), flow("policy", 5), flow("etax"))}
    cc = CallCenter(flows, "/p", new_id=lambda: next(ids))
    queues = [dataclasses.replace(q, **queue_changes.get(q.code, {})) for q in QUEUES.values()]
    cc.handle(DirectoryLoaded(tuple(agents), tuple(queues),
                              {"1": "to_policy_0", "5": "to_policy_5", "2": "to_etax_0"}, 0.0))
    return cc


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def arrive(cc, uuid, dnis, at):
    return cc.handle(CallParked(uuid, "139", dnis, "", True, at))


def test_a_vip_call_is_served_before_ordinary_calls_that_waited_less_than_its_advance():
    cc = center([agent(1, {1: 5}, AgentState.NOT_READY)])
    arrive(cc, "ordinary", "1", 10.0)
    arrive(cc, "vip", "5", 100.0)          # priority 5 x 60 s: counts as arriving at -200
    out = cc.handle(AgentRequest(1, "ready", None, "A1", 120.0))
    assert of(out, c.DialAgent)[0].variables["cc_call_uuid"] == "vip"


def test_ring_all_rings_every_ready_agent_and_the_first_answer_wins():
    cc = center([agent(1, {1: 5}), agent(2, {1: 7}), agent(3, {2: 9})], policy={"strategy": "ring_all"})
    dials = of(arrive(cc, "a", "1", 1.0), c.DialAgent)
    assert sorted(d.extension for d in dials) == ["1001", "1002"]
    out = cc.handle(OriginateResult(dials[1].job_uuid, True, dials[1].leg_uuid, "", 5.0))
    assert c.Bridge("a", dials[1].leg_uuid) in out and c.Hangup(dials[0].leg_uuid, "LOSE_RACE") in out
    assert [r.result for r in of(out, c.SaveOffer)] == ["answered", "lost_race"]
    states = {i: cc.floor.agents[i].state for i in (1, 2)}
    assert states == {1: AgentState.READY, 2: AgentState.TALKING}
    # the loser's late failure changes nothing
    assert of(cc.handle(OriginateResult(dials[0].job_uuid, False, None, "LOSE_RACE", 6.0)), c.SaveAgentState) == []


def test_overflow_steps_widen_the_skills_then_move_the_call_keeping_its_wait():
    steps = (OverflowStep(30, "widen", skills={2: 3}), OverflowStep(60, "overflow", queue="policy"))
    cc = center([agent(1, {2: 3}, AgentState.NOT_READY), agent(2, {1: 5}, AgentState.NOT_READY)],
                etax={"overflow": steps})
    out = arrive(cc, "a", "2", 0.0)
    assert of(out, c.StartTimer)[0] == c.StartTimer("maxwait:a", 600.0)
    assert c.StartTimer("step:a", 30.0) in out
    out = cc.handle(TimerFired("step:a", 30.0))
    assert cc.floor.calls["a"].required == {2: 3} and c.StartTimer("step:a", 30.0) in out
    out = cc.handle(TimerFired("step:a", 60.0))
    call = cc.floor.calls["a"]
    assert (call.queue_code, call.required, call.enqueued_at) == ("policy", {1: 5}, 0.0)
    out = cc.handle(AgentRequest(2, "ready", None, "A2", 61.0))
    assert of(out, c.DialAgent)[0].extension == "1002"
    assert "overflow:policy" in call.ivr_path and "widen:etax" in call.ivr_path


def test_max_wait_plays_all_busy_then_hangs_up_as_timed_out():
    cc = center([agent(1, {1: 5}, AgentState.NOT_READY)], policy={"max_wait_s": 90})
    arrive(cc, "a", "1", 0.0)
    out = cc.handle(TimerFired("maxwait:a", 90.0))
    play = of(out, c.Play)[0]
    assert play.source == "/p/all_busy.wav" and of(out, c.StopMedia)
    from engine.domain.events import AppFinished
    assert cc.handle(AppFinished("a", "playback", play.app_uuid, "FILE PLAYED", None, None, 95.0)) == [
        c.Hangup("a", "NORMAL_CLEARING")]
    rec = of(cc.handle(LegHungUp("a", "NORMAL_CLEARING", 95.1)), c.SaveCallRecord)[0]
    assert rec.outcome is CallOutcome.TIMED_OUT and "max_wait" in rec.ivr_path


def test_full_queue_and_nobody_logged_in_are_refused_with_the_prompt():
    cc = center([agent(1, {1: 5}, AgentState.NOT_READY), agent(2, {2: 5}, AgentState.LOGGED_OUT)],
                policy={"max_size": 1}, etax={"no_agent_action": "reject"})
    arrive(cc, "a", "1", 0.0)
    out = arrive(cc, "b", "1", 1.0)
    assert cc.floor.calls["b"].end_outcome is CallOutcome.QUEUE_FULL and of(out, c.Play)[-1].source.endswith(
        "all_busy.wav") and "b" not in cc.floor.waiting
    arrive(cc, "e", "2", 2.0)
    assert cc.floor.calls["e"].end_outcome is CallOutcome.NO_AGENT


@pytest.mark.parametrize("action,reason,state,accepted,message", [
    ("not_ready", "meal", AgentState.READY, True, ""),
    ("ready", None, AgentState.TALKING, False, "cannot ready while talking"),
    ("not_ready", None, AgentState.READY, False, "needs a not-ready reason"),
    ("dance", None, AgentState.READY, False, "unknown request dance"),
])
def test_console_requests_are_answered_with_the_result(action, reason, state, accepted, message):
    cc = center([agent(1, {1: 5}, state)])
    out = cc.handle(AgentRequest(1, action, reason, "supervisor", 5.0, request_id=42))
    result = of(out, c.SaveRequestResult)[0]
    assert (result.request_id, result.accepted) == (42, accepted) and message in result.message
    if accepted:
        change = of(out, c.SaveAgentState)[0].change
        assert change.actor == "supervisor" and change.to_state is AgentState.NOT_READY


def test_an_agent_is_never_offered_two_calls_and_the_index_follows_states():
    cc = center([agent(1, {1: 5})])
    assert len(of(arrive(cc, "a", "1", 0.0), c.DialAgent)) == 1
    assert of(arrive(cc, "b", "1", 1.0), c.DialAgent) == []
    assert cc.floor.ready == set() and list(cc.floor.waiting) == ["b"]


def test_an_agent_in_wrap_up_may_extend_it_and_nobody_else_can():
    cc = center([agent(1, {1: 5}, AgentState.WRAP_UP), agent(2, {1: 5})])
    out = cc.handle(AgentRequest(1, "extend_wrap_up", None, "A1", 5.0, request_id=7))
    assert c.StartTimer("wrapup:1", 60.0) in out and of(out, c.SaveRequestResult)[0].accepted
    out = cc.handle(AgentRequest(2, "extend_wrap_up", None, "A2", 5.0, request_id=8))
    assert not of(out, c.StartTimer) and "only extend wrap-up during wrap-up" in of(out, c.SaveRequestResult)[0].message


def test_tiered_dispatch_tries_the_numbers_county_hall_then_the_city_then_the_province():
    from engine.domain.regions import HallLevel, HallRef
    halls = (HallRef(1, "GD", "广东省", HallLevel.PROVINCE), HallRef(2, "SZ", "深圳市", HallLevel.CITY, 1),
             HallRef(3, "FT", "福田区", HallLevel.COUNTY, 2))
    agents = [dataclasses.replace(agent(i, {1: 5}, idle=i), hall_id=hall) for i, hall in
              ((1, 3), (2, 2), (3, 1), (4, None))]
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"to_policy_0": flow("policy")}, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded(tuple(agents), (QUEUES["policy"],), {"1": "to_policy_0", "2": "to_policy_0"}, 0.0,
                              halls, {"1": 3, "2": 1}))
    dials = [of(arrive(cc, f"c{n}", "1", float(n)), c.DialAgent) for n in range(5)]
    assert [d[0].extension if d else None for d in dials] == ["1001", "1002", "1003", "1004", None]
    offers = [o for o in cc.floor.offers.values()]
    assert "served by 福田区" in offers[0].reason and offers[1].reason.startswith("福田区 busy; served by 深圳市")
    # a province-wide number: the province's own staff, then agents without a hall — never a county agent
    cc.handle(AgentRequest(1, "ready", None, "x", 9.0))     # ignored: agent 1 is ringing, not free
    assert cc.floor.calls["c4"].hall_chain == (3, 2, 1)
    assert cc.handle(CallParked("p", "139", "2", "", True, 10.0)) and cc.floor.calls["p"].hall_chain == (1,)


def test_queue_status_is_published_hall_by_hall_for_the_halls_supervisors():
    """Each hall's waiting callers (by the number they dialled) and its agents able to take the queue, beside the
    queue's totals: a city supervisor's floor shows their halls only (admin_web.scope)."""
    from engine.domain.events import PublishStatus
    from engine.domain.regions import HallLevel, HallRef
    halls = (HallRef(1, "GD", "广东省", HallLevel.PROVINCE), HallRef(2, "SZ", "深圳市", HallLevel.CITY, 1),
             HallRef(3, "FT", "福田区", HallLevel.COUNTY, 2))
    agents = [dataclasses.replace(agent(i, {1: 5}, idle=i, state=state), hall_id=hall) for i, hall, state in
              ((1, 3, AgentState.NOT_READY), (2, 2, AgentState.READY), (4, None, AgentState.NOT_READY))]
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"to_policy_0": flow("policy")}, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded(tuple(agents), (QUEUES["policy"],), {"1": "to_policy_0", "2": "to_policy_0"}, 0.0,
                              halls, {"1": 3, "2": 1}))
    assert of(arrive(cc, "futian-1", "1", 1.0), c.DialAgent)[0].extension == "1002"    # served by the city
    arrive(cc, "futian-2", "1", 2.0)
    arrive(cc, "province", "2", 3.0)
    snap, = of(cc.handle(PublishStatus(4.0)), c.SaveQueueStatus)[0].queues
    assert (snap.waiting, snap.longest_wait_since, snap.agents_ready, snap.agents_busy, snap.agents_logged_in) \
        == (2, 2.0, 0, 1, 3)
    assert snap.halls == (c.HallFigures(0, 0, None, 0, 0, 1), c.HallFigures(1, 1, 3.0, 0, 0, 0),
                          c.HallFigures(2, 0, None, 0, 1, 1), c.HallFigures(3, 1, 2.0, 0, 0, 1))


def test_routing_rules_block_a_listed_caller_and_send_vips_to_another_queue_with_priority():
    from engine.domain.rules import Rule, RuleSet
    rules = RuleSet([Rule("blocklist", {"caller_in": ["13000000000"]}, {"block": True, "prompt": "bye.wav"}, 1),
                     Rule("vip", {"caller_prefix": "1390000"}, {"queue": "etax", "priority": 9,
                                                                  "tag": {"tier": "vip"}}, 2)])
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"to_policy_0": flow("policy")}, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(1, {2: 5}),), tuple(QUEUES.values()), {"1": "to_policy_0"}, 0.0,
                              rules=rules, skill_ids={"policy": 1, "etax": 2}))
    out = cc.handle(CallParked("blocked", "13000000000", "1", "", True, 1.0))
    assert of(out, c.Play)[-1].source == "/p/bye.wav" and "rule:blocklist" in cc.floor.calls["blocked"].ivr_path
    assert cc.floor.calls["blocked"].end_outcome is CallOutcome.NO_ROUTE
    out = cc.handle(CallParked("vip", "13900001234", "1", "", True, 2.0))
    call = cc.floor.calls["vip"]
    assert (call.queue_code, call.priority, call.variables["tier"]) == ("etax", 9, "vip")
    assert of(out, c.DialAgent)[0].extension == "1001"


def test_an_overflow_step_due_while_an_agent_rings_applies_when_the_offer_fails():
    steps = (OverflowStep(30, "overflow", queue="policy"),)
    cc = center([agent(1, {2: 5}), agent(2, {1: 5}, AgentState.NOT_READY)], etax={"overflow": steps})
    dial = of(arrive(cc, "a", "2", 0.0), c.DialAgent)[0]
    assert cc.handle(TimerFired("step:a", 30.0)) == []
    cc.handle(AgentRequest(2, "ready", None, "A2", 31.0))
    out = cc.handle(OriginateResult(dial.job_uuid, False, None, "NO_ANSWER", 40.0))
    # the step that fell due applies first, as an event of its own, before the call is offered again
    assert c.StartTimer("step:a", 0.0) in out and not of(out, c.DialAgent)
    out = cc.handle(TimerFired("step:a", 40.0))
    assert cc.floor.calls["a"].queue_code == "policy" and of(out, c.DialAgent)[0].extension == "1002"
