"""Reads for the groups pages."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.models import Agent, AgentGroup


def groups_with_counts(session: Session) -> list[tuple[AgentGroup, int]]:
    """Every group by name with how many agents it has."""
    stmt = (select(AgentGroup, func.count(Agent.id)).outerjoin(Agent, Agent.group_id == AgentGroup.id)
            .group_by(AgentGroup.id).order_by(AgentGroup.name))
    return [(group, count) for group, count in session.execute(stmt)]


def agent_count(session: Session, group_id: int) -> int:
    """How many agents belong to the group."""
    return session.scalar(select(func.count()).select_from(Agent).where(Agent.group_id == group_id)) or 0


def name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    """Whether another group already has this name."""
    return any(i != except_id for i in session.scalars(select(AgentGroup.id).where(AgentGroup.name == name)))
