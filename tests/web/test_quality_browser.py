"""In headless Chromium, the round issue 17 is checked by: an inspector gets a week's sample, plays a recording
(the call's events marked on its bar), scores it with comments at time marks; the agent sees the result, listens
and appeals; a second reviewer decides; the monthly assessment shows the score that stands."""
from __future__ import annotations

import datetime as dt
import wave

import pytest
from sqlalchemy import select

from engine.domain.quality import ReviewState
from engine.reports import periods
from engine.store.models import Recording, User
from engine.store.models.quality import QaReview

from .browser import browser, live_server, needs_chromium, sign_in, sign_out  # noqa: F401  (fixtures)
from .test_quality import _build_form, _client, _plan, calls, week  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, needs_chromium]


def _real_wav(path, seconds: int) -> None:
    """A real (silent) WAV the browser can play: 8 kHz, 8-bit mono."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 8000 * seconds)


def test_inspect_appeal_and_decide_in_the_browser(app, live_server, browser, db, seed, calls, week):
    admin = _client(app, "admin")
    form_id = _build_form(admin)
    _plan(admin, db, form_id, ["qc"])
    for rec in db.scalars(select(Recording).where(Recording.status == "complete", Recording.duration_s.is_not(None))):
        if rec.call_uuid.startswith("qa-call-"):
            _real_wav(rec.path, int(rec.duration_s))

    page = browser.new_page()
    # the inspector draws last week and finds the calls on their desk
    sign_in(page, live_server, "qc", "/quality/plans")
    page.fill("input[name=week]", week.isoformat())
    page.click("form.draw-form button[type=submit]")
    page.wait_for_load_state()
    assert "抽取 5 通通话待质检" in page.locator(".flash-success").inner_text()
    page.goto(f"{live_server}/quality/")
    rows = page.locator("#my-reviews tbody tr[data-review]")
    assert rows.count() == 5
    complaint_id = db.scalar(select(QaReview.id).where(QaReview.call_uuid == "qa-call-3"))
    page.click(f'#my-reviews tr[data-review="{complaint_id}"] a')
    page.wait_for_load_state()

    # the player: the hold is marked on the bar at 40 s of the 180 s recording; clicking it plays from there
    page.wait_for_function("() => document.getElementById('qa-audio').readyState >= 1", timeout=10_000)
    hold = page.locator('#qa-bar .qa-mark[data-kind="held"]')
    left = hold.evaluate("el => parseFloat(el.style.left)")
    assert abs(left - 100 * 40 / 180) < 0.5
    hold.click()
    page.wait_for_function("() => document.getElementById('qa-audio').currentTime >= 40", timeout=10_000)
    page.evaluate("document.getElementById('qa-audio').pause()")
    page.wait_for_function("() => document.getElementById('comment-mark').textContent.startsWith('00:4')")
    mark = page.locator("#comment-mark").inner_text()
    page.fill("#comment-text", "保持前未告知来电人")
    page.click("#comment-form button[type=submit]")
    page.wait_for_load_state()
    assert f"已在 {mark} 处添加评语" in page.locator(".flash-success").inner_text()
    assert page.locator('#qa-bar .qa-mark-comment').count() == 1

    # scoring: the total follows what is typed; a fatal tick would zero it
    inputs = page.locator("#score-items input[type=number]")
    for n, value in enumerate(["25", "35", "20", "10"]):
        inputs.nth(n).fill(value)
    assert page.locator("#score-items .qa-total").inner_text() == "90"
    page.check("#score-items input[type=checkbox]")
    assert page.locator("#score-items .qa-total").inner_text() == "0"
    page.uncheck("#score-items input[type=checkbox]")
    page.fill("#summary", "整体规范，保持操作需告知")
    page.click("#score-form button[type=submit]")
    page.wait_for_load_state()
    assert "评分 90 分" in page.locator(".flash-success").inner_text()
    sign_out(page)

    # the agent sees the score, listens, and appeals once
    sign_in(page, live_server, "agent1001", "/quality/mine")
    page.click(f'#my-reviews tr[data-review="{complaint_id}"] a')
    page.wait_for_load_state()
    assert "保持前未告知来电人" in page.locator("#qa-comments").inner_text()
    assert page.locator("#score-form").count() == 0
    page.wait_for_function("() => document.getElementById('qa-audio').readyState >= 1", timeout=10_000)
    page.fill("#appeal-text", "00:38 已告知来电人稍候，请复听")
    page.click("#appeal-form button[type=submit]")
    page.wait_for_load_state()
    assert "申诉已提交" in page.locator(".flash-success").inner_text()
    assert page.locator("#appeal-form").count() == 0
    sign_out(page)

    # a second reviewer (the supervisor) revises; the first inspector's score stays on record
    sign_in(page, live_server, "super", "/quality/")
    page.click(f'#open-appeals tr[data-review="{complaint_id}"] a')
    page.wait_for_load_state()
    page.select_option("#decision", "revised")
    page.locator("#decide-items input[type=number]").nth(0).fill("30")
    assert page.locator("#decide-items .qa-total").inner_text() == "95"
    page.fill("#decision-note", "复听确认已告知")
    page.click("#decide-form button[type=submit]")
    page.wait_for_load_state()
    assert "改判，最终得分 95 分" in page.locator(".flash-success").inner_text()
    assert "初评 90 分" in page.locator("#review-score").inner_text()

    db.expire_all()
    review = db.get(QaReview, complaint_id)
    assert review.state is ReviewState.DECIDED and (review.first_score, review.score) == (90.0, 95.0)
    assert review.appeal.reviewer_id == db.scalar(select(User.id).where(User.username == "super"))

    # the monthly assessment shows it
    month = periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).strftime("%Y-%m")
    page.goto(f"{live_server}/quality/assessment?month={month}")
    row = page.locator(f'#assessment tr[data-agent="{seed.agent_id}"]')
    assert row.locator(".qa-score").inner_text() == "95"
    page.goto(f"{live_server}/quality/report?month={month}")
    page.wait_for_function("() => document.getElementById('qa-trend').dataset.ready === '1'", timeout=10_000)
    assert page.locator("#qa-trend canvas").count() >= 1
