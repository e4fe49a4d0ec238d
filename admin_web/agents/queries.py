"""Reads for the agents pages: the list with groups and skills, and the live-state snapshot."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from admin_web import labels
from admin_web.timeutil import as_utc, seconds_between
from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import AgentRequest, Agent, AgentGroup, Skill


@dataclasses.dataclass(frozen=True)
class AgentLiveState:
    """An agent's state as the engine last wrote it."""

    agent_id: int
    state: AgentState
    reason: NotReadyReason | None
    since: dt.datetime
    seconds_in_state: int


def list_agents(session: Session) -> list[Agent]:
    """Every agent by 工号, with group and skills loaded."""
    stmt = (select(Agent).options(selectinload(Agent.group), selectinload(Agent.skills))
            .order_by(Agent.employee_no))
    return list(session.scalars(stmt))


def live_states(session: Session, now: dt.datetime) -> list[AgentLiveState]:
    """Each agent's current state, reason and time in state at `now` (a light query for polling)."""
    rows = session.execute(select(Agent.id, Agent.state, Agent.not_ready_reason, Agent.state_since)
                           .order_by(Agent.employee_no))
    return [AgentLiveState(agent_id=i, state=state, reason=reason, since=as_utc(since),
                           seconds_in_state=seconds_between(since, now) or 0)
            for i, state, reason, since in rows]


def state_counts(session: Session) -> dict[AgentState, int]:
    """How many active agents are in each state (every state present, maybe 0)."""
    rows = session.execute(select(Agent.state, func.count()).where(Agent.active).group_by(Agent.state)).all()
    counts = {state: 0 for state in AgentState}
    counts.update({state: n for state, n in rows})
    return counts


def all_groups(session: Session) -> list[AgentGroup]:
    """Groups by name (for the group select)."""
    return list(session.scalars(select(AgentGroup).order_by(AgentGroup.name)))


def all_skills(session: Session) -> list[Skill]:
    """Skills by code (one level field each on the agent form)."""
    return list(session.scalars(select(Skill).order_by(Skill.code)))


def employee_no_taken(session: Session, employee_no: str, except_id: int | None = None) -> bool:
    """Whether another agent already has this 工号."""
    stmt = select(Agent.id).where(Agent.employee_no == employee_no)
    return any(i != except_id for i in session.scalars(stmt))


def extension_taken(session: Session, extension: str, except_id: int | None = None) -> bool:
    """Whether another agent already has this extension."""
    stmt = select(Agent.id).where(Agent.extension == extension)
    return any(i != except_id for i in session.scalars(stmt))


def skill_levels(agent: Agent) -> dict[int, int]:
    """skill_id → level for an agent."""
    return {s.skill_id: s.level for s in agent.skills}



def recent_requests(session: Session, now: dt.datetime, window_s: int = 120) -> dict[int, dict]:
    """Each agent's latest console request of the last minutes and the engine's answer (for the live page).

    Read in time order through ix_agent_requests_requested_at: the last minutes' rows only, however many requests
    the agents made before (in id order, SQLite would rather walk the whole table than sort a few rows)."""
    since = now - dt.timedelta(seconds=window_s)
    rows = session.scalars(select(AgentRequest).where(AgentRequest.requested_at >= since)
                           .order_by(AgentRequest.requested_at, AgentRequest.id)).all()
    return {r.agent_id: {"action": r.action, "reason": r.reason.value if r.reason else None, "actor": r.actor,
                         "result": r.result or "pending",
                         "action_label": labels.request_action_label(r.action, r.reason.value if r.reason else None),
                         "result_label": labels.request_result_label(r.result)} for r in rows}
