"""Reads for the queue pages: queues with their skills, today's counts per queue, codes and references."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from admin_web.queues.vocab import load_rules
from engine.domain.states import CallOutcome
from engine.store.models import CallRecord, Queue, QueueSkill, Skill


@dataclasses.dataclass(frozen=True)
class QueueCounts:
    """Calls of one queue today: all that reached it, answered, abandoned."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0


def list_queues(session: Session) -> list[Queue]:
    """Every queue by code, with its required skills loaded."""
    return list(session.scalars(select(Queue).options(selectinload(Queue.skills).joinedload(QueueSkill.skill))
                                .order_by(Queue.code)))


def today_counts(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, QueueCounts]:
    """queue_id → counts of calls started in [start, end) that reached the queue (from call_records)."""
    rows = session.execute(select(CallRecord.queue_id, CallRecord.outcome, func.count())
                           .where(CallRecord.started_at >= start, CallRecord.started_at < end,
                                  CallRecord.queue_id.is_not(None))
                           .group_by(CallRecord.queue_id, CallRecord.outcome)).all()
    totals: dict[int, dict[str, int]] = {}
    for queue_id, outcome, n in rows:
        t = totals.setdefault(queue_id, {"offered": 0, "answered": 0, "abandoned": 0})
        t["offered"] += n
        if outcome is CallOutcome.ANSWERED:
            t["answered"] += n
        elif outcome is CallOutcome.ABANDONED:
            t["abandoned"] += n
    return {queue_id: QueueCounts(**t) for queue_id, t in totals.items()}


def all_skills(session: Session) -> list[Skill]:
    """Skills by code (one level field each on the queue form)."""
    return list(session.scalars(select(Skill).order_by(Skill.code)))


def queue_names(session: Session) -> dict[str, str]:
    """code → name of every queue."""
    return {code: name for code, name in session.execute(select(Queue.code, Queue.name).order_by(Queue.code))}


def code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    """Whether another queue already has this code."""
    return any(i != except_id for i in session.scalars(select(Queue.id).where(Queue.code == code)))


def overflow_referrers(session: Session, code: str) -> list[Queue]:
    """The other queues whose overflow rules move calls to the queue `code`."""
    referrers = []
    for queue in session.scalars(select(Queue).where(Queue.code != code).order_by(Queue.code)):
        rules = load_rules(queue.overflow_rules) or []
        if any(rule.get("action") == "overflow" and rule.get("queue") == code for rule in rules):
            referrers.append(queue)
    return referrers
