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
    agent = db.get(Agent, agent_id)
    agent.state, agent.not_ready_reason = state, reason
    agent.state_since = dt.datetime.now(dt.timezone.utc)
    db.commit()
