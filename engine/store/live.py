"""The live feed, the engine's side (issue 14): what each stored batch changed, published once for every console.

The store writes one `live_changes` row per thing changed (an agent: state, call, request answered; a call: its
log, its record; the queues' published status) in the same transaction as the change itself, so a reader that sees the row sees the change.
On PostgreSQL the transaction also sends NOTIFY callcenter_live, which wakes each console process's listener at
once (LISTEN/NOTIFY is delivered on commit); on SQLite each console process reads the table itself, a few times a
second, once for all its streams (admin_web.live). Rows older than KEEP_S are pruned by the engine.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from engine.domain.commands import LogCallEvent, SaveAgentState, SaveCallRecord, SaveQueueStatus, SaveRequestResult
from engine.store.models import LiveChange

CHANNEL = "callcenter_live"
KEEP_S = 600
AGENT, QUEUE, CALL = "agent", "queue", "call"


def changes_of(commands: Iterable) -> list[tuple[str, str]]:
    """(topic, key) of what these store commands change, each once, in order."""
    seen: dict[tuple[str, str], None] = {}
    for cmd in commands:
        if isinstance(cmd, SaveAgentState):
            seen[(AGENT, str(cmd.change.agent_id))] = None
        elif isinstance(cmd, SaveQueueStatus):
            seen[(QUEUE, "")] = None
        if isinstance(cmd, (SaveRequestResult, LogCallEvent)) and cmd.agent_id is not None:
            seen[(AGENT, str(cmd.agent_id))] = None        # a request answered; the agent's call held, moved…
        if isinstance(cmd, (LogCallEvent, SaveCallRecord)) and cmd.call_uuid:
            seen[(CALL, cmd.call_uuid)] = None             # every desktop on that call: transferred to, consulted…
    return list(seen)


def publish(session: Session, changes: list[tuple[str, str]], now: dt.datetime) -> None:
    """Write the changes (and, on PostgreSQL, wake the listeners when the transaction commits)."""
    if not changes:
        return
    session.execute(insert(LiveChange), [{"topic": topic, "key": key, "at": now} for topic, key in changes])
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def prune(session: Session, now: dt.datetime) -> int:
    """Forget changes older than KEEP_S; how many."""
    result = session.execute(delete(LiveChange).where(LiveChange.at < now - dt.timedelta(seconds=KEEP_S)))
    return result.rowcount or 0
