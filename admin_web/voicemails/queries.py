"""Reads over voicemails: new messages first, then newest first."""
from __future__ import annotations

from sqlalchemy import case, func, select
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
    """(Voicemail, queue name) pairs: new before handled, newest first within each; `page` counts from 1."""
    conditions = [Voicemail.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(Voicemail).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    stmt = (select(Voicemail, Queue.name).outerjoin(Queue, Queue.code == Voicemail.queue_code)
            .where(*conditions)
            .order_by(case((Voicemail.status == "new", 0), else_=1), Voicemail.recorded_at.desc(),
                      Voicemail.id.desc())
            .limit(per_page).offset((page - 1) * per_page))
    return Page(rows=[(vm, name) for vm, name in session.execute(stmt)], page=page, pages=pages, total=total)
