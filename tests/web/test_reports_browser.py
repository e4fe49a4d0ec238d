"""In headless Chromium: the scorecard shows the figures its JSON API returns, and the report chart draws."""
from __future__ import annotations

import pytest

from engine.domain.commands import LogCallEvent
from engine.store.calllog import append
from tests.integration.reports.day_fixture import entries

from .browser import browser, live_server, needs_chromium  # noqa: F401  (fixtures)
from .helpers import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


def test_scorecard_shows_what_the_api_returns(live_server, browser, seed, db):
    for entry in entries():
        append(db, LogCallEvent(**{**entry.__dict__, "agent_id": None if entry.agent_id is None else seed.agent_id}))
        db.commit()
    page = browser.new_page()
    page.goto(f"{live_server}/reports/scorecard?month=2026-03")
    page.fill("#username", "super")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/reports/scorecard?month=2026-03")
    api = page.evaluate("""() => fetch(document.getElementById('scorecard').dataset.api).then(r => r.json())""")
    for item in api["items"]:
        row = page.locator(f'#scorecard tr[data-key="{item["key"]}"]')
        shown_value = row.locator('[data-field="value"]').inner_text().strip()
        shown_points = row.locator('[data-field="points"]').inner_text().strip()
        if item["value"] is None:
            assert shown_points == "—"
            continue
        expected = f"{item['value']:.2f}%" if item["unit"] == "%" else f"{item['value']:.1f} 秒"
        assert shown_value == expected, item["key"]
        assert shown_points == f"{item['points']:.2f}", item["key"]
    assert page.locator("#measured-points").inner_text() == f"{api['measured_points']:.2f}"

    page.goto(f"{live_server}/reports/service?start=2026-03-02&end=2026-03-02&grain=interval&dimension=all")
    page.wait_for_function("() => document.getElementById('report-chart').dataset.ready === '1'", timeout=10_000)
    assert page.locator("#report-chart canvas").count() >= 1          # ECharts drew, from the local bundle
