"""Agent writes: create, edit, delete; each adds an audit entry in the same transaction (the view commits)."""
from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from admin_web import audit
from engine.domain.privacy import masked
from engine.domain.states import NotReadyReason
from engine.store.base import utcnow
from engine.store.models import Agent, AgentGroup, AgentRequest, AgentSkill


@dataclasses.dataclass(frozen=True)
class AgentData:
    """What the form says an agent should be."""

    employee_no: str
    name: str
    extension: str
    group_id: int | None
    active: bool
    skill_levels: dict[int, int]
    remote_number: str | None = None
    hall_id: int | None = None          # the service hall the agent works for


def _describe(agent: Agent) -> dict[str, str]:
    """The audited fields of an agent, as text."""
    group = agent.group.name if agent.group else ""
    skills = ",".join(f"{s.skill.code}:{s.level}" for s in sorted(agent.skills, key=lambda s: s.skill.code))
    return {"employee_no": agent.employee_no, "name": agent.name, "extension": agent.extension,
            "group": group, "active": str(agent.active), "skills": skills, "remote": masked(agent.remote_number),
            "hall": str(agent.hall_id or "")}


def _apply(session: Session, agent: Agent, data: AgentData) -> None:
    """Copy the form's values onto the agent; skill rows are updated in place, added or removed."""
    agent.employee_no, agent.name, agent.extension = data.employee_no, data.name, data.extension
    agent.group = session.get(AgentGroup, data.group_id) if data.group_id else None
    agent.active = data.active
    agent.remote_number = data.remote_number or None
    agent.hall_id = data.hall_id
    current = {s.skill_id: s for s in agent.skills}
    for skill_id, row in current.items():
        if skill_id not in data.skill_levels:
            agent.skills.remove(row)
    for skill_id, level in data.skill_levels.items():
        if skill_id in current:
            current[skill_id].level = level
        else:
            agent.skills.append(AgentSkill(skill_id=skill_id, level=level))
    session.flush()
    for row in agent.skills:
        session.refresh(row, ["skill"])


def create_agent(session: Session, data: AgentData) -> Agent:
    """Add an agent (logged out until the engine sees them log in)."""
    agent = Agent(employee_no=data.employee_no, name=data.name, extension=data.extension)
    session.add(agent)
    _apply(session, agent, data)
    detail = "; ".join(f"{k}={v}" for k, v in _describe(agent).items())
    audit.record(session, "agent.create", f"agent:{agent.employee_no}", detail)
    return agent


def update_agent(session: Session, agent: Agent, data: AgentData) -> None:
    """Change an agent; the audit detail lists what changed (old → new)."""
    before = _describe(agent)
    _apply(session, agent, data)
    after = _describe(agent)
    changes = "; ".join(f"{k}: {before[k]} → {after[k]}" for k in after if before[k] != after[k])
    audit.record(session, "agent.update", f"agent:{agent.employee_no}", changes or "no change")


def delete_agent(session: Session, agent: Agent) -> None:
    """Remove an agent; call records keep their rows (agent_id becomes NULL by the schema's FK rule)."""
    detail = "; ".join(f"{k}={v}" for k, v in _describe(agent).items())
    audit.record(session, "agent.delete", f"agent:{agent.employee_no}", detail)
    session.delete(agent)
    session.flush()


def request_state(session: Session, agent: Agent, command: str, actor: str) -> AgentRequest:
    """Queue a state change for the engine (it applies it within a second and writes the result back)."""
    action, _, reason = command.partition(":")
    row = AgentRequest(agent_id=agent.id, action=action, reason=NotReadyReason(reason) if reason else None,
                       actor=actor, requested_at=utcnow())
    session.add(row)
    audit.record(session, "agent.state_request", f"agent:{agent.employee_no}", command)
    return row


def request_supervision(session: Session, agent: Agent, mode: str, extension: str, actor: str) -> AgentRequest:
    """Ask the engine to ring the supervisor's phone into the agent's call (listen, whisper or barge)."""
    row = AgentRequest(agent_id=agent.id, action=mode, argument=extension, actor=actor, requested_at=utcnow())
    session.add(row)
    audit.record(session, "agent.supervise", f"agent:{agent.employee_no}", f"{mode} from extension {extension}")
    return row
