"""In headless Chromium, a week's schedule as its users meet it: the supervisor saves a shift template, generates
the week from the planned requirement, sees the required-vs-scheduled chart drawn and the shifts in the grid,
publishes it and finds the agents' attendance on the adherence page (its chart drawn); the agent then sees their
own shifts on 我的班次."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.domain.states import AgentState

from .browser import browser, live_server, needs_chromium, sign_in, sign_out  # noqa: F401  (fixtures)
from .test_schedules import LOCAL, WEEK, _state, team, today  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, needs_chromium]

CHART_DRAWN = "id => document.getElementById(id).dataset.ready === '1'"


def _chart_drawn(page, element_id):
    page.wait_for_function(CHART_DRAWN, arg=element_id, timeout=10_000)
    canvas = page.locator(f"#{element_id} canvas").first              # ECharts drew, from the local bundle,
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100          # on a chart one can see


def test_generate_publish_and_see_the_shifts_in_the_browser(live_server, browser, db, seed, team):
    page = browser.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # the supervisor saves a morning shift template
    sign_in(page, live_server, "super", "/wfm/schedules/templates")
    page.fill("#code", "早")
    page.fill("#name", "早班")
    page.fill("#start", "08:00")
    page.fill("#length_minutes", "240")
    page.click("form:has(#code) button[type=submit]")
    page.wait_for_load_state()
    assert "班次 早 已保存。" in page.locator(".flash-success").inner_text()
    row = page.locator('#templates tr[data-code="早"]')
    assert "早班" in row.inner_text() and "08:00" in row.inner_text()

    # and generates the week of 2026-03-30 for the team from the tax queue's planned requirement
    page.click('#schedules-nav >> text="生成排班"')
    page.wait_for_load_state()
    page.fill("#week", WEEK.isoformat())
    page.select_option("#group_id", label=team.name)
    page.select_option("#queue", label="税收政策")
    page.get_by_label("早 早班 08:00 +4h").check()
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    generated = page.locator(".flash-success").inner_text()
    assert re.search(r"已生成排班草稿：\d+ 个班次。", generated), generated
    shifts = int(page.locator("#schedule-shifts").inner_text())
    assert shifts > 0 and f"{shifts} 个班次" in generated
    assert "草稿" in page.locator("#schedule-summary").inner_text()

    # the chart of required against scheduled agents draws; the ten agents cover every interval
    _chart_drawn(page, "schedule-coverage-chart")
    assert "每个时段的坐席都已满足需求" in page.locator("#schedule-no-gaps").inner_text()
    assert page.locator("#schedule-covered").inner_text() == "100.0%"

    # the grid: every shift is the morning one, 08:00-12:00; agent 1001's working days are kept for later
    cells = page.locator("#schedule-grid .shift")
    assert cells.count() == shifts
    assert set(cells.all_inner_texts()) == {"早 08:00–12:00"}
    mine = page.locator('#schedule-grid tr[data-agent="1001"] td[data-day]')
    working_days = [n for n in range(7) if "早 08:00–12:00" in mine.nth(n).inner_text()]
    assert working_days and all(mine.nth(n).inner_text() == "休" for n in range(7) if n not in working_days)

    # publishing: the page says so, and offers to withdraw instead
    page.click("#publish")
    page.wait_for_load_state()
    assert "排班已发布，坐席可查看自己的班次。" in page.locator(".flash-success").inner_text()
    assert "已发布" in page.locator("#schedule-summary").inner_text()
    assert page.locator("#publish").count() == 0
    assert page.locator("#schedule-summary button", has_text="撤回").count() == 1
    page.click('#schedules-nav >> text="排班"')
    page.wait_for_load_state()
    assert page.locator("#schedules td[data-field=status]").all_inner_texts() == ["已发布"]

    # agent 1001 came on time to their first shift and never to the others (the week is long over)
    first = dt.datetime.combine(WEEK + dt.timedelta(days=working_days[0]), dt.time(8), LOCAL)
    _state(db, seed.agent_id, first + dt.timedelta(minutes=2), AgentState.READY)
    _state(db, seed.agent_id, first + dt.timedelta(hours=4), AgentState.LOGGED_OUT)
    db.commit()

    # the adherence page shows it, and its chart draws
    page.click('#schedules-nav >> text="遵从度与出勤"')
    page.wait_for_load_state()
    _chart_drawn(page, "adherence-chart")
    agent_row = page.locator('#adherence tr[data-agent="1001"]')
    assert "张三" in agent_row.inner_text()
    statuses = agent_row.locator("td[data-day] span").all_inner_texts()
    assert len(statuses) == len(working_days)
    assert "准时" in statuses[0] and all("缺勤" in s for s in statuses[1:])
    assert agent_row.locator('[data-field="attendance"]').inner_text() == f"{100 / len(working_days):.1f}%"
    sign_out(page)

    # the agent finds their own shifts, and only theirs, under 我的班次
    sign_in(page, live_server, "agent1001", "/")
    page.click('nav >> text="我的班次"')
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "我的班次"
    rows = page.locator("#my-shifts tbody tr[data-status]")
    assert rows.count() == len(working_days)
    for n, day in enumerate(working_days):
        cells = rows.nth(n).locator("td").all_inner_texts()
        assert cells[0].startswith((WEEK + dt.timedelta(days=day)).isoformat())
        assert cells[1:4] == ["早", "08:00", "12:00"]
    assert rows.nth(0).locator("td").last.inner_text() == "准时"
    assert all(rows.nth(n).locator("td").last.inner_text() == "缺勤" for n in range(1, len(working_days)))
    assert script_errors == []
