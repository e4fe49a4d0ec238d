"""Agent groups: create, edit, delete (refused while agents remain), audit."""
from __future__ import annotations

from sqlalchemy import select

from engine.store.models import Agent, AgentGroup, AuditEntry


def groups(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AgentGroup.name).order_by(AgentGroup.name)))


def test_list(as_admin, seed):
    text = as_admin.get("/groups/").get_data(as_text=True)
    assert "纳税服务一组" in text and "12366 tax" in text


def test_create_edit_delete_with_audit(as_admin, seed, db):
    assert as_admin.post("/groups/new", data={"name": " 社保费组 ", "description": "social"}).status_code == 302
    group_id = db.scalar(select(AgentGroup.id).where(AgentGroup.name == "社保费组"))
    assert group_id is not None

    assert as_admin.post(f"/groups/{group_id}/edit", data={"name": "社保费二组", "description": ""}).status_code == 302
    assert "社保费二组" in groups(db)

    response = as_admin.post(f"/groups/{group_id}/delete", follow_redirects=True)
    assert "班组 社保费二组 已删除" in response.get_data(as_text=True)
    assert groups(db) == ["纳税服务一组"]
    actions = [(e.actor, e.action, e.target) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [("admin", "group.create", "group:社保费组"), ("admin", "group.update", "group:社保费二组"),
                       ("admin", "group.delete", "group:社保费二组")]


def test_duplicate_name_is_refused(as_admin, seed, db):
    response = as_admin.post("/groups/new", data={"name": "纳税服务一组"})
    assert response.status_code == 200
    assert "已有同名班组" in response.get_data(as_text=True)
    assert groups(db) == ["纳税服务一组"]


def test_empty_name_is_refused(as_admin, seed, db):
    response = as_admin.post("/groups/new", data={"name": "  "})
    assert "该字段是必填字段" in response.get_data(as_text=True)
    assert groups(db) == ["纳税服务一组"]


def test_deleting_a_group_with_agents_is_refused(as_admin, seed, db):
    response = as_admin.post(f"/groups/{seed.tax_group_id}/delete", follow_redirects=True)
    assert "仍有 1 名坐席" in response.get_data(as_text=True)
    assert groups(db) == ["纳税服务一组"]
    assert db.get(Agent, seed.agent_id).group_id == seed.tax_group_id
    assert db.scalars(select(AuditEntry)).all() == []


def test_unknown_group_is_404(as_admin, seed):
    assert as_admin.get("/groups/404/edit").status_code == 404
    assert as_admin.post("/groups/404/delete").status_code == 404
