"""Agents: live list, state.json, create/edit/delete with validation and audit."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import Agent, AgentSkill, AuditEntry

from .helpers import set_state


def agent_form(seed, **changes) -> dict:
    """A valid create/edit form: 工号 2001, extension 8002, tax group, skill levels tax 6 / etax empty."""
    data = {"employee_no": "2001", "name": "李四", "extension": "8002", "group_id": str(seed.tax_group_id),
            "active": "y",
            "skills-0-skill_id": str(seed.skill_ids["etax"]), "skills-0-level": "",
            "skills-1-skill_id": str(seed.skill_ids["tax"]), "skills-1-level": "6"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def audit_actions(db) -> list[tuple[str, str, str]]:
    db.expire_all()
    return [(a.actor, a.action, a.target) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def agent_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Agent))


def test_list_shows_agent_with_state_group_and_skills(as_supervisor, seed):
    text = as_supervisor.get("/agents/").get_data(as_text=True)
    assert "1001" in text and "张三" in text and "8001" in text
    assert "纳税服务一组" in text
    assert "税收政策 7" in text
    assert 'class="badge state-ready" data-field="state">示闲<' in text
    assert 'data-seconds="7' in text  # ~75 s in state, seeded


def test_state_json_reflects_a_change_made_by_the_engine(as_supervisor, seed, db):
    first = as_supervisor.get("/agents/state.json").get_json()
    assert first["agents"] == [{**first["agents"][0], "id": seed.agent_id, "state": "ready", "state_label": "示闲",
                                "reason": None, "reason_label": ""}]
    assert first["agents"][0]["seconds_in_state"] >= 75

    set_state(db, seed.agent_id, AgentState.NOT_READY, NotReadyReason.MEAL)
    second = as_supervisor.get("/agents/state.json").get_json()["agents"][0]
    assert (second["state"], second["state_label"], second["reason"], second["reason_label"]) == \
        ("not_ready", "示忙", "meal", "用餐")
    assert second["seconds_in_state"] < 60


def test_state_json_labels_follow_the_language(as_supervisor, seed, db):
    set_state(db, seed.agent_id, AgentState.TALKING)
    agent = as_supervisor.get("/agents/state.json?lang=en").get_json()["agents"][0]
    assert agent["state_label"] == "Talking"


def test_create_agent(as_admin, seed, db):
    response = as_admin.post("/agents/new", data=agent_form(seed))
    assert response.status_code == 200           # the agent's login and its one-time password, shown once
    page = response.get_data(as_text=True)
    assert "账号 2001 已创建" in page and 'id="one-time-password"' in page and "坐席 2001 已创建" in page
    agent = db.scalar(select(Agent).where(Agent.employee_no == "2001"))
    assert (agent.name, agent.extension, agent.group_id, agent.active, agent.state) == \
        ("李四", "8002", seed.tax_group_id, True, AgentState.LOGGED_OUT)
    assert [(s.skill_id, s.level) for s in agent.skills] == [(seed.skill_ids["tax"], 6)]
    assert audit_actions(db) == [("admin", "agent.create", "agent:2001"), ("admin", "user.create", "user:2001")]
    from engine.store.models import User
    login_of = db.scalar(select(User).where(User.agent_id == agent.id))
    assert login_of.username == "2001" and login_of.must_change_password and login_of.role.code.value == "agent"


def test_create_form_lists_every_skill(as_admin, seed):
    text = as_admin.get("/agents/new").get_data(as_text=True)
    assert "税收政策 (tax)" in text and "电子税务局 (etax)" in text


def test_duplicate_employee_no_is_refused(as_admin, seed, db):
    response = as_admin.post("/agents/new", data=agent_form(seed, employee_no="1001"))
    assert response.status_code == 200
    assert "该工号已被其他坐席使用" in response.get_data(as_text=True)
    assert agent_count(db) == 1 and audit_actions(db) == []


def test_duplicate_extension_is_refused(as_admin, seed, db):
    response = as_admin.post("/agents/new", data=agent_form(seed, extension="8001"))
    assert "该分机号已被其他坐席使用" in response.get_data(as_text=True)
    assert agent_count(db) == 1


def test_non_numeric_extension_is_refused(as_admin, seed, db):
    response = as_admin.post("/agents/new", data=agent_form(seed, extension="80a1"))
    assert response.status_code == 200
    assert "分机号只能包含数字" in response.get_data(as_text=True)
    assert agent_count(db) == 1


def test_level_out_of_range_is_refused(as_admin, seed, db):
    response = as_admin.post("/agents/new", data=agent_form(seed, **{"skills-1-level": "11"}))
    text = response.get_data(as_text=True)
    assert "等级必须在 1 到 10 之间" in text
    assert 'value="李四"' in text  # the form keeps what was typed
    assert agent_count(db) == 1
    assert db.scalar(select(func.count()).select_from(AgentSkill)) == 1


def test_missing_fields_show_messages_in_english_too(as_admin, seed, db):
    response = as_admin.post("/agents/new?lang=en", data=agent_form(seed, name="", extension="x"))
    text = response.get_data(as_text=True)
    assert "This field is required." in text
    assert "The extension must contain digits only." in text


def test_unknown_skill_id_is_refused(as_admin, seed, db):
    response = as_admin.post("/agents/new", data=agent_form(seed, **{"skills-0-skill_id": "999",
                                                                     "skills-0-level": "3"}))
    assert "未知技能" in response.get_data(as_text=True)
    assert agent_count(db) == 1


def test_supervisor_edits_agent(as_supervisor, seed, db):
    form = agent_form(seed, employee_no="1001", name="张三丰", extension="8009", group_id="0", active=None,
                      **{"skills-1-level": "9", "skills-0-level": "2"})
    assert as_supervisor.post(f"/agents/{seed.agent_id}/edit", data=form).status_code == 302
    db.expire_all()
    agent = db.get(Agent, seed.agent_id)
    assert (agent.name, agent.extension, agent.group_id, agent.active) == ("张三丰", "8009", None, False)
    assert sorted((s.skill_id, s.level) for s in agent.skills) == \
        sorted([(seed.skill_ids["tax"], 9), (seed.skill_ids["etax"], 2)])
    entries = db.scalars(select(AuditEntry)).all()
    assert [(e.actor, e.action, e.target) for e in entries] == [("super", "agent.update", "agent:1001")]
    assert "name: 张三 → 张三丰" in entries[0].detail
    assert "extension: 8001 → 8009" in entries[0].detail


def test_edit_keeping_own_employee_no_and_extension_is_fine(as_admin, seed, db):
    form = agent_form(seed, employee_no="1001", extension="8001", **{"skills-1-level": ""})
    assert as_admin.post(f"/agents/{seed.agent_id}/edit", data=form).status_code == 302
    db.expire_all()
    assert db.get(Agent, seed.agent_id).skills == []


def test_edit_form_is_prefilled(as_admin, seed):
    text = as_admin.get(f"/agents/{seed.agent_id}/edit").get_data(as_text=True)
    assert 'value="1001"' in text and 'value="8001"' in text and 'value="7"' in text


def test_delete_agent_writes_audit(as_admin, seed, db):
    assert as_admin.post(f"/agents/{seed.agent_id}/delete").status_code == 302
    db.expire_all()
    assert agent_count(db) == 0
    assert audit_actions(db) == [("admin", "agent.delete", "agent:1001")]


def test_unknown_agent_is_404(as_admin, seed):
    for response in (as_admin.get("/agents/999/edit"), as_admin.post("/agents/999/edit", data={}),
                     as_admin.post("/agents/999/delete")):
        assert response.status_code == 404
        assert "页面或记录不存在" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(app, seed, db):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "admin", "password": "whatever"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_a_supervisor_forces_a_state_change_which_is_queued_for_the_engine_and_audited(as_supervisor, db, seed):
    from sqlalchemy import select

    from engine.store.models import AgentRequest, AuditEntry
    response = as_supervisor.post(f"/agents/{seed.agent_id}/state", data={"command": "not_ready:meeting"})
    assert response.status_code == 302
    req = db.scalars(select(AgentRequest)).one()
    assert (req.agent_id, req.action, req.reason.value, req.actor, req.processed_at) == (
        seed.agent_id, "not_ready", "meeting", "super", None)
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "agent.state_request")).one()
    assert audit.actor == "super" and audit.detail == "not_ready:meeting"
    # the engine's answer shows on the live page's JSON
    req.result = "refused: agent 1001: cannot not_ready while talking"
    db.commit()
    data = as_supervisor.get("/agents/state.json").get_json()
    row = next(a for a in data["agents"] if a["id"] == seed.agent_id)
    assert row["request"]["result"].startswith("refused:") and row["request"]["actor"] == "super"
    assert as_supervisor.post(f"/agents/{seed.agent_id}/state", data={"command": "dance"}).status_code == 302
    assert db.scalars(select(AgentRequest)).all().__len__() == 1


def test_an_agent_changes_only_their_own_state(as_agent, db, seed):
    from sqlalchemy import select

    from engine.store.models import AgentRequest
    page = as_agent.get("/me").get_data(as_text=True)
    assert "示闲" in page and "签出" in page
    assert as_agent.post("/me/state", data={"command": "ready"}).status_code == 302
    assert db.scalars(select(AgentRequest)).one().actor == "agent1001"
    assert as_agent.post(f"/agents/{seed.agent_id}/state", data={"command": "ready"}).status_code == 403
