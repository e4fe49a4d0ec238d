"""In headless Chromium at 1440 × 900: report tables fit the page (no table wider than the window), the item
column (项目) keeps a queue's or agent's name on one or two lines instead of one character per line, and a
by-queue chart draws one series per queue."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.store.calllog import append
from engine.store.models import Agent, Queue

from .browser import browser, live_server, needs_chromium  # noqa: F401  (fixtures)
from .helpers import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]
LOCAL = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 2)
QUEUES = {"tax": "税收政策咨询（个人所得税汇算清缴）", "etax": "电子税务局与发票", "fees": "社保费缴纳"}


@pytest.fixture
def busy_day(db, seed):
    """Three queues with long Chinese names, three agents, calls answered all day with long talks."""
    db.add_all([Queue(code=code, name=name) for code, name in QUEUES.items()])
    agents = [Agent(employee_no=f"20{i:02d}", name=name, extension=f"82{i:02d}")
              for i, name in enumerate(("欧阳明华", "司马晓东", "诸葛文静"))]
    db.add_all(agents)
    db.flush()
    n = 0
    for hour in range(8, 18):
        for code in QUEUES:
            for agent in agents:
                n += 1
                q = dt.datetime(DAY.year, DAY.month, DAY.day, hour, n % 60, tzinfo=LOCAL).timestamp()
                append(db, LogCallEvent(f"c{n}", K.QUEUED, q, queue_code=code, queued_at=q))
                append(db, LogCallEvent(f"c{n}", K.ANSWERED, q + 12, queue_code=code, queued_at=q, wait_s=12.0,
                                        agent_id=agent.id))
                append(db, LogCallEvent(f"c{n}", K.TALK_ENDED, q + 3000, queue_code=code, queued_at=q,
                                        duration_s=2988.0, agent_id=agent.id))
    db.commit()
    return db


def _signed_in(browser, live_server, path):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{live_server}{path}")
    page.fill("#username", "super")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}{path}")
    return page


WIDTHS = """() => ({page: document.documentElement.scrollWidth,
                    tables: [...document.querySelectorAll('table.report')].map(t => t.getBoundingClientRect().right),
                    items: [...document.querySelectorAll('table.report tbody td.item')].map(
                        td => ({width: td.getBoundingClientRect().width, height: td.getBoundingClientRect().height,
                                line: parseFloat(getComputedStyle(td).lineHeight) || 20}))})"""


@pytest.mark.parametrize("path", [
    f"/reports/service?start={DAY}&end={DAY}&grain=hour&dimension=queue",
    f"/reports/agents?start={DAY}&end={DAY}&grain=hour&dimension=agent",
    f"/reports/callers?start={DAY}&end={DAY}&grain=interval&dimension=queue",
])
def test_report_tables_fit_a_1440_pixel_window(live_server, browser, busy_day, path):
    page = _signed_in(browser, live_server, path)
    sizes = page.evaluate(WIDTHS)
    assert sizes["tables"] and sizes["items"]
    assert sizes["page"] <= 1440, sizes["page"]
    assert max(sizes["tables"]) <= 1440
    for cell in sizes["items"]:
        assert cell["width"] >= 90                              # 8em: a name, not a character, per line
        assert cell["height"] <= 3 * cell["line"] + 12          # two lines at most, plus padding


def test_by_queue_chart_draws_a_series_per_queue(live_server, browser, busy_day):
    page = _signed_in(browser, live_server, f"/reports/service?start={DAY}&end={DAY}&grain=hour&dimension=queue")
    page.wait_for_function("() => document.getElementById('report-chart').dataset.ready === '1'", timeout=10_000)
    assert page.locator("#report-chart").get_attribute("data-series") == str(len(QUEUES))
    assert page.locator("#report-chart canvas").count() >= 1
