"""Quality inspection in the console (issue 17 items 1–3): a scorecard built in the console and versioned, a sampling
plan's weekly draw shared among inspectors, the review of a recording (player with the call's events, item scores,
comments at time marks), the agent's appeal (once), the second review by someone else, the agent's results, the QA
report and the monthly assessment."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from admin_web.auth.services import create_user
from engine.domain.calllog import CallEventKind
from engine.domain.followup import RequestType
from engine.domain.quality import ReviewState, week_start
from engine.domain.states import AgentState, CallOutcome, HangupSide, Role
from engine.reports import periods
from engine.store.models import Agent, CallEvent, CallRecord, Queue, Recording, User, WorkOrder
from engine.store.models.quality import QaForm, QaReview

from .helpers import PASSWORD, login

UTC = dt.timezone.utc
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"

ITEMS = [  # category, label, kind, max, weight
    ("服务态度", "礼貌用语、耐心倾听", "scored", "30", ""),
    ("业务能力", "政策解答准确完整", "scored", "40", ""),
    ("技术能力", "系统操作熟练、转接规范", "scored", "20", ""),
    ("记录规范", "工单记录完整", "scored", "10", ""),
    ("服务态度", "泄露纳税人信息", "fatal", "", ""),
]


def _today() -> dt.date:
    return periods.local(dt.datetime.now(UTC).timestamp()).date()


@pytest.fixture
def week() -> dt.date:
    """Last week's Monday (its calls are all in)."""
    return week_start(_today()) - dt.timedelta(days=7)


@pytest.fixture
def calls(db, seed, app, tmp_path, week):
    """Five answered, recorded calls of agent 1001 last week (one with a complaint order, one rated unsatisfied),
    three of a second agent, one incomplete recording, and one call of the week before."""
    root = tmp_path / "recordings"
    root.mkdir()
    app.config["RECORDINGS_DIR"] = str(root)
    db.add(Queue(code="tax", name="纳税咨询"))
    other = Agent(employee_no="1002", name="李四", extension="8002", state=AgentState.READY)
    db.add(other)
    db.flush()
    monday = dt.datetime.combine(week, dt.time(9), tzinfo=periods.LOCAL).astimezone(UTC)
    plan = [(seed.agent_id, 0), (seed.agent_id, 1), (seed.agent_id, 2), (seed.agent_id, 3), (seed.agent_id, 4),
            (other.id, 0), (other.id, 1), (other.id, 2)]
    for n, (agent_id, day) in enumerate(plan):
        start = monday + dt.timedelta(days=day, minutes=n)
        uuid = f"qa-call-{n}"
        path = root / f"{uuid}.wav"
        path.write_bytes(WAV + bytes([n]) * 200)
        answered = start + dt.timedelta(seconds=20)
        db.add(CallRecord(call_uuid=uuid, ani="13912345678", dnis="12366", agent_id=agent_id, started_at=start,
                          enqueued_at=start + dt.timedelta(seconds=5), answered_at=answered,
                          ended_at=answered + dt.timedelta(seconds=90 + 30 * n), outcome=CallOutcome.ANSWERED,
                          hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER))
        db.add(Recording(path=str(path), call_uuid=uuid, ani="13912345678", dnis="12366", agent_id=agent_id,
                         employee_no="1001" if agent_id == seed.agent_id else "1002", queue_code="tax",
                         started_at=answered, stopped_at=answered + dt.timedelta(seconds=90 + 30 * n),
                         duration_s=90.0 + 30 * n, status="complete"))
        db.add_all([CallEvent(call_uuid=uuid, kind=CallEventKind.QUEUED.value, at=start + dt.timedelta(seconds=5)),
                    CallEvent(call_uuid=uuid, kind=CallEventKind.ANSWERED.value, at=answered, agent_id=agent_id,
                              wait_s=15),
                    CallEvent(call_uuid=uuid, kind=CallEventKind.HELD.value, at=answered + dt.timedelta(seconds=40),
                              agent_id=agent_id),
                    CallEvent(call_uuid=uuid, kind=CallEventKind.RETRIEVED.value,
                              at=answered + dt.timedelta(seconds=55), agent_id=agent_id, duration_s=15)])
    db.add(WorkOrder(number="202612010001", request_type=RequestType.COMPLAINT, title="投诉", call_uuid="qa-call-3",
                     agent_id=seed.agent_id))
    db.add(Recording(path=str(root / "cut.wav"), call_uuid="qa-cut", ani="1", dnis="12366", agent_id=seed.agent_id,
                     started_at=monday, status="recording"))
    db.add(Recording(path=str(root / "old.wav"), call_uuid="qa-old", ani="1", dnis="12366", agent_id=seed.agent_id,
                     started_at=monday - dt.timedelta(days=3), status="complete", duration_s=60.0))
    create_user(db, "qc", PASSWORD, Role.QUALITY, display_name="质检员甲")
    create_user(db, "qc2", PASSWORD, Role.QUALITY, display_name="质检员乙")
    db.commit()
    return other.id


def _client(app, username):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def _build_form(client) -> int:
    data = {"name": "12366 坐席质检评分表"}
    for key, n in (("category", 0), ("label", 1), ("kind", 2), ("max", 3), ("weight", 4)):
        data[f"item_{key}"] = [row[n] for row in ITEMS]
    r = client.post("/quality/forms/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def _plan(client, db, form_id, inspectors) -> int:
    ids = [db.scalar(select(User.id).where(User.username == u)) for u in inspectors]
    r = client.post("/quality/plans/new", data={"name": "每周抽检", "form_id": form_id, "queue_code": "", "group_id": 0,
                                               "per_agent": 2, "due_days": 3, "complaint": "y", "unsatisfied": "y",
                                               "inspectors": ids, "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)
    from engine.store.models.quality import QaPlan
    return db.scalar(select(QaPlan.id).order_by(QaPlan.id.desc()))


def _score_data(db, review_id, points, violated=(), summary="服务规范"):
    db.expire_all()
    review = db.get(QaReview, review_id)
    data = {"summary": summary}
    scored = [i for i in review.version.items if not i.fatal]
    for item, value in zip(scored, points):
        data[f"points-{item.id}"] = str(value)
    for item in review.version.items:
        if item.fatal and item.label in violated:
            data[f"violated-{item.id}"] = "1"
    return data


def test_the_whole_inspection_round(app, db, seed, calls, week):
    admin, qc, qc2, agent = (_client(app, u) for u in ("admin", "qc", "qc2", "agent1001"))
    form_id = _build_form(admin)
    page = admin.get(f"/quality/forms/{form_id}").get_data(as_text=True)
    assert "政策解答准确完整" in page and "版本 1" in page
    plan_id = _plan(admin, db, form_id, ["qc", "qc2"])

    # the weekly draw: agent 1001 gets the complaint call plus two at random; agent 1002 two at random
    r = qc.post(f"/quality/plans/{plan_id}/draw", data={"week": week.isoformat()}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "抽取 5 通通话待质检（投诉举报工单 1、随机抽取 4）" in text, text
    reviews = db.scalars(select(QaReview).order_by(QaReview.id)).all()
    by_agent = {}
    for rv in reviews:
        by_agent.setdefault(rv.agent_id, []).append(rv)
    assert len(by_agent[seed.agent_id]) == 3 and len(by_agent[calls]) == 2
    assert "qa-call-3" in {rv.call_uuid for rv in by_agent[seed.agent_id]}          # the complaint order's call
    assert not {"qa-cut", "qa-old"} & {rv.call_uuid for rv in reviews}              # incomplete, other week
    inspectors = [rv.inspector_id for rv in reviews]
    assert abs(inspectors.count(inspectors[0]) - (len(inspectors) - inspectors.count(inspectors[0]))) <= 1
    # drawing the same week again adds nothing
    qc.post(f"/quality/plans/{plan_id}/draw", data={"week": week.isoformat()})
    assert len(db.scalars(select(QaReview)).all()) == 5

    qc_id = db.scalar(select(User.id).where(User.username == "qc"))
    mine = next(rv for rv in by_agent[seed.agent_id] if rv.inspector_id == qc_id) if any(
        rv.inspector_id == qc_id for rv in by_agent[seed.agent_id]) else None
    if mine is None:        # give one of 1001's calls to qc
        mine = by_agent[seed.agent_id][0]
        mine.inspector_id = qc_id
        db.commit()
    review_id = mine.id

    # the agent sees nothing before it is scored
    assert agent.get(f"/quality/reviews/{review_id}").status_code == 404
    desk = qc.get("/quality/").get_data(as_text=True)
    assert f'data-review="{review_id}"' in desk

    page = qc.get(f"/quality/reviews/{review_id}").get_data(as_text=True)
    assert 'id="qa-audio"' in page and f"/quality/reviews/{review_id}/audio" in page
    assert 'data-kind="held"' in page and 'data-kind="retrieved"' in page          # holds on the bar
    assert "录音开始前 (00:15) · 进入队列" in page                                   # the wait before it
    assert qc.get(f"/quality/reviews/{review_id}/audio").status_code in (200, 206)

    # an unscored item is refused in words; then a proper score and two comments at time marks
    data = _score_data(db, review_id, [25, 30, 20])
    r = qc.post(f"/quality/reviews/{review_id}/score", data=data, follow_redirects=True)
    assert "评分项“工单记录完整”尚未评分" in r.get_data(as_text=True)
    r = qc.post(f"/quality/reviews/{review_id}/score", data=_score_data(db, review_id, [25, 30, 20, 10]),
                follow_redirects=True)
    assert "85" in r.get_data(as_text=True)
    qc.post(f"/quality/reviews/{review_id}/comments", data={"at_ms": 42000, "text": "保持时未告知来电人"})
    qc.post(f"/quality/reviews/{review_id}/comments", data={"at_ms": 5000, "text": "开场白规范"})
    db.expire_all()
    rv = db.get(QaReview, review_id)
    assert rv.state is ReviewState.SCORED and rv.score == 85.0 and [c.at_ms for c in rv.comments] == [5000, 42000]
    # another inspector cannot score qc's call
    r = qc2.post(f"/quality/reviews/{review_id}/score", data=_score_data(db, review_id, [30, 40, 20, 10]),
                 follow_redirects=True)
    assert "另一位质检员" in r.get_data(as_text=True)

    # the agent sees the result, hears the call and appeals once
    mine_page = agent.get("/quality/mine").get_data(as_text=True)
    assert f'data-review="{review_id}"' in mine_page and "85" in mine_page
    page = agent.get(f"/quality/reviews/{review_id}").get_data(as_text=True)
    assert "保持时未告知来电人" in page and 'id="appeal-form"' in page and 'id="score-form"' not in page
    assert agent.get(f"/quality/reviews/{review_id}/audio").status_code in (200, 206)
    r = agent.post(f"/quality/reviews/{review_id}/appeal", data={"reason": "保持前已告知，请复听 00:38"},
                   follow_redirects=True)
    assert "申诉已提交" in r.get_data(as_text=True)
    r = agent.post(f"/quality/reviews/{review_id}/appeal", data={"reason": "再次申诉"}, follow_redirects=True)
    assert "只能申诉一次" in r.get_data(as_text=True)
    other_review = by_agent[calls][0].id
    assert agent.get(f"/quality/reviews/{other_review}").status_code == 404   # another agent's call

    # the first inspector may not decide; the second reviewer revises
    r = qc.post(f"/quality/reviews/{review_id}/decide", data={"decision": "upheld", "note": "维持"},
                follow_redirects=True)
    assert "其他人" in r.get_data(as_text=True)
    data = _score_data(db, review_id, [30, 30, 20, 10])
    data.update(decision="revised", note="复听确认已告知，服务态度满分")
    r = qc2.post(f"/quality/reviews/{review_id}/decide", data=data, follow_redirects=True)
    assert "改判" in r.get_data(as_text=True)
    db.expire_all()
    rv = db.get(QaReview, review_id)
    assert rv.state is ReviewState.DECIDED and rv.first_score == 85.0 and rv.score == 90.0

    # the monthly assessment and the report show the score that stands
    month = rv.scored_at.astimezone(periods.LOCAL).strftime("%Y-%m") if rv.scored_at.tzinfo else \
        periods.local(rv.scored_at.replace(tzinfo=UTC).timestamp()).strftime("%Y-%m")
    page = admin.get(f"/quality/assessment?month={month}").get_data(as_text=True)
    row = page.split(f'data-agent="{seed.agent_id}"')[1].split("</tr>")[0]
    assert re.search(r'qa-score">90<', row), row
    report = admin.get(f"/quality/report?month={month}").get_data(as_text=True)
    assert "政策解答准确完整" in report and 'id="qa-calibration"' in report
    assert agent.get("/quality/mine").get_data(as_text=True).count("90") >= 1


def test_a_new_version_leaves_old_scores_on_their_form(app, db, seed, calls, week):
    admin, qc = _client(app, "admin"), _client(app, "qc")
    form_id = _build_form(admin)
    plan_id = _plan(admin, db, form_id, ["qc"])
    qc.post(f"/quality/plans/{plan_id}/draw", data={"week": week.isoformat()})
    review_id = db.scalar(select(QaReview.id).order_by(QaReview.id))
    qc.post(f"/quality/reviews/{review_id}/score", data=_score_data(db, review_id, [30, 40, 20, 10]))
    # the form changes: a new item, other maxima
    data = {"name": "12366 坐席质检评分表", "item_category": ["服务态度", "业务能力"],
            "item_label": ["文明用语", "一次解决"], "item_kind": ["scored", "scored"], "item_max": ["50", "50"],
            "item_weight": ["", ""]}
    r = admin.post(f"/quality/forms/{form_id}/edit", data=data, follow_redirects=True)
    assert "版本 2" in r.get_data(as_text=True)
    page = qc.get(f"/quality/reviews/{review_id}").get_data(as_text=True)
    assert "政策解答准确完整" in page and "一次解决" not in page and "版本 1" in page
    db.expire_all()
    assert db.get(QaForm, form_id).current.version == 2


def test_a_fatal_item_zeroes_the_card_and_bad_forms_are_refused_in_words(app, db, seed, calls, week):
    admin, qc = _client(app, "admin"), _client(app, "qc")
    r = admin.post("/quality/forms/new", data={"name": "空表", "item_category": ["服务态度"], "item_label": ["泄密"],
                                                "item_kind": ["fatal"], "item_max": [""], "item_weight": [""]})
    assert "至少需要一个计分项" in r.get_data(as_text=True)
    r = admin.post("/quality/forms/new", data={"name": "坏表", "item_category": ["服务态度"], "item_label": ["礼貌"],
                                                "item_kind": ["scored"], "item_max": ["abc"], "item_weight": [""]})
    assert "必须是数字" in r.get_data(as_text=True)
    form_id = _build_form(admin)
    plan_id = _plan(admin, db, form_id, ["qc"])
    qc.post(f"/quality/plans/{plan_id}/draw", data={"week": week.isoformat()})
    review_id = db.scalar(select(QaReview.id).order_by(QaReview.id))
    r = qc.post(f"/quality/reviews/{review_id}/score",
                data=_score_data(db, review_id, [30, 40, 20, 10], violated=("泄露纳税人信息",)), follow_redirects=True)
    assert "致命项" in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(QaReview, review_id).score == 0.0 and db.get(QaReview, review_id).fatal


def test_a_plan_without_a_recording_to_draw_says_who_falls_short(app, db, seed, calls, week):
    admin, qc = _client(app, "admin"), _client(app, "qc")
    form_id = _build_form(admin)
    plan_id = _plan(admin, db, form_id, ["qc"])
    from engine.store.models.quality import QaPlan
    db.get(QaPlan, plan_id).per_agent = 4      # agent 1002 has three calls
    db.commit()
    r = qc.post(f"/quality/plans/{plan_id}/draw", data={"week": week.isoformat()}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "1002 李四" in text and "缺 1" in text, text


def test_a_viewer_reads_the_report_but_cannot_inspect(app, db, seed, calls):
    create_user(db, "monitor", PASSWORD, Role.VIEWER)
    db.commit()
    viewer = _client(app, "monitor")
    assert viewer.get("/quality/report").status_code == 200
    assert viewer.get("/quality/assessment").status_code == 200
    assert viewer.get("/quality/reviews").status_code == 403
    assert viewer.get("/quality/forms").status_code == 403


def test_the_workers_draw_last_week_once_by_themselves(app, db, seed, calls, week, caplog):
    from admin_web.jobs.quality_draws import draw_due
    from engine.store.models.quality import QaPlan
    admin = _client(app, "admin")
    form_id = _build_form(admin)
    plan_id = _plan(admin, db, form_id, ["qc", "qc2"])
    broken = QaPlan(name="无质检员", form_id=form_id)          # cannot draw: no inspector
    db.add(broken)
    db.commit()
    factory = app.extensions["db_sessions"]
    first = draw_due(factory)
    assert {(o.plan_id, o.week, o.refused) for o in first} == {(plan_id, week, None), (broken.id, week, "no_inspector")}
    assert "could not draw the week" in caplog.text
    assert len(db.scalars(select(QaReview)).all()) == 5
    assert draw_due(factory) == []                               # once per plan and week
    db.expire_all()
    assert db.get(QaPlan, plan_id).drawn_week == week and len(db.scalars(select(QaReview)).all()) == 5


def test_an_inspector_puts_a_call_to_inspection_from_its_page(app, db, seed, calls):
    admin, qc = _client(app, "admin"), _client(app, "qc")
    form_id = _build_form(admin)
    page = qc.get("/calls/qa-call-1").get_data(as_text=True)
    assert "质检此通话" in page
    rec_id = db.scalar(select(Recording.id).where(Recording.call_uuid == "qa-call-1"))
    r = qc.post(f"/quality/recordings/{rec_id}/inspect", data={"form_id": form_id})
    assert r.status_code == 302 and "/quality/reviews/" in r.headers["Location"]
    review = db.scalar(select(QaReview).where(QaReview.call_uuid == "qa-call-1"))
    assert review.reason.value == "manual" and review.inspector_id == db.scalar(
        select(User.id).where(User.username == "qc"))
    assert "质量检查 · 12366 坐席质检评分表" in qc.get("/calls/qa-call-1").get_data(as_text=True)
    r = qc.post(f"/quality/recordings/{rec_id}/inspect", data={"form_id": form_id}, follow_redirects=True)
    assert "该通话已在质检中" in r.get_data(as_text=True)                              # not twice
    cut = db.scalar(select(Recording.id).where(Recording.call_uuid == "qa-cut"))       # still recording
    r = qc.post(f"/quality/recordings/{cut}/inspect", data={"form_id": form_id}, follow_redirects=True)
    assert "只能质检坐席接听且录音完整的通话" in r.get_data(as_text=True)
