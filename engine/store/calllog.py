"""Appending to the immutable call-event log, and to the report rollups in the same transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.domain.commands import LogCallEvent
from engine.reports.rollups import apply_entry
from engine.store.models import CallEvent
from engine.store.repos import to_datetime


def append(session: Session, entry: LogCallEvent) -> CallEvent:
    """Insert one log entry (never updates or deletes) and add it to the report rollups (engine.reports.rollups)."""
    row = CallEvent(
        at=to_datetime(entry.at), call_uuid=entry.call_uuid, kind=entry.kind.value, direction=entry.direction,
        ani=entry.ani[:64], dnis=entry.dnis[:64], hall_id=entry.hall_id, queue_code=entry.queue_code,
        agent_id=entry.agent_id, queued_at=to_datetime(entry.queued_at), wait_s=entry.wait_s,
        duration_s=entry.duration_s, value=entry.value, detail=entry.detail[:255],
    )
    session.add(row)
    apply_entry(session, row)
    return row
