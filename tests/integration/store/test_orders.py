"""Work orders in the store, on SQLite and PostgreSQL: the whole road of an order, its deadlines on the working
calendar, the alerts the sweep raises once, and the follow-up that reopens it."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.calendar_source import build_calendar
from engine.domain.errors import InvalidTransition
from engine.domain.followup import Rating, RequestType
from engine.domain.order_clocks import Urgency
from engine.domain.workorder import Action, OrderState, PartState
from engine.store import orders
from engine.store.models import Department, FollowUp, Hall, OrderAlert, WorkOrder, WorkOrderStep
from engine.store.session import transaction

TZ = ZoneInfo("Asia/Shanghai")
AGENT, REVIEWER, DEPT = orders.Actor("坐席张三", None), orders.Actor("初审李四", None), orders.Actor("税政科王五", None)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def ctx():
    return orders.Context(orders.OrderSettings.from_spec({"follow_up": {"sample_percent": 0}}),
                          build_calendar((2025, 2026)), TZ)


def _departments(s) -> tuple[int, int]:
    hall = s.scalars(select(Hall).order_by(Hall.id)).first()
    a, b = Department(hall_id=hall.id, name="税政一科"), Department(hall_id=hall.id, name="征管科")
    s.add_all([a, b])
    s.flush()
    return a.id, b.id


def test_a_complaint_goes_the_whole_road_and_every_step_is_on_its_timeline(sessions, ctx):
    with transaction(sessions) as s:
        first, second = _departments(s)
        # Thursday 2026-09-24 16:00 (Beijing): dispatch within 3 natural hours, reply the same working day
        order = orders.register(s, ctx, AGENT, request_type=RequestType.COMPLAINT, title="办税服务厅排队过长",
                                content="周五下午等了两个小时", citizen_phone="13800138000", now=local(2026, 9, 24, 16))
        assert order.number == "202609240001" and order.state is OrderState.REGISTERED
        assert orders.aware(order.dispatch_due) == local(2026, 9, 24, 19)
        with pytest.raises(InvalidTransition):
            orders.act(s, ctx, order, Action.DISPATCH, REVIEWER, department_id=first, now=local(2026, 9, 24, 16, 5))
        orders.act(s, ctx, order, Action.FAIL_REVIEW, REVIEWER, note="缺少具体办税厅名称", now=local(2026, 9, 24, 16, 10))
        orders.act(s, ctx, order, Action.CORRECT, AGENT, now=local(2026, 9, 24, 16, 20))
        orders.act(s, ctx, order, Action.PASS_REVIEW, REVIEWER, now=local(2026, 9, 24, 16, 30))
        orders.act(s, ctx, order, Action.DISPATCH, REVIEWER, department_id=first, now=local(2026, 9, 24, 16, 40))
        orders.act(s, ctx, order, Action.DISPATCH, REVIEWER, department_id=second, now=local(2026, 9, 24, 16, 41))
        assert order.state is OrderState.DISPATCHED and not order.late_dispatch
        # same-day reply: dispatched at 16:40 on Thursday, due at Thursday's close (17:00)
        assert {orders.aware(p.reply_due) for p in order.parts} == {local(2026, 9, 24, 17)}
        orders.act(s, ctx, order, Action.RETURN, DEPT, department_id=second, note="不属于本科职责",
                   now=local(2026, 9, 24, 16, 50))
        orders.act(s, ctx, order, Action.ACCEPT, DEPT, department_id=first, now=local(2026, 9, 24, 16, 55))
        orders.act(s, ctx, order, Action.REQUEST_EXTENSION, DEPT, department_id=first, note="需调取监控",
                   now=local(2026, 9, 24, 16, 56))
        orders.act(s, ctx, order, Action.GRANT_EXTENSION, REVIEWER, department_id=first, now=local(2026, 9, 24, 16, 58))
        # granted: one more same-day clock from the old deadline; Friday 25 is the Mid-Autumn Festival, so Monday
        part = next(p for p in order.parts if p.department_id == first)
        assert orders.aware(part.reply_due) == local(2026, 9, 28, 17)
        orders.act(s, ctx, order, Action.REPLY, DEPT, department_id=first, note="已增派窗口人员",
                   now=local(2026, 9, 28, 10))
        assert order.state is OrderState.REPLIED
        orders.act(s, ctx, order, Action.CLOSE, REVIEWER, note="已答复市民", now=local(2026, 9, 28, 11))
        number = order.number
    with transaction(sessions) as s:
        order = s.scalar(select(WorkOrder).where(WorkOrder.number == number))
        assert order.state is OrderState.CLOSED and order.misdispatches == 1 and order.review_errors == 1
        steps = s.scalars(select(WorkOrderStep).where(WorkOrderStep.order_id == order.id)
                          .order_by(WorkOrderStep.id)).all()
        assert [st.action for st in steps] == [
            Action.REGISTER, Action.FAIL_REVIEW, Action.CORRECT, Action.PASS_REVIEW, Action.DISPATCH, Action.DISPATCH,
            Action.RETURN, Action.ACCEPT, Action.REQUEST_EXTENSION, Action.GRANT_EXTENSION, Action.REPLY, Action.CLOSE]
        assert steps[0].actor == "坐席张三" and steps[-1].actor == "初审李四" and steps[6].note == "不属于本科职责"
        assert order.citizen_phone == "13800138000"        # sealed at rest, clear to the code
        # complaints are always followed up; an unsatisfied citizen reopens the order to its department
        follow_up = s.scalar(select(FollowUp).where(FollowUp.order_id == order.id))
        assert follow_up is not None and follow_up.state == "pending"
        orders.record_follow_up(s, ctx, follow_up, orders.Actor("回访员"), rating=Rating.UNSATISFIED,
                                note="窗口仍然很少", now=local(2026, 9, 29, 10))
        assert order.state is OrderState.DISPATCHED and order.reopened == 1
        part = next(p for p in order.parts if p.state is PartState.ACCEPTED)
        assert orders.aware(part.reply_due) == local(2026, 9, 29, 17)


def test_special_orders_alert_at_once_and_the_sweep_reminds_warns_and_escalates_once(sessions, ctx):
    with transaction(sessions) as s:
        first, _ = _departments(s)
        order = orders.register(s, ctx, AGENT, request_type=RequestType.HELP, title="燃气泄漏", urgency=Urgency.SPECIAL_URGENT,
                                now=local(2026, 9, 25, 10))
        assert orders.aware(order.dispatch_due) == local(2026, 9, 25, 10, 30)
        assert [a.kind for a in s.scalars(select(OrderAlert))] == ["special"]
        assert orders.sweep(s, ctx, now=local(2026, 9, 25, 10, 1)).reminders == 1      # 60 min before: at once
        assert orders.sweep(s, ctx, now=local(2026, 9, 25, 10, 2)).raised == 0         # nothing twice
        late = orders.sweep(s, ctx, now=local(2026, 9, 25, 14, 31))
        assert (late.overdue, late.escalations) == (1, 1) and order.escalated_at is not None
        orders.act(s, ctx, order, Action.PASS_REVIEW, REVIEWER, now=local(2026, 9, 25, 14, 40))
        orders.act(s, ctx, order, Action.DISPATCH, REVIEWER, department_id=first, now=local(2026, 9, 25, 14, 41))
        assert order.late_dispatch
        open_kinds = sorted(a.kind for a in s.scalars(select(OrderAlert).where(OrderAlert.done_at.is_(None))))
        assert open_kinds == ["special", "special"]          # the department's phone notice is still to be made
        orders.act(s, ctx, order, Action.ACCEPT, DEPT, department_id=first, now=local(2026, 9, 25, 14, 50))
        assert [a.kind for a in s.scalars(select(OrderAlert).where(OrderAlert.done_at.is_(None)))] == ["special"]


def test_a_year_the_calendar_does_not_know_raises_an_alert_instead_of_guessing(sessions):
    ctx = orders.Context(orders.OrderSettings.from_spec({"clocks": {"dispatch": {"general": "2wd"}}}),
                         build_calendar((2026,)), TZ)
    with transaction(sessions) as s:
        order = orders.register(s, ctx, AGENT, request_type=RequestType.CONSULTATION, title="明年的申报期",
                                now=local(2026, 12, 31, 16))
        assert order.dispatch_due is None and order.calendar_gap == 2027
        assert [a.kind for a in s.scalars(select(OrderAlert))] == ["calendar"]


def test_an_answer_on_the_spot_closes_the_order_at_registration(sessions, ctx):
    with transaction(sessions) as s:
        order = orders.register(s, ctx, AGENT, request_type=RequestType.CONSULTATION, title="专项附加扣除怎么填",
                                answer="在个人所得税APP填报", now=local(2026, 9, 25, 10))
        assert order.state is OrderState.CLOSED and order.on_the_spot and order.dispatch_due is None
        second = orders.register(s, ctx, AGENT, request_type=RequestType.CONSULTATION, title="发票怎么开",
                                 now=local(2026, 9, 25, 10, 5))
        assert second.number == "202609250002"


def test_settings_refuse_what_cannot_be_used_by_name():
    for spec, words in (({"clocks": {"dispatch": {"general": "soon"}}}, "dispatch.general"),
                        ({"colour": 1}, "colour"), ({"follow_up": {"sample_percent": 150}}, "follow_up"),
                        ({"office_hours": {"sat-sun": "09:00-17:00", "mon-fri": []}}, None)):
        if words is None:
            orders.OrderSettings.from_spec(spec)        # weekend-only office hours are allowed
            continue
        with pytest.raises(orders.SettingsError, match=words):
            orders.OrderSettings.from_spec(spec)


def test_the_report_workers_sweep_raises_each_alert_once_whoever_runs_it(sessions):
    from admin_web.jobs.order_deadlines import sweep
    now = dt.datetime.now(dt.timezone.utc)
    with transaction(sessions) as s:
        ctx = orders.Context.load(s, "Asia/Shanghai")
        order = orders.register(s, ctx, AGENT, request_type=RequestType.COMPLAINT, title="早已超时",
                                now=now - dt.timedelta(hours=8))     # 3 hours to dispatch, 4 more to 督办
    first, again = sweep(sessions, "Asia/Shanghai"), sweep(sessions, "Asia/Shanghai")
    assert (first.overdue, first.escalations, again.raised) == (1, 1, 0)
    with transaction(sessions) as s:
        kinds = sorted(a.kind for a in s.scalars(select(OrderAlert).where(OrderAlert.order_id == order.id)))
        assert kinds == ["escalation", "overdue"]


def test_a_seeded_month_scores_seed_004s_business_items_as_computed_by_hand(sessions, ctx):
    """Ten complaints in September 2026: two fail their first review, two are dispatched an hour late and one
    never, one is returned and dispatched again, five are closed and four of those followed up.
    By hand: 初审差错率 2/10 = 20 % → ceil(17) × 0.5 = 8.5 lost → 1.5; 派单及时性 3 late × 0.5 → 8.5;
    派单准确率 8/9 = 88.9 % → floor(8.1) = 8 lost → 2; 回访率 4/5 = 80 % → floor(10) × 0.2 = 2 lost → 8."""
    from engine.reports.seed004 import score
    with transaction(sessions) as s:
        first, second = _departments(s)
        made = []
        for i in range(10):
            at = local(2026, 9, 21 + i % 3, 9, i)
            order = orders.register(s, ctx, AGENT, request_type=RequestType.COMPLAINT, title=f"投诉{i}", now=at)
            if i < 2:
                orders.act(s, ctx, order, Action.FAIL_REVIEW, REVIEWER, note="要素不全", now=at + dt.timedelta(minutes=5))
                orders.act(s, ctx, order, Action.CORRECT, AGENT, now=at + dt.timedelta(minutes=10))
            orders.act(s, ctx, order, Action.PASS_REVIEW, REVIEWER, now=at + dt.timedelta(minutes=15))
            if i == 9:
                continue                                            # never dispatched: late once past 3 hours
            late = i in (7, 8)
            sent = at + dt.timedelta(hours=4 if late else 1)
            orders.act(s, ctx, order, Action.DISPATCH, REVIEWER, department_id=first, now=sent)
            if i == 2:
                orders.act(s, ctx, order, Action.RETURN, DEPT, department_id=first, note="非本科职责",
                           now=sent + dt.timedelta(minutes=5))
                orders.act(s, ctx, order, Action.DISPATCH, REVIEWER, department_id=second,
                           now=sent + dt.timedelta(minutes=10))
            made.append((order, second if i == 2 else first, sent))
        for order, department, sent in made[:5]:
            orders.act(s, ctx, order, Action.ACCEPT, DEPT, department_id=department, now=sent + dt.timedelta(hours=1))
            orders.act(s, ctx, order, Action.REPLY, DEPT, department_id=department, note="已处理",
                       now=sent + dt.timedelta(hours=2))
            orders.act(s, ctx, order, Action.CLOSE, REVIEWER, note="办结", now=sent + dt.timedelta(hours=3))
        visits = s.scalars(select(FollowUp).order_by(FollowUp.id)).all()
        assert len(visits) == 5
        for visit in visits[:4]:
            orders.record_follow_up(s, ctx, visit, orders.Actor("回访员"), rating=Rating.SATISFIED,
                                    now=local(2026, 9, 29, 10))
        counts = orders.business_counts(s, local(2026, 9, 1), local(2026, 10, 1), now=local(2026, 10, 1))
        assert (counts.reviews, counts.review_errors, counts.late_dispatches, counts.dispatched,
                counts.dispatched_accurately, counts.due_follow_up, counts.followed_up) == (10, 2, 3, 9, 8, 5, 4)
        assert [item.points for item in score(counts)] == [1.5, 8.5, 2.0, 8.0]


def test_the_monthly_scorecard_takes_timely_answers_and_seed_004_from_the_orders(sessions, ctx):
    """及时解答率 is the share of the month's consultation orders answered on the spot: 18 of 20 = 90 % → 5 points
    less 0.5 per point below 95 % → 2.5. Seed 004's items stand beside it."""
    from engine.reports.definitions import Definitions
    from engine.reports.scorecard import monthly_scorecard
    with transaction(sessions) as s:
        for i in range(20):
            orders.register(s, ctx, AGENT, request_type=RequestType.CONSULTATION, title=f"咨询{i}",
                            answer="已当场答复" if i < 18 else "", now=local(2026, 9, 22, 10, i))
        orders.register(s, ctx, AGENT, request_type=RequestType.COMPLAINT, title="投诉", now=local(2026, 9, 22, 11))
        card = monthly_scorecard(s, 2026, 9, Definitions())
    timely = next(i for i in card.items if i.key == "timely")
    assert (timely.value, timely.points) == (90.0, 2.5)
    business = {i.key: i for i in card.business}
    assert business["review_error_rate"].points is None          # nothing reviewed yet: not measured
    # three orders wait past their 3 hours (the two unanswered consultations and the complaint)
    assert business["dispatch_timeliness"].value == 3 and business["dispatch_timeliness"].points == 8.5


def test_an_order_registered_during_its_call_takes_the_calls_facts_once_the_call_has_hung_up(sessions, ctx):
    from engine.domain.states import CallOutcome, HangupSide
    from engine.store.models import CallRecord, PublishedNumber
    now = local(2026, 12, 7, 10)
    with transaction(sessions) as s:
        number = s.scalars(select(PublishedNumber).where(PublishedNumber.hall_id.is_not(None))).first()
        order = orders.register(s, ctx, AGENT, request_type=RequestType.CONSULTATION, title="个税汇算",
                                call_uuid="live-call", now=now)
        assert (order.ivr_data, order.citizen_phone, order.call_facts_at) == ("", "", None)   # no record yet
        assert orders.backfill_call_facts(s, now + dt.timedelta(minutes=1)) == 0
        s.add(CallRecord(call_uuid="live-call", ani="13800138000", dnis=number.number, started_at=now,
                         ended_at=now + dt.timedelta(minutes=3), outcome=CallOutcome.ANSWERED,
                         hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER,
                         ivr_path="welcome > menu > key:1 > to_policy"))
        s.flush()
        assert orders.backfill_call_facts(s, now + dt.timedelta(minutes=4)) == 1
        assert orders.backfill_call_facts(s, now + dt.timedelta(minutes=5)) == 0      # once
        order_id = order.id
    with transaction(sessions) as s:
        order = s.get(WorkOrder, order_id)
        assert (order.citizen_phone, order.ivr_data, order.hall_id) == (
            "13800138000", "welcome > menu > key:1 > to_policy", number.hall_id)
        assert order.region, "the caller's region from the number"
