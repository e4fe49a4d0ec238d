"""The skills editor (技能): create, rename, delete one nobody uses; a skill in use is refused, saying by whom; new
skills are offered on the agents' and queues' forms; hall staff read, only the centre's administrators change."""
import json

from sqlalchemy import select

from engine.store.models import Agent, AgentSkill, AuditEntry, Queue, QueueSkill, RoutingRule, Skill, User

from .test_scope import as_user, two_halls  # noqa: F401  (fixture)


def skill(db, code):
    db.expire_all()
    return db.scalar(select(Skill).where(Skill.code == code))


def test_the_list_shows_each_skill_and_who_uses_it(as_admin, db, seed):
    db.add(Queue(code="tax_policy", name="税收政策咨询", skills=[QueueSkill(skill_id=seed.skill_ids["tax"])]))
    db.commit()
    page = as_admin.get("/skills/").get_data(as_text=True)
    assert "技能" in page and "税收政策" in page and "电子税务局" in page
    row = page[page.index('data-skill="tax"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="num">1</td>' in row and "税收政策咨询" in row
    assert 'href="/skills/"' in as_admin.get("/").get_data(as_text=True)          # in the navigation
    assert "Required by queues" in as_admin.get("/skills/?lang=en").get_data(as_text=True)


def test_a_new_skill_is_offered_to_agents_and_queues(as_admin, db, seed):
    answer = as_admin.post("/skills/new", data={"code": "social_fee", "name": "社保费"}, follow_redirects=True)
    assert "技能“社保费”（social_fee）已创建" in answer.get_data(as_text=True)
    created = skill(db, "social_fee")
    assert created.name == "社保费"
    assert "社保费" in as_admin.get("/agents/new").get_data(as_text=True)
    assert "社保费" in as_admin.get("/queues/new").get_data(as_text=True)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "skill.create"))
    assert (entry.actor, entry.target) == ("admin", "skill:social_fee")


def test_codes_are_checked(as_admin, db, seed):
    page = as_admin.post("/skills/new", data={"code": "Tax Policy", "name": "X"}).get_data(as_text=True)
    assert "只能使用小写字母、数字和“_”。" in page
    assert skill(db, "Tax Policy") is None
    page = as_admin.post("/skills/new", data={"code": "tax", "name": "另一个"}).get_data(as_text=True)
    assert "已有技能使用此代码。" in page
    page = as_admin.post("/skills/new", data={"code": "tax2", "name": "税收政策"}).get_data(as_text=True)
    assert "已有技能使用此名称。" in page and skill(db, "tax2") is None


def test_renaming_keeps_the_code_and_every_reference(as_admin, db, seed):
    answer = as_admin.post(f"/skills/{seed.skill_ids['tax']}/edit", data={"name": "税收政策（新）", "code": "hacked"},
                           follow_redirects=True)
    assert "技能 tax 已改名为“税收政策（新）”。" in answer.get_data(as_text=True)
    renamed = skill(db, "tax")
    assert renamed.name == "税收政策（新）" and skill(db, "hacked") is None
    levels = db.scalars(select(AgentSkill).where(AgentSkill.agent_id == seed.agent_id)).all()
    assert [(s.skill_id, s.level) for s in levels] == [(seed.skill_ids["tax"], 7)]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "skill.update"))
    assert entry.detail == "name: 税收政策 → 税收政策（新）"


def test_a_skill_in_use_is_not_deleted_and_the_page_says_by_whom(as_admin, db, seed):
    answer = as_admin.post(f"/skills/{seed.skill_ids['tax']}/delete", follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "技能“税收政策”（tax）正在使用，不能删除：1 名坐席具有该技能。请先在这些地方去掉该技能。" in text
    assert skill(db, "tax") is not None
    db.add(Queue(code="etax_q", name="电子税务局咨询", skills=[QueueSkill(skill_id=seed.skill_ids["etax"])]))
    db.add(Queue(code="other", name="综合咨询",
                 overflow_rules=json.dumps([{"after_s": 30, "action": "widen", "skills": {"etax": 1}}])))
    db.add(RoutingRule(name="VIP 电子税务", match={}, action={"skills": {"etax": 3}}, position=1))
    db.commit()
    text = as_admin.post(f"/skills/{seed.skill_ids['etax']}/delete", follow_redirects=True).get_data(as_text=True)
    assert ("队列 电子税务局咨询 要求该技能；队列 综合咨询 的溢出步骤扩展到该技能；路由规则 VIP 电子税务 要求该技能"
            in text)
    assert skill(db, "etax") is not None


def test_a_skill_nobody_uses_is_deleted(as_admin, db, seed):
    as_admin.post("/skills/new", data={"code": "spare", "name": "备用"})
    spare = skill(db, "spare")
    answer = as_admin.post(f"/skills/{spare.id}/delete", follow_redirects=True)
    assert "技能“备用”（spare）已删除。" in answer.get_data(as_text=True)
    assert skill(db, "spare") is None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "skill.delete")).target == "skill:spare"


def test_supervisors_read_agents_do_not_and_only_admins_change(as_supervisor, db, seed):
    page = as_supervisor.get("/skills/").get_data(as_text=True)
    assert "税收政策" in page and 'href="/skills/new"' not in page
    assert as_supervisor.post("/skills/new", data={"code": "x", "name": "X"}).status_code == 403
    assert as_supervisor.post(f"/skills/{seed.skill_ids['etax']}/delete").status_code == 403
    assert skill(db, "x") is None and skill(db, "etax") is not None


def test_agents_may_not_open_it(as_agent):
    assert as_agent.get("/skills/").status_code == 403


def test_a_halls_administrator_reads_the_centres_skills_but_does_not_change_them(app, db, two_halls):  # noqa: F811
    from admin_web.auth.services import create_user
    from engine.domain.states import Role
    from tests.web.helpers import PASSWORD
    create_user(db, "sz-admin", PASSWORD, Role.ADMIN)
    db.scalar(select(User).where(User.username == "sz-admin")).hall_id = two_halls["ft"]
    gz_agent = db.get(Agent, two_halls["gz_agent"])
    gz_agent.skills.append(AgentSkill(skill_id=db.scalar(select(Skill.id).where(Skill.code == "etax")), level=3))
    db.commit()
    client = as_user(app, "sz-admin")
    page = client.get("/skills/").get_data(as_text=True)
    row = page[page.index('data-skill="etax"'):]
    assert '<td class="num">0</td>' in row[:row.index("</tr>")]       # 广州市's agent is not theirs to see
    assert client.post("/skills/new", data={"code": "sz_only", "name": "深圳"}).status_code == 403
    assert skill(db, "sz_only") is None
