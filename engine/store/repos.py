"""Repositories: the ACD's view of the configuration, and writing agent state changes and call records."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.domain.agent import Agent as AcdAgent
from engine.domain.agent import AgentStateChanged
from engine.domain.commands import SaveCallRecord
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState
from engine.store.models import Agent, AgentStateChange, CallRecord, PublishedNumber, Queue


def to_datetime(epoch: float | None) -> dt.datetime | None:
    """Epoch seconds to an aware UTC datetime."""
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def to_epoch(value: dt.datetime | None) -> float:
    """Aware (or naive UTC, as SQLite returns) datetime to epoch seconds."""
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def load_directory(session: Session) -> tuple[tuple[AcdAgent, ...], tuple[QueueSpec, ...], dict[str, str]]:
    """Agents (with their stored state), queues and active numbers as the ACD needs them."""
    rows = session.scalars(select(Agent).options(selectinload(Agent.skills))).all()
    agents = tuple(
        AcdAgent(agent_id=a.id, employee_no=a.employee_no, name=a.name, extension=a.extension,
                 skills={s.skill_id: s.level for s in a.skills}, state=a.state, reason=a.not_ready_reason,
                 since=to_epoch(a.state_since), idle_since=to_epoch(a.state_since), call_uuid=a.current_call_uuid,
                 active=a.active)
        for a in rows
    )
    queue_rows = session.scalars(select(Queue).options(selectinload(Queue.skills))).all()
    queues = tuple(
        QueueSpec(queue_id=q.id, code=q.code, name=q.name, required_skills={s.skill_id: s.min_level for s in q.skills},
                  strategy=q.strategy, ring_timeout_s=q.ring_timeout_s, wrap_up_s=q.wrap_up_s,
                  max_wait_s=q.max_wait_s, moh=q.moh)
        for q in queue_rows
    )
    numbers = {n.number: n.flow for n in session.scalars(select(PublishedNumber).where(PublishedNumber.active))}
    return agents, queues, numbers


def save_agent_state(session: Session, change: AgentStateChanged) -> None:
    """Append the change to the log and update the agent's current state (one transaction, by the caller)."""
    agent = session.get(Agent, change.agent_id)
    if agent is None:
        return
    at = to_datetime(change.at)
    agent.state = change.to_state
    agent.not_ready_reason = change.reason
    agent.state_since = at  # type: ignore[assignment]
    agent.current_call_uuid = change.call_uuid if change.to_state in (
        AgentState.RESERVED, AgentState.TALKING, AgentState.WRAP_UP) else None
    session.add(AgentStateChange(agent_id=change.agent_id, at=at, from_state=change.from_state,
                                 to_state=change.to_state, reason=change.reason, cause=change.cause[:64],
                                 actor=change.actor[:64], call_uuid=change.call_uuid))


def save_call_record(session: Session, rec: SaveCallRecord) -> None:
    """Insert the call's record; a record already written for this call is left as it is (idempotent)."""
    if session.scalar(select(CallRecord.id).where(CallRecord.call_uuid == rec.call_uuid)) is not None:
        return
    session.add(CallRecord(
        call_uuid=rec.call_uuid, ani=rec.ani[:64], dnis=rec.dnis[:64], flow=rec.flow, queue_id=rec.queue_id,
        agent_id=rec.agent_id, agent_leg_uuid=rec.agent_leg_uuid, started_at=to_datetime(rec.started_at),
        enqueued_at=to_datetime(rec.enqueued_at), answered_at=to_datetime(rec.answered_at),
        ended_at=to_datetime(rec.ended_at), outcome=rec.outcome, hangup_cause=rec.hangup_cause[:48],
        hangup_side=rec.hangup_side, ivr_path=rec.ivr_path, offers=rec.offers,
    ))
