"""Helpers shared by the web tests (fixtures live in conftest.py)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import Agent

PASSWORD = "s3cret-pass"


def login(client, username: str, password: str = PASSWORD, **extra):
    """Post the login form; returns the response (not followed)."""
    return client.post("/auth/login", data={"username": username, "password": password, **extra})


def set_state(db: Session, agent_id: int, state: AgentState, reason: NotReadyReason | None = None) -> None:
    """What the engine does when an agent's state changes."""
    from engine.store import live
    agent = db.get(Agent, agent_id)
    agent.state, agent.not_ready_reason = state, reason
    agent.state_since = dt.datetime.now(dt.timezone.utc)
    live.publish(db, [(live.AGENT, str(agent_id))], agent.state_since)     # the consoles' live feed
    db.commit()


def publish_queue(db: Session, *, queue_code: str, waiting: int, longest_wait_since, agents_ready: int,
                  agents_busy: int, agents_logged_in: int, updated_at, halls: dict | None = None) -> None:
    """What the engine publishes for a queue (engine.store.repos.save_queue_status): its totals, and the same
    figures by hall (`halls`: {hall id: (waiting, longest wait since, ready, busy, signed in)}; default: all of
    it in hall 0, no hall)."""
    from engine.store.models import QueueHallStatus, QueueStatus
    row = db.get(QueueStatus, queue_code) or QueueStatus(queue_code=queue_code)
    row.waiting, row.longest_wait_since, row.updated_at = waiting, longest_wait_since, updated_at
    row.agents_ready, row.agents_busy, row.agents_logged_in = agents_ready, agents_busy, agents_logged_in
    db.add(row)
    for old in db.query(QueueHallStatus).filter_by(queue_code=queue_code):
        db.delete(old)
    db.flush()
    for hall_id, (w, since, ready, busy, logged_in) in (halls or {0: (waiting, longest_wait_since, agents_ready,
                                                                      agents_busy, agents_logged_in)}).items():
        db.add(QueueHallStatus(queue_code=queue_code, hall_id=hall_id, waiting=w, longest_wait_since=since,
                               agents_ready=ready, agents_busy=busy, agents_logged_in=logged_in))
