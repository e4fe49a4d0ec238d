"""In a real browser: the agents page follows a state change in the database without reloading."""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from engine.domain.states import AgentState

from .helpers import PASSWORD, set_state

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} not installed (apt-get install chromium to run this test)")


@pytest.fixture
def live_server(app):
    """The app served over HTTP from a thread, on a free port; yields its base URL."""
    app.config["AGENT_POLL_INTERVAL_MS"] = 300  # the page's polling period; 2 s in production
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
