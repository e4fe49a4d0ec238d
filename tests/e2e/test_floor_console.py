"""The floor and the desktop against the running engine (issue 16, item 4): a supervisor's 示忙 with a reason from
a floor row reaches the engine as not_ready with that reason; an agent who holds the caller still sees the caller
on /api/v1/me; a supervisor listening in is marked on the floor."""
from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from admin_web import create_app
from engine.domain.states import AgentState, NotReadyReason
from engine.demo import DEMO_SUPERVISOR_EXTENSION
from engine.store.models import Agent, AgentRequest
from tests.e2e.conftest import seeded_demo, wait_until
from tests.e2e.test_walking_skeleton import read


@pytest.fixture
def db_url(database_url):
    """The demo data on each database kind (the engine's batch writer differs between them), wrap-up shortened."""
    return seeded_demo(database_url)


@pytest.fixture
def console(db_url):
    """The web console on the engine's database (CSRF off: the forms are posted directly)."""
    app = create_app(overrides={"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                                "SECRET_KEY": "e2e-secret", "FLOOR_SHARED_S": 0.0, "LIVE_POLL_S": 0.05})
    yield app
    app.extensions["live_feed"].stop()
    app.extensions["db_engine"].dispose()


def supervisor(console):
    client = console.test_client()
    answer = client.post("/auth/login", data={"username": "supervisor", "password": "supervisor123"})
    assert answer.status_code == 302
    return client


def agent_basic(extension: str) -> dict:
    token = base64.b64encode(f"a{extension}:a{extension}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def agent_id_of(db_url, extension: str) -> int:
    return read(db_url, lambda s: s.scalar(select(Agent.id).where(Agent.extension == extension)))


def last_request(db_url, agent_id: int) -> AgentRequest | None:
    return read(db_url, lambda s: s.scalars(select(AgentRequest).where(AgentRequest.agent_id == agent_id)
                                            .order_by(AgentRequest.id.desc()).limit(1)).first())


def test_a_break_forced_from_a_floor_row_reaches_the_engine_with_its_reason(engine, console, db_url):
    client = supervisor(console)
    agent_id = agent_id_of(db_url, "1005")
    answer = client.post(f"/floor/{agent_id}/action", data={"action": "state:not_ready:break"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/floor/")
    wait_until(lambda: engine.center.floor.agents[agent_id].state is AgentState.NOT_READY, 10, "the agent on a break")
    assert engine.center.floor.agents[agent_id].reason is NotReadyReason.BREAK
    row = wait_until(lambda: (r := last_request(db_url, agent_id)) and r.result and r, 10, "the engine's answer")
    assert (row.action, row.reason, row.result) == ("not_ready", NotReadyReason.BREAK, "ok")
    wait_until(lambda: read(db_url, lambda s: s.get(Agent, agent_id).state) is AgentState.NOT_READY, 10, "stored")
    mine = next(a for a in client.get("/floor/data.json").get_json()["agents"] if a["agent_id"] == agent_id)
    assert (mine["state_label"], mine["reason_label"]) == ("示忙", "小休")


def test_on_hold_the_agent_still_sees_the_caller_and_a_listening_supervisor_is_marked(sim, engine, console, db_url):
    sim.add_phone(DEMO_SUPERVISOR_EXTENSION, behaviour="answer", answer_delay=0.5)
    uuid = sim.place_call(did="12366", ani="13912345678", digits="2", talk_time=300.0)
    call = wait_until(lambda: engine.center.floor.calls.get(uuid) if engine.center.floor.calls.get(uuid) and
                      engine.center.floor.calls[uuid].answered_at else None, 20, "the call to be answered")
    agent = engine.center.floor.agents[call.agent_id]
    headers = agent_basic(agent.extension)
    api = console.test_client()
    assert api.post("/api/v1/me/call/hold", headers=headers, json={}).status_code == 202
    wait_until(lambda: api.get("/api/v1/me", headers=headers).get_json()["state"] == "on_hold", 10, "on hold")
    me = api.get("/api/v1/me", headers=headers).get_json()
    assert me["call"] is not None and me["call"]["uuid"] == uuid and me["call"]["caller"] == "13912345678"

    client = supervisor(console)
    assert client.post(f"/floor/{call.agent_id}/action", data={"action": "supervise:listen"}).status_code == 302
    wait_until(lambda: (r := last_request(db_url, call.agent_id)) and r.result == "ok", 10, "the engine's answer")
    row = next(a for a in client.get("/floor/data.json").get_json()["agents"] if a["agent_id"] == call.agent_id)
    assert row["monitor"]["mode"] == "listen" and row["monitor"]["by"] == "supervisor"
    page = client.get("/floor/").get_data(as_text=True)
    assert "被监听 · supervisor" in page and "您的电话正在这些通话中" in page
    sim.hangup(uuid)
    wait_until(lambda: read(db_url, lambda s: s.get(Agent, call.agent_id).state) not in (AgentState.TALKING,
                                                                                   AgentState.ON_HOLD), 10, "the end")
    row = next(a for a in client.get("/floor/data.json").get_json()["agents"] if a["agent_id"] == call.agent_id)
    assert row["monitor"] is None
