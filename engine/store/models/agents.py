"""Agents (坐席), their groups and their skills with proficiency levels."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.domain.states import AgentState, NotReadyReason
from engine.store.base import Base, created_at, intpk, str_enum, utcnow
from engine.store.sealed import Sealed


class AgentGroup(Base):
    """A team of agents (班组) led by a supervisor."""

    __tablename__ = "agent_groups"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    # the hall whose team it is; None: the centre's, which a hall's own staff see but do not change (admin_web.scope)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]

    agents: Mapped[list["Agent"]] = relationship(back_populates="group")


class Skill(Base):
    """A business skill a queue may require (e.g. tax policy, e-tax system, social-security fees)."""

    __tablename__ = "skills"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class Agent(Base):
    """An agent: 工号, name, SIP extension, group, and the live state the engine maintains."""

    __tablename__ = "agents"
    id: Mapped[intpk]
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(32), unique=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_groups.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")   # order for top-down / round robin
    state: Mapped[AgentState] = mapped_column(str_enum(AgentState, "agent_state"), default=AgentState.LOGGED_OUT)
    not_ready_reason: Mapped[NotReadyReason | None] = mapped_column(str_enum(NotReadyReason, "not_ready_reason"))
    state_since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    current_call_uuid: Mapped[str | None] = mapped_column(String(64))
    sip_a1_hash: Mapped[str | None] = mapped_column(Sealed(32, searchable=False))   # md5(extension:domain:password), never the password
    remote_number: Mapped[str | None] = mapped_column(Sealed(32))  # remote/mobile agent: rung at this outside number
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]

    group: Mapped[AgentGroup | None] = relationship(back_populates="agents")
    skills: Mapped[list["AgentSkill"]] = relationship(back_populates="agent", cascade="all, delete-orphan")


class AgentSkill(Base):
    """An agent's proficiency (1 lowest – 10 highest) in one skill."""

    __tablename__ = "agent_skills"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(default=5)

    agent: Mapped[Agent] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship(lazy="joined")
