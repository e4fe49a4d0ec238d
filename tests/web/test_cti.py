"""CTI API (R-CTI-8): per-agent authentication, state and call requests, results, today's numbers, SSE, OpenAPI."""
from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import select

from admin_web.auth.services import create_user
from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason, Role
from engine.store.models import (Agent, AgentRequest, AgentStateChange, AuditEntry, CallOffer, CallRecord, Queue,
                                 Recording)

from .helpers import PASSWORD, set_state

UTC = dt.timezone.utc


def basic(username: str, password: str = PASSWORD) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def requests_of(db, agent_id: int) -> list[AgentRequest]:
    db.expire_all()
    return db.scalars(select(AgentRequest).where(AgentRequest.agent_id == agent_id).order_by(AgentRequest.id)).all()


@pytest.fixture
def other_agent(db, seed, monkeypatch):
    """A second agent (工号 1002) with a console user agent1002."""
    agent = Agent(employee_no="1002", name="李四", extension="8002", state=AgentState.READY)
    db.add(agent)
    db.flush()
    create_user(db, "agent1002", PASSWORD, Role.AGENT, agent_id=agent.id)
    db.add(Queue(code="tax", name="纳税咨询"))
    db.commit()
    return agent.id


# --- authentication -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("get", "/api/v1/me"), ("post", "/api/v1/me/state"),
                                         ("post", "/api/v1/me/call/hangup"), ("get", "/api/v1/requests/1"),
                                         ("get", "/api/v1/me/calls/today"), ("get", "/api/v1/events"),
                                         ("get", "/api/v1/directory")])
def test_every_endpoint_requires_authentication(client, seed, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.is_json and "error" in response.get_json()
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_basic_auth_with_console_credentials(client, seed):
    response = client.get("/api/v1/me", headers=basic("agent1001"))
    assert response.status_code == 200
    assert response.get_json()["agent"]["employee_no"] == "1001"
    assert client.get("/api/v1/me", headers=basic("agent1001", "wrong")).status_code == 401
    assert client.get("/api/v1/me", headers=basic("gone")).status_code == 401      # inactive user


def test_basic_auth_pays_the_password_hash_once_not_on_every_call(client, seed, db, monkeypatch):
    """A CRM sending the agent's name and password on every call costs one scrypt hash, not one per call; a wrong
    password always pays (and counts in the throttle); a new password or a disabled user is not passed on memory."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    import admin_web.cti.auth as auth
    from engine.store.models import User
    hashed, real = [], auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda stored, given: hashed.append(given) or real(stored, given))
    for _ in range(5):
        assert client.get("/api/v1/me", headers=basic("agent1001")).status_code == 200
    assert len(hashed) == 1
    assert client.get("/api/v1/me", headers=basic("agent1001", "wrong")).status_code == 401
    assert len(hashed) == 2
    user = db.scalar(select(User).where(User.username == "agent1001"))
    user.password_hash = generate_password_hash("a-new-password-2026")
    db.commit()
    assert client.get("/api/v1/me", headers=basic("agent1001")).status_code == 401
    assert client.get("/api/v1/me", headers=basic("agent1001", "a-new-password-2026")).status_code == 200
    user.active = False
    db.commit()
    assert client.get("/api/v1/me", headers=basic("agent1001", "a-new-password-2026")).status_code == 401


def test_user_not_linked_to_an_agent_is_forbidden(as_supervisor):
    response = as_supervisor.get("/api/v1/me")
    assert response.status_code == 403
    assert response.get_json()["error"] == "this account is not linked to an agent"


def test_session_writes_need_the_csrf_header(app, client, seed, db):
    app.config["WTF_CSRF_ENABLED"] = True
    from .helpers import login
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert login(client, "agent1001", csrf_token=token).status_code == 302
    refused = client.post("/api/v1/me/state", json={"action": "ready"})
    assert refused.status_code == 400 and "X-CSRFToken" in refused.get_json()["error"]
    desktop = client.get("/desktop/").get_data(as_text=True)
    token = desktop.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/api/v1/me/state", json={"action": "ready"}, headers={"X-CSRFToken": token}).status_code == 202
    # Basic-auth clients have no session to forge, hence no token
    assert client.__class__(app).post("/api/v1/me/state", json={"action": "ready"},
                                      headers=basic("agent1001")).status_code == 202


# --- /me ----------------------------------------------------------------------------------------------------

def test_me_shows_state_with_labels_and_time(as_agent, seed, db):
    set_state(db, seed.agent_id, AgentState.NOT_READY, NotReadyReason.MEAL)
    data = as_agent.get("/api/v1/me").get_json()
    assert data["state"] == "not_ready" and data["state_label"] == "示忙"
    assert data["reason"] == "meal" and data["reason_label"] == "用餐"
    assert data["agent"] == {"id": seed.agent_id, "employee_no": "1001", "name": "张三", "extension": "8001",
                             "group": "纳税服务一组"}
    assert data["call"] is None and 0 <= data["seconds_in_state"] < 5


def test_me_shows_the_current_call_and_who_transferred_it(as_agent, seed, db, other_agent):
    now = dt.datetime.now(UTC)
    uuid = "call-1"
    # agent 1002 answered first, then transferred to 1001 with a note
    db.add(CallOffer(call_uuid=uuid, agent_id=other_agent, queue_code="tax", offered_at=now - dt.timedelta(seconds=90),
                     settled_at=now - dt.timedelta(seconds=85), result="answered", strategy="longest_idle"))
    db.add(AgentRequest(agent_id=other_agent, action="transfer", argument="agent:1001", note="纳税人问退税进度",
                        actor="agent1002", requested_at=now - dt.timedelta(seconds=30), result="ok"))
    db.add(CallOffer(call_uuid=uuid, agent_id=seed.agent_id, queue_code="tax", offered_at=now - dt.timedelta(seconds=20),
                     settled_at=now - dt.timedelta(seconds=15), result="answered", strategy="direct"))
    db.add(Recording(path="/rec/call-1.wav", call_uuid=uuid, ani="13912345678", dnis="12366", extension="8002",
                     started_at=now - dt.timedelta(seconds=85), queue_code="tax"))
    agent = db.get(Agent, seed.agent_id)
    agent.state, agent.current_call_uuid = AgentState.TALKING, uuid
    db.commit()
    call = as_agent.get("/api/v1/me").get_json()["call"]
    assert call["uuid"] == uuid and call["caller"] == "13912345678" and call["dnis"] == "12366"
    assert call["queue"] == "tax" and call["queue_name"] == "纳税咨询" and call["direction"] == "inbound"
    assert call["transferred_from"]["employee_no"] == "1002"
    assert call["transferred_from"]["note"] == "纳税人问退税进度"
    assert "江苏" in call["region"]


def test_agent_sees_only_their_own_requests(client, seed, db, other_agent):
    db.add(AgentRequest(agent_id=other_agent, action="ready", actor="agent1002", requested_at=dt.datetime.now(UTC)))
    db.commit()
    other_id = requests_of(db, other_agent)[0].id
    assert client.get(f"/api/v1/requests/{other_id}", headers=basic("agent1001")).status_code == 404
    assert client.get(f"/api/v1/requests/{other_id}", headers=basic("agent1002")).status_code == 200


# --- state requests -----------------------------------------------------------------------------------------

def test_state_request_is_queued_for_the_engine(as_agent, seed, db):
    response = as_agent.post("/api/v1/me/state", json={"action": "not_ready", "reason": "training"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["request"]["status"] == "pending" and body["poll"] == f"/api/v1/requests/{body['request']['id']}"
    [row] = requests_of(db, seed.agent_id)
    assert (row.action, row.reason, row.actor) == ("not_ready", NotReadyReason.TRAINING, "agent1001")
    assert db.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "agent.state_request"


def test_request_shows_the_engines_answer(as_agent, seed, db):
    request_id = as_agent.post("/api/v1/me/state", json={"action": "login"}).get_json()["request"]["id"]
    row = db.get(AgentRequest, request_id)
    row.processed_at, row.result = dt.datetime.now(UTC), "refused: agent 1001 is already logged in"
    db.commit()
    data = as_agent.get(f"/api/v1/requests/{request_id}").get_json()
    assert data["status"] == "refused" and data["message"] == "agent 1001 is already logged in"
    assert as_agent.get("/api/v1/requests/9999").status_code == 404


@pytest.mark.parametrize("body,field", [({"action": "dance"}, "action"), ({}, "action"),
                                        ({"action": "not_ready"}, "reason"),
                                        ({"action": "not_ready", "reason": "system"}, "reason"),
                                        ({"action": "ready", "reason": "meal"}, "reason")])
def test_invalid_state_requests_are_explained(as_agent, seed, db, body, field):
    response = as_agent.post("/api/v1/me/state", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert requests_of(db, seed.agent_id) == []


def test_a_body_that_is_not_a_json_object_is_refused(as_agent, seed):
    response = as_agent.post("/api/v1/me/state", data="[1]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]


# --- call actions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("action,body,argument,note", [
    ("hangup", {}, None, ""),
    ("hold", {}, None, ""),
    ("unhold", {}, None, ""),
    ("transfer", {"argument": "queue:tax", "note": "要求退税"}, "queue:tax", "要求退税"),
    ("transfer", {"argument": "agent:1002", "note": "老客户"}, "agent:1002", "老客户"),
    ("transfer", {"argument": "flow:survey"}, "flow:survey", ""),
    ("transfer", {"argument": "number:01088886666"}, "number:01088886666", ""),
    ("dial", {"argument": "13800138000"}, "number:13800138000", ""),
    ("dial", {"argument": "number:12366"}, "number:12366", ""),
])
def test_call_actions_insert_requests(as_agent, seed, db, other_agent, action, body, argument, note):
    response = as_agent.post(f"/api/v1/me/call/{action}", json=body)
    assert response.status_code == 202, response.get_json()
    [row] = requests_of(db, seed.agent_id)
    assert (row.action, row.argument, row.note, row.actor) == (action, argument, note, "agent1001")
    assert db.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == f"agent.call.{action}"


@pytest.mark.parametrize("action,body,field", [
    ("transfer", {}, "argument"),
    ("transfer", {"argument": "somewhere"}, "argument"),
    ("transfer", {"argument": "queue:nope"}, "argument"),
    ("transfer", {"argument": "agent:9999"}, "argument"),
    ("transfer", {"argument": "agent:1001"}, "argument"),
    ("transfer", {"argument": "number:12a"}, "argument"),
    ("transfer", {"argument": "queue:tax", "note": "x" * 501}, "note"),
    ("dial", {"argument": "+86 138"}, "argument"),
    ("dial", {}, "argument"),
    ("hangup", {"argument": "queue:tax"}, "argument"),
    ("hold", {"note": "hi"}, "note"),
])
def test_invalid_call_actions_are_explained(as_agent, seed, db, other_agent, action, body, field):
    response = as_agent.post(f"/api/v1/me/call/{action}", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert requests_of(db, seed.agent_id) == []


def test_unknown_call_action_is_404_json(as_agent, seed):
    response = as_agent.post("/api/v1/me/call/explode", json={})
    assert response.status_code == 404 and "unknown call action" in response.get_json()["error"]


# --- today --------------------------------------------------------------------------------------------------

def test_today_counts_only_the_agents_own_calls(as_agent, seed, db, other_agent):
    now = dt.datetime.now(UTC)

    def record(uuid, agent_id, talk, direction="inbound"):
        start = now - dt.timedelta(seconds=talk + 30)
        db.add(CallRecord(call_uuid=uuid, ani="1", dnis="12366", agent_id=agent_id, started_at=start,
                          enqueued_at=start, answered_at=start + dt.timedelta(seconds=10),
                          ended_at=start + dt.timedelta(seconds=10 + talk), outcome=CallOutcome.ANSWERED,
                          hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER, direction=direction))
    record("a", seed.agent_id, 60)
    record("b", seed.agent_id, 120)
    record("c", seed.agent_id, 30, "outbound")
    record("d", other_agent, 600)
    db.add(AgentStateChange(agent_id=seed.agent_id, at=now - dt.timedelta(seconds=40), from_state=AgentState.TALKING,
                            to_state=AgentState.WRAP_UP))
    db.add(AgentStateChange(agent_id=seed.agent_id, at=now - dt.timedelta(seconds=10), from_state=AgentState.WRAP_UP,
                            to_state=AgentState.READY))
    db.commit()
    data = as_agent.get("/api/v1/me/calls/today").get_json()
    assert data["answered"] == 2 and data["outbound"] == 1
    assert data["talk_s"] == 210 and data["longest_talk_s"] == 120
    assert data["wrap_up_s"] == 30
    assert data["average_handling_s"] == 80      # (210 + 30) / 3


# --- events -------------------------------------------------------------------------------------------------

def _events(chunks, want: int, timeout: float = 8.0) -> list[tuple[str, dict]]:
    """Read SSE chunks until `want` events have arrived."""
    found, buffer, deadline = [], "", time.monotonic() + timeout
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if "event" in fields:
                found.append((fields["event"], json.loads(fields["data"])))
        if len(found) >= want or time.monotonic() > deadline:
            break
    return found


def test_event_stream_sends_a_state_change_written_to_the_db(app, as_agent, seed, db):
    app.config.update(CTI_EVENTS_POLL_S=0.1, CTI_EVENTS_LIFETIME_S=6)
    response = as_agent.get("/api/v1/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = response.iter_encoded()
    [(kind, first)] = _events(chunks, 1)
    assert kind == "state" and first["state"] == "ready"
    timer = threading.Timer(0.3, set_state, (db, seed.agent_id, AgentState.NOT_READY, NotReadyReason.BREAK))
    timer.start()
    [(kind, second)] = _events(chunks, 1)
    timer.join()
    assert kind == "state" and second["state"] == "not_ready" and second["reason"] == "break"
    response.close()


def test_event_stream_reports_the_engines_answer_and_ends(app, as_agent, seed, db):
    app.config.update(CTI_EVENTS_POLL_S=0.1, CTI_EVENTS_LIFETIME_S=1.5)
    request_id = as_agent.post("/api/v1/me/state", json={"action": "logout"}).get_json()["request"]["id"]
    response = as_agent.get("/api/v1/events", buffered=False)
    chunks = response.iter_encoded()
    _events(chunks, 1)

    def engine():
        from engine.store import live
        row = db.get(AgentRequest, request_id)
        row.result = "ok"
        live.publish(db, [(live.AGENT, str(row.agent_id))], dt.datetime.now(dt.timezone.utc))
        db.commit()
    threading.Timer(0.3, engine).start()
    rest = _events(chunks, 2)
    assert rest[0][0] == "request" and rest[0][1]["id"] == request_id and rest[0][1]["status"] == "ok"
    assert rest[1][0] == "bye"


# --- directory and OpenAPI ----------------------------------------------------------------------------------

def test_directory_lists_transfer_targets(as_agent, seed, other_agent):
    data = as_agent.get("/api/v1/directory").get_json()
    assert data["queues"] == [{"code": "tax", "name": "纳税咨询"}]
    assert [a["employee_no"] for a in data["agents"]] == ["1002"]       # not the agent themselves
    assert {"code": "meal", "label": "用餐"} in data["reasons"]


def test_openapi_document_lists_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = set(doc["paths"])
    routes = {rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{").replace(">", "}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert routes == documented
    for path, item in doc["paths"].items():
        for operation in item.values():
            assert operation["responses"], path
    refs = json.dumps(doc)
    for name in doc["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in refs


def test_wrap_up_note_is_stored_for_the_current_call_and_replaced_when_rewritten(as_agent, seed, db):
    from engine.store.models import Agent, CallNote
    assert as_agent.post("/api/v1/me/wrapup", json={"disposition": "resolved"}).status_code == 409
    agent = db.get(Agent, seed.agent_id)
    agent.state, agent.current_call_uuid = AgentState.WRAP_UP, "call-42"
    db.commit()
    bad = as_agent.post("/api/v1/me/wrapup", json={"disposition": "dance", "summary": 5})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"disposition", "summary"}
    ok = as_agent.post("/api/v1/me/wrapup", json={"disposition": "follow_up", "summary": "发票作废需开工单"})
    assert ok.status_code == 200 and ok.get_json()["call_uuid"] == "call-42"
    as_agent.post("/api/v1/me/wrapup", json={"disposition": "resolved", "summary": "已解决"})
    (note,) = db.scalars(select(CallNote)).all()
    assert (note.call_uuid, note.agent_id, note.disposition, note.summary) == ("call-42", seed.agent_id, "resolved",
                                                                               "已解决")
    assert "/me/wrapup" in as_agent.get("/api/v1/openapi.json").get_json()["paths"]


def test_a_cross_site_write_is_refused_even_with_basic_credentials_the_browser_remembers(client, seed, db):
    """A page elsewhere can make the browser POST text/plain (no preflight) with remembered Basic credentials."""
    hangup = client.post("/api/v1/me/call/hangup", data="{}", content_type="text/plain", headers=basic("agent1001"))
    assert hangup.status_code == 415 and "application/json" in hangup.get_json()["error"]
    other = client.post("/api/v1/me/state", json={"action": "ready"},
                        headers={**basic("agent1001"), "Origin": "https://evil.example"})
    assert other.status_code == 403 and "cross-site" in other.get_json()["error"]
    same = client.post("/api/v1/me/state", json={"action": "ready"},
                       headers={**basic("agent1001"), "Origin": "http://localhost"})
    assert same.status_code == 202
    assert [r.action for r in requests_of(db, seed.agent_id)] == ["ready"]      # only the same-site one


def test_a_disabled_agent_can_no_longer_use_the_api(client, seed, db):
    db.get(Agent, seed.agent_id).active = False
    db.commit()
    response = client.post("/api/v1/me/call/dial", json={"argument": "number:0085212345678"},
                           headers=basic("agent1001"))
    assert response.status_code == 403 and response.get_json()["error"] == "this agent is disabled"
    assert requests_of(db, seed.agent_id) == []


def test_basic_auth_shares_the_login_throttle(client, seed):
    for _ in range(10):
        assert client.get("/api/v1/me", headers=basic("agent1001", "wrong")).status_code == 401
    assert client.get("/api/v1/me", headers=basic("agent1001")).status_code == 429


def test_a_crm_uses_an_api_token_in_an_agents_name_until_it_is_revoked(client, seed, db):
    from engine.store import accounts
    from engine.store.models import ApiToken
    token_id, token = accounts.create_token(db, seed.agent_id, "CRM", "test")
    db.commit()
    assert db.get(ApiToken, token_id).token_hash != token and token not in db.get(ApiToken, token_id).token_hash
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["agent"]["employee_no"] == "1001"
    ready = client.post("/api/v1/me/state", json={"action": "ready"}, headers={"Authorization": f"Bearer {token}"})
    assert ready.status_code == 202
    assert accounts.revoke_token(db, token_id)
    db.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer cct_forged"}).status_code == 401
