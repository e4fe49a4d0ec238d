"""Work-order reports on SQLite and PostgreSQL (engine.store.order_reports): a hand-made fortnight of orders
registered, dispatched, replied and closed at fixed Beijing times, counted by type, category, department, hall and
local day/month; the overdue list; the departments' satisfaction; the month's hot categories."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.calendar_source import build_calendar
from engine.domain.followup import Rating, RequestType
from engine.domain.workorder import Action
from engine.store import order_reports as reports
from engine.store import orders
from engine.store.models import Department, FollowUp, Hall, OrderCategory
from engine.store.session import transaction

TZ = ZoneInfo("Asia/Shanghai")
AGENT, REVIEWER, DEPT = orders.Actor("坐席"), orders.Actor("初审"), orders.Actor("承办人")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def ctx():
    return orders.Context(orders.OrderSettings.from_spec({"follow_up": {"sample_percent": 0}}),
                          build_calendar((2025, 2026)), TZ)


def _seed(s, ctx) -> dict:
    hall = s.scalars(select(Hall).order_by(Hall.id)).first()
    first, second = Department(hall_id=hall.id, name="报表一科"), Department(hall_id=hall.id, name="报表二科")
    s.add_all([first, second])
    s.flush()
    tax = s.scalar(select(OrderCategory).where(OrderCategory.name == "个人所得税"))
    city = s.scalar(select(OrderCategory).where(OrderCategory.name == "噪音扰民"))
    # Tuesday 2026-09-22 00:30 Beijing is still 21 September in UTC: counted on the 22nd
    spot = orders.register(s, ctx, AGENT, request_type=RequestType.CONSULTATION, title="咨询", category_id=tax.id,
                           answer="当场答复", hall_id=hall.id, now=local(2026, 9, 22, 0, 30))
    # a complaint dispatched within its 3 hours, replied in 2 hours, closed: satisfied
    good = orders.register(s, ctx, AGENT, request_type=RequestType.COMPLAINT, title="投诉一", category_id=tax.id,
                           hall_id=hall.id, now=local(2026, 9, 22, 9))
    orders.act(s, ctx, good, Action.PASS_REVIEW, REVIEWER, now=local(2026, 9, 22, 9, 30))
    orders.act(s, ctx, good, Action.DISPATCH, REVIEWER, department_id=first.id, now=local(2026, 9, 22, 10))
    orders.act(s, ctx, good, Action.ACCEPT, DEPT, department_id=first.id, now=local(2026, 9, 22, 10, 30))
    orders.act(s, ctx, good, Action.REPLY, DEPT, department_id=first.id, note="已处理", now=local(2026, 9, 22, 12))
    orders.act(s, ctx, good, Action.CLOSE, REVIEWER, note="办结", now=local(2026, 9, 22, 13))
    # a complaint dispatched an hour late (4 hours after registration) to the second department, never replied
    late = orders.register(s, ctx, AGENT, request_type=RequestType.COMPLAINT, title="投诉二", category_id=city.id,
                           hall_id=hall.id, now=local(2026, 9, 23, 9))
    orders.act(s, ctx, late, Action.PASS_REVIEW, REVIEWER, now=local(2026, 9, 23, 9, 10))
    orders.act(s, ctx, late, Action.DISPATCH, REVIEWER, department_id=second.id, now=local(2026, 9, 23, 13))
    # a report never dispatched, in October
    waiting = orders.register(s, ctx, AGENT, request_type=RequestType.REPORT, title="举报", hall_id=hall.id,
                              now=local(2026, 10, 9, 9))
    visit = s.scalar(select(FollowUp).where(FollowUp.order_id == good.id))
    orders.record_follow_up(s, ctx, visit, orders.Actor("回访员"), rating=Rating.SATISFIED,
                            department_rating=Rating.BASICALLY_SATISFIED, now=local(2026, 9, 24, 10))
    return {"first": first.id, "second": second.id, "tax": tax.id, "city": city.id, "hall": hall.id,
            "spot": spot.number, "good": good.number, "late": late.number, "waiting": waiting.number}


def test_orders_by_type_day_and_month_with_their_fate_and_times(sessions, ctx):
    with transaction(sessions) as s:
        ids = _seed(s, ctx)
        now = local(2026, 10, 10, 12)
        rows = reports.order_counts(s, local(2026, 9, 1), local(2026, 11, 1), dimension="request_type",
                                    grain="day", now=now)
        got = {(r.period, r.key): r for r in rows}
        assert sorted(got) == [("2026-09-22", "complaint"), ("2026-09-22", "consultation"),
                               ("2026-09-23", "complaint"), ("2026-10-09", "report")]
        spot = got[("2026-09-22", "consultation")]
        assert (spot.registered, spot.on_the_spot, spot.closed, spot.dispatched, spot.avg_close_s) == (1, 1, 1, 0, 0)
        good = got[("2026-09-22", "complaint")]
        assert (good.dispatched, good.replied, good.closed, good.late_dispatch, good.late_reply) == (1, 1, 1, 0, 0)
        assert (good.avg_dispatch_s, good.avg_reply_s, good.avg_close_s) == (3600, 7200, 4 * 3600)
        late = got[("2026-09-23", "complaint")]
        assert (late.late_dispatch, late.late_reply, late.closed, late.avg_dispatch_s) == (1, 1, 0, 4 * 3600)
        assert got[("2026-10-09", "report")].late_dispatch == 1          # past its 3 hours, never dispatched
        months = reports.order_counts(s, local(2026, 9, 1), local(2026, 11, 1), grain="month", now=now)
        assert [(r.period, r.registered) for r in months] == [("2026-09", 3), ("2026-10", 1)]
        total = reports.total_of(months)
        assert (total.registered, total.on_the_spot, total.dispatched, total.closed) == (4, 1, 2, 2)


def test_orders_by_category_department_and_hall(sessions, ctx):
    with transaction(sessions) as s:
        ids = _seed(s, ctx)
        now = local(2026, 10, 10, 12)
        span = (local(2026, 9, 1), local(2026, 11, 1))
        top = {r.key: r.registered for r in reports.order_counts(s, *span, dimension="category", now=now)}
        tax_root = s.get(OrderCategory, ids["tax"]).parent_id
        city_root = s.get(OrderCategory, ids["city"]).parent_id
        assert top == {str(tax_root): 2, str(city_root): 1, None: 1}
        second = {r.key: r.registered for r in reports.order_counts(s, *span, dimension="category2", now=now)}
        assert second == {str(ids["tax"]): 2, str(ids["city"]): 1, None: 1}
        names = reports.labels_for(s, "category", list(top))
        assert names[str(tax_root)] == "税费政策"
        by_dept = {r.key: r for r in reports.order_counts(s, *span, dimension="department", now=now)}
        assert set(by_dept) == {str(ids["first"]), str(ids["second"])}
        assert (by_dept[str(ids["first"])].replied, by_dept[str(ids["first"])].avg_reply_s) == (1, 7200)
        assert (by_dept[str(ids["second"])].late_reply, by_dept[str(ids["second"])].replied) == (1, 0)
        halls = reports.order_counts(s, *span, dimension="hall", now=now)
        assert [(r.key, r.registered) for r in halls] == [(str(ids["hall"]), 4)]


def test_the_overdue_list_satisfaction_and_hot_categories(sessions, ctx):
    with transaction(sessions) as s:
        ids = _seed(s, ctx)
        count, rows = reports.overdue_orders(s, now=local(2026, 10, 10, 12))
        assert count == 2
        by_number = {o.number: o for o in rows}
        assert by_number[ids["waiting"]].stage == "dispatch" and by_number[ids["waiting"]].department == ""
        assert by_number[ids["waiting"]].late_s == (local(2026, 10, 10, 12) - local(2026, 10, 9, 12)).total_seconds()
        assert by_number[ids["late"]].stage == "reply" and by_number[ids["late"]].department == "报表二科"
        assert rows[0].number == ids["late"]                  # the latest first
        happy = reports.department_satisfaction(s, local(2026, 9, 1), local(2026, 10, 1))
        assert [(r.department, r.visits, r.rating, r.department_rating, r.satisfaction_rate) for r in happy] == [
            ("报表一科", 1, {"satisfied": 1}, {"basically": 1}, 100.0)]
        total, hot = reports.hot_categories(s, local(2026, 9, 1), local(2026, 10, 1))
        assert total == 3
        assert hot == [("税费政策 › 个人所得税", 2, 66.67), ("城市管理 › 噪音扰民", 1, 33.33)]
        assert reports.hot_top_categories(s, local(2026, 9, 1), local(2026, 10, 1)) == [
            ("税费政策", 2, 66.67), ("城市管理", 1, 33.33)]
