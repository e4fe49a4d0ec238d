"""Reads over call_records: one page of a day's calls, and the day's counts by outcome."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_web.timeutil import seconds_between
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import Agent, CallRecord, Queue


@dataclasses.dataclass(frozen=True)
class CallRow:
    """One line of the calls table."""

    id: int
    call_uuid: str
    started_at: dt.datetime
    ani: str
    dnis: str
    queue: str
    agent: str
    wait_s: int | None
    talk_s: int | None
    outcome: CallOutcome
    hangup_cause: str
    hangup_side: HangupSide


@dataclasses.dataclass(frozen=True)
class CallPage:
    """A page of calls with what the pager needs."""

    rows: list[CallRow]
    page: int
    pages: int
    total: int


def _in_range(start: dt.datetime, end: dt.datetime):
    return (CallRecord.started_at >= start, CallRecord.started_at < end)


def outcome_counts(session: Session, start: dt.datetime, end: dt.datetime) -> dict[CallOutcome, int]:
    """How many calls started in [start, end) ended with each outcome (every outcome present, maybe 0)."""
    rows = session.execute(select(CallRecord.outcome, func.count()).where(*_in_range(start, end))
                           .group_by(CallRecord.outcome)).all()
    counts = {outcome: 0 for outcome in CallOutcome}
    counts.update({outcome: n for outcome, n in rows})
    return counts


def calls_page(session: Session, start: dt.datetime, end: dt.datetime, *, page: int, per_page: int,
               outcome: CallOutcome | None = None) -> CallPage:
    """Calls started in [start, end), newest first, optionally of one outcome; `page` counts from 1."""
    conditions = list(_in_range(start, end))
    if outcome is not None:
        conditions.append(CallRecord.outcome == outcome)
    total = session.scalar(select(func.count()).select_from(CallRecord).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    stmt = (select(CallRecord, Queue.name, Agent.employee_no, Agent.name)
            .outerjoin(Queue, CallRecord.queue_id == Queue.id)
            .outerjoin(Agent, CallRecord.agent_id == Agent.id)
            .where(*conditions)
            .order_by(CallRecord.started_at.desc(), CallRecord.id.desc())
            .limit(per_page).offset((page - 1) * per_page))
    rows = [_row(call, queue_name, emp_no, agent_name)
            for call, queue_name, emp_no, agent_name in session.execute(stmt)]
    return CallPage(rows=rows, page=page, pages=pages, total=total)


def _row(call: CallRecord, queue_name: str | None, emp_no: str | None, agent_name: str | None) -> CallRow:
    """Derive waits and talk time: wait = queued until answered (or until the end if never answered)."""
    wait_end = call.answered_at or call.ended_at
    return CallRow(
        id=call.id, call_uuid=call.call_uuid, started_at=call.started_at, ani=call.ani, dnis=call.dnis,
        queue=queue_name or "",
        agent=f"{emp_no} {agent_name}" if emp_no else "",
        wait_s=seconds_between(call.enqueued_at, wait_end) if call.enqueued_at else None,
        talk_s=seconds_between(call.answered_at, call.ended_at),
        outcome=call.outcome, hangup_cause=call.hangup_cause, hangup_side=call.hangup_side)
