"""Skill writes, each audited in the same transaction (the view commits). A skill in use is never deleted: the
agents' levels and the queues' requirements would vanish with it (their rows cascade), and the overflow steps and
routing rules that name its code would point at nothing."""
from __future__ import annotations

from sqlalchemy.orm import Session

from admin_web import audit
from admin_web.skills.queries import SkillUse
from engine.store.models import Skill


class SkillInUse(Exception):
    """The skill is referred to (SkillUse says by what)."""

    def __init__(self, use: SkillUse):
        super().__init__(use.skill.code)
        self.use = use


def create_skill(session: Session, code: str, name: str) -> Skill:
    skill = Skill(code=code, name=name)
    session.add(skill)
    session.flush()
    audit.record(session, "skill.create", f"skill:{code}", f"name={name}")
    return skill


def rename_skill(session: Session, skill: Skill, name: str) -> None:
    before = skill.name
    skill.name = name
    audit.record(session, "skill.update", f"skill:{skill.code}", f"name: {before} → {name}")


def delete_skill(session: Session, use: SkillUse) -> None:
    """Delete a skill nothing refers to; raise SkillInUse otherwise."""
    if use.in_use:
        raise SkillInUse(use)
    skill = use.skill
    audit.record(session, "skill.delete", f"skill:{skill.code}", f"name={skill.name}")
    session.delete(skill)
    session.flush()
