"""Reads over callbacks: one page, newest request first, optionally of one status."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_web.paging import Page, bounds
from engine.store.models import Agent, Callback, Queue

STATUSES = ("pending", "dialling", "done", "failed")


@dataclasses.dataclass(frozen=True)
class CallbackRow:
    """One line of the callbacks table."""

    id: int
    call_uuid: str
    number: str
    queue_code: str
    queue_name: str
    enqueued_at: dt.datetime
    requested_at: dt.datetime
    status: str
    attempts: int
    agent: str
    last_cause: str
    completed_at: dt.datetime | None


def status_counts(session: Session) -> dict[str, int]:
    """How many callbacks are in each status (every status present, maybe 0)."""
    counts = {status: 0 for status in STATUSES}
    counts.update({s: n for s, n in session.execute(select(Callback.status, func.count()).group_by(Callback.status))})
    return counts


def callbacks_page(session: Session, *, page: int, per_page: int, status: str | None = None) -> Page:
    """Callbacks, newest request first, optionally of one status; `page` counts from 1."""
    conditions = [Callback.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(Callback).where(*conditions)) or 0
    page, pages = bounds(page, total, per_page)
    stmt = (select(Callback, Queue.name, Agent.employee_no, Agent.name)
            .outerjoin(Queue, Queue.code == Callback.queue_code)
            .outerjoin(Agent, Agent.id == Callback.agent_id)
            .where(*conditions)
            .order_by(Callback.requested_at.desc(), Callback.id.desc())
            .limit(per_page).offset((page - 1) * per_page))
    rows = [CallbackRow(id=cb.id, call_uuid=cb.call_uuid, number=cb.number, queue_code=cb.queue_code,
                        queue_name=queue_name or "", enqueued_at=cb.enqueued_at, requested_at=cb.requested_at,
                        status=cb.status, attempts=cb.attempts, agent=f"{emp_no} {agent_name}" if emp_no else "",
                        last_cause=cb.last_cause, completed_at=cb.completed_at)
            for cb, queue_name, emp_no, agent_name in session.execute(stmt)]
    return Page(rows=rows, page=page, pages=pages, total=total)
