"""A work order's state machine: the whole road (register, review, dispatch to two departments, a return, an
extension, replies, close, an unsatisfied follow-up reopening it), refusals that say why, and invariants over
random sequences of steps (hypothesis): the order's state always agrees with its parts, every step taken is on
the timeline, and the counts the scorecard uses (review errors, returns) are the steps that made them."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.errors import InvalidTransition
from engine.domain.workorder import Action, OrderState, PartState, WorkOrder

T0 = dt.datetime(2026, 2, 13, 9, tzinfo=dt.timezone.utc)


def t(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_the_whole_road_of_a_complaint():
    order = WorkOrder.register("GD20260213-0001", "a1001", t(0), "噪音投诉")
    order.act(Action.FAIL_REVIEW, "reviewer", t(5), note="未填写诉求地址")
    order.act(Action.CORRECT, "a1001", t(8))
    order.act(Action.PASS_REVIEW, "reviewer", t(10))
    order.act(Action.DISPATCH, "dispatcher", t(20), "住建局")
    order.act(Action.DISPATCH, "dispatcher", t(21), "城管局")
    order.act(Action.RETURN, "住建局", t(30), "住建局", "非本单位职责")
    order.act(Action.ACCEPT, "城管局", t(31), "城管局")
    order.act(Action.REQUEST_EXTENSION, "城管局", t(40), "城管局", "需现场核查")
    order.act(Action.GRANT_EXTENSION, "dispatcher", t(41), "城管局")
    assert order.state is OrderState.DISPATCHED
    order.act(Action.REPLY, "城管局", t(60), "城管局", "已责令施工方整改")
    assert order.state is OrderState.REPLIED
    order.act(Action.CLOSE, "dispatcher", t(70))
    order.act(Action.REOPEN, "followup", t(90), note="回访不满意：噪音仍在")
    assert order.state is OrderState.DISPATCHED and order.parts["城管局"].state is PartState.ACCEPTED
    order.act(Action.REPLY, "城管局", t(120), "城管局", "已停工")
    order.act(Action.CLOSE, "dispatcher", t(121))
    assert (order.state, order.review_errors, order.misdispatches, order.reopened) == (OrderState.CLOSED, 1, 1, 1)
    assert [(s.action, s.actor, s.department) for s in order.timeline][:3] == [
        (Action.REGISTER, "a1001", ""), (Action.FAIL_REVIEW, "reviewer", ""), (Action.CORRECT, "a1001", "")]
    assert order.parts["城管局"].extensions == 1 and len(order.timeline) == 15      # registration + 14 steps


def test_an_order_answered_on_the_spot_is_closed_at_once():
    order = WorkOrder.register("N1", "a1001", t(0))
    order.act(Action.ANSWER_ON_THE_SPOT, "a1001", t(1), note="已当场解答")
    assert order.state is OrderState.CLOSED and order.on_the_spot


def test_when_every_department_returns_it_the_order_waits_for_a_new_dispatch():
    order = WorkOrder.register("N2", "a", t(0))
    order.act(Action.PASS_REVIEW, "r", t(1))
    order.act(Action.DISPATCH, "d", t(2), "税务局")
    order.act(Action.RETURN, "税务局", t(3), "税务局", "不属于本单位")
    assert order.state is OrderState.REVIEWED
    order.act(Action.DISPATCH, "d", t(4), "税务局")            # the same department may get it again
    assert order.parts["税务局"].state is PartState.DISPATCHED and order.misdispatches == 1


@pytest.mark.parametrize("steps,message", [
    ([(Action.DISPATCH, "税务局", "")], "cannot dispatch while registered"),
    ([(Action.FAIL_REVIEW, "", "")], "must say what is wrong"),
    ([(Action.PASS_REVIEW, "", ""), (Action.DISPATCH, "", "")], "dispatch needs a department"),
    ([(Action.PASS_REVIEW, "", ""), (Action.DISPATCH, "A", ""), (Action.DISPATCH, "A", "")], "A already has it"),
    ([(Action.PASS_REVIEW, "", ""), (Action.DISPATCH, "A", ""), (Action.REPLY, "A", "done")],
     "A cannot reply a part dispatched"),
    ([(Action.PASS_REVIEW, "", ""), (Action.DISPATCH, "A", ""), (Action.ACCEPT, "B", "")], "B has no part"),
    ([(Action.PASS_REVIEW, "", ""), (Action.DISPATCH, "A", ""), (Action.RETURN, "A", "")], "a return must say why"),
    ([(Action.PASS_REVIEW, "", ""), (Action.DISPATCH, "A", ""), (Action.ACCEPT, "A", ""),
      (Action.GRANT_EXTENSION, "A", "")], "has not asked for more time"),
    ([(Action.CLOSE, "", "")], "cannot close while registered"),
])
def test_refusals_say_why(steps, message):
    order = WorkOrder.register("N3", "a", t(0))
    with pytest.raises(InvalidTransition) as err:
        for i, (action, department, note) in enumerate(steps, 1):
            order.act(action, "someone", t(i), department, note)
    assert message in str(err.value)


def test_a_step_dated_before_the_last_one_is_refused():
    order = WorkOrder.register("N4", "a", t(10))
    with pytest.raises(InvalidTransition):
        order.act(Action.PASS_REVIEW, "r", t(5))


DEPARTMENTS = ("住建局", "城管局", "税务局")
steps = st.lists(st.tuples(st.sampled_from([a for a in Action if a is not Action.REGISTER]),
                           st.sampled_from(("",) + DEPARTMENTS), st.sampled_from(("", "理由"))), max_size=60)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_invariants_over_random_steps(sequence):
    order = WorkOrder.register("P", "a", t(0))
    taken = []
    for i, (action, department, note) in enumerate(sequence, 1):
        before = (order.state, {d: (p.state, p.extension_asked) for d, p in order.parts.items()})
        try:
            order.act(action, "x", t(i), department, note)
        except InvalidTransition:
            after = (order.state, {d: (p.state, p.extension_asked) for d, p in order.parts.items()})
            assert after == before                      # a refused step changes nothing
            continue
        taken.append(action)
        live = [p for p in order.parts.values() if p.state is not PartState.RETURNED]
        if order.state is OrderState.DISPATCHED:
            assert live and not all(p.state is PartState.REPLIED for p in live)
        if order.state in (OrderState.REPLIED,) or (order.state is OrderState.CLOSED and not order.on_the_spot):
            assert live and all(p.state is PartState.REPLIED for p in live)
        if order.state in (OrderState.REGISTERED, OrderState.REVIEWED):
            assert not live
    assert [s.action for s in order.timeline] == [Action.REGISTER, *taken]
    assert order.review_errors == taken.count(Action.FAIL_REVIEW)
    assert order.misdispatches == taken.count(Action.RETURN)
    assert order.reopened == taken.count(Action.REOPEN)
