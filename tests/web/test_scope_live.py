"""Scope by hall beyond lists (admin_web/scope.py): reports and their exports, drill-downs and scorecard, the live
floor, the wallboard and its stream, voice messages and callbacks. A supervisor of 深圳市 sees the figures of
深圳市 and 福田区, one of 广州市 those of 广州市, the province's staff all of them; an agent's statistics count the
calls that agent took, whichever hall's number was dialled."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.domain.states import AgentState, CallOutcome, HangupSide
from engine.store.calllog import append
from engine.store.models import AgentStateChange, Callback, CallRecord, Queue, Voicemail
from .helpers import publish_queue
from .test_reports import finished_export
from .test_scope import as_user, two_halls  # noqa: F401  (fixture)

LOCAL = dt.timezone(dt.timedelta(hours=8))
DAY = "2026-03-02"
Q = {"start": DAY, "end": DAY, "grain": "day", "dimension": "all"}
UTC = dt.timezone.utc


@pytest.fixture
def db_url(database_url):
    """The console on each database kind (reports run on PostgreSQL in production, SQLite embedded)."""
    return database_url


def t(h: int, m: int, s: int = 0) -> float:
    return dt.datetime(2026, 3, 2, h, m, s, tzinfo=LOCAL).timestamp()


def answered_call(db, uuid, hall, agent, at, wait):
    for kind, when, extra in ((K.ARRIVED, at, {}), (K.QUEUED, at, {}),
                              (K.ANSWERED, at + wait, {"agent_id": agent, "wait_s": float(wait)}),
                              (K.TALK_ENDED, at + wait + 60, {"agent_id": agent, "duration_s": 60.0})):
        append(db, LogCallEvent(uuid, kind, when, queue_code="tax", queued_at=at if kind is not K.ARRIVED else None,
                                ani="13800000000", dnis="", hall_id=hall, **extra))


@pytest.fixture
def day(db, two_halls):  # noqa: F811
    """深圳 (福田区's number): one call, answered by 张三. 广州: a call 广州坐席 answered, one abandoned, and one
    张三 (a 福田 agent) answered when 广州's own agents were busy."""
    ft, gz, sz_agent, gz_agent = two_halls["ft"], two_halls["gz"], two_halls["sz_agent"], two_halls["gz_agent"]
    db.add(Queue(code="tax", name="纳税咨询"))
    answered_call(db, "sz-1", ft, sz_agent, t(9, 0), 5)
    answered_call(db, "gz-1", gz, gz_agent, t(9, 10), 20)
    answered_call(db, "gz-2", gz, sz_agent, t(9, 20), 8)
    for kind, when, extra in ((K.ARRIVED, t(9, 30), {}), (K.QUEUED, t(9, 30), {}),
                              (K.ABANDONED, t(9, 31), {"wait_s": 60.0})):
        append(db, LogCallEvent("gz-3", kind, when, queue_code="tax", queued_at=t(9, 30) if kind != K.ARRIVED else None,
                                ani="13800000000", hall_id=gz, **extra))
    for agent in (sz_agent, gz_agent):
        for at, src, dst in ((t(8, 55), AgentState.LOGGED_OUT, AgentState.READY),
                             (t(17, 0), AgentState.READY, AgentState.LOGGED_OUT)):
            db.add(AgentStateChange(agent_id=agent, at=dt.datetime.fromtimestamp(at, UTC), from_state=src,
                                    to_state=dst, cause="t", actor="t"))
    db.commit()
    return two_halls


def totals(client, kind="service", **args):
    data = client.get(f"/reports/api/{kind}.json", query_string={**Q, **args}).get_json()
    return data


def test_call_reports_count_only_the_calls_of_the_users_halls(app, day):
    sz, gz, province = as_user(app, "sz-boss"), as_user(app, "gz-boss"), as_user(app, "super")
    assert [(totals(c)["total"]["requests"], totals(c)["total"]["answered"]) for c in (sz, gz, province)] \
        == [(1, 1), (3, 2), (4, 3)]
    assert totals(sz, "callers")["total"]["abandoned"] == 0 and totals(gz, "callers")["total"]["abandoned"] == 1
    assert [totals(c, "regions")["total"]["calls"] for c in (sz, gz, province)] == [1, 3, 4]
    by_hall = totals(province, dimension="hall")["rows"]
    assert {r["label"] for r in by_hall} == {"福田区", "广州市"}
    assert {r["label"] for r in totals(sz, dimension="hall")["rows"]} == {"福田区"}
    cards = [{i["key"]: i["value"] for i in c.get("/reports/api/scorecard.json", query_string={"month": "2026-03"})
              .get_json()["items"]} for c in (sz, gz)]
    assert cards[0]["answer_rate"] == 100.0 and cards[1]["answer_rate"] == pytest.approx(66.67, abs=0.01)


def test_agent_statistics_show_the_halls_agents_with_every_call_they_took(app, day):
    sz, gz = as_user(app, "sz-boss"), as_user(app, "gz-boss")
    rows = totals(sz, "agents", dimension="agent")["rows"]
    assert [(r["label"], r["answered"]) for r in rows] == [("1001 张三", 2)]     # 福田's call and 广州's overflow
    assert rows[0]["logged_in_s"] == pytest.approx(8 * 3600 + 5 * 60)
    rows = totals(gz, "agents", dimension="agent")["rows"]
    assert [(r["label"], r["answered"]) for r in rows] == [("3001 广州坐席", 1)]
    start, end = int(t(0, 0)), int(t(0, 0)) + 86400
    behind = sz.get("/reports/calls", query_string={"figure": "answered", "start": start, "end": end, "dim": "agent",
                                                    "key": day["sz_agent"], "format": "json"}).get_json()
    assert {c["call_uuid"] for c in behind["calls"]} == {"sz-1", "gz-2"}
    behind = sz.get("/reports/calls", query_string={"figure": "answered", "start": start, "end": end, "dim": "all",
                                                    "format": "json"}).get_json()
    assert {c["call_uuid"] for c in behind["calls"]} == {"sz-1"}


def test_an_export_holds_the_users_halls_only_and_is_theirs_alone(app, day):
    sz, gz = as_user(app, "sz-boss"), as_user(app, "gz-boss")
    job = finished_export(sz, "csv", Q)
    rows = list(csv.reader(io.StringIO(sz.get(job["download"]).get_data().decode("utf-8-sig"))))
    assert rows[-1][0] == "合计" and rows[-1][2] == "1"            # the total's requests (the first figure)
    assert gz.get(f"/reports/exports/{job['id']}.json").status_code == 404
    assert gz.get(job["download"]).status_code == 404
    monthly = gz.get("/reports/monthly.xlsx", query_string={"month": "2026-03"})
    assert monthly.status_code == 200


def live_queue(db, two_halls):  # noqa: F811
    now = dt.datetime.now(UTC)
    publish_queue(db, queue_code="tax", waiting=7, longest_wait_since=now - dt.timedelta(seconds=90),
                  agents_ready=1, agents_busy=2, agents_logged_in=4, updated_at=now,
                  halls={two_halls["ft"]: (2, now - dt.timedelta(seconds=30), 1, 0, 1),
                         two_halls["gz"]: (5, now - dt.timedelta(seconds=90), 0, 2, 2),
                         0: (0, None, 0, 0, 1)})
    db.commit()


def test_the_floor_and_the_wallboard_show_the_queue_as_the_users_halls_see_it(app, db, two_halls):  # noqa: F811
    db.add(Queue(code="tax", name="纳税咨询"))
    live_queue(db, two_halls)
    sz, gz, province = as_user(app, "sz-boss"), as_user(app, "gz-boss"), as_user(app, "super")
    floors = [c.get("/floor/data.json").get_json() for c in (sz, gz, province)]
    assert [(f["queues"][0]["waiting"], f["queues"][0]["ready"], f["queues"][0]["busy"], f["queues"][0]["logged_in"])
            for f in floors] == [(2, 1, 0, 1), (5, 0, 2, 2), (7, 1, 2, 4)]
    assert 25 <= floors[0]["queues"][0]["longest_wait_s"] <= 40 and floors[1]["queues"][0]["longest_wait_s"] >= 85
    assert [a["name"] for a in floors[0]["agents"]] == ["张三"] and [a["name"] for a in floors[1]["agents"]] \
        == ["广州坐席"]
    boards = [c.get("/wallboard/api/snapshot").get_json() for c in (sz, gz, province)]
    assert [b["waiting"] for b in boards] == [2, 5, 7]
    assert [b["agents"]["logged_in"] for b in boards] == [1, 1, 2]


def test_the_wallboard_stream_keeps_the_users_scope(app, db, two_halls):  # noqa: F811
    db.add(Queue(code="tax", name="纳税咨询"))
    live_queue(db, two_halls)
    app.config.update(WALLBOARD_POLL_S=0.1, WALLBOARD_EVENTS_LIFETIME_S=0.05)
    for user, waiting in (("sz-boss", 2), ("gz-boss", 5)):
        body = as_user(app, user).get("/wallboard/events").get_data(as_text=True)
        data = [json.loads(line[len("data: "):]) for line in body.splitlines() if line.startswith("data: {\"")]
        assert data and data[0]["waiting"] == waiting, user


def test_voice_messages_and_callbacks_of_another_hall_are_not_there(app, db, two_halls):  # noqa: F811
    now = dt.datetime.now(UTC)
    db.add(Queue(code="tax", name="纳税咨询"))
    for uuid, dnis, number in (("vm-sz", "075560304001", "13911110001"), ("vm-gz", "02088880001", "13922220002")):
        db.add(Voicemail(call_uuid=uuid, ani=number, dnis=dnis, queue_code="tax", recorded_at=now,
                         file_path=f"/nowhere/{uuid}.wav"))
        db.add(CallRecord(call_uuid=f"cb-{uuid}", ani=number, dnis=dnis, started_at=now, ended_at=now,
                          outcome=CallOutcome.CALLBACK, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER))
        db.add(Callback(call_uuid=f"cb-{uuid}", number=number, queue_code="tax", enqueued_at=now, requested_at=now))
    db.commit()
    sz, province = as_user(app, "sz-boss"), as_user(app, "super")
    for page in ("/voicemails/", "/callbacks/"):
        mine, everything = sz.get(page).get_data(as_text=True), province.get(page).get_data(as_text=True)
        assert "13911110001" in mine and "13922220002" not in mine, page
        assert "13911110001" in everything and "13922220002" in everything, page


def test_a_halls_admin_changes_its_own_teams_only_and_sees_the_centres(app, db, two_halls):  # noqa: F811
    from sqlalchemy import select
    from admin_web.auth.services import create_user
    from engine.domain.states import Role
    from engine.store.models import AgentGroup, Hall, User
    from .helpers import PASSWORD
    sz_hall = db.scalar(select(Hall.id).where(Hall.code == "GD-440300"))
    create_user(db, "sz-admin", PASSWORD, Role.ADMIN)
    db.scalar(select(User).where(User.username == "sz-admin")).hall_id = sz_hall
    centre = db.scalar(select(AgentGroup).where(AgentGroup.hall_id.is_(None)))
    gz_team, empty = AgentGroup(name="广州一组", hall_id=two_halls["gz"]), AgentGroup(name="中心备用组")
    db.add_all([gz_team, empty])
    db.commit()
    centre_id, centre_name, gz_id, empty_id = centre.id, centre.name, gz_team.id, empty.id
    admin = as_user(app, "sz-admin")
    assert admin.post("/groups/new", data={"name": "深圳一组", "description": ""}).status_code == 302
    db.expire_all()
    assert db.scalar(select(AgentGroup.hall_id).where(AgentGroup.name == "深圳一组")) == sz_hall   # their own hall's
    listed = admin.get("/groups/").get_data(as_text=True)
    assert centre_name in listed and "深圳一组" in listed and "广州一组" not in listed
    refused = admin.post(f"/groups/{centre_id}/edit", data={"name": "改名", "description": ""})
    assert refused.status_code == 403 and "属于其他服务厅或中心" in refused.get_data(as_text=True)
    assert admin.post(f"/groups/{empty_id}/delete").status_code == 403
    assert db.get(AgentGroup, empty_id) is not None
    assert admin.post(f"/groups/{gz_id}/edit", data={"name": "改名", "description": ""}).status_code == 404
    db.expire_all()
    assert db.get(AgentGroup, centre_id).name == centre_name and db.get(AgentGroup, gz_id).name == "广州一组"
    province = as_user(app, "admin")                                  # the centre's own admin changes it
    assert province.post(f"/groups/{centre_id}/edit", data={"name": "改名", "description": ""}).status_code == 302


def test_agents_are_placed_in_halls_from_their_form_within_the_users_scope(app, db, seed, two_halls):  # noqa: F811
    from sqlalchemy import select
    from admin_web.auth.services import create_user
    from engine.domain.states import Role
    from engine.store.models import Agent, Hall, User
    from .helpers import PASSWORD
    from .test_agents import agent_form
    sz_hall = db.scalar(select(Hall.id).where(Hall.code == "GD-440300"))
    create_user(db, "sz-admin", PASSWORD, Role.ADMIN)
    db.scalar(select(User).where(User.username == "sz-admin")).hall_id = sz_hall
    db.commit()
    province = as_user(app, "admin")
    form = province.get("/agents/new").get_data(as_text=True)
    assert "广州市" in form and "福田区" in form and "无服务厅" in form
    created = province.post("/agents/new", data=agent_form(seed, hall_id=str(two_halls["gz"])))
    assert "坐席 2001 已创建" in created.get_data(as_text=True)       # with its login's one-time password
    db.expire_all()
    assert db.scalar(select(Agent.hall_id).where(Agent.employee_no == "2001")) == two_halls["gz"]
    city = as_user(app, "sz-admin")
    form = city.get("/agents/new").get_data(as_text=True)
    assert "福田区" in form and "广州市" not in form and "无服务厅" not in form
    created = city.post("/agents/new", data=agent_form(seed, employee_no="2002", extension="8003"))
    assert "坐席 2002 已创建" in created.get_data(as_text=True)       # no hall chosen: the admin's own
    moved = city.post(f"/agents/{two_halls['sz_agent']}/edit",
                      data=agent_form(seed, employee_no="1001", extension="8001", hall_id=str(two_halls["gz"])))
    assert moved.status_code == 200 and "已保存" not in moved.get_data(as_text=True)   # the form again: no such hall
    db.expire_all()
    assert db.scalar(select(Agent.hall_id).where(Agent.employee_no == "2002")) == sz_hall
    assert db.get(Agent, two_halls["sz_agent"]).hall_id == two_halls["ft"]     # not moved out of the scope
