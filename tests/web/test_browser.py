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


def test_forms_work_under_a_policy_that_runs_no_inline_script(live_server, browser, seed, db):
    """The console's Content-Security-Policy allows this site's script files only: an injected inline script does
    not run, and the forms that used inline handlers (confirm before delete, filter on change) still work."""
    page = browser.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server}/agents/{seed.agent_id}/edit")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/agents/{seed.agent_id}/edit")
    page.evaluate("""() => { const s = document.createElement('div');
                             s.innerHTML = '<img src=x onerror="window.__injected = 1">';
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__injected") is None                  # the injected handler was refused
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("form[data-confirm] button[type=submit]")
    assert asked == ["确定删除该坐席？"]
    assert page.url.endswith(f"/agents/{seed.agent_id}/edit")         # dismissed: nothing deleted
    page.goto(f"{live_server}/calls/")
    page.select_option("select[data-autosubmit]", index=1)
    page.wait_for_url("**/calls/?*")
    assert "outcome=" in page.url
    assert violations and all("inline" in v or "script-src" in v for v in violations)   # only the injected one
