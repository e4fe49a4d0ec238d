"""Automated follow-up calls in the store (engine.store.follow_up_calls), on SQLite and PostgreSQL: which visits are
due within the calling hours, claimed once, and what each call's outcome does to the visit and its order."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.domain.commands import SaveFollowUpResult
from engine.domain.followup import Rating, RequestType
from engine.domain.workorder import Action, OrderState
from engine.store import follow_up_calls, orders
from engine.store.models import Department, FollowUp, Hall, WorkOrder
from engine.store.session import transaction

TZ = ZoneInfo("Asia/Shanghai")
STAFF = orders.Actor("初审李四")
ALL_DAY = {"automated": True, "calling_hours": ["00:00-24:00"], "call_on_holidays": True, "attempts": 2,
           "gap_hours": 1, "sample_percent": 0}


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def closed_complaint(s, follow_up: dict, phone="13800138000") -> int:
    """A complaint registered on Thursday 2026-09-24 and closed on Monday 28 at 11:00; its follow-up's id."""
    orders.save_settings(s, {"follow_up": follow_up})
    ctx = orders.Context.load(s, now=local(2026, 9, 24, 16))
    hall = s.scalars(select(Hall).order_by(Hall.id)).first()
    dept = Department(hall_id=hall.id, name="税政一科")
    s.add(dept)
    s.flush()
    order = orders.register(s, ctx, orders.Actor("坐席张三"), request_type=RequestType.COMPLAINT,
                            title="办税服务厅排队过长", citizen_phone=phone, now=local(2026, 9, 24, 16))
    orders.act(s, ctx, order, Action.PASS_REVIEW, STAFF, now=local(2026, 9, 24, 16, 30))
    orders.act(s, ctx, order, Action.DISPATCH, STAFF, department_id=dept.id, now=local(2026, 9, 24, 16, 40))
    orders.act(s, ctx, order, Action.ACCEPT, STAFF, department_id=dept.id, now=local(2026, 9, 24, 16, 50))
    orders.act(s, ctx, order, Action.REPLY, STAFF, department_id=dept.id, note="已增派窗口人员",
               now=local(2026, 9, 28, 10))
    orders.act(s, ctx, order, Action.CLOSE, STAFF, now=local(2026, 9, 28, 11))
    visit = s.scalar(select(FollowUp).where(FollowUp.order_id == order.id))
    assert visit.state == "pending"
    assert visit.mode == ("automated" if follow_up["automated"] and phone else "manual")
    return visit.id


def utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc)       # the store keeps UTC


def result(follow_up_id, outcome, at, **kw) -> SaveFollowUpResult:
    return SaveFollowUpResult(follow_up_id, outcome, at.timestamp(), **kw)


def test_a_due_visit_is_claimed_once_with_what_its_prompts_say_and_the_ratings_reopen_the_order(sessions):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, ALL_DAY)
    with transaction(sessions) as s:
        (due,) = follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 1), 4)
        assert (due.follow_up_id, due.number, due.flow, due.ring_s) == (visit_id, "13800138000", "followup", 40)
        order_no = s.get(FollowUp, visit_id).order.number
        assert due.variables == {"order_no": order_no, "order_tail": order_no[-4:], "month": "9", "day": "24",
                                 "request_type": "complaint", "round": "1"}
        assert s.get(FollowUp, visit_id).state == "calling"
    with transaction(sessions) as s:
        assert follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 2), 4) == [], "a visit under way is rung once"
        follow_up_calls.save_follow_up_result(s, result(visit_id, "department", local(2026, 9, 28, 11, 3),
                                                        rating="basically", call_uuid="fu-call"))
        follow_up_calls.save_follow_up_result(s, result(visit_id, "rated", local(2026, 9, 28, 11, 4),
                                                        rating="unsatisfied", call_uuid="fu-call"))
    with transaction(sessions) as s:
        visit = s.get(FollowUp, visit_id)
        assert (visit.state, visit.rating, visit.department_rating, visit.done_by, visit.call_uuid,
                visit.last_result) == ("done", Rating.UNSATISFIED, Rating.BASICALLY_SATISFIED, "自动回访", "fu-call",
                                       "RATED")
        assert orders.aware(visit.done_at) == local(2026, 9, 28, 11, 4)
        order = s.get(WorkOrder, visit.order_id)
        assert order.state is not OrderState.CLOSED and order.reopened == 1, "不满意 reopens the order"
        # a late "not reached" from a hang-up after the rating changes nothing
        follow_up_calls.save_follow_up_result(s, result(visit_id, "unanswered", local(2026, 9, 28, 11, 5),
                                                        cause="NO_RATING"))
        assert (visit.state, visit.attempts) == ("done", 0)


def test_an_unanswered_visit_is_tried_again_after_the_gap_then_given_up(sessions):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, ALL_DAY)
    with transaction(sessions) as s:
        follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 1), 4)
        follow_up_calls.save_follow_up_result(s, result(visit_id, "unanswered", local(2026, 9, 28, 11, 2),
                                                        cause="NO_ANSWER"))
        visit = s.get(FollowUp, visit_id)
        assert (visit.state, visit.attempts, visit.last_result) == ("pending", 1, "NO_ANSWER")
        assert orders.aware(visit.next_attempt_at) == local(2026, 9, 28, 12, 2)
    with transaction(sessions) as s:
        assert follow_up_calls.claim_due(s, local(2026, 9, 28, 12, 0), 4) == [], "not before the gap"
        (due,) = follow_up_calls.claim_due(s, local(2026, 9, 28, 12, 3), 4)
        follow_up_calls.save_follow_up_result(s, result(visit_id, "unanswered", local(2026, 9, 28, 12, 4),
                                                        cause="USER_BUSY"))
        visit = s.get(FollowUp, visit_id)
        assert (visit.state, visit.attempts, visit.last_result, visit.next_attempt_at) == (
            "unreachable", 2, "USER_BUSY", None)


def test_outside_the_calling_hours_nobody_is_rung_and_the_visit_waits_for_the_next_opening(sessions):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, {**ALL_DAY, "calling_hours": ["09:00-12:00", "14:00-20:00"],
                                        "call_on_holidays": False})
        s.get(FollowUp, visit_id).next_attempt_at = utc(local(2026, 9, 30, 19, 0))
    with transaction(sessions) as s:
        # Wednesday 30 September at 20:30, after the calling hours; 1-7 October is the National Day holiday (no
        # calls on statutory holidays): the next opening is Thursday 8 October at 09:00
        assert follow_up_calls.claim_due(s, local(2026, 9, 30, 20, 30), 4) == []
        assert orders.aware(s.get(FollowUp, visit_id).next_attempt_at) == local(2026, 10, 8, 9, 0)
        assert s.get(FollowUp, visit_id).state == "pending"


def test_a_visit_left_calling_by_a_dead_engine_counts_as_not_reached(sessions):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, ALL_DAY)
    with transaction(sessions) as s:
        follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 1), 4)
    with transaction(sessions) as s:
        follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 10), 4)      # 9 minutes: still under way
        assert s.get(FollowUp, visit_id).state == "calling"
    with transaction(sessions) as s:
        follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 20), 4)
        visit = s.get(FollowUp, visit_id)
        assert (visit.state, visit.attempts, visit.last_result) == ("pending", 1, "ENGINE_LOST")


def test_a_deferred_visit_is_tried_again_soon_without_counting_an_attempt(sessions):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, ALL_DAY)
    with transaction(sessions) as s:
        follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 1), 4)
        follow_up_calls.save_follow_up_result(s, result(visit_id, "deferred", local(2026, 9, 28, 11, 1),
                                                        cause="TRUNK_BUSY"))
        visit = s.get(FollowUp, visit_id)
        assert (visit.state, visit.attempts, visit.last_result) == ("pending", 0, "TRUNK_BUSY")
        assert orders.aware(visit.next_attempt_at) == local(2026, 9, 28, 11, 2)


@pytest.mark.parametrize("follow_up, limit", [({**ALL_DAY, "automated": False}, 4), (ALL_DAY, 0)])
def test_nothing_is_claimed_when_automated_calls_are_off_or_no_line_is_free(sessions, follow_up, limit):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, follow_up)
        if not follow_up["automated"]:      # a visit made automated before the setting was turned off
            s.get(FollowUp, visit_id).mode = "automated"
            s.get(FollowUp, visit_id).next_attempt_at = utc(local(2026, 9, 28, 11))
    with transaction(sessions) as s:
        assert follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 1), limit) == []
        assert s.get(FollowUp, visit_id).state == "pending"


def test_a_visit_without_a_number_is_unreachable_at_once(sessions):
    with transaction(sessions) as s:
        visit_id = closed_complaint(s, ALL_DAY, phone="")
        visit = s.get(FollowUp, visit_id)
        visit.mode, visit.next_attempt_at = "automated", utc(local(2026, 9, 28, 11))
    with transaction(sessions) as s:
        assert follow_up_calls.claim_due(s, local(2026, 9, 28, 11, 1), 4) == []
        visit = s.get(FollowUp, visit_id)
        assert (visit.state, visit.last_result) == ("unreachable", "NO_NUMBER")
