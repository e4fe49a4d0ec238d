"""Appending to the immutable call-event log, and to the report rollups in the same transaction."""
from __future__ import annotations

from collections import namedtuple

from sqlalchemy.orm import Session

from engine.domain.commands import LogCallEvent
from engine.reports.rollups import apply_entry
from engine.store.models import CallEvent
from engine.store.repos import to_datetime

EVENT_COLUMNS = ("at", "call_uuid", "kind", "direction", "ani", "dnis", "hall_id", "queue_code", "agent_id",
                 "queued_at", "wait_s", "duration_s", "value", "detail", "private")
EventRow = namedtuple("EventRow", EVENT_COLUMNS)
EventRow.__doc__ = "A call_events row (every column but the id), in EVENT_COLUMNS order."


def entry_row(entry: LogCallEvent) -> EventRow:
    """The call_events row of one log entry."""
    return EventRow(to_datetime(entry.at), entry.call_uuid, entry.kind.value, entry.direction, entry.ani[:64],
                    entry.dnis[:64], entry.hall_id, entry.queue_code, entry.agent_id, to_datetime(entry.queued_at),
                    entry.wait_s, entry.duration_s, entry.value, entry.detail[:255],
                    entry.private)


def append(session: Session, entry: LogCallEvent) -> CallEvent:
    """Insert one log entry (never updates or deletes) and add it to the report rollups (engine.reports.rollups).

    Batches of entries are written by engine.store.batch.write_batch, with the same rows."""
    row = CallEvent(**entry_row(entry)._asdict())
    session.add(row)
    apply_entry(session, row)
    return row
