"""Demo data for `make run`: roles, logins, groups, skills, queues, numbers and a dozen ready agents."""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.domain.states import AgentState, Role
from engine.store.base import utcnow
from engine.store.models import (Agent, AgentGroup, AgentSkill, PublishedNumber, Queue, QueueSkill, Skill, User,
                                 UserRole)

logger = logging.getLogger(__name__)

DEMO_LOGIN = ("admin", "admin123")
ROLE_NAMES = {Role.ADMIN: "管理员", Role.SUPERVISOR: "班长", Role.AGENT: "坐席"}
SKILLS = [("tax_policy", "税收政策"), ("etax", "电子税务局与发票"), ("social_fee", "社保费")]
QUEUES = [("tax_policy", "税收政策咨询", "tax_policy"), ("etax", "电子税务局与发票", "etax"),
          ("social_fee", "社保费缴纳", "social_fee")]
NUMBERS = [("12366", "纳税缴费服务热线", "tax_main"), ("12345", "政务服务便民热线", "citizen_main")]
# (extension, name, group index, {skill: level}) — about 20 % hold two skills, one holds all three
AGENTS = [
    ("1001", "王芳", 0, {"tax_policy": 9, "etax": 6}), ("1002", "李娜", 0, {"tax_policy": 7}),
    ("1003", "张伟", 0, {"tax_policy": 6}), ("1004", "刘洋", 0, {"tax_policy": 8}),
    ("1005", "陈静", 0, {"tax_policy": 5, "social_fee": 4}), ("1006", "杨磊", 1, {"etax": 9}),
    ("1007", "赵敏", 1, {"etax": 7}), ("1008", "黄强", 1, {"etax": 6}),
    ("1009", "周婷", 1, {"etax": 5, "tax_policy": 3, "social_fee": 6}), ("1010", "吴刚", 2, {"social_fee": 8}),
    ("1011", "徐丽", 2, {"social_fee": 7}), ("1012", "孙杰", 2, {"social_fee": 6}),
]
GROUPS = [("税政一组", "税收政策咨询"), ("征管二组", "电子税务局与发票"), ("社保三组", "社保费")]


def ensure_roles(session: Session) -> dict[Role, UserRole]:
    """The three console roles exist (needed even without demo data)."""
    roles = {r.code: r for r in session.scalars(select(UserRole))}
    for code, name in ROLE_NAMES.items():
        if code not in roles:
            roles[code] = UserRole(code=code, name=name)
            session.add(roles[code])
    session.flush()
    return roles


def seed_demo(session: Session) -> bool:
    """Insert the demo data unless the database already has agents; returns True when it seeded."""
    roles = ensure_roles(session)
    if session.scalar(select(func.count(Agent.id))):
        return False
    skills = {code: Skill(code=code, name=name) for code, name in SKILLS}
    session.add_all(skills.values())
    groups = [AgentGroup(name=name, description=desc) for name, desc in GROUPS]
    session.add_all(groups)
    for code, name, skill in QUEUES:
        session.add(Queue(code=code, name=name, ring_timeout_s=15, wrap_up_s=5, moh="moh.wav",
                          skills=[QueueSkill(skill=skills[skill], min_level=1)]))
    for number, name, flow in NUMBERS:
        session.add(PublishedNumber(number=number, name=name, flow=flow))
    now = utcnow()
    for ext, name, group, levels in AGENTS:
        agent = Agent(employee_no=f"A{ext}", name=name, extension=ext, group=groups[group], state=AgentState.READY,
                      state_since=now, skills=[AgentSkill(skill=skills[s], level=lv) for s, lv in levels.items()])
        session.add(agent)
        session.flush()
        session.add(User(username=f"a{ext}", password_hash=generate_password_hash(f"a{ext}"), display_name=name,
                         role=roles[Role.AGENT], agent_id=agent.id))
    session.add(User(username=DEMO_LOGIN[0], password_hash=generate_password_hash(DEMO_LOGIN[1]),
                     display_name="系统管理员", role=roles[Role.ADMIN]))
    session.add(User(username="supervisor", password_hash=generate_password_hash("supervisor123"),
                     display_name="值班班长", role=roles[Role.SUPERVISOR]))
    logger.info("demo data seeded: %d agents, %d queues, %d numbers", len(AGENTS), len(QUEUES), len(NUMBERS))
    return True
