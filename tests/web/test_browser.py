"""In a real browser: the agents page follows a state change in the database without reloading."""
from __future__ import annotations

import pytest

from engine.domain.states import AgentState

from .browser import browser, needs_chromium, serving  # noqa: F401  (the browser fixture)
from .helpers import PASSWORD, set_state

pytestmark = needs_chromium


@pytest.fixture
def live_server(app):
    """The app over HTTP, with the agents page polling fast."""
    app.config["AGENT_POLL_INTERVAL_MS"] = 300  # the page's polling period; 2 s in production
    with serving(app) as url:
        yield url


def test_agents_page_updates_without_reload(live_server, browser, seed, db):
    page = browser.new_page()
    page.goto(f"{live_server}/agents/")
    assert "/auth/login" in page.url
    page.fill("#username", "super")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/agents/")

    badge = page.locator(f'tr[data-agent-id="{seed.agent_id}"] [data-field="state"]')
    assert badge.inner_text() == "示闲"
    assert "state-ready" in badge.get_attribute("class")
    page.evaluate("window.__sameDocument = true")

    set_state(db, seed.agent_id, AgentState.TALKING)
    page.wait_for_function(
        f"""() => document.querySelector('tr[data-agent-id="{seed.agent_id}"] [data-field="state"]')
                     .textContent === '通话中'""", timeout=10_000)
    assert "state-talking" in badge.get_attribute("class")
    assert "state-ready" not in badge.get_attribute("class")
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    assert page.locator(f'tr[data-agent-id="{seed.agent_id}"] [data-field="time"]').inner_text().startswith("0:0")
