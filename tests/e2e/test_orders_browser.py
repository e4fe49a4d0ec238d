"""The back office's whole road in headless Chromium against `callcenter run` (engine + console + simulated
FreeSWITCH): an agent answers a call and finds the answer in the knowledge base, answers the next caller and
registers a complaint from the desktop; the supervisor reviews and dispatches it; the department's login accepts
and replies; the supervisor closes it; the follow-up rates it; the order's timeline shows every step with who."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.domain.states import NotReadyReason
from engine.domain.workorder import OrderState
from engine.store.base import utcnow
from engine.store.models import Agent, AgentRequest, FollowUp, WorkOrder
from tests.e2e.test_desktop_browser import T, chromium, poll, sign_in, stack, state, wait_state  # noqa: F401

ETAX = ("1001", "1006", "1007", "1008", "1009")


def _only_1006_ready(stack):
    def breaks(session):
        for ext in ("1001", "1007", "1008", "1009"):
            agent_id = session.scalar(select(Agent.id).where(Agent.extension == ext))
            session.add(AgentRequest(agent_id=agent_id, action="not_ready", reason=NotReadyReason.MEETING,
                                     actor="test", requested_at=utcnow()))
    stack.db(breaks)
    for ext in ETAX:
        stack.ctl("PATCH", f"/phones/{ext}", {"behaviour": "manual"})


def _take_call(stack, desk, ani):
    stack.ctl("POST", "/calls", {"did": "12366", "ani": ani, "digits": "2", "talk_time": 900})
    desk.wait_for_selector("#call-card.ringing", timeout=T)
    assert desk.inner_text("#call-caller") == ani
    desk.click("#btn-answer")
    wait_state(desk, "talking")


def _hang_up(desk):
    desk.click("#btn-hangup")
    poll(lambda: state(desk) in ("wrap_up", "ready"), 20, "the call to end")


def _step(page, action, note=None, department=None):
    form = page.locator(f"form.order-step[data-step={action}]").first
    if department:
        form.locator("select[name=department_id]").select_option(label=department)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success", timeout=T)


def test_a_complaint_from_the_desktop_to_its_follow_up(stack, chromium):
    _only_1006_ready(stack)
    desk = sign_in(chromium, stack, "a1006", "a1006", "/desktop/")
    wait_state(desk, "ready")
    poll(lambda: stack.db(lambda s: all(a.state.value == "not_ready" for a in s.scalars(
        select(Agent).where(Agent.extension.in_(("1001", "1007", "1008", "1009")))))), 20, "the others on a break")

    # the first caller: the knowledge base suggests answers for the e-tax queue, and a search finds one
    _take_call(stack, desk, "13800138000")
    desk.wait_for_selector("#kb-suggestions li a", timeout=T)
    desk.fill("#kb-search-q", "发票怎么开")
    desk.click("#kb-search-btn")
    desk.wait_for_function("() => [...document.querySelectorAll('#kb-results a.kb-title')]"
                           ".some(a => a.textContent.includes('发票'))", timeout=T)
    _hang_up(desk)
    wait_state(desk, "ready")

    # the next caller complains: the order is registered from the desktop, with the call linked
    _take_call(stack, desk, "13900139000")
    desk.wait_for_function("() => document.getElementById('orders-new').href.includes('call=')", timeout=T)
    with desk.context.expect_page() as opened:
        desk.click("#orders-new")
    form = opened.value
    form.wait_for_load_state()
    assert form.input_value("#citizen_phone") == "13900139000"
    form.select_option("#request_type", "complaint")
    form.fill("#title", "办税服务厅排队过长")
    form.fill("#content", "周五下午在天河办税服务厅等了两个小时")
    form.fill("#citizen_name", "王先生")
    form.click("form.order-form button[type=submit]")
    form.wait_for_selector(".order-state", timeout=T)
    assert "待初审" in form.inner_text(".order-state")
    number = form.inner_text("h1").split()[1]
    _hang_up(desk)
    order = stack.db(lambda s: s.scalar(select(WorkOrder).where(WorkOrder.number == number)))
    assert order.call_uuid and order.citizen_phone == "13900139000"

    # the supervisor reviews and dispatches it to the department
    boss = sign_in(chromium, stack, "supervisor", "supervisor123", "/orders/?view=review")
    boss.click(f"text={number}")
    _step(boss, "pass_review")
    _step(boss, "dispatch", department="纳税服务处")
    assert "纳税服务处" in boss.inner_text(".order-parts")

    # the department's login sees it, accepts and replies
    dept = sign_in(chromium, stack, "dept", "dept123", "/orders/")
    dept.click(f"text={number}")
    _step(dept, "accept")
    _step(dept, "reply", note="已在周五下午增开两个窗口")

    # the supervisor closes it; the complaint enters the follow-up list
    boss.reload()
    _step(boss, "close", note="已电话答复市民")
    assert stack.db(lambda s: s.scalar(select(WorkOrder.state).where(WorkOrder.number == number))) \
        is OrderState.CLOSED

    # the follow-up: the agent calls back and records the citizen's rating
    visits = desk.context.new_page()
    visits.goto(f"{stack.web}/orders/follow-ups/")
    visits.locator("tr", has=visits.locator(f"text={number}")).locator("text=回访并记录").click()
    visits.select_option("#rating", "satisfied")
    visits.fill("#note", "满意，窗口多了")
    visits.click("form.card button[type=submit]")
    visits.wait_for_selector(".flash-success", timeout=T)
    rating = stack.db(lambda s: s.scalar(select(FollowUp.rating).join(WorkOrder).where(WorkOrder.number == number)))
    assert rating.value == "satisfied"

    # every step is on the timeline, with who took it
    boss.reload()
    timeline = boss.inner_text(".order-timeline")
    for words in ("登记", "初审通过", "派单", "签收", "答复", "办结"):
        assert words in timeline, words
    assert "值班班长" in timeline and "纳税服务处经办人" in timeline
    assert boss.locator(".order-follow-ups").inner_text().count("满意") >= 1
