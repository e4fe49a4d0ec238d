"""Reads over call_records: the call search (number, date range, queue, agent, outcome, hall), one page of it, the
counts by outcome of what it found, and the rows of its export.

Numbers are sealed deterministically (engine.store.sealed): a number is found by the whole number, in any of the
forms it may have been stored in (number_forms: +86 / 86 / 0 before a mobile), as the caller or as the number
dialled; there is no search by part of a number. The hall is the hall of the number dialled and the halls under
it (as the reports count a call's hall); the user's own hall scope (admin_web.scope) applies on top of every
statement here."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from admin_web.paging import Page, bounds
from admin_web.scope import hall_numbers, subtree
from admin_web.timeutil import seconds_between
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import Agent, CallRecord, Hall, Queue
from engine.store.sealed import number_forms

@dataclasses.dataclass(frozen=True)
class Filters:
    """What the search asked for; dates are local days in the console's zone, both inclusive."""

    date_from: dt.date
    date_to: dt.date
    number: str | None = None
    queue_id: int | None = None
    agent: str | None = None            # employee number
    outcome: CallOutcome | None = None
    hall_id: int | None = None

    def params(self) -> dict:
        """As plain values (a report job's parameters; from_params reads them back)."""
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
                "number": self.number, "queue_id": self.queue_id, "agent": self.agent,
                "outcome": self.outcome.value if self.outcome else None, "hall_id": self.hall_id}

    @classmethod
    def from_params(cls, params: dict) -> "Filters":
        return cls(dt.date.fromisoformat(params["date_from"]), dt.date.fromisoformat(params["date_to"]),
                   params.get("number") or None, params.get("queue_id"), params.get("agent") or None,
                   CallOutcome(params["outcome"]) if params.get("outcome") else None, params.get("hall_id"))


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
    transfers: int = 0


def local_range(date_from: dt.date, date_to: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the local days date_from..date_to (inclusive)."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def _in_range(start: dt.datetime, end: dt.datetime):
    return (CallRecord.started_at >= start, CallRecord.started_at < end)


def conditions(session: Session, filters: Filters, zone: str, *, with_outcome: bool = True) -> list:
    """The WHERE clauses of a search (the outcome's left out for the counts by outcome)."""
    out = list(_in_range(*local_range(filters.date_from, filters.date_to, zone)))
    if filters.number:
        forms = number_forms(filters.number)
        out.append(or_(CallRecord.ani.in_(forms), CallRecord.dnis.in_(forms)))
    if filters.queue_id is not None:
        out.append(CallRecord.queue_id == filters.queue_id)
    if filters.agent:       # the ids first: an IN list of values keeps the agent_id index usable
        out.append(CallRecord.agent_id.in_(list(session.scalars(select(Agent.id)
                                                                .where(Agent.employee_no == filters.agent)))))
    if filters.hall_id is not None:
        # the hall (and its subtree) as the user sees it: a hall outside their scope is not found, so no calls
        visible = session.scalar(select(Hall.id).where(Hall.id == filters.hall_id))
        numbers = hall_numbers(session, subtree(session, visible)) if visible is not None else ()
        out.append(CallRecord.dnis.in_(list(numbers)) if numbers else false())
    if with_outcome and filters.outcome is not None:
        out.append(CallRecord.outcome == filters.outcome)
    return out


def _counts(session: Session, where: list) -> dict[CallOutcome, int]:
    rows = session.execute(select(CallRecord.outcome, func.count()).where(*where).group_by(CallRecord.outcome)).all()
    counts = {outcome: 0 for outcome in CallOutcome}
    counts.update({outcome: n for outcome, n in rows})
    return counts


def outcome_counts(session: Session, start: dt.datetime, end: dt.datetime) -> dict[CallOutcome, int]:
    """How many calls started in [start, end) ended with each outcome (every outcome present, maybe 0)."""
    return _counts(session, list(_in_range(start, end)))


def search_counts(session: Session, filters: Filters, zone: str) -> dict[CallOutcome, int]:
    """The search's calls counted by outcome, whatever outcome it asks for."""
    return _counts(session, conditions(session, filters, zone, with_outcome=False))


def search(session: Session, filters: Filters, zone: str) -> Select:
    """SELECT (record, queue name, employee no., agent name) of the calls found, newest first."""
    return (select(CallRecord, Queue.name, Agent.employee_no, Agent.name)
            .outerjoin(Queue, CallRecord.queue_id == Queue.id)
            .outerjoin(Agent, CallRecord.agent_id == Agent.id)
            .where(*conditions(session, filters, zone))
            .order_by(CallRecord.started_at.desc(), CallRecord.id.desc()))


def count(session: Session, filters: Filters, zone: str) -> int:
    return session.scalar(select(func.count()).select_from(CallRecord)
                          .where(*conditions(session, filters, zone))) or 0


def calls_page(session: Session, filters: Filters, zone: str, *, page: int, per_page: int) -> Page:
    """One page of the search (`page` counts from 1; past the last page: the last one)."""
    total = count(session, filters, zone)
    page, pages = bounds(page, total, per_page)
    stmt = search(session, filters, zone).limit(per_page).offset((page - 1) * per_page)
    rows = [row(call, queue_name, emp_no, agent_name) for call, queue_name, emp_no, agent_name in session.execute(stmt)]
    return Page(rows=rows, page=page, pages=pages, total=total)


def row(call: CallRecord, queue_name: str | None, emp_no: str | None, agent_name: str | None) -> CallRow:
    """Derive waits and talk time: wait = queued until answered (or until the end if never answered)."""
    wait_end = call.answered_at or call.ended_at
    return CallRow(
        id=call.id, call_uuid=call.call_uuid, started_at=call.started_at, ani=call.ani, dnis=call.dnis,
        queue=queue_name or "",
        agent=f"{emp_no} {agent_name}" if emp_no else "",
        wait_s=seconds_between(call.enqueued_at, wait_end) if call.enqueued_at else None,
        talk_s=seconds_between(call.answered_at, call.ended_at),
        outcome=call.outcome, hangup_cause=call.hangup_cause, hangup_side=call.hangup_side,
        transfers=call.transfers or 0)


def queue_choices(session: Session) -> list[tuple[int, str]]:
    return [(q.id, q.name) for q in session.scalars(select(Queue).order_by(Queue.name))]


def hall_choices(session: Session) -> list[tuple[int, str]]:
    """The halls the user sees, each under its parent (province, city, county)."""
    halls = list(session.scalars(select(Hall).order_by(Hall.region_code, Hall.name)))
    ids = {h.id for h in halls}
    children: dict[int | None, list[Hall]] = {}
    for hall in halls:
        children.setdefault(hall.parent_id if hall.parent_id in ids else None, []).append(hall)
    out: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for hall in children.get(parent, ()):
            out.append((hall.id, "\u3000" * depth + hall.name))
            walk(hall.id, depth + 1)
    walk(None, 0)
    return out
