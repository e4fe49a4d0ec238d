"""CTI API tokens scoped to a hall (issue 13 item 5, R-CTI-8): a CRM serving a whole hall drives, request by request,
the agent of the hall's subtree it names in X-Agent; an agent elsewhere (or unknown) is refused alike; an agent's
token stays its agent's."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.domain.states import AgentState
from engine.store import accounts
from engine.store.models import Agent, AgentRequest, ApiToken
from engine.store.numbers import save_hall


def requests_of(db, agent_id: int) -> list[AgentRequest]:
    db.expire_all()
    return db.scalars(select(AgentRequest).where(AgentRequest.agent_id == agent_id).order_by(AgentRequest.id)).all()


def bearer(token: str, agent: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if agent is not None:
        headers["X-Agent"] = agent
    return headers


@pytest.fixture
def halls(db, seed):
    """广东省 → 深圳市 → 福田区, and 广州市: agent 1001 (the seed's) in 福田区, 3001 in 广州市, 9001 in no hall."""
    gd = save_hall(db, "GD-440000", "广东省", "province", "440000")
    sz = save_hall(db, "GD-440300", "深圳市", "city", "440300", "GD-440000")
    ft = save_hall(db, "GD-440304", "福田区", "county", "440304", "GD-440300")
    gz = save_hall(db, "GD-440100", "广州市", "city", "440100", "GD-440000")
    db.get(Agent, seed.agent_id).hall_id = ft.id
    gz_agent = Agent(employee_no="3001", name="广州坐席", extension="8301", state=AgentState.READY, hall_id=gz.id)
    nowhere = Agent(employee_no="9001", name="无厅坐席", extension="8901", state=AgentState.READY)
    db.add_all([gz_agent, nowhere])
    db.commit()
    return {"gd": gd.id, "sz": sz.id, "ft": ft.id, "gz": gz.id, "gz_agent": gz_agent.id}


@pytest.fixture
def city_token(db, halls):
    """A token of 深圳市 (a city): its subtree holds 福田区's agent 1001."""
    token_id, token = accounts.create_token(db, name="深圳 CRM", created_by="test", hall_id=halls["sz"])
    db.commit()
    return token_id, token


def test_a_city_token_drives_an_agent_of_a_county_under_it(client, db, seed, halls, city_token):
    token_id, token = city_token
    me = client.get("/api/v1/me", headers=bearer(token, "1001"))
    assert me.status_code == 200 and me.get_json()["agent"]["employee_no"] == "1001"
    ready = client.post("/api/v1/me/state", json={"action": "ready"}, headers=bearer(token, "1001"))
    assert ready.status_code == 202
    rows = requests_of(db, seed.agent_id)
    assert [r.action for r in rows] == ["ready"]
    assert rows[0].actor == f"token:hall{halls['sz']}:1001"        # the audit names the hall and the agent
    assert db.get(ApiToken, token_id).last_used_at is not None


def test_a_province_token_drives_agents_of_every_hall(client, db, seed, halls):
    _, token = accounts.create_token(db, name="省 CRM", created_by="test", hall_id=halls["gd"])
    db.commit()
    assert client.get("/api/v1/me", headers=bearer(token, "1001")).get_json()["agent"]["employee_no"] == "1001"
    assert client.get("/api/v1/me", headers=bearer(token, "3001")).get_json()["agent"]["employee_no"] == "3001"


def test_an_agent_outside_the_subtree_or_unknown_is_refused_alike(client, db, halls, city_token):
    _, token = city_token
    answers = [client.post("/api/v1/me/state", json={"action": "ready"}, headers=bearer(token, employee_no))
               for employee_no in ("3001", "9001", "nobody")]        # 广州市, no hall, unknown
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert len({a.get_json()["error"] for a in answers}) == 1        # nothing tells one from another
    assert requests_of(db, halls["gz_agent"]) == []


def test_a_hall_token_without_x_agent_is_a_bad_request(client, halls, city_token):
    _, token = city_token
    for response in (client.get("/api/v1/me", headers=bearer(token)),
                     client.get("/api/v1/me", headers=bearer(token, "  "))):
        assert response.status_code == 400
        assert response.is_json and "X-Agent" in response.get_json()["error"]


def test_a_revoked_hall_token_is_refused(client, db, halls, city_token):
    token_id, token = city_token
    assert accounts.revoke_token(db, token_id)
    db.commit()
    assert accounts.token_scope(db, token) is None
    response = client.get("/api/v1/me", headers=bearer(token, "1001"))
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]


def test_a_disabled_halls_token_is_refused(client, db, halls, city_token):
    from engine.store.models import Hall
    _, token = city_token
    db.get(Hall, halls["sz"]).active = False
    db.commit()
    response = client.get("/api/v1/me", headers=bearer(token, "1001"))
    assert response.status_code == 403 and "disabled" in response.get_json()["error"]


def test_a_disabled_agent_of_the_hall_is_refused(client, db, seed, halls, city_token):
    _, token = city_token
    db.get(Agent, seed.agent_id).active = False
    db.commit()
    response = client.post("/api/v1/me/state", json={"action": "ready"}, headers=bearer(token, "1001"))
    assert response.status_code == 403 and response.get_json()["error"] == "this agent is disabled"
    assert requests_of(db, seed.agent_id) == []


def test_a_hall_tokens_writes_are_still_json_from_this_site(client, db, seed, halls, city_token):
    _, token = city_token
    plain = client.post("/api/v1/me/call/hangup", data="{}", content_type="text/plain", headers=bearer(token, "1001"))
    assert plain.status_code == 415
    other = client.post("/api/v1/me/state", json={"action": "ready"},
                        headers={**bearer(token, "1001"), "Origin": "https://evil.example"})
    assert other.status_code == 403 and "cross-site" in other.get_json()["error"]
    assert requests_of(db, seed.agent_id) == []


def test_an_agent_token_acts_for_its_agent_only(client, db, seed, halls):
    _, token = accounts.create_token(db, seed.agent_id, "CRM", "test")
    db.commit()
    other = client.post("/api/v1/me/state", json={"action": "ready"}, headers=bearer(token, "3001"))
    assert other.status_code == 403 and "X-Agent" in other.get_json()["error"]
    assert requests_of(db, halls["gz_agent"]) == []
    own = client.post("/api/v1/me/state", json={"action": "ready"}, headers=bearer(token, "1001"))
    assert own.status_code == 202
    assert [r.actor for r in requests_of(db, seed.agent_id)] == [f"token:agent{seed.agent_id}"]


def test_a_token_acts_for_exactly_one_agent_or_one_hall(db, seed, halls):
    with pytest.raises(accounts.AccountError) as both:
        accounts.create_token(db, seed.agent_id, "x", "test", hall_id=halls["sz"])
    assert both.value.code == "agent_or_hall"
    with pytest.raises(accounts.AccountError):
        accounts.create_token(db, name="x", created_by="test")
    with pytest.raises(accounts.AccountError) as unknown:
        accounts.create_token(db, name="x", created_by="test", hall_id=999999)
    assert unknown.value.code == "no_hall"
    token_id, token = accounts.create_token(db, name="x", created_by="test", hall_id=halls["ft"])
    assert accounts.token_scope(db, token) == accounts.TokenScope(token_id=token_id, hall_id=halls["ft"])
    assert accounts.agent_of_token(db, token) is None                 # a hall token names no one agent
    # the database says so too
    db.add(ApiToken(name="both", token_hash="0" * 64, agent_id=seed.agent_id, hall_id=halls["sz"]))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_a_hall_token_goes_with_its_hall(db, seed):
    hall = save_hall(db, "GD-440000", "广东省", "province", "440000")
    _, token = accounts.create_token(db, name="x", created_by="test", hall_id=hall.id)
    db.commit()
    db.delete(hall)
    db.commit()
    assert db.scalars(select(ApiToken)).all() == []


def test_the_migration_keeps_agent_tokens_and_drops_hall_tokens_on_the_way_down(empty_database_url):
    """Upgrade, a token of each kind, downgrade past the hall tokens: the agent's stays (agent_id NOT NULL again), the hall's
    goes; upgrade again. On SQLite and PostgreSQL."""
    from sqlalchemy import inspect, text
    from engine.store import migrate
    from engine.store.session import make_engine, make_session_factory
    migrate.upgrade(empty_database_url)
    db = make_engine(empty_database_url)
    with make_session_factory(db).begin() as session:
        hall = save_hall(session, "GD-440000", "广东省", "province", "440000")
        agent = Agent(employee_no="1001", name="张三", extension="8001")
        session.add(agent)
        session.flush()
        session.add_all([ApiToken(name="agent", token_hash="a" * 64, agent_id=agent.id),
                         ApiToken(name="hall", token_hash="h" * 64, hall_id=hall.id)])
    db.dispose()
    migrate.downgrade(empty_database_url, "5b6c7d8e9f0a")          # to just before the hall tokens
    db = make_engine(empty_database_url)
    with db.connect() as conn:
        assert conn.execute(text("SELECT name FROM api_tokens")).scalars().all() == ["agent"]
    columns = {c["name"]: c for c in inspect(db).get_columns("api_tokens")}
    assert "hall_id" not in columns and not columns["agent_id"]["nullable"]
    db.dispose()
    migrate.upgrade(empty_database_url)


def test_the_api_document_says_how_tokens_authenticate(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert {"token": []} in doc["security"] and "X-Agent" in doc["info"]["description"]
