"""The agent desktop page: agents only, Chinese by default, driven by the CTI API; and in a real browser."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import Agent, AgentRequest

from .browser import browser, serving  # noqa: F401  (the browser fixture)
from .helpers import PASSWORD, set_state



def test_desktop_is_for_agents(client, seed):
    assert "/auth/login" in client.get("/desktop/").headers["Location"]


def test_staff_cannot_open_the_desktop(as_supervisor):
    assert as_supervisor.get("/desktop/").status_code == 403


def test_desktop_page_in_chinese_uses_only_the_api(as_agent):
    text = as_agent.get("/desktop/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in text
    for word in ("坐席工作台", "签入", "示闲", "示忙", "签出", "挂机", "保持", "取回", "转接", "外呼", "重拨", "今日"):
        assert word in text, word
    assert 'data-api="/api/v1"' in text and "js/desktop.js" in text
    assert 'name="csrf-token"' in text
    assert "Agent desktop" in as_agent.get("/desktop/?lang=en").get_data(as_text=True)


def test_agent_nav_links_to_the_desktop(as_agent):
    assert 'href="/desktop/"' in as_agent.get("/me").get_data(as_text=True)


def test_desktop_script_is_served(client):
    response = client.get("/static/js/desktop.js")
    assert response.status_code == 200 and b"EventSource" in response.data
    response.close()


# --- in a real browser ------------------------------------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The app over HTTP, with short event streams so that reconnection is exercised too."""
    app.config.update(CTI_EVENTS_LIFETIME_S=20, CTI_EVENTS_RETRY_MS=300)
    with serving(app) as url:
        yield url


def _wait_for_request(db, agent_id: int, timeout: float = 10.0) -> AgentRequest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.expire_all()
        row = db.scalar(select(AgentRequest).where(AgentRequest.agent_id == agent_id).order_by(AgentRequest.id.desc()))
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError("no AgentRequest row appeared")


def test_desktop_in_a_browser_sends_requests_and_follows_the_engine(live_server, browser, seed, db):
    set_state(db, seed.agent_id, AgentState.NOT_READY, NotReadyReason.BREAK)
    page = browser.new_page()
    page.goto(f"{live_server}/desktop/")
    page.fill("#username", "agent1001")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/desktop/")
    page.wait_for_function("() => document.getElementById('state-badge').textContent === '示忙'", timeout=10_000)
    assert page.inner_text("#state-reason") == "小休"
    assert "state-not_ready" in page.get_attribute("#state-badge", "class")
    page.evaluate("window.__sameDocument = true")

    page.click("#btn-ready")
    row = _wait_for_request(db, seed.agent_id)
    assert (row.action, row.actor) == ("ready", "agent1001")
    page.wait_for_selector(f'#request-log li[data-request-id="{row.id}"][data-status="pending"]', timeout=10_000)

    # the engine answers and changes the agent's state: the page follows without a reload
    row.result = "ok"
    db.commit()
    set_state(db, seed.agent_id, AgentState.READY)
    page.wait_for_selector(f'#request-log li[data-request-id="{row.id}"][data-status="ok"]', timeout=10_000)
    page.wait_for_function("() => document.getElementById('state-badge').textContent === '示闲'", timeout=10_000)
    assert "state-ready" in page.get_attribute("#state-badge", "class")
    assert page.inner_text("#state-time").startswith("0:0")

    # a refused request shows the engine's reason
    page.fill("#dial-number", "13800138000")
    page.click("#btn-dial")
    deadline = time.monotonic() + 10
    while (dial := _wait_for_request(db, seed.agent_id)).action != "dial" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dial.argument == "number:13800138000"
    dial.result = "refused: agent 1001 cannot dial while talking"
    db.commit()
    page.wait_for_selector(f'#request-log li[data-request-id="{dial.id}"][data-status="refused"]', timeout=10_000)
    answer = page.inner_text(f'#request-log li[data-request-id="{dial.id}"]')
    assert "被拒绝" in answer and "cannot dial" not in answer           # the engine's reason, in Chinese
    assert page.inner_text("#dial-history") .startswith("13800138000")

    # a call arrives: the card shows it
    agent = db.get(Agent, seed.agent_id)
    agent.current_call_uuid = "call-77"
    db.commit()
    set_state(db, seed.agent_id, AgentState.TALKING)
    page.wait_for_function("() => document.getElementById('call-card').getAttribute('data-call') === 'call-77'",
                           timeout=10_000)
    assert page.inner_text("#call-title") == "来电"
    assert page.evaluate("window.__sameDocument") is True
    page.close()
