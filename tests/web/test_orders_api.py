"""Work orders and follow-ups on the CTI API (issue 15 item 7, R-NF-4): an agent's token registers an order, lists
and reads it with its timeline; the steps an agent may not take are refused with a typed code; a hall's token sees
its hall's subtree only; a follow-up result is recorded and an unsatisfied one reopens the order."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from admin_web.cti.orders import REFUSALS
from engine.domain.followup import RequestType
from engine.domain.workorder import OrderState
from engine.store import accounts
from engine.store.models import Department, FollowUp, WorkOrder, WorkOrderPart
from engine.store.numbers import save_hall

UTC = dt.timezone.utc


def bearer(token: str, agent: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token}", **({"X-Agent": agent} if agent else {})}


@pytest.fixture
def halls(db, seed):
    sz = save_hall(db, "GD-440300", "深圳市", "city", "440300")
    gz = save_hall(db, "GD-440100", "广州市", "city", "440100")
    from engine.store.models import Agent, User
    db.get(Agent, seed.agent_id).hall_id = sz.id
    db.scalar(select(User).where(User.username == "agent1001")).hall_id = sz.id   # its console scope: 深圳市
    now = dt.datetime.now(UTC)
    db.add(WorkOrder(number="202601010009", hall_id=gz.id, request_type=RequestType.COMPLAINT, title="广州工单",
                     content="x", citizen_phone="13922220002", state=OrderState.REGISTERED, created_at=now,
                     updated_at=now))
    db.commit()
    return {"sz": sz.id, "gz": gz.id}


@pytest.fixture
def token(db, seed, halls):
    _, value = accounts.create_token(db, seed.agent_id, "CRM", "test")
    db.commit()
    return value


NEW = {"request_type": "consultation", "title": "个税专项附加扣除", "content": "如何填报", "citizen_phone": "13800138000"}


def test_an_agents_token_registers_lists_and_reads_an_order(client, db, token):
    created = client.post("/api/v1/orders", json=NEW, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "registered" and body["agent"] == "1001" and body["hall"] == "GD-440300"
    assert [s["action"] for s in body["timeline"]] == ["register"]
    assert created.headers["Location"].endswith(f"/api/v1/orders/{body['number']}")
    listed = client.get("/api/v1/orders?phone=13800138000", headers=bearer(token)).get_json()
    assert [o["number"] for o in listed["orders"]] == [body["number"]] and listed["total"] == 1
    everything = client.get("/api/v1/orders", headers=bearer(token)).get_json()
    assert "广州工单" not in str(everything)            # the agent's scope: 深圳市
    assert client.get("/api/v1/orders/202601010009", headers=bearer(token)).get_json()["code"] == "no_such_order"
    detail = client.get(f"/api/v1/orders/{body['number']}", headers=bearer(token)).get_json()
    assert detail["content"] == "如何填报" and {"action": "correct", "department_id": None} in detail["steps_allowed"]
    assert client.get("/api/v1/orders?state=registered&request_type=consultation&since=2026-01-01&limit=1",
                      headers=bearer(token)).get_json()["limit"] == 1


def test_invalid_registrations_and_filters_name_the_field(client, token):
    bad = client.post("/api/v1/orders", json={"request_type": "gossip", "title": "", "hard": "yes", "extra": 1},
                      headers=bearer(token))
    assert bad.status_code == 400
    data = bad.get_json()
    assert data["code"] == "invalid_fields"
    assert {"request_type", "title", "content", "hard", "extra"} <= set(data["fields"])
    assert client.post("/api/v1/orders", data="[]", content_type="application/json",
                       headers=bearer(token)).get_json()["code"] == "not_json"
    filters = client.get("/api/v1/orders?state=lost&since=yesterday&limit=900", headers=bearer(token))
    assert filters.status_code == 400 and set(filters.get_json()["fields"]) == {"state", "since", "limit"}


def test_steps_an_agent_may_not_take_are_refused_with_a_code(client, db, token):
    number = client.post("/api/v1/orders", json=NEW, headers=bearer(token)).get_json()["number"]
    refused = client.post(f"/api/v1/orders/{number}/steps", json={"action": "pass_review"}, headers=bearer(token))
    assert refused.status_code == 403 and refused.get_json()["code"] == "role_may_not"
    assert refused.get_json()["allowed"] == ["correct"]
    ok = client.post(f"/api/v1/orders/{number}/steps", json={"action": "correct", "note": "电话号码已改正"},
                     headers=bearer(token))
    assert ok.status_code == 200 and [s["action"] for s in ok.get_json()["timeline"]] == ["register", "correct"]
    unknown = client.post(f"/api/v1/orders/{number}/steps", json={"action": "fly"}, headers=bearer(token))
    assert unknown.status_code == 400 and "action" in unknown.get_json()["fields"]
    assert client.post("/api/v1/orders/nope/steps", json={"action": "correct"},
                       headers=bearer(token)).status_code == 404


def test_a_supervisor_on_basic_dispatches_and_a_wrong_state_is_409(client, db, seed, token, halls):
    import base64
    from admin_web.auth.services import create_user
    from engine.domain.states import Role
    from engine.store.models import Agent, User
    from tests.web.helpers import PASSWORD
    agent = Agent(employee_no="1009", name="班长坐席", extension="8009", hall_id=halls["sz"])
    db.add(agent)
    db.flush()
    create_user(db, "boss-agent", PASSWORD, Role.SUPERVISOR, agent_id=agent.id)
    db.scalar(select(User).where(User.username == "boss-agent")).hall_id = halls["sz"]
    department = Department(hall_id=halls["sz"], name="深圳税政科")
    db.add(department)
    db.commit()
    basic = {"Authorization": "Basic " + base64.b64encode(f"boss-agent:{PASSWORD}".encode()).decode()}
    number = client.post("/api/v1/orders", json=NEW, headers=bearer(token)).get_json()["number"]
    early = client.post(f"/api/v1/orders/{number}/steps", json={"action": "dispatch", "department_id": department.id},
                        headers=basic)
    assert early.status_code == 409 and early.get_json()["code"] == "step_not_possible"
    assert client.post(f"/api/v1/orders/{number}/steps", json={"action": "pass_review"}, headers=basic).status_code == 200
    missing = client.post(f"/api/v1/orders/{number}/steps", json={"action": "dispatch"}, headers=basic)
    assert missing.status_code == 400 and "department_id" in missing.get_json()["fields"]
    done = client.post(f"/api/v1/orders/{number}/steps", json={"action": "dispatch", "department_id": department.id},
                       headers=basic).get_json()
    assert done["state"] == "dispatched" and done["parts"][0]["department"] == "深圳税政科"


def test_a_halls_token_sees_its_subtree_only(client, db, seed, halls):
    _, sz_token = accounts.create_token(db, name="深圳 CRM", created_by="test", hall_id=halls["sz"])
    _, gz_token = accounts.create_token(db, name="广州 CRM", created_by="test", hall_id=halls["gz"])
    from engine.store.models import Agent
    from engine.domain.states import AgentState
    db.add(Agent(employee_no="3001", name="广州坐席", extension="8301", state=AgentState.READY, hall_id=halls["gz"]))
    db.commit()
    mine = client.get("/api/v1/orders", headers=bearer(sz_token, "1001")).get_json()
    assert mine["total"] == 0
    theirs = client.get("/api/v1/orders", headers=bearer(gz_token, "3001")).get_json()
    assert [o["number"] for o in theirs["orders"]] == ["202601010009"]
    assert client.get("/api/v1/orders/202601010009", headers=bearer(sz_token, "1001")).status_code == 404


def test_a_follow_up_is_listed_and_recorded_and_unsatisfied_reopens(client, db, token, halls):
    number = client.post("/api/v1/orders", json=NEW, headers=bearer(token)).get_json()["number"]
    order = db.scalar(select(WorkOrder).where(WorkOrder.number == number))
    department = Department(hall_id=halls["sz"], name="深圳征管科")
    db.add(department)
    db.flush()
    order.state, order.closed_at = OrderState.CLOSED, dt.datetime.now(UTC)
    db.add(WorkOrderPart(order_id=order.id, department_id=department.id, dispatched_at=dt.datetime.now(UTC),
                         state="replied", reply="已答复"))
    follow_up = FollowUp(order_id=order.id, hall_id=halls["sz"])
    db.add(follow_up)
    db.commit()
    pending = client.get("/api/v1/follow-ups", headers=bearer(token)).get_json()
    assert [f["id"] for f in pending["follow_ups"]] == [follow_up.id]
    bad = client.post(f"/api/v1/follow-ups/{follow_up.id}", json={"rating": "meh"}, headers=bearer(token))
    assert bad.status_code == 400 and "rating" in bad.get_json()["fields"]
    done = client.post(f"/api/v1/follow-ups/{follow_up.id}", json={"rating": "unsatisfied", "note": "没解决"},
                       headers=bearer(token))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["reopened"] is True and done.get_json()["order_state"] == "dispatched"
    again = client.post(f"/api/v1/follow-ups/{follow_up.id}", json={"rating": "satisfied"}, headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["code"] == "follow_up_closed"
    assert client.get("/api/v1/follow-ups", headers=bearer(token)).get_json()["total"] == 0


def test_refusal_codes_are_registered_once_and_documented(client):
    from admin_web.cti.orders import refusal
    with pytest.raises(ValueError):
        refusal("not_json", 400, "again")
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["schemas"]["OrderRefusal"]["properties"]["code"]["enum"] == sorted(REFUSALS)
