"""Group writes with their audit entries (the view commits)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from admin_web import audit
from admin_web.groups import queries
from engine.store.models import AgentGroup


class GroupNotEmpty(Exception):
    """A group still has agents; it is not deleted (move or delete its agents first)."""

    def __init__(self, count: int):
        super().__init__(f"group has {count} agents")
        self.count = count


def create_group(session: Session, name: str, description: str, hall_id: int | None = None) -> AgentGroup:
    """Add a group (of a hall; None: the centre's)."""
    group = AgentGroup(name=name, description=description or "", hall_id=hall_id)
    session.add(group)
    session.flush()
    audit.record(session, "group.create", f"group:{group.name}", f"description={group.description}")
    return group


def update_group(session: Session, group: AgentGroup, name: str, description: str,
                 hall_id: int | None | object = ...) -> None:
    """Rename, re-describe or move a group (`hall_id` left out: it stays in its hall)."""
    before = (group.name, group.description, group.hall_id)
    group.name, group.description = name, description or ""
    if hall_id is not ...:
        group.hall_id = hall_id
    session.flush()
    audit.record(session, "group.update", f"group:{group.name}",
                 f"name: {before[0]} → {group.name}; description: {before[1]} → {group.description}"
                 + (f"; hall: {before[2]} → {group.hall_id}" if before[2] != group.hall_id else ""))


def delete_group(session: Session, group: AgentGroup) -> None:
    """Delete an empty group; raise GroupNotEmpty if agents are still in it."""
    count = queries.agent_count(session, group.id)
    if count:
        raise GroupNotEmpty(count)
    audit.record(session, "group.delete", f"group:{group.name}", f"description={group.description}")
    session.delete(group)
    session.flush()
