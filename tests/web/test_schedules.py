"""The schedule pages (/wfm/schedules/): shift templates and a 7×24 rotation, a week generated from the planning
page's requirement (history written through the engine's log path), the grid and the coverage chart, publishing,
the agent's own shifts, adherence and attendance from agent_state_changes, the scorecard's 出勤率, and the hall
scope (a hall's supervisor never sees another hall's schedule)."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from engine.domain.states import AgentState
from engine.store.models import Agent, AgentGroup, AgentStateChange, Queue
from engine.store.models.schedules import Rotation, Schedule, ScheduledShift, ShiftTemplate
from .helpers import login
from .test_scope import two_halls  # noqa: F401  (fixture)
from .test_wfm import TODAY, write_history

LOCAL = dt.timezone(dt.timedelta(hours=8))
WEEK = TODAY                                       # Monday 2026-03-30: planned from the 4 weeks before it
UTC = dt.timezone.utc


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("admin_web.schedules.views.today_local", lambda: TODAY)
    monkeypatch.setattr("admin_web.wfm.views.today_local", lambda: TODAY)


@pytest.fixture
def team(db, seed, today):
    """The tax queue's history (calls at 09:00-09:30 every day) and a team of ten agents."""
    db.add(Queue(code="tax", name="税收政策"))
    group = db.get(AgentGroup, seed.tax_group_id)
    for n in range(2, 11):
        db.add(Agent(employee_no=f"{1000 + n}", name=f"坐席{n}", extension=f"{8000 + n}", group=group))
    db.commit()
    write_history(db, "tax")
    return group


def _template(client, code, start, minutes, **extra):
    data = {"code": code, "name": f"{code}班", "start": start, "length_minutes": str(minutes),
            "unpaid_break_minutes": "0", "paid_break_minutes": "0", "weekdays": [str(d) for d in range(7)],
            "hall_id": "", **extra}
    return client.post("/wfm/schedules/templates", data=data)


def _generate(client, group_id, **extra):
    data = {"week": WEEK.isoformat(), "pool": "group", "group_id": str(group_id), "queue": "tax",
            "target": "service_level", "level": "80", "seconds": "20", "model": "C", "shrinkage": "30",
            "week_hours": "40", "rest_hours": "11", "days_off": "1", **extra}
    return client.post("/wfm/schedules/generate", data=data)


def test_templates_and_a_rotation_are_kept_with_their_rules_in_chinese(as_supervisor, db, seed):
    assert _template(as_supervisor, "早", "08:00", 480).status_code == 302
    assert _template(as_supervisor, "夜", "00:00", 480).status_code == 302
    assert _template(as_supervisor, "中", "16:00", 480).status_code == 302
    bad = _template(as_supervisor, "错", "08:10", 480).get_data(as_text=True)
    assert "15 分钟的整数倍" in bad
    page = as_supervisor.get("/wfm/schedules/templates").get_data(as_text=True)
    assert "班次模板" in page and 'data-code="早"' in page and "08:00" in page
    r = as_supervisor.post("/wfm/schedules/rotations", data={"name": "四班三运转", "pattern": "夜,夜,早,早,中,中,休,休",
                                                            "teams": "4", "anchor": WEEK.isoformat(), "hall_id": ""})
    assert r.status_code == 302
    rot = db.scalar(select(Rotation))
    ids = {t.code: t.id for t in db.scalars(select(ShiftTemplate))}
    assert rot.pattern == [ids["夜"], ids["夜"], ids["早"], ids["早"], ids["中"], ids["中"], None, None]
    unknown = as_supervisor.post("/wfm/schedules/rotations", data={"name": "x", "pattern": "早,午", "teams": "1",
                                                                  "anchor": WEEK.isoformat()}).get_data(as_text=True)
    assert "未知的班次代码：午" in unknown
    assert "夜,夜,早,早,中,中,休,休" in as_supervisor.get("/wfm/schedules/rotations").get_data(as_text=True)


def test_a_generated_week_covers_the_planned_requirement_and_is_published_to_the_agents(app, as_supervisor, db,
                                                                                        team):
    assert _template(as_supervisor, "早", "08:00", 240).status_code == 302
    response = _generate(as_supervisor, team.id, templates=[str(db.scalar(select(ShiftTemplate.id)))])
    assert response.status_code == 302, response.get_data(as_text=True)
    schedule = db.scalar(select(Schedule))
    assert schedule.status == "draft" and len(schedule.required) == 7 * 96
    # the requirement is the planning page's scheduled head count of each day (the calls come at 09:00-09:30)
    plan = as_supervisor.get("/wfm/", query_string={"day": WEEK.isoformat(), "queue": "tax", "target": "service_level",
                                                    "level": "80", "seconds": "20", "model": "C",
                                                    "shrinkage": "30"}).get_data(as_text=True)
    nine = re.search(r'<tr data-start="09:00">.*?data-col="scheduled">\s*(\d+)', plan, re.S).group(1)
    assert schedule.required[36] == int(nine) > 0
    page = as_supervisor.get(f"/wfm/schedules/{schedule.id}").get_data(as_text=True)
    assert "每 15 分钟的需求坐席与排班坐席" in page and "草稿" in page
    chart = json.loads(page.split('id="schedule-coverage-data">', 1)[1].split("</script>", 1)[0])
    required, scheduled = chart["series"][0]["data"], chart["series"][1]["data"]
    assert len(required) == len(scheduled) == 7 * 96 and chart["categories"][36] == "周一 09:00"
    assert all(s >= r for r, s in zip(required, scheduled))            # ten agents are enough: no gap
    assert "每个时段的坐席都已满足需求" in page
    shifts = db.scalars(select(ScheduledShift)).all()
    assert {s.start_at.replace(tzinfo=UTC).astimezone(LOCAL).hour for s in shifts} == {8}
    per_day = {}
    for s in shifts:
        per_day.setdefault(s.start_at.replace(tzinfo=UTC).astimezone(LOCAL).date(), set()).add(s.agent_id)
    assert all(len(v) == int(nine) for v in per_day.values())
    # not published yet: the agent sees nothing
    agent = app.test_client()
    assert login(agent, "agent1001").status_code == 302
    assert "尚无已发布的班次" in agent.get("/wfm/schedules/mine").get_data(as_text=True)
    assert as_supervisor.post(f"/wfm/schedules/{schedule.id}/publish").status_code == 302
    db.expire_all()
    assert db.get(Schedule, schedule.id).status == "published"
    mine = agent.get("/wfm/schedules/mine").get_data(as_text=True)
    own = [s for s in shifts if s.agent_id == db.scalar(select(Agent.id).where(Agent.employee_no == "1001"))]
    assert own and mine.count("<tr data-status=") == len(own) and mine.count(">08:00<") == len(own)
    # a second schedule of the same agents and week keeps clear of the published one: never two shifts a day
    template = str(db.scalar(select(ShiftTemplate.id)))
    assert _generate(as_supervisor, team.id, templates=[template]).status_code == 302
    second = db.scalars(select(Schedule).order_by(Schedule.id.desc())).first()
    first_days = {(s.agent_id, s.start_at.date()) for s in shifts}
    assert all((s.agent_id, s.start_at.date()) not in first_days for s in second.shifts)
    # withdrawn, the first no longer books the agents; once another like it is published, it cannot be published
    assert as_supervisor.post(f"/wfm/schedules/{schedule.id}/withdraw").status_code == 302
    assert "尚无已发布的班次" in agent.get("/wfm/schedules/mine").get_data(as_text=True)
    assert _generate(as_supervisor, team.id, templates=[template]).status_code == 302
    third = db.scalars(select(Schedule).order_by(Schedule.id.desc())).first()
    assert len(third.shifts) == len(shifts)
    assert as_supervisor.post(f"/wfm/schedules/{third.id}/publish").status_code == 302
    refused = as_supervisor.post(f"/wfm/schedules/{schedule.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "未发布" in refused and "另一份已发布的排班" in refused
    db.expire_all()
    assert db.get(Schedule, schedule.id).status == "draft"
    listing = as_supervisor.get("/wfm/schedules/").get_data(as_text=True)
    assert listing.count("已发布") == 1 and listing.count("草稿") == 2


def test_days_off_requested_are_kept_and_a_stranger_is_named(as_supervisor, db, team):
    assert _template(as_supervisor, "早", "08:00", 240).status_code == 302
    template = str(db.scalar(select(ShiftTemplate.id)))
    wrong = _generate(as_supervisor, team.id, templates=[template], leave="1001:8").get_data(as_text=True)
    assert "请按“工号:星期”填写" in wrong
    stranger = _generate(as_supervisor, team.id, templates=[template], leave="9999:1").get_data(as_text=True)
    assert "不在本次排班的坐席中：9999" in stranger and db.scalar(select(Schedule)) is None
    assert _generate(as_supervisor, team.id, templates=[template], leave="1001:1,2,3；1002：7").status_code == 302
    days = {}
    for s in db.scalars(select(ScheduledShift)):
        number = db.get(Agent, s.agent_id).employee_no
        days.setdefault(number, set()).add(s.start_at.replace(tzinfo=UTC).astimezone(LOCAL).date().isoweekday())
    assert days["1001"] and not days["1001"] & {1, 2, 3} and 7 not in days["1002"]


def test_the_requirement_needs_a_history(as_supervisor, db, seed, today):
    assert _template(as_supervisor, "早", "08:00", 480).status_code == 302
    page = _generate(as_supervisor, seed.tax_group_id, queue="",
                     templates=[str(db.scalar(select(ShiftTemplate.id)))]).get_data(as_text=True)
    assert 'id="schedule-no-plan"' in page and "2026-03-30" in page
    assert db.scalar(select(Schedule)) is None


def _published_week(db, agent_ids):
    """A published schedule: each agent 09:00-17:00 local on Monday and Tuesday of WEEK."""
    schedule = Schedule(name="第14周", week_start=WEEK, pool="group", status="published", required=[0] * 672)
    db.add(schedule)
    for agent_id in agent_ids:
        for d in range(2):
            start = dt.datetime.combine(WEEK + dt.timedelta(days=d), dt.time(9), LOCAL).astimezone(UTC)
            schedule.shifts.append(ScheduledShift(agent_id=agent_id, code="白", start_at=start,
                                                  end_at=start + dt.timedelta(hours=8), paid_break_minutes=0))
    db.commit()
    return schedule


def _state(db, agent_id, when_local: dt.datetime, to: AgentState):
    db.add(AgentStateChange(agent_id=agent_id, at=when_local.astimezone(UTC), from_state=AgentState.LOGGED_OUT,
                            to_state=to))


def test_adherence_and_attendance_come_from_the_agents_states_and_score_the_scorecard(as_supervisor, db, seed):
    _published_week(db, [seed.agent_id])
    monday = dt.datetime.combine(WEEK, dt.time(9), LOCAL)
    _state(db, seed.agent_id, monday + dt.timedelta(minutes=2), AgentState.READY)     # on time
    _state(db, seed.agent_id, monday + dt.timedelta(hours=6), AgentState.LOGGED_OUT)  # 2 h early: absent
    _state(db, seed.agent_id, monday + dt.timedelta(days=1, minutes=10), AgentState.READY)   # 10 min late
    _state(db, seed.agent_id, monday + dt.timedelta(days=1, hours=8), AgentState.LOGGED_OUT)
    db.commit()
    page = as_supervisor.get("/wfm/schedules/adherence", query_string={"week": WEEK.isoformat()}).get_data(
        as_text=True)
    assert "遵从度与出勤" in page
    row = page.split('<tr data-agent="1001">', 1)[1].split("</tr>", 1)[0]
    assert 'data-status="absent"' in row and 'data-status="late"' in row and "缺勤" in row and "迟到" in row
    assert re.search(r'data-field="attendance">\s*50\.0%', row)
    # adherence: (358 + 470) of 960 scheduled minutes
    assert re.search(r'data-field="adherence">\s*86\.2%', row)
    chart = json.loads(page.split('id="adherence-data">', 1)[1].split("</script>", 1)[0])
    assert chart["series"][1]["data"][:3] == [0.0, 100.0, None]
    card = as_supervisor.get("/reports/api/scorecard.json", query_string={"month": "2026-03"}).get_json()
    item = next(i for i in card["items"] if i["key"] == "attendance")
    assert item["value"] == 50.0 and item["points"] == 0.0 and item["met"] is False      # 5 − 0.5 × 48 → 0
    html = as_supervisor.get("/reports/scorecard", query_string={"month": "2026-03"}).get_data(as_text=True)
    assert "50.00%" in html.split('<tr data-key="attendance"', 1)[1].split("</tr>", 1)[0]
    april = as_supervisor.get("/reports/api/scorecard.json", query_string={"month": "2026-04"}).get_json()
    assert next(i for i in april["items"] if i["key"] == "attendance")["points"] is None     # no shift that month


def test_the_agent_sees_only_their_own_published_shifts(app, db, seed, monkeypatch):
    other = Agent(employee_no="1009", name="李四", extension="8009")
    db.add(other)
    db.flush()
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    monkeypatch.setattr("admin_web.schedules.views.today_local", lambda: monday)
    schedule = Schedule(name="本周", week_start=monday, pool="group", status="published", required=[0] * 672)
    db.add(schedule)
    for agent_id, hour in ((seed.agent_id, 8), (other.id, 18)):
        start = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(hour), LOCAL).astimezone(UTC)
        schedule.shifts.append(ScheduledShift(agent_id=agent_id, code="早" if hour == 8 else "中", start_at=start,
                                              end_at=start + dt.timedelta(hours=8)))
    db.commit()
    client = app.test_client()
    assert login(client, "agent1001").status_code == 302
    page = client.get("/wfm/schedules/mine").get_data(as_text=True)
    assert "我的班次" in page
    table = page.split('id="my-shifts"', 1)[1]
    assert ">08:00<" in table and ">16:00<" in table and "18:00" not in table
    assert table.count("<tr data-status=") == 1
    assert client.get("/wfm/schedules/").status_code == 403


def test_a_halls_supervisor_never_sees_another_halls_schedule(app, db, two_halls):  # noqa: F811
    gz = Schedule(name="广州排班表", week_start=WEEK, pool="hall", status="published", required=[0] * 672,
                  hall_id=two_halls["gz"])
    db.add(gz)
    start = dt.datetime.combine(WEEK, dt.time(9), LOCAL).astimezone(UTC)
    gz.shifts.append(ScheduledShift(agent_id=two_halls["gz_agent"], code="白", start_at=start,
                                    end_at=start + dt.timedelta(hours=8)))
    db.add(ShiftTemplate(code="广早", name="广州早班", start_minute=480, length_minutes=480, hall_id=two_halls["gz"]))
    db.commit()
    sz = app.test_client()
    assert login(sz, "sz-boss").status_code == 302
    assert "广州排班表" not in sz.get("/wfm/schedules/").get_data(as_text=True)
    assert sz.get(f"/wfm/schedules/{gz.id}").status_code == 404
    assert sz.post(f"/wfm/schedules/{gz.id}/withdraw").status_code == 404
    assert "广州坐席" not in sz.get("/wfm/schedules/adherence", query_string={"week": WEEK.isoformat()}).get_data(
        as_text=True)
    assert "广州早班" not in sz.get("/wfm/schedules/templates").get_data(as_text=True)
    gz_client = app.test_client()
    assert login(gz_client, "gz-boss").status_code == 302
    assert "广州排班表" in gz_client.get("/wfm/schedules/").get_data(as_text=True)
    assert "广州坐席" in gz_client.get("/wfm/schedules/adherence", query_string={"week": WEEK.isoformat()}).get_data(
        as_text=True)


def test_a_centre_schedule_is_seen_by_a_hall_for_its_own_agents_and_changed_only_by_the_centre(app, db,
                                                                                             two_halls):  # noqa: F811
    centre = Schedule(name="中心排班表", week_start=WEEK, pool="group", status="published", required=[0] * 672)
    db.add(centre)
    start = dt.datetime.combine(WEEK, dt.time(9), LOCAL).astimezone(UTC)
    for agent_id in (two_halls["sz_agent"], two_halls["gz_agent"]):
        centre.shifts.append(ScheduledShift(agent_id=agent_id, code="白", start_at=start,
                                            end_at=start + dt.timedelta(hours=8)))
    db.commit()
    sz = app.test_client()
    assert login(sz, "sz-boss").status_code == 302
    page = sz.get(f"/wfm/schedules/{centre.id}").get_data(as_text=True)
    assert "中心排班表" in page and 'data-agent="1001"' in page and "广州坐席" not in page
    assert sz.post(f"/wfm/schedules/{centre.id}/withdraw").status_code == 403
    db.expire_all()
    assert db.get(Schedule, centre.id).status == "published"
    province = app.test_client()
    assert login(province, "admin").status_code == 302
    assert province.post(f"/wfm/schedules/{centre.id}/withdraw").status_code == 302


def test_a_rotation_gives_each_agent_only_their_teams_shift(as_supervisor, db, team):
    for code, start in (("夜", "00:00"), ("早", "08:00"), ("中", "16:00")):
        assert _template(as_supervisor, code, start, 480).status_code == 302
    assert as_supervisor.post("/wfm/schedules/rotations", data={
        "name": "四班三运转", "pattern": "夜,夜,早,早,中,中,休,休", "teams": "4", "anchor": WEEK.isoformat(),
        "hall_id": ""}).status_code == 302
    rotation = db.scalar(select(Rotation))
    assert _generate(as_supervisor, team.id, rotation=str(rotation.id), week_hours="48").status_code == 302
    schedule = db.scalar(select(Schedule))
    assert schedule.rotation_id == rotation.id and schedule.shifts
    order = [a.id for a in db.scalars(select(Agent).where(Agent.group_id == team.id)
                                      .order_by(Agent.position, Agent.employee_no))]
    cycle = ["夜", "夜", "早", "早", "中", "中", None, None]
    for s in schedule.shifts:
        day = (s.start_at.replace(tzinfo=UTC).astimezone(LOCAL).date() - WEEK).days
        team_no = order.index(s.agent_id) % 4
        assert s.code == cycle[(day + 2 * team_no) % 8] == "早"     # the calls come in the morning only
