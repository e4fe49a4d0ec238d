"""Recording searches, and whether each file is where the row says (checked on every listing)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from admin_web.voicemails.files import FileState, locate
from engine.store.models import Agent, Queue, Recording
from engine.store.sealed import number_forms


@dataclasses.dataclass(frozen=True)
class Filters:
    """What the search form asked for (dates are local days in the centre's zone, both inclusive)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    agent: str | None = None
    number: str | None = None
    queue: str | None = None
    status: str | None = None


def _local_midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


def search(session: Session, filters: Filters, zone: str) -> Select:
    """SELECT recordings matching the filters, newest first. Every filter but the queue and the status is an index
    lookup, so that a search without dates reads its matches, not every recording ever made."""
    query = select(Recording)
    if filters.date_from:
        query = query.where(Recording.started_at >= _local_midnight(filters.date_from, zone))
    if filters.date_to:
        query = query.where(Recording.started_at < _local_midnight(filters.date_to + dt.timedelta(days=1), zone))
    if filters.agent:       # the employee number recorded, or the agent's id; the ids are read first: with a
        # subquery on one side of the OR, PostgreSQL uses an index for neither side and reads every recording
        agent_ids = list(session.scalars(select(Agent.id).where(Agent.employee_no == filters.agent)))
        query = query.where(or_(Recording.employee_no == filters.agent, Recording.agent_id.in_(agent_ids)))
    if filters.number:      # numbers are sealed (engine.store.sealed): found by the whole number, in any form
        forms = number_forms(filters.number)
        query = query.where(or_(Recording.ani.in_(forms), Recording.dnis.in_(forms)))
    if filters.queue:
        query = query.where(Recording.queue_code == filters.queue)
    if filters.status:
        query = query.where(Recording.status == filters.status)
    return query.order_by(Recording.started_at.desc(), Recording.id.desc())


def count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def queue_codes(session: Session) -> list[tuple[str, str]]:
    return [(q.code, f"{q.name} ({q.code})") for q in session.scalars(select(Queue).order_by(Queue.code))]


def problem_of(recording: Recording, state: FileState) -> str | None:
    """Why a recording cannot be trusted or served: the engine's verdict, or what the disk says now."""
    if recording.status in ("missing", "damaged"):
        return recording.status
    if state is FileState.REFUSED:
        return "outside"
    if state is FileState.MISSING and recording.status != "recording":
        return "missing"
    return None


def file_states(recordings) -> dict[int, FileState]:
    """Where each file is now: OK, MISSING or REFUSED (outside the recordings directory)."""
    return {r.id: locate(r.path)[0] for r in recordings}
