"""Work orders on the console: an agent registers a complaint from a call, a supervisor reviews and dispatches it,
the department's login accepts and replies, the order closes, the follow-up rates it and an unsatisfied citizen
reopens it; every step on the timeline with who. Department users see only their own orders."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from admin_web.auth.services import create_user
from engine.domain.followup import Rating
from engine.domain.states import CallOutcome, HangupSide, Role
from engine.domain.workorder import OrderState
from engine.store.models import CallRecord, Department, FollowUp, Hall, OrderAlert, WorkOrder

from .helpers import PASSWORD, login

UTC = dt.timezone.utc


@pytest.fixture
def road(app, db, seed):
    hall = Hall(code="GD", name="广东省", level="province", region_code="440000")
    db.add(hall)
    db.flush()
    tax, other = Department(hall_id=hall.id, name="税政一科", phone="02012345"), Department(hall_id=hall.id, name="征管科")
    db.add_all([tax, other])
    db.flush()
    for username, department in (("dept-tax", tax), ("dept-other", other)):
        user = create_user(db, username, PASSWORD, Role.DEPARTMENT, display_name=department.name + "经办人")
        user.department_id, user.hall_id = department.id, hall.id
    now = dt.datetime.now(UTC)
    db.add(CallRecord(call_uuid="call-1", ani="13800138000", dnis="12366", started_at=now, ended_at=now,
                      agent_id=seed.agent_id, outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING",
                      hangup_side=HangupSide.CALLER, ivr_path="main>1 (taxpayer=9144)"))
    db.commit()
    return {"tax": tax.id, "other": other.id}


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _step(client, order_id, action, **data):
    return client.post(f"/orders/{order_id}/step", data={"action": action, **data}, follow_redirects=True)


def test_the_whole_road_of_a_complaint(app, db, road):
    agent = _client(app, "agent1001")
    form = agent.get("/orders/new?call=call-1").get_data(as_text=True)
    assert 'value="13800138000"' in form                            # the caller's number is taken over
    page = agent.post("/orders/new", data={"request_type": "complaint", "urgency": "general", "category_id": "0",
                                           "title": "办税厅排队过长", "content": "等了两个小时",
                                           "citizen_phone": "13800138000", "call_uuid": "call-1",
                                           "reply_wanted": "y"}, follow_redirects=True).get_data(as_text=True)
    order = db.scalar(select(WorkOrder))
    assert order.title == "办税厅排队过长" and order.call_uuid == "call-1" and order.ivr_data.startswith("main>1")
    assert "待初审" in page and order.state is OrderState.REGISTERED

    boss = _client(app, "super")
    assert "请说明工单的问题" in _step(boss, order.id, "fail_review").get_data(as_text=True)   # a failure says why
    db.expire_all()
    assert db.get(WorkOrder, order.id).review_errors == 0
    _step(boss, order.id, "pass_review")
    page = _step(boss, order.id, "dispatch", department_id=str(road["tax"])).get_data(as_text=True)
    assert "税政一科" in page

    other = _client(app, "dept-other")
    assert other.get(f"/orders/{order.id}").status_code == 404        # not their department's
    assert "办税厅排队过长" not in other.get("/orders/?view=all").get_data(as_text=True)

    dept = _client(app, "dept-tax")
    assert "办税厅排队过长" in dept.get("/orders/").get_data(as_text=True)
    _step(dept, order.id, "accept")
    page = _step(dept, order.id, "reply", note="").get_data(as_text=True)
    assert "请填写答复内容" in page or "Write the reply" in page     # a reply needs its words
    _step(dept, order.id, "reply", note="已增派窗口")
    db.expire_all()
    assert db.get(WorkOrder, order.id).state is OrderState.REPLIED
    assert dept.post(f"/orders/{order.id}/step", data={"action": "close"}).status_code == 403

    _step(boss, order.id, "close", note="已答复市民")
    db.expire_all()
    order = db.get(WorkOrder, order.id)
    assert order.state is OrderState.CLOSED
    follow_up = db.scalar(select(FollowUp).where(FollowUp.order_id == order.id))      # complaints: always
    page = agent.get("/orders/follow-ups/").get_data(as_text=True)
    assert order.number in page
    agent.post(f"/orders/follow-ups/{follow_up.id}", data={"rating": "unsatisfied", "note": "窗口还是少"})
    db.expire_all()
    assert db.get(FollowUp, follow_up.id).rating is Rating.UNSATISFIED
    assert db.get(WorkOrder, order.id).state is OrderState.DISPATCHED       # back to the department

    timeline = boss.get(f"/orders/{order.id}").get_data(as_text=True)
    for words in ("登记", "初审通过", "派单", "签收", "答复", "办结", "退回整改"):
        assert words in timeline, words
    assert "税政一科经办人" in timeline and "班长" in timeline


def test_an_order_answered_on_the_spot_is_closed_at_once_and_shows_in_the_callers_history(app, db, road):
    agent = _client(app, "agent1001")
    agent.post("/orders/new", data={"request_type": "consultation", "urgency": "general", "category_id": "0",
                                    "title": "专项附加扣除怎么填", "content": "问填报入口", "citizen_phone": "13800138000",
                                    "answer": "在个人所得税APP填报"})
    order = db.scalar(select(WorkOrder))
    assert order.state is OrderState.CLOSED and order.on_the_spot
    history = agent.get("/orders/history.json?call=call-1").get_json()
    assert [o["number"] for o in history["orders"]] == [order.number]
    assert history["orders"][0]["state"] == "已办结"


def test_special_orders_alert_and_the_department_is_phoned(app, db, road):
    boss = _client(app, "super")
    boss.post("/orders/new", data={"request_type": "help", "urgency": "special_urgent", "category_id": "0",
                                   "title": "燃气泄漏", "content": "楼道有煤气味", "citizen_phone": "13900000000"})
    order = db.scalar(select(WorkOrder))
    _step(boss, order.id, "pass_review")
    _step(boss, order.id, "dispatch", department_id=str(road["tax"]))
    page = boss.get("/orders/alerts").get_data(as_text=True)
    assert "燃气泄漏" in page and "02012345" in page
    alert = db.scalar(select(OrderAlert).where(OrderAlert.part_id.is_not(None)))
    boss.post(f"/orders/alerts/{alert.id}/done")
    db.expire_all()
    assert db.get(OrderAlert, alert.id).done_at is not None


def test_departments_are_managed_per_hall_and_department_accounts_name_theirs(app, db, road):
    admin = _client(app, "admin")
    hall = db.scalar(select(Hall))
    page = admin.post("/orders/departments/", data={"name": "纳税服务科", "hall_id": str(hall.id), "active": "y"},
                      follow_redirects=True).get_data(as_text=True)
    assert "纳税服务科" in page
    page = admin.post("/users/new", data={"username": "dept-new", "role": "department", "agent_id": "",
                                          "department_id": "", "hall_id": "", "locale": "zh_CN", "active": "y"},
                      follow_redirects=True).get_data(as_text=True)
    assert re.search("承办单位账号必须指定|must name the department", page)


def test_the_report_workers_upkeep_sweeps_the_deadlines(app, db, road):
    from admin_web.jobs.worker import Worker
    from engine.domain.followup import RequestType
    from engine.store import orders
    with app.extensions["db_sessions"]() as s:
        orders.register(s, orders.Context.load(s), orders.Actor("坐席"), request_type=RequestType.COMPLAINT,
                        title="无人派单", now=dt.datetime.now(UTC) - dt.timedelta(hours=8))
        s.commit()
    assert Worker(app).run_one() is False                   # no report queued, but the upkeep ran
    assert sorted(a.kind for a in db.scalars(select(OrderAlert))) == ["escalation", "overdue"]


def test_the_centre_sets_the_clocks_and_new_orders_follow_them(app, db, road):
    admin = _client(app, "admin")
    page = admin.get("/orders/settings").get_data(as_text=True)
    assert 'value="3h"' in page and "09:00-12:00, 13:00-17:00" in page
    form = {"dispatch_general": "2h", "dispatch_special": "1h", "dispatch_special_urgent": "soon",
            "reply_general": "same_day", "reply_hard": "2wd", "reply_special": "7wh", "reply_special_urgent": "4wh",
            "office_hours": "09:00-12:00, 13:00-17:00", "follow_always": ["complaint", "report"],
            "sample_percent": "20", "attempts": "3", "gap_hours": "2", "remind_before_minutes": "60",
            "escalate_after_hours": "4", "calling_hours": "09:00-12:00, 14:00-20:00", "ring_seconds": "40",
            "at_once": "4"}
    page = admin.post("/orders/settings", data=form).get_data(as_text=True)
    assert "请按 3h、30min、7wh、2wd 或 same_day 的格式填写" in page            # refused, next to the field
    admin.post("/orders/settings", data={**form, "dispatch_special_urgent": "20min"})
    admin.post("/orders/new", data={"request_type": "consultation", "urgency": "general", "category_id": "0",
                                    "title": "两小时派单", "content": "内容"})
    order = db.scalar(select(WorkOrder))
    assert order.dispatch_due.replace(tzinfo=UTC) - order.created_at.replace(tzinfo=UTC) == dt.timedelta(hours=2)


def test_the_centre_sets_how_automated_follow_up_calls_are_placed_and_the_list_shows_each_attempt(app, db, road):
    admin = _client(app, "admin")
    page = admin.get("/orders/settings").get_data(as_text=True)
    assert "回访外呼时段（每天）" in page and 'value="09:00-12:00, 14:00-20:00"' in page and "外显号码" in page
    form = {"dispatch_general": "3h", "dispatch_special": "1h", "dispatch_special_urgent": "30min",
            "reply_general": "same_day", "reply_hard": "2wd", "reply_special": "7wh", "reply_special_urgent": "4wh",
            "office_hours": "09:00-12:00, 13:00-17:00", "follow_always": ["complaint", "report"],
            "sample_percent": "20", "attempts": "3", "gap_hours": "2", "remind_before_minutes": "60",
            "escalate_after_hours": "4", "automated": "y", "calling_hours": "09:00-12:00，14:30-20:00",
            "caller_id": "abc", "ring_seconds": "30", "at_once": "2"}
    page = admin.post("/orders/settings", data=form).get_data(as_text=True)
    assert "只能填写数字。" in page                                          # refused, next to the field
    admin.post("/orders/settings", data={**form, "caller_id": "12366"})
    from engine.store.orders import load_settings
    settings = load_settings(db)
    assert settings.automated_follow_up and settings.calls.caller_id == "12366" and settings.calls.at_once == 2
    assert settings.calls.ring_s == 30 and settings.spec["follow_up"]["calling_hours"] == ["09:00-12:00",
                                                                                          "14:30-20:00"]
    # a visit the engine tried once: when, what came of it, and when it tries again
    order = WorkOrder(number="202612070001", hall_id=None, request_type="complaint", title="噪音扰民",
                      citizen_phone="13800138000", state=OrderState.CLOSED)
    db.add(order)
    db.flush()
    db.add(FollowUp(order_id=order.id, round=1, state="pending", mode="automated", attempts=1,
                    last_attempt_at=dt.datetime(2026, 12, 7, 2, 0, tzinfo=UTC), last_result="USER_BUSY",
                    next_attempt_at=dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)))
    db.commit()
    page = admin.get("/orders/follow-ups/").get_data(as_text=True)
    assert "自动外呼回访" in page
    assert "12-07 10:00" in page and "12-07 14:00" in page                  # Beijing time
    assert "忙线" in page and "USER_BUSY" not in page
