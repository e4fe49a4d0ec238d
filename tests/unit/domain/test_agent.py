"""Agent state machine: every allowed transition, refusals with reasons, and what is recorded."""
import pytest

from engine.domain.agent import TRANSITIONS, Agent, AgentTrigger, apply
from engine.domain.errors import InvalidTransition
from engine.domain.states import AgentState, NotReadyReason

S, T = AgentState, AgentTrigger


def agent(state=S.LOGGED_OUT, **kw):
    return Agent(agent_id=7, employee_no="A1007", name="赵敏", extension="1007", skills={1: 5}, state=state, **kw)


@pytest.mark.parametrize("source,trigger", sorted(TRANSITIONS, key=lambda k: (k[0].value, k[1].value)))
def test_every_allowed_transition_lands_where_the_table_says(source, trigger):
    needs = TRANSITIONS[(source, trigger)] is S.NOT_READY or trigger is T.NOT_READY
    reason = NotReadyReason.BREAK if needs else None
    moved, change = apply(agent(source), trigger, 100.0, reason=reason, call_uuid="c1")
    assert moved.state is TRANSITIONS[(source, trigger)]
    assert (change.from_state, change.to_state, change.at) == (source, moved.state, 100.0)


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("trigger", list(T))
def test_transitions_outside_the_table_are_refused_with_the_reason(source, trigger):
    if (source, trigger) in TRANSITIONS:
        return
    with pytest.raises(InvalidTransition, match=f"cannot {trigger.value} while {source.value}"):
        apply(agent(source), trigger, 1.0, reason=NotReadyReason.BREAK)


def test_not_ready_needs_a_reason():
    with pytest.raises(InvalidTransition, match="needs a not-ready reason"):
        apply(agent(S.READY), T.NOT_READY, 1.0)


def test_no_answer_sets_not_ready_with_reason_and_keeps_who_and_why():
    ringing = agent(S.RESERVED, call_uuid="c1")
    moved, change = apply(ringing, T.OFFER_UNANSWERED, 5.0, reason=NotReadyReason.NO_ANSWER, cause="NO_ANSWER")
    assert moved.state is S.NOT_READY and moved.reason is NotReadyReason.NO_ANSWER and moved.call_uuid is None
    assert change.cause == "NO_ANSWER" and change.call_uuid == "c1" and change.actor == "system"


def test_becoming_ready_resets_idle_time_and_answer_counts_calls():
    ready, _ = apply(agent(S.NOT_READY, reason=NotReadyReason.MEAL), T.READY, 50.0, actor="supervisor")
    assert ready.idle_since == 50.0 and ready.reason is None
    ringing, _ = apply(ready, T.OFFER, 60.0, call_uuid="c9")
    talking, _ = apply(ringing, T.ANSWER, 61.0, call_uuid="c9")
    assert talking.calls_answered == 1 and talking.call_uuid == "c9" and talking.idle_since == 50.0
    wrap, _ = apply(talking, T.CALL_END, 90.0)
    assert wrap.state is S.WRAP_UP and wrap.call_uuid == "c9"
    back, _ = apply(wrap, T.WRAP_UP_DONE, 95.0)
    assert back.state is S.READY and back.idle_since == 95.0 and back.call_uuid is None


def test_hold_and_retrieve_keep_the_call_and_the_call_can_end_on_hold():
    talking = agent(S.TALKING, call_uuid="c1", since=10.0)
    held, change = apply(talking, T.HOLD, 20.0)
    assert held.state is S.ON_HOLD and held.call_uuid == "c1" and change.to_state is S.ON_HOLD
    back, _ = apply(held, T.UNHOLD, 30.0)
    assert back.state is S.TALKING and back.call_uuid == "c1"
    ended, _ = apply(held, T.CALL_END, 40.0)
    assert ended.state is S.WRAP_UP and ended.call_uuid == "c1"


def test_not_ready_asked_during_a_call_is_applied_when_wrap_up_ends():
    talking = agent(S.TALKING, call_uuid="c1", since=10.0)
    pending, change = apply(talking, T.NOT_READY, 20.0, reason=NotReadyReason.MEAL, actor="A1007")
    assert (pending.state, pending.since, pending.pending_reason) == (S.TALKING, 10.0, NotReadyReason.MEAL)
    assert change.from_state is change.to_state is S.TALKING
    wrap, _ = apply(pending, T.CALL_END, 50.0)
    done, change = apply(wrap, T.WRAP_UP_DONE, 60.0)
    assert (done.state, done.reason, done.pending_reason) == (S.NOT_READY, NotReadyReason.MEAL, None)
    assert change.to_state is S.NOT_READY and change.reason is NotReadyReason.MEAL
    # but an agent who says "ready" at the end of wrap-up drops the pending break
    ready, _ = apply(wrap, T.READY, 55.0)
    assert ready.state is S.READY and ready.pending_reason is None
