"""The route × scope matrix, generated from the console's url_map (issue 13, items 3 and 4): with two halls, every
route is tried by 深圳市's administrator and 深圳市's supervisor with the ids of 广州市's rows (its agent, team,
queue, number, hall, account, call, recording, voice message) in the URL, and with the ids of 广州市's rows in
the form of every write. Nothing of 广州市 may show in any answer (page, JSON, CSV, XLSX or zip), and after every
write every row of 广州市 is as it was. The centre's shared configuration is read by both, changed by neither."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from sqlalchemy import inspect, select

from admin_web.auth.services import create_user
from engine.domain.followup import RequestType
from engine.domain.states import CallOutcome, HangupSide, Role
from engine.domain.workorder import OrderState
import engine.store.models
from engine.store.models import Department, FollowUp, OrderAlert, OrderCategory, WorkOrder, WorkOrderPart
from engine.store.models import (Agent, AgentGroup, Callback, CallRecord, Hall, PublishedNumber, Queue, Recording,
                                 RoutingRule, User, Voicemail)
from .helpers import PASSWORD, login
from .test_access_matrix import SAMPLE, routes
from .test_scope import two_halls  # noqa: F401  (fixture)

UTC = dt.timezone.utc
# what only 广州市's rows contain: names, numbers, codes, uuids
MARKERS = ("广州坐席", "02088880001", "gz-call", "广州一组", "gz_queue", "广州队列", "13922220002", "gz-boss",
           "广州纳税", "gz-vm", "广州税政科", "广州工单", "gz-hook.example", "广州质检")
STREAMS = ("wallboard.events", "cti.events")


@pytest.fixture
def gz(app, db, two_halls):  # noqa: F811
    """广州市's rows beyond those of two_halls, and 深圳市's administrator; the ids to put in URLs."""
    app.config.update(WALLBOARD_POLL_S=0.05, WALLBOARD_EVENTS_LIFETIME_S=0.01)
    sz_hall = db.scalar(select(Hall.id).where(Hall.code == "GD-440300"))
    create_user(db, "sz-admin", PASSWORD, Role.ADMIN)
    db.scalar(select(User).where(User.username == "sz-admin")).hall_id = sz_hall
    group = AgentGroup(name="广州一组", hall_id=two_halls["gz"])
    queue = Queue(code="gz_queue", name="广州队列", hall_id=two_halls["gz"])
    now = dt.datetime.now(UTC)
    voicemail = Voicemail(call_uuid="gz-vm", ani="13922220002", dnis="02088880001", queue_code="gz_queue",
                          recorded_at=now, file_path="/nowhere/gz-vm.wav")
    db.add_all([group, queue, voicemail,
                CallRecord(call_uuid="gz-cb", ani="13922220002", dnis="02088880001", started_at=now, ended_at=now,
                           outcome=CallOutcome.CALLBACK, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER),
                Callback(call_uuid="gz-cb", number="13922220002", queue_code="gz_queue", enqueued_at=now,
                         requested_at=now),
                RoutingRule(name="中心规则", match={"caller_prefix": "139"}, action={"priority": 1}, position=1)])
    db.flush()
    db.get(Agent, two_halls["gz_agent"]).group_id = group.id
    # a work order of 广州市, dispatched to its department, with its alert and follow-up
    department = Department(hall_id=two_halls["gz"], name="广州税政科", phone="02012345")
    category = OrderCategory(name="中心分类")
    db.add_all([department, category])
    db.flush()
    order = WorkOrder(number="202601010001", hall_id=two_halls["gz"], request_type=RequestType.COMPLAINT,
                      title="广州工单", content="广州工单内容", citizen_phone="13922220002", category_id=category.id,
                      state=OrderState.DISPATCHED, created_at=now, updated_at=now)
    db.add(order)
    db.flush()
    part = WorkOrderPart(order_id=order.id, department_id=department.id, dispatched_at=now)
    db.add(part)
    db.flush()
    alert = OrderAlert(key="gz-alert", kind="special", order_id=order.id, part_id=part.id, hall_id=two_halls["gz"],
                       department_id=department.id, at=now)
    follow_up = FollowUp(order_id=order.id, hall_id=two_halls["gz"])
    from engine.store.models import Webhook
    webhook = Webhook(hall_id=two_halls["gz"], name="gz-hook.example", url="https://gz-hook.example/in",
                      secret="gz-secret")
    db.add_all([alert, follow_up, webhook])
    kb_ids = knowledge_rows(db)     # the centre's knowledge base, and a correction 广州市's supervisor flagged
    schedule_ids = schedule_rows(db, two_halls)
    quality_ids = quality_rows(db, two_halls)
    db.commit()
    ids = {"agent_id": two_halls["gz_agent"], "group_id": group.id, "queue_id": queue.id, "hall_id": two_halls["gz"],
           "number_id": db.scalar(select(PublishedNumber.id).where(PublishedNumber.number == "02088880001")),
           "user_id": db.scalar(select(User.id).where(User.username == "gz-boss")),
           "recording_id": db.scalar(select(Recording.id).where(Recording.call_uuid == "gz-call")),
           "voicemail_id": voicemail.id, "call_uuid": "gz-call", "rule_id": db.scalar(select(RoutingRule.id)),
           "order_id": order.id, "department_id": department.id, "alert_id": alert.id, "follow_up_id": follow_up.id,
           "category_id": category.id, "webhook_id": webhook.id, **kb_ids, **schedule_ids, **quality_ids,
           "skill_id": db.scalar(select(engine.store.models.Skill.id).where(engine.store.models.Skill.code == "etax"))}
    return ids


def gz_rows(db, ids) -> dict:
    """Every column of every row of 广州市 (and of the centre's rule), to compare before and after the writes."""
    db.expire_all()
    rows = {}
    for model, key in ((Agent, ids["agent_id"]), (AgentGroup, ids["group_id"]), (Queue, ids["queue_id"]),
                       (Hall, ids["hall_id"]), (PublishedNumber, ids["number_id"]), (User, ids["user_id"]),
                       (Recording, ids["recording_id"]), (Voicemail, ids["voicemail_id"]),
                       (RoutingRule, ids["rule_id"]), (WorkOrder, ids["order_id"]), (Department, ids["department_id"]),
                       (OrderAlert, ids["alert_id"]), (FollowUp, ids["follow_up_id"]),
                       (OrderCategory, ids["category_id"]), (_webhook_model(), ids["webhook_id"]),
                       *_schedule_models(ids), *_quality_models(ids)):
        row = db.get(model, key)
        assert row is not None, f"{model.__name__} {key} is gone"
        rows[(model.__name__, key)] = {c.key: getattr(row, c.key) for c in inspect(model).column_attrs
                                       if c.key not in ("last_login_at", "updated_at", "failed_logins")}
    rows["knowledge"] = knowledge_state(db, ids)
    rows["callback"] = db.scalar(select(Callback.status).where(Callback.call_uuid == "gz-cb"))
    rows["call"] = db.scalar(select(CallRecord.outcome).where(CallRecord.call_uuid == "gz-call"))
    return rows


def schedule_rows(db, two_halls) -> dict:
    """广州市's shift template, rotation and published schedule with its agent's shift (admin_web.schedules)."""
    from engine.store.models.schedules import Rotation, Schedule, ScheduledShift, ShiftTemplate
    template = ShiftTemplate(code="广早", name="广州一组早班", start_minute=480, length_minutes=480,
                             hall_id=two_halls["gz"])
    db.add(template)
    db.flush()
    rotation = Rotation(name="广州一组轮班", pattern=[template.id, None], teams=2, anchor=dt.date(2026, 3, 30),
                        hall_id=two_halls["gz"])
    schedule = Schedule(name="广州一组排班", week_start=dt.date(2026, 3, 30), pool="hall", status="published",
                        required=[0] * 672, hall_id=two_halls["gz"])
    start = dt.datetime(2026, 3, 30, 0, 0, tzinfo=UTC)
    schedule.shifts.append(ScheduledShift(agent_id=two_halls["gz_agent"], code="广早", start_at=start,
                                          end_at=start + dt.timedelta(hours=8), template_id=template.id))
    db.add_all([rotation, schedule])
    db.flush()
    return {"template_id": template.id, "rotation_id": rotation.id, "schedule_id": schedule.id}


def quality_rows(db, two_halls) -> dict:
    """广州市's scorecard, sampling plan and a scored review of its agent's recorded call, with a comment
    (admin_web.quality)."""
    from engine.domain.quality import Reason, ReviewState
    from engine.store import quality
    from engine.store.models.quality import QaComment, QaForm, QaPlan, QaPlanInspector, QaReview
    form = QaForm(name="广州质检表", hall_id=two_halls["gz"])
    db.add(form)
    version = quality.save_version(db, form, [quality.ItemInput("服务态度", "广州质检项", 10.0)], None)
    boss = db.scalar(select(User.id).where(User.username == "gz-boss"))
    from engine.domain.quality import week_start
    from engine.reports import periods
    last_week = week_start(periods.local(dt.datetime.now(UTC).timestamp()).date()) - dt.timedelta(days=7)
    plan = QaPlan(name="广州质检计划", hall_id=two_halls["gz"], form_id=form.id, drawn_week=last_week,
                  inspectors=[QaPlanInspector(user_id=boss)])     # drawn already: the workers leave it be
    recording = db.scalar(select(Recording).where(Recording.call_uuid == "gz-call"))
    recording.agent_id = two_halls["gz_agent"]
    db.add(plan)
    db.flush()
    now = dt.datetime.now(UTC)
    review = QaReview(plan_id=plan.id, recording_id=recording.id, call_uuid="gz-call",
                      agent_id=two_halls["gz_agent"], version_id=version.id, week=now.date(), reason=Reason.RANDOM,
                      inspector_id=boss, due_at=now, state=ReviewState.SCORED, first_score=80.0, score=80.0,
                      summary="广州质检总评", scored_at=now, comments=[QaComment(at_ms=1000, text="广州质检评语")])
    db.add(review)
    db.flush()
    return {"form_id": form.id, "plan_id": plan.id, "review_id": review.id}


def _quality_models(ids) -> list:
    from engine.store.models.quality import QaForm, QaPlan, QaReview
    return [(QaForm, ids["form_id"]), (QaPlan, ids["plan_id"]), (QaReview, ids["review_id"])]


def _schedule_models(ids) -> list:
    from engine.store.models.schedules import Rotation, Schedule, ShiftTemplate
    return [(ShiftTemplate, ids["template_id"]), (Rotation, ids["rotation_id"]), (Schedule, ids["schedule_id"])]


def _webhook_model():
    from engine.store.models import Webhook
    return Webhook


def _url(app, endpoint, ids):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: ids.get(name, SAMPLE.get(name, "x")) for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **values)


def _shown(response) -> str:
    """Everything the answer shows: its text, or the text of every member of a zip (an XLSX is one too)."""
    body = response.get_data()
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return body.decode("utf-8", "replace")


def _form(ids) -> dict:
    """A write's form: every id field names 广州市's row (lists too: a batch of recordings, of agents)."""
    values = {name: str(value) for name, value in ids.items()}
    return {**values, "ids": str(ids["recording_id"]), "agent_ids": str(ids["agent_id"]),
            "recording_ids": str(ids["recording_id"]), "name": "改名", "code": "renamed", "command": "logout",
            "action": "logout", "state": "logout", "number": "075599990000", "description": "x",
            "hall_id": str(ids["hall_id"]), "group_id": str(ids["group_id"])}


def test_no_route_shows_or_changes_another_halls_rows(app, db, gz):
    before = gz_rows(db, gz)
    leaks, tried = [], 0
    for username in ("sz-admin", "sz-boss"):
        client = app.test_client()
        assert login(client, username).status_code == 302
        for endpoint, method, _url_sample, view in routes(app):
            if endpoint in ("auth.logout", "auth.password") or view.access.kind in ("switch", "agent"):
                continue        # leaving, or not a console user's route (FreeSWITCH's, the agent's own API)
            url = _url(app, endpoint, gz)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data=_form(gz))
            tried += 1
            shown = _shown(response).replace(url, "")        # a page may link to itself (language switch)
            found = [m for m in MARKERS if m in shown]
            if found:
                leaks.append(f"{username} {method} {url} ({response.status_code}): {found}")
    assert tried > 150
    assert leaks == []
    assert gz_rows(db, gz) == before


def test_the_centres_configuration_is_read_by_a_hall_and_changed_only_by_the_centre(app, db, gz):
    city = app.test_client()
    assert login(city, "sz-admin").status_code == 302
    centre_routes = [(e, m) for e, m, _u, v in routes(app) if v.access.scope == "centre"]
    assert {e for e, _m in centre_routes} >= {"rules.create", "holidays.add_override", "flows.upload",
                                              "reports.definitions"}
    for endpoint, method in centre_routes:
        url = _url(app, endpoint, gz)
        if method == "GET":
            assert city.get(url).status_code != 403, url
        else:
            assert city.post(url, data=_form(gz)).status_code == 403, url
    province = app.test_client()
    assert login(province, "admin").status_code == 302
    assert province.post(f"/rules/{gz['rule_id']}/active").status_code in (200, 302)


def knowledge_rows(db) -> dict:
    """A category and a published article of the centre, and a correction of it flagged by 广州市's supervisor on
    广州市's call (who flagged it, on which call: 广州市's to see)."""
    from engine.store import knowledge as kb
    from engine.store.models import KnowledgeCategory
    category = KnowledgeCategory(name="中心知识分类")
    db.add(category)
    db.flush()
    article = kb.save_article(db, None, kb.ArticleFields(title="中心知识", body="中心的答案", category_id=category.id,
                                                         queue_codes=["gz_queue"]), "admin")
    kb.publish(article, "admin")
    gz_boss = db.scalar(select(User).where(User.username == "gz-boss"))
    correction = kb.flag(db, article, problem="答案有误", username=gz_boss.username, user_id=gz_boss.id,
                         call_uuid="gz-call")
    return {"article_id": article.id, "correction_id": correction.id, "knowledge_category_id": category.id}


def knowledge_state(db, ids) -> tuple:
    """What a hall's user may not change in the knowledge base: the centre's article, category and the correction."""
    from engine.store.models import KnowledgeArticle, KnowledgeCategory, KnowledgeCorrection
    article, category = db.get(KnowledgeArticle, ids["article_id"]), db.get(KnowledgeCategory,
                                                                          ids["knowledge_category_id"])
    correction = db.get(KnowledgeCorrection, ids["correction_id"])
    return ((article.title, article.body, article.state, article.version, article.category_id),
            (category.name, category.parent_id, category.position), (correction.state, correction.answer))
