"""Reads over voicemails: new messages first, then newest first."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_web.callbacks.queries import Page
from engine.store.models import Queue, Voicemail

STATUSES = ("new", "handled")


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are new and handled."""
    counts = {status: 0 for status in STATUSES}
    counts.update({s: n for s, n in session.execute(select(Voicemail.status, func.count())
                                                          .group_by(Voicemail.status))})
    return counts


def voicemails_page(session: Session, *, page: int, per_page: int,
                    status: str | None = None) -> Page:
    """(Voicemail, queue name) pairs: new before handled, newest first within each; `page` counts from 1.

    Each status is read on its own, newest first through ix_voicemails_status (status, recorded_at), and the page
    is cut from the new messages, then from the handled ones: no sort of every message ever left, however many
    there are."""
    statuses = (status,) if status else STATUSES
    counts = {s: session.scalar(select(func.count()).select_from(Voicemail).where(Voicemail.status == s)) or 0
              for s in statuses}
    total = sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    skip, rows = (page - 1) * per_page, []
    for s in statuses:
        if len(rows) < per_page and skip < counts[s]:
            stmt = (select(Voicemail, Queue.name).outerjoin(Queue, Queue.code == Voicemail.queue_code)
                    .where(Voicemail.status == s)
                    .order_by(Voicemail.recorded_at.desc(), Voicemail.id.desc())
                    .limit(per_page - len(rows)).offset(skip))
            rows += [(vm, name) for vm, name in session.execute(stmt)]
        skip = max(0, skip - counts[s])
    return Page(rows=rows, page=page, pages=pages, total=total)
