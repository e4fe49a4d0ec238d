"""In a real browser: the wallboard shows the snapshot's figures and follows changes without reloading."""
from __future__ import annotations

import datetime as dt

from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import TrunkStatus

from .helpers import PASSWORD, publish_queue, set_state
from .browser import browser, live_server, needs_chromium  # noqa: F401  (fixtures)

pytestmark = needs_chromium
import time

from .test_wallboard import _call, engine_heartbeat, publish_switch

UTC = dt.timezone.utc


def _shown(page) -> dict:
    return page.evaluate("""() => {
        const text = (sel) => document.querySelector(sel).textContent.trim();
        const states = {};
        document.querySelectorAll('#wb-states li').forEach(li => {
            states[li.dataset.agentState] = Number(li.querySelector('.count').textContent); });
        return {waiting: text('[data-figure="waiting"]'), sl15: text('[data-figure="sl15"]'),
                sl60: text('[data-figure="sl60"]'), answered: text('[data-figure="answered_today"]'),
                abandoned: text('[data-figure="abandoned_today"]'), states: states,
                queue: text('tr[data-queue="tax_policy"] [data-field="waiting"]'),
                trunk: document.querySelector('tr[data-trunk="电信"] [data-field="in_use"]').firstChild.textContent,
                alerts: Array.from(document.querySelectorAll('#wb-alerts li')).map(li => li.dataset.alertKind),
                alertText: Object.fromEntries(Array.from(document.querySelectorAll('#wb-alerts li')).map(
                    li => [li.dataset.alertKind, li.textContent.trim()])),
                switchLine: document.getElementById('wb-switch').hidden ? null : text('#wb-switch'),
                alertsShown: !document.getElementById('wb-alerts').hidden};
    }""")


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def test_wallboard_matches_the_snapshot_and_updates_live(app, live_server, browser, seed, db):  # noqa: F811
    app.config["WALLBOARD_POLL_S"] = 0.2
    now = dt.datetime.now(UTC)
    publish_queue(db, queue_code="tax_policy", waiting=2, longest_wait_since=now - dt.timedelta(seconds=30),
                      agents_ready=1, agents_busy=0, agents_logged_in=1, updated_at=now)
    db.add(TrunkStatus(name="电信", channels=30, in_use=7, all_busy_since=None, updated_at=now))
    _call(db, "a", 120, 8, "answered", now)
    _call(db, "b", 100, 25, "answered", now)
    db.commit()
    publish_switch(db, connected=True, sps=30, max_sessions=1000)
    engine_heartbeat(db, ago_s=-3600)          # beating until it dies below (a slow login must not outlive it)

    page = browser.new_page()
    page.goto(f"{live_server}/wallboard/")
    assert "/auth/login" in page.url
    page.fill("#username", "super")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/wallboard/")
    page.wait_for_selector("body[data-updated]", timeout=10_000)
    page.evaluate("window.__sameDocument = true")

    snapshot = page.evaluate("() => fetch('/wallboard/api/snapshot').then(r => r.json())")
    shown = _shown(page)
    assert shown["waiting"] == str(snapshot["waiting"]) == "2"
    assert shown["sl15"] == _pct(snapshot["service_level"]["m15"]["percent"]) == "50.0%"
    assert shown["sl60"] == _pct(snapshot["service_level"]["m60"]["percent"])
    assert shown["answered"] == str(snapshot["today"]["answered"])
    assert shown["abandoned"] == str(snapshot["today"]["abandoned"])
    assert shown["states"] == {s["state"]: s["count"] for s in snapshot["agents"]["states"]}
    assert shown["queue"] == "2" and shown["trunk"] == "7"
    assert shown["alerts"] == [a["kind"] for a in snapshot["alerts"]] == ["service_level"] and shown["alertsShown"]
    assert shown["switchLine"] == snapshot["switch"]["label"] == "交换机：已连接 · 会话速率上限 30/秒 · 最大会话 1000"

    assert page.evaluate("document.getElementById('wb-engine').getAttribute('data-engine')") == "up"

    # the engine publishes a surge: 14 waiting, every trunk channel busy; an agent goes to lunch
    publish_queue(db, queue_code="tax_policy", waiting=14, longest_wait_since=now - dt.timedelta(seconds=30),
                  agents_ready=1, agents_busy=0, agents_logged_in=1, updated_at=dt.datetime.now(UTC))
    trunk = db.get(TrunkStatus, "电信")
    trunk.in_use, trunk.all_busy_since, trunk.updated_at = 30, dt.datetime.now(UTC), dt.datetime.now(UTC)
    db.commit()
    set_state(db, seed.agent_id, AgentState.NOT_READY, NotReadyReason.MEAL)
    page.wait_for_function("""() => document.querySelector('[data-figure="waiting"]').textContent === '14'
        && document.querySelector('#wb-alerts li[data-alert-kind="trunk"]') !== null
        && document.querySelector('#wb-reasons li[data-reason="meal"]') !== null""", timeout=10_000)
    shown = _shown(page)
    assert set(shown["alerts"]) == {"waiting", "trunk", "service_level"} and shown["alertsShown"]
    assert shown["queue"] == "14" and shown["trunk"] == "30"
    assert shown["states"]["ready"] == 0 and shown["states"]["not_ready"] == 1
    assert page.evaluate("window.__sameDocument") is True           # updated in place, not reloaded
    snapshot = page.evaluate("() => fetch('/wallboard/api/snapshot').then(r => r.json())")
    assert shown["states"] == {s["state"]: s["count"] for s in snapshot["agents"]["states"]}

    # the switch throttles the engine's originates: its alert appears, in Chinese, without a reload
    publish_switch(db, connected=True, sps=30, max_sessions=1000, refused_recent=3, refused_total=3,
                   last_refused_ago_s=2)
    page.wait_for_function("""() => document.querySelector('#wb-alerts li[data-alert-kind="switch_refused"]') !== null""",
                           timeout=10_000)
    shown = _shown(page)
    assert shown["alertText"]["switch_refused"] == "交换机在最近15分钟拒绝了 3 次坐席呼叫（会话速率上限 30 次/秒）"
    assert shown["switchLine"] == "交换机：已连接 · 会话速率上限 30/秒 · 最大会话 1000 · 引擎启动以来被拒绝 3 次"
    assert page.evaluate("document.getElementById('wb-switch').classList.contains('warn')") is True

    # the engine loses the switch
    publish_switch(db, connected=False, sps=30, max_sessions=1000, refused_recent=3, refused_total=3,
                   last_refused_ago_s=4)
    page.wait_for_function("""() => document.querySelector('#wb-alerts li[data-alert-kind="switch"]') !== null""",
                           timeout=10_000)
    shown = _shown(page)
    assert shown["alertText"]["switch"] == "引擎未连接交换机：无法接听来电，也无法向坐席分配呼叫"
    assert shown["switchLine"].startswith("交换机：未连接")
    assert page.evaluate("document.getElementById('wb-switch').classList.contains('bad')") is True
    assert page.evaluate("window.__sameDocument") is True

    # the engine dies (its heartbeat stops): the wallboard says so within seconds, and so does every console page
    engine_heartbeat(db, ago_s=0.0)
    died = time.monotonic()
    page.wait_for_function("""() => document.querySelector('#wb-alerts li[data-alert-kind="engine"]') !== null""",
                           timeout=10_000)
    assert time.monotonic() - died < 5
    assert page.evaluate("document.getElementById('wb-engine').getAttribute('data-engine')") == "down"
    console = page                                         # the same logged-in user, on a console page
    console.goto(f"{live_server}/")
    console.wait_for_selector("#system-alert:not([hidden]) [data-alert-kind=engine]", timeout=5_000)
    assert console.inner_text("#system-alert") == "没有运行中的引擎：来电无法接听，也无法分配给坐席"
    engine_heartbeat(db, ago_s=-3600)                      # a standby took over, and publishes the switch
    publish_switch(db, connected=True, sps=30, max_sessions=1000)
    console.wait_for_selector("#system-alert[hidden]", state="attached", timeout=5_000)
