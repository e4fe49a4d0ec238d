"""Callbacks under way when their engine dies: the engine taking over goes on with them from the marks on the
customer's leg (engine.acd.callbacks.customer_marks) and the stored callback's status, so a customer is neither
dialled twice nor forgotten, and an agent is neither freed while talking nor left holding a dead phone."""
import itertools

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import (CallbacksLoaded, CallTrace, Cdr, CdrsArrived, DirectoryLoaded,
                                  LegHungUp, LiveChannel, OriginateResult, PendingCallback, SwitchSynced, TimerFired)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, CallOutcome

QUEUE = QueueSpec(1, "policy", "税收政策", {1: 5}, wrap_up_s=0)


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def center(*agents):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({}, "/p", new_id=lambda: next(ids), recordings_dir="/rec")
    cc.handle(DirectoryLoaded(agents or (Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY),), (QUEUE,),
                              {}, 0.0))
    return cc


def customer_leg(answered=True, **marks):
    values = dict(cc_phase="callback", cc_callback_of="orig", cc_number="13800138000", cc_dnis="12366",
                  cc_agent="A1", cc_agent_leg="aleg", cc_queue="policy", cc_enqueued_at=100.0, cc_priority=0,
                  cc_attempts=1, cc_answered_at=520.0 if answered else None)
    values.update(marks)
    return LiveChannel(uuid="cust", inbound=False, ani="12366", dnis="13800138000", caller_name="", created_at=510.0,
                       parked=False, answered=answered, **values)


def agent_leg(answered=True, call_uuid="cust"):
    return LiveChannel(uuid="aleg", inbound=False, ani="13800138000", dnis="1001", caller_name="", created_at=505.0,
                       parked=not answered, answered=answered, cc_call_uuid=call_uuid, cc_agent="A1",
                       cc_queue="policy")


def pending(status="dialling", attempts=1):
    return PendingCallback("orig", "13800138000", "12366", "policy", 100.0, 0, attempts, status)


def test_the_customer_leg_carries_what_a_taking_over_engine_needs_and_the_callback_is_dialling():
    cc = center()
    cc.handle(CallbacksLoaded((pending("pending", 0),), 200.0))
    (virtual,) = cc.floor.calls.values()
    job = next(iter(virtual.ringing))
    out = cc.handle(OriginateResult(job, True, virtual.ringing[job], "", 205.0))
    (saved,) = of(out, c.SaveCallback)
    assert (saved.status, saved.attempts) == ("dialling", 1)
    marks = of(out, c.DialCustomer)[0].variables
    assert (marks["cc_phase"], marks["cc_callback_of"], marks["cc_number"], marks["cc_agent"]) == (
        "callback", "orig", "13800138000", "A1")
    assert float(marks["cc_enqueued_at"]) == 100.0 and marks["cc_attempts"] == "1"
    out = cc.handle(OriginateResult(of(out, c.DialCustomer)[0].job_uuid, True, virtual.uuid, "", 215.0))
    assert float(of(out, c.SetLegVars)[0].variables["cc_answered_at"]) == 215.0


def test_a_callback_conversation_is_taken_over_and_the_customer_is_not_dialled_again():
    cc = center(Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.TALKING, call_uuid="cust"))
    out = cc.handle(SwitchSynced(frozenset({"cust", "aleg"}), 600.0, (customer_leg(), agent_leg())))
    out += cc.handle(CallbacksLoaded((pending(),), 600.1))
    assert not of(out, c.DialAgent) and not of(out, c.DialCustomer) and not of(out, c.Hangup)
    assert cc.floor.agents[1].state is AgentState.TALKING and cc.floor.agents[1].call_uuid == "cust"
    out = cc.handle(LegHungUp("cust", "NORMAL_CLEARING", 700.0))
    (saved,) = of(out, c.SaveCallback)
    (record,) = of(out, c.SaveCallRecord)
    assert saved.status == "done" and saved.call_uuid == "orig"
    assert (record.call_uuid, record.outcome, record.ani, record.answered_at) == (
        "cust", CallOutcome.ANSWERED, "13800138000", 520.0)
    assert cc.floor.agents[1].state is not AgentState.TALKING


def test_a_callback_whose_customer_was_still_ringing_goes_back_to_its_place_without_counting_the_attempt():
    cc = center(Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.TALKING, call_uuid="cust"))
    out = cc.handle(SwitchSynced(frozenset({"cust", "aleg"}), 600.0, (customer_leg(answered=False), agent_leg())))
    assert c.Hangup("cust", "ORIGINATOR_CANCEL") in out and c.Hangup("aleg", "NORMAL_CLEARING") in out
    (saved,) = of(out, c.SaveCallback)
    assert (saved.status, saved.attempts) == ("pending", 0)
    (virtual,) = [call for call in cc.floor.calls.values() if call.callback_of == "orig"]
    assert virtual.enqueued_at == 100.0 and virtual.uuid in cc.floor.waiting
    assert not of(cc.handle(CallbacksLoaded((pending(),), 600.1)), c.DialAgent)   # not queued a second time
    assert [call.callback_of for call in cc.floor.calls.values()].count("orig") == 1
    out = cc.handle(LegHungUp("cust", "ORIGINATOR_CANCEL", 600.2))
    assert not of(out, c.SaveCallback) and of(out, c.SaveCallRecord)[0].outcome is CallOutcome.ENGINE_STOPPED
    out = cc.handle(LegHungUp("aleg", "NORMAL_CLEARING", 600.3))
    assert of(out, c.DialAgent)[0].extension == "1001"      # the agent, free again, is offered the callback anew


def test_a_phone_still_ringing_for_a_callback_of_the_dead_engine_is_released_and_the_callback_stays_queued():
    cc = center(Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.RESERVED, call_uuid="virtual"))
    out = cc.handle(SwitchSynced(frozenset({"aleg"}), 600.0, (agent_leg(answered=False, call_uuid="virtual"),)))
    assert c.Hangup("aleg", "ORIGINATOR_CANCEL") in out
    out = cc.handle(CallbacksLoaded((pending("pending", 0),), 600.1))
    assert not of(out, c.DialAgent)              # the phone is busy until its leg is gone
    out = cc.handle(LegHungUp("aleg", "ORIGINATOR_CANCEL", 600.5))
    assert of(out, c.DialAgent)[0].extension == "1001"


def customer_cdr(answered):
    return Cdr("cust", "outbound", "12366", "13800138000", "", 510.0, 520.0 if answered else None, 700.0,
               "NORMAL_CLEARING" if answered else "NO_ANSWER", "send_bye" if answered else "send_cancel",
               {"cc_phase": "callback", "cc_callback_of": "orig", "cc_number": "13800138000", "cc_dnis": "12366",
                "cc_agent": "A1", "cc_queue": "policy", "cc_enqueued_at": "100.000000", "cc_attempts": "1",
                **({"cc_answered_at": "520.000000"} if answered else {})})


def test_a_callback_conversation_that_ended_while_no_engine_was_active_is_done_from_its_cdr():
    cc = center()
    assert not of(cc.handle(CallbacksLoaded((pending(),), 600.0)), c.DialAgent)     # dialling: waits for the CDR
    out = cc.handle(CdrsArrived((customer_cdr(True),), {"cust": CallTrace()}, 605.0))
    (saved,) = of(out, c.SaveCallback)
    (record,) = of(out, c.SaveCallRecord)
    assert (saved.status, saved.agent_id) == ("done", 1)
    assert (record.outcome, record.ani, record.agent_id, record.enqueued_at) == (CallOutcome.ANSWERED,
                                                                                 "13800138000", 1, 100.0)
    assert {e.kind.value for e in of(out, c.LogCallEvent)} >= {"answered", "talk_ended", "ended"}
    assert "arrived" not in {e.kind.value for e in of(out, c.LogCallEvent)}
    assert not cc.floor.calls and not of(cc.handle(TimerFired("cbunresolved:orig", 630.0)), c.DialAgent)


def test_a_callback_attempt_unanswered_while_no_engine_was_active_counts_and_the_callback_is_retried():
    cc = center()
    cc.handle(CallbacksLoaded((pending(),), 600.0))
    out = cc.handle(CdrsArrived((customer_cdr(False),), {"cust": CallTrace()}, 605.0))
    (saved,) = of(out, c.SaveCallback)
    assert (saved.status, saved.attempts) == ("pending", 1)
    assert of(out, c.SaveCallRecord)[0].outcome is CallOutcome.FAILED
    assert of(out, c.DialAgent)[0].extension == "1001"          # back at its place, offered


def test_a_callback_left_dialling_with_no_leg_and_no_cdr_goes_back_to_its_queue():
    cc = center()
    out = cc.handle(CallbacksLoaded((pending(),), 600.0))
    assert c.StartTimer("cbunresolved:orig", 30.0) in out and not of(out, c.DialAgent)
    out = cc.handle(TimerFired("cbunresolved:orig", 630.0))
    (saved,) = of(out, c.SaveCallback)
    assert (saved.status, saved.attempts) == ("pending", 0) and of(out, c.DialAgent)


def test_an_agents_outbound_call_in_conversation_is_taken_over_and_recorded_once_as_dialled():
    cc = center(Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.TALKING, call_uuid="cust"))
    dialout = customer_leg(cc_phase="dialout", cc_callback_of="", cc_number="02512345678", cc_queue=None,
                           cc_enqueued_at=None, cc_attempts=0)
    out = cc.handle(SwitchSynced(frozenset({"cust", "aleg"}), 600.0, (dialout, agent_leg())))
    assert not of(out, c.Hangup) and cc.floor.agents[1].state is AgentState.TALKING
    out = cc.handle(LegHungUp("cust", "NORMAL_CLEARING", 700.0))
    (record,) = of(out, c.SaveCallRecord)
    assert (record.direction, record.dnis, record.ani, record.outcome) == ("outbound", "02512345678", "1001",
                                                                           CallOutcome.ANSWERED)
    assert not of(out, c.SaveCallback)
