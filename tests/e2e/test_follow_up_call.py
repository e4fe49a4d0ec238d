"""An automated follow-up call (回访) end to end: a closed complaint's visit is due, the engine rings the citizen on
the simulated switch over real ESL, the citizen keys their ratings, and the visit, the order and the call's record
say so; a citizen who does not answer is tried again later."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine.domain.followup import FOLLOW_UP_VAR, Rating, RequestType
from engine.domain.workorder import Action, OrderState
from engine.store import orders
from engine.store.base import utcnow
from engine.store.models import CallRecord, Department, FollowUp, Hall, Recording, WorkOrder
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import read

ALL_DAY = {"automated": True, "calling_hours": ["00:00-24:00"], "call_on_holidays": True, "attempts": 3,
           "gap_hours": 2, "sample_percent": 0, "ring_seconds": 10}
STAFF = orders.Actor("初审李四")


def closed_complaint(db_url, phone: str) -> int:
    """A complaint dispatched, replied and closed just now; its automated visit's id (due at once)."""
    def write(s):
        orders.save_settings(s, {"follow_up": ALL_DAY})
        ctx = orders.Context.load(s)
        hall = s.scalars(select(Hall).order_by(Hall.id)).first()
        dept = Department(hall_id=hall.id, name="税政一科")
        s.add(dept)
        s.flush()
        order = orders.register(s, ctx, orders.Actor("坐席张三"), request_type=RequestType.COMPLAINT,
                                title="办税服务厅排队过长", citizen_phone=phone)
        for action in (Action.PASS_REVIEW, Action.DISPATCH, Action.ACCEPT, Action.REPLY, Action.CLOSE):
            orders.act(s, ctx, order, action, STAFF, department_id=dept.id if action in (
                Action.DISPATCH, Action.ACCEPT, Action.REPLY) else None, note="已处理")
        visit = s.scalar(select(FollowUp).where(FollowUp.order_id == order.id))
        assert visit.mode == "automated" and orders.aware(visit.next_attempt_at) <= utcnow()
        return visit.id
    return read(db_url, write)


def follow_up_leg(engine):
    return next((c for c in engine.center.floor.calls.values() if FOLLOW_UP_VAR in c.variables), None)


def asked(sim, leg_uuid, prompt):
    return any("play_and_get_digits" in c["command"] and prompt in c["command"] and leg_uuid in c["command"]
               for c in sim.commands())


def test_the_engine_rings_the_citizen_who_rates_and_an_unsatisfied_rating_reopens_the_order(sim, engine, db_url):
    visit_id = closed_complaint(db_url, "13700000071")
    sim.set_outside("13700000071", answer_delay=1.0)
    assert engine.follow_ups.poll() == 1
    call = wait_until(lambda: follow_up_leg(engine), 10, "the citizen to answer the follow-up call")
    assert any("bgapi originate" in c["command"] and "13700000071" in c["command"] for c in sim.commands())
    wait_until(lambda: asked(sim, call.uuid, "followup_department.wav"), 20, "the department question")
    sim.send_dtmf(call.uuid, "2")
    wait_until(lambda: asked(sim, call.uuid, "followup_rate.wav"), 20, "the handling question")
    sim.send_dtmf(call.uuid, "3")
    record = wait_until(lambda: read(db_url, lambda s: s.scalar(select(CallRecord).where(
        CallRecord.call_uuid == call.uuid))), 20, "the follow-up call's record")
    assert (record.direction, record.ani) == ("outbound", "13700000071")
    assert record.answered_at is not None and "rated:3" in record.ivr_path

    def visit_and_order(s):
        visit = s.get(FollowUp, visit_id)
        return visit, s.get(WorkOrder, visit.order_id), s.scalar(select(Recording).where(
            Recording.call_uuid == call.uuid))
    visit, order, recording = wait_until(lambda: (lambda v: v if v[0].state == "done" else None)(
        read(db_url, visit_and_order)), 10, "the visit to be recorded")
    assert (visit.rating, visit.department_rating, visit.done_by, visit.call_uuid) == (
        Rating.UNSATISFIED, Rating.BASICALLY_SATISFIED, "自动回访", call.uuid)
    assert order.state is not OrderState.CLOSED and order.reopened == 1
    assert recording is not None, "the follow-up call is recorded and linked to the visit by its call"


def test_a_citizen_who_does_not_answer_is_tried_again_after_the_gap(sim, engine, db_url):
    visit_id = closed_complaint(db_url, "13700000072")
    sim.set_outside("13700000072", behaviour="no_answer")
    started = utcnow()
    assert engine.follow_ups.poll() == 1
    visit = wait_until(lambda: (lambda v: v if v.attempts else None)(read(db_url, lambda s: s.get(FollowUp, visit_id))),
                       30, "the unanswered attempt to be stored")
    assert visit.state == "pending" and visit.last_result in ("NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL",
                                                              "ALLOTTED_TIMEOUT")
    assert orders.aware(visit.next_attempt_at) >= started + dt.timedelta(hours=2)
    assert follow_up_leg(engine) is None and not engine.center.floor.follow_up_jobs
    assert engine.follow_ups.poll() == 0, "not rung again before the gap"
