"""The dispatch point, example by example: no wasted ring, an agent free only when its own leg is gone, the
switch's refusals are not the agent's, unreachable phones come back by themselves, pacing within the switch's
session rate, and offers told truthfully in the call-event log."""
import itertools

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.calllog import CallEventKind as K
from engine.domain.events import (AgentRequest, CallParked, DigitPressed, DirectoryLoaded, LegHungUp,
                                  OriginateResult, PhoneProbed, PublishStatus, SwitchLimits, TimerFired)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, NotReadyReason
from engine.ivr.loader import parse_flow

FLOW = parse_flow({"name": "q", "start": "q", "nodes": {"q": {"type": "queue", "queue": "q"}}}, "q.yaml")
QUEUE = QueueSpec(1, "q", "Q", {1: 1}, ring_timeout_s=15, wrap_up_s=0, voicemail_key="9")


def agent(i, skills=None, idle=0.0, state=AgentState.READY):
    return Agent(i, f"A{i}", f"agent{i}", str(1000 + i), skills or {1: 5}, state=state, idle_since=idle)


def center(*agents, exempt=True):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"q": FLOW}, "/p", new_id=lambda: next(ids), exempt_agent_legs=exempt)
    cc.handle(DirectoryLoaded(agents or (agent(1),), (QUEUE,), {"12366": "q"}, 0.0))
    return cc


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def arrive(cc, uuid, at, ani="13800138000"):
    return cc.handle(CallParked(uuid, ani, "12366", "张三", True, at))


def log(cmds):
    return [(e.kind, e.call_uuid, e.agent_id, e.detail) for e in of(cmds, c.LogCallEvent)]


def test_a_ringing_phone_whose_caller_hangs_up_rings_on_for_the_next_caller():
    cc = center(agent(1))
    dial = of(arrive(cc, "first", 1.0), c.DialAgent)[0]
    arrive(cc, "second", 2.0, ani="13900000002")
    out = cc.handle(LegHungUp("first", "ORIGINATOR_CANCEL", 5.0))
    assert not of(out, c.Hangup) and not of(out, c.DialAgent)       # the same leg: no cancel, no new INVITE
    assert c.SetLegVars(dial.leg_uuid, {"cc_call_uuid": "second", "cc_queue": "q"}) in out
    entries = log(out)
    assert (K.ABANDONED, "first", 1, "ringing") in entries           # the abandon names the ringing agent
    assert (K.OFFERED, "second", 1, "reoffer") in entries
    assert not [e for e in entries if e[0] is K.NO_ANSWER]            # not the agent's unanswered offer
    change = of(out, c.SaveAgentState)[-1].change
    assert (change.from_state, change.to_state, change.call_uuid) == (AgentState.RESERVED, AgentState.RESERVED,
                                                                      "second")
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 6.0))
    assert c.Bridge("second", dial.leg_uuid) in out
    # the phone shows the caller it now talks to (mod_sofia updates the display of an answered leg only)
    assert c.UpdateDisplay(dial.leg_uuid, "张三", "13900000002") in out
    assert cc.floor.agents[1].state is AgentState.TALKING and cc.floor.agents[1].call_uuid == "second"


def test_ring_all_losers_ring_on_for_the_next_waiting_caller():
    ring_all = QueueSpec(1, "q", "Q", {1: 1}, strategy="ring_all", wrap_up_s=0)
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"q": FLOW}, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(1), agent(2)), (ring_all,), {"12366": "q"}, 0.0))
    dials = of(arrive(cc, "first", 1.0), c.DialAgent)
    assert len(dials) == 2
    arrive(cc, "second", 2.0)
    out = cc.handle(OriginateResult(dials[0].job_uuid, True, dials[0].leg_uuid, "", 3.0))
    assert c.Bridge("first", dials[0].leg_uuid) in out
    assert c.SetLegVars(dials[1].leg_uuid, {"cc_call_uuid": "second", "cc_queue": "q"}) in out
    assert not of(out, c.Hangup)


def test_nobody_waiting_the_ring_is_cancelled_and_the_agent_is_free_only_once_the_leg_is_gone():
    cc = center(agent(1))
    dial = of(arrive(cc, "first", 1.0), c.DialAgent)[0]
    out = cc.handle(LegHungUp("first", "ORIGINATOR_CANCEL", 5.0))
    assert c.Hangup(dial.leg_uuid, "ORIGINATOR_CANCEL") in out
    assert cc.floor.agents[1].state is AgentState.READY
    out = arrive(cc, "second", 5.01)                 # the cancelled leg is still on the switch: not rung yet
    assert not of(out, c.DialAgent)
    cc.handle(OriginateResult(dial.job_uuid, False, None, "ORIGINATOR_CANCEL", 5.02))
    out = cc.handle(LegHungUp(dial.leg_uuid, "ORIGINATOR_CANCEL", 5.03))
    assert of(out, c.DialAgent)[0].variables["cc_call_uuid"] == "second"      # at once, in the same event


def test_with_no_wrap_up_the_agent_is_rung_again_only_after_its_own_leg_is_gone():
    cc = center(agent(1))
    dial = of(arrive(cc, "first", 1.0), c.DialAgent)[0]
    cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 2.0))
    arrive(cc, "second", 3.0)
    out = cc.handle(LegHungUp("first", "NORMAL_CLEARING", 10.0))      # the caller hangs up first (04a)
    assert cc.floor.agents[1].state is AgentState.READY and not of(out, c.DialAgent)     # ready, its leg still up
    out = cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", 10.04))   # the switch tears the agent leg down
    assert of(out, c.DialAgent)[0].variables["cc_call_uuid"] == "second"


def test_a_switch_refusal_leaves_the_agent_ready_and_retries_at_once_elsewhere_then_on_the_same_agent():
    cc = center(agent(1, idle=1.0), agent(2, idle=2.0))
    first = of(arrive(cc, "call", 1.0), c.DialAgent)[0]
    assert first.extension == "1001"
    out = cc.handle(OriginateResult(first.job_uuid, False, None, "DESTINATION_OUT_OF_ORDER", 1.01))
    assert cc.floor.agents[1].state is AgentState.READY
    second = of(out, c.DialAgent)[0]
    assert second.extension == "1002"                                 # another agent first, at once
    assert not [e for e in log(out) if e[0] is K.NO_ANSWER]
    out = cc.handle(OriginateResult(second.job_uuid, False, None, "DESTINATION_OUT_OF_ORDER", 1.02))
    assert not of(out, c.DialAgent)                                   # refused twice: back off briefly
    pace = of(out, c.StartTimer)[-1]
    assert pace.key == "pace" and 0 < pace.delay <= 0.1
    out = cc.handle(TimerFired("pace", 1.02 + pace.delay))
    assert of(out, c.DialAgent)[0].extension == "1001"
    assert {a.state for a in cc.floor.agents.values()} == {AgentState.READY, AgentState.RESERVED}
    status = of(cc.handle(PublishStatus(2.0)), c.SaveSwitchStatus)[0]
    assert (status.refused_total, status.refused_recent) == (2, 2)


def test_an_unreachable_phone_sets_the_agent_aside_and_it_comes_back_by_itself():
    cc = center(agent(1))
    dial = of(arrive(cc, "call", 1.0), c.DialAgent)[0]
    out = cc.handle(OriginateResult(dial.job_uuid, False, None, "USER_NOT_REGISTERED", 1.1))
    a = cc.floor.agents[1]
    assert (a.state, a.reason) == (AgentState.NOT_READY, NotReadyReason.SYSTEM)
    assert c.StartTimer("recheck:1", 5.0) in out
    out = cc.handle(TimerFired("recheck:1", 6.1))
    assert out[0] == c.ProbePhone(1, "1001", None)
    out = cc.handle(PhoneProbed(1, False, "not registered", 6.2))
    assert c.StartTimer("recheck:1", 10.0) in out                     # the back-off doubles
    cc.handle(TimerFired("recheck:1", 16.2))
    out = cc.handle(PhoneProbed(1, True, "registered", 16.3))
    change = of(out, c.SaveAgentState)[0].change
    assert (change.to_state, change.actor) == (AgentState.READY, "system") and "reachable again" in change.cause
    assert of(out, c.DialAgent)[0].variables["cc_call_uuid"] == "call"    # the waiting caller, at once


def test_an_agent_who_acts_stops_the_automatic_checks():
    cc = center(agent(1))
    dial = of(arrive(cc, "call", 1.0), c.DialAgent)[0]
    cc.handle(OriginateResult(dial.job_uuid, False, None, "USER_BUSY", 1.1))
    cc.handle(AgentRequest(1, "not_ready", "break", "A1", 2.0))
    assert cc.handle(TimerFired("recheck:1", 6.1)) == []


def test_agent_legs_are_exempt_from_the_session_limits_by_default():
    cc = center(agent(1))
    dial = of(arrive(cc, "call", 1.0), c.DialAgent)[0]
    assert dial.variables["no_throttle_limits"] == "true"
    cc = center(agent(1), exempt=False)
    dial = of(arrive(cc, "call", 1.0), c.DialAgent)[0]
    assert "no_throttle_limits" not in dial.variables


def test_without_the_exemption_originates_stay_within_what_arriving_callers_leave_of_the_rate():
    agents = [agent(i, idle=float(i)) for i in range(1, 11)]
    cc = center(*agents, exempt=False)
    cc.handle(SwitchLimits(True, 8, 1000, 0.5))
    dials = []
    for n in range(6):              # 6 callers in 0.06 s; the budget is 8 - 1 - inbound so far - a margin of 2:
        dials += of(arrive(cc, f"c{n}", 1.0 + n / 100), c.DialAgent)     # 4, 3, 2, 1, 1, 1 (its share)
    assert len(dials) == 2
    assert any(x.key == "pace" for x in of(arrive(cc, "c6", 1.07), c.StartTimer))
    out = cc.handle(TimerFired("pace", 2.02))      # a second later the budget is back
    assert len(of(out, c.DialAgent)) >= 1


def test_a_voice_message_wait_is_timed_by_the_events_not_the_wall_clock():
    cc = center(agent(1, state=AgentState.NOT_READY))
    arrive(cc, "call", 1000.0)
    out = cc.handle(DigitPressed("call", "9", 1040.0))
    entry = next(e for e in of(out, c.LogCallEvent) if e.kind is K.VOICEMAIL)
    assert (entry.at, entry.wait_s) == (1040.0, 40.0)


def test_a_phone_that_rang_unanswered_for_callers_who_gave_up_rings_only_the_rest_of_the_ring_timeout():
    """Callers whose patience is shorter than the ring timeout never let a dead phone ring out: each gives up
    first, so the agent would never be set not-ready and would take caller after caller. The phone that has rung
    14 s of its 15 unanswered rings the next caller 2 s (MIN_RING_S), then rings out: not ready, no answer. An
    answered call gives the phone its whole ring timeout again."""
    cc = center(agent(1))
    first = of(arrive(cc, "first", 1.0), c.DialAgent)[0]
    assert first.timeout_s == 15
    cc.handle(LegHungUp("first", "ORIGINATOR_CANCEL", 15.0))        # gave up after 14 s of ringing
    cc.handle(OriginateResult(first.job_uuid, False, None, "ORIGINATOR_CANCEL", 15.01))
    out = cc.handle(LegHungUp(first.leg_uuid, "ORIGINATOR_CANCEL", 15.02))
    assert not of(out, c.DialAgent)
    out = arrive(cc, "second", 16.0)
    second = of(out, c.DialAgent)[0]
    assert second.timeout_s == 2                                     # 15 - 14 = 1, at least 2
    assert c.StartTimer(f"offer:{second.job_uuid}", 2 + 10, wall_min=10) in out   # the guard follows it
    out = cc.handle(OriginateResult(second.job_uuid, False, None, "NO_ANSWER", 18.0))
    assert cc.floor.agents[1].state is AgentState.NOT_READY
    assert cc.floor.agents[1].reason is NotReadyReason.NO_ANSWER
    assert 1 not in cc.floor.unanswered_ring_s                       # a fresh budget when the agent is back


def test_an_answered_call_restores_the_whole_ring_timeout():
    cc = center(agent(1))
    first = of(arrive(cc, "first", 1.0), c.DialAgent)[0]
    cc.handle(LegHungUp("first", "ORIGINATOR_CANCEL", 11.0))        # 10 s of ringing for a caller who left
    cc.handle(OriginateResult(first.job_uuid, False, None, "ORIGINATOR_CANCEL", 11.01))
    cc.handle(LegHungUp(first.leg_uuid, "ORIGINATOR_CANCEL", 11.02))
    second = of(arrive(cc, "second", 12.0), c.DialAgent)[0]
    assert second.timeout_s == 5
    cc.handle(OriginateResult(second.job_uuid, True, second.leg_uuid, "", 13.0))
    cc.handle(LegHungUp("second", "NORMAL_CLEARING", 20.0))
    cc.handle(TimerFired("wrapup:1", 20.0))
    cc.handle(LegHungUp(second.leg_uuid, "NORMAL_CLEARING", 20.02))
    third = of(arrive(cc, "third", 21.0), c.DialAgent)[0]
    assert third.timeout_s == 15


def test_a_call_whose_step_fell_due_while_its_phone_rang_is_offered_once_the_step_has_applied():
    """The step (an announcement) falls due while the agent's phone rings; the switch refuses the leg (not the
    agent's fault: it stays ready), the call waits again, its step applies at once (0-delay timer), and the call
    is offered to the agent again: no free agent beside a waiting call it may serve."""
    from engine.domain.queueing import OverflowStep
    announce = QueueSpec(1, "q", "Q", {1: 1}, ring_timeout_s=15, wrap_up_s=0,
                         overflow=(OverflowStep(5, "announce", prompt="busy"),))
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"q": FLOW}, "/p", new_id=lambda: next(ids), exempt_agent_legs=True)
    cc.handle(DirectoryLoaded((agent(1),), (announce,), {"12366": "q"}, 0.0))
    dial = of(arrive(cc, "call", 1.0), c.DialAgent)[0]
    cc.handle(TimerFired("step:call", 6.0))                           # due while the phone rings
    out = cc.handle(OriginateResult(dial.job_uuid, False, None, "DESTINATION_OUT_OF_ORDER", 7.0))
    assert cc.floor.agents[1].state is AgentState.READY and not of(out, c.DialAgent)
    assert c.StartTimer("step:call", 0.0) in out
    dials = []
    for event in (TimerFired("step:call", 7.0), TimerFired("pace", 7.05), PublishStatus(7.1)):
        dials += of(cc.handle(event), c.DialAgent)
    assert dials and dials[0].variables["cc_call_uuid"] == "call"


def test_a_directory_reload_changes_what_the_console_configures_and_keeps_the_agents_live_state():
    import dataclasses
    cc = center(agent(1))
    arrive(cc, "call", 1.0)                                           # agent 1 is now reserved for the call
    renamed = dataclasses.replace(agent(1), name="王芳", skills={1: 9})
    cc.handle(DirectoryLoaded((renamed,), (QUEUE,), {"12366": "q"}, 2.0))
    live = cc.floor.agents[1]
    assert (live.name, live.skills) == ("王芳", {1: 9})
    assert live.state is AgentState.RESERVED and live.call_uuid == "call"
