"""Where a skill is used: the agents who have it and the queues that require it (by id), the queues' overflow steps
that widen to it and the routing rules that ask for it (by code, in their JSON). Read through the request's scope
(admin_web.scope): a hall's staff see their halls' agents and queues; the administrators who may delete a skill see
every hall, so a skill used by any hall's agent or queue is in use to them."""
from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_web.queues.vocab import load_rules
from engine.store.models import Agent, AgentSkill, Queue, QueueSkill, RoutingRule, Skill


@dataclasses.dataclass(frozen=True)
class SkillUse:
    """One skill and what refers to it."""

    skill: Skill
    agents: int = 0
    queues: tuple[str, ...] = ()            # names of the queues requiring it
    overflow: tuple[str, ...] = ()          # names of the queues whose overflow steps widen to it
    rules: tuple[str, ...] = ()             # names of the routing rules asking for it

    @property
    def in_use(self) -> bool:
        return bool(self.agents or self.queues or self.overflow or self.rules)


def all_skills(session: Session) -> list[Skill]:
    return list(session.scalars(select(Skill).order_by(Skill.code)))


def code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(Skill.id).where(func.lower(Skill.code) == code.lower())) is not None


def name_taken(session: Session, name: str, skill_id: int | None = None) -> bool:
    stmt = select(Skill.id).where(Skill.name == name)
    if skill_id is not None:
        stmt = stmt.where(Skill.id != skill_id)
    return session.scalar(stmt) is not None


def _widened(raw: str | None) -> set[str]:
    return {code for rule in load_rules(raw) or () if rule.get("action") == "widen"
            and isinstance(rule.get("skills"), dict) for code in rule["skills"]}


def uses(session: Session, skills: list[Skill]) -> list[SkillUse]:
    """Each skill with its users, in four queries whatever the number of skills."""
    agents = dict(session.execute(select(AgentSkill.skill_id, func.count()).join(Agent)
                                  .group_by(AgentSkill.skill_id)).all())
    queues: dict[int, list[str]] = {}
    for skill_id, name in session.execute(select(QueueSkill.skill_id, Queue.name).join(Queue)
                                          .order_by(Queue.name)):
        queues.setdefault(skill_id, []).append(name)
    overflow: dict[str, list[str]] = {}
    for name, raw in session.execute(select(Queue.name, Queue.overflow_rules).order_by(Queue.name)):
        for code in _widened(raw):
            overflow.setdefault(code, []).append(name)
    rules: dict[str, list[str]] = {}
    for name, action in session.execute(select(RoutingRule.name, RoutingRule.action).order_by(RoutingRule.position)):
        wanted = (action or {}).get("skills") if isinstance(action, dict) else None
        for code in wanted if isinstance(wanted, dict) else ():
            rules.setdefault(code, []).append(name)
    return [SkillUse(s, agents.get(s.id, 0), tuple(queues.get(s.id, ())), tuple(overflow.get(s.code, ())),
                     tuple(rules.get(s.code, ()))) for s in skills]
