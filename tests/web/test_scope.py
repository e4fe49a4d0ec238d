"""Scope by hall (admin_web/scope.py): a supervisor of 深圳市 sees and changes only 深圳市 and 福田区 (its subtree),
one of 广州市 only 广州市; the province's staff see everything. Tried over lists, detail pages and edits."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_web.auth.services import create_user
from engine.domain.states import AgentState, CallOutcome, HangupSide, Role
from engine.store.models import Agent, CallRecord, PublishedNumber, Recording, User
from engine.store.numbers import save_hall
from .helpers import PASSWORD, login

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc


@pytest.fixture
def two_halls(app, tmp_path, db, seed):
    shutil.copytree(ROOT / "ivr_flows", tmp_path / "flows")
    app.config.update(FLOWS_DIR=str(tmp_path / "flows"), PROMPTS_DIR=str(tmp_path / "flows/prompts"))
    gd = save_hall(db, "GD-440000", "广东省", "province", "440000")
    sz = save_hall(db, "GD-440300", "深圳市", "city", "440300", "GD-440000")
    ft = save_hall(db, "GD-440304", "福田区", "county", "440304", "GD-440300")
    gz = save_hall(db, "GD-440100", "广州市", "city", "440100", "GD-440000")
    db.add_all([PublishedNumber(number="075560304001", name="福田区纳税", flow="tax_main", hall_id=ft.id),
                PublishedNumber(number="02088880001", name="广州纳税", flow="tax_main", hall_id=gz.id)])
    sz_agent = db.get(Agent, seed.agent_id)
    sz_agent.hall_id = ft.id
    gz_agent = Agent(employee_no="3001", name="广州坐席", extension="8301", state=AgentState.READY, hall_id=gz.id)
    db.add(gz_agent)
    db.flush()
    from admin_web.timeutil import day_range
    now = day_range("Asia/Shanghai")[0] + dt.timedelta(seconds=1)       # today in the console's time zone
    for uuid, dnis, agent in (("sz-call", "075560304001", sz_agent), ("gz-call", "02088880001", gz_agent)):
        db.add(CallRecord(call_uuid=uuid, ani="13800000000", dnis=dnis, started_at=now, answered_at=now,
                          ended_at=now + dt.timedelta(minutes=2), outcome=CallOutcome.ANSWERED,
                          hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER, agent_id=agent.id))
        db.add(Recording(path=f"/nowhere/{uuid}.wav", call_uuid=uuid, ani="13800000000", dnis=dnis,
                         employee_no=agent.employee_no, started_at=now, status="complete"))
    create_user(db, "sz-boss", PASSWORD, Role.SUPERVISOR)
    create_user(db, "gz-boss", PASSWORD, Role.SUPERVISOR)
    db.scalar(select(User).where(User.username == "sz-boss")).hall_id = sz.id
    db.scalar(select(User).where(User.username == "gz-boss")).hall_id = gz.id
    db.commit()
    return {"gz_agent": gz_agent.id, "sz_agent": sz_agent.id, "gz": gz.id, "ft": ft.id}


def as_user(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_each_halls_supervisor_sees_only_its_subtree(app, two_halls):
    sz, gz, province = as_user(app, "sz-boss"), as_user(app, "gz-boss"), as_user(app, "super")
    pages = {path: (sz.get(path).get_data(as_text=True), gz.get(path).get_data(as_text=True),
                    province.get(path).get_data(as_text=True))
             for path in ("/agents/", "/numbers/", "/calls/", "/recordings/",
                          "/halls/")}
    agents = pages["/agents/"]
    assert "张三" in agents[0] and "广州坐席" not in agents[0]
    assert "广州坐席" in agents[1] and "张三" not in agents[1]
    assert "张三" in agents[2] and "广州坐席" in agents[2]
    numbers = pages["/numbers/"]
    assert "075560304001" in numbers[0] and "02088880001" not in numbers[0]
    assert "02088880001" in numbers[1] and "075560304001" not in numbers[1]
    halls = pages["/halls/"]
    assert "福田区" in halls[0] and "广州市" not in halls[0] and "广州市" in halls[2]
    calls = pages["/calls/"]
    assert "sz-call" in calls[0] and "gz-call" not in calls[0] and "gz-call" in calls[1]
    assert "gz-call" in calls[2] and "sz-call" in calls[2]
    recordings = pages["/recordings/"]
    assert "075560304001" in recordings[0] and "02088880001" not in recordings[0]
    assert "02088880001" in recordings[2]


def test_another_halls_rows_cannot_be_opened_nor_changed(app, two_halls, db):
    sz = as_user(app, "sz-boss")
    assert sz.get(f"/agents/{two_halls['gz_agent']}/edit").status_code == 404
    assert sz.post(f"/agents/{two_halls['gz_agent']}/state", data={"command": "logout"}).status_code == 404
    assert sz.get("/calls/gz-call").status_code == 404
    gz_recording = db.scalar(select(Recording.id).where(Recording.call_uuid == "gz-call"))
    assert sz.get(f"/recordings/{gz_recording}/download").status_code == 404
    assert sz.get("/calls/sz-call").status_code == 200
    export = sz.get("/numbers/export.csv").get_data().decode("utf-8-sig")
    assert "075560304001" in export and "02088880001" not in export
