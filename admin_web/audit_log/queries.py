"""Reads over the audit log: one page of entries, newest first, or every entry of a filter (the CSV export).

The log has no hall of its own: an entry belongs to the hall of the user who made it (users.hall_id). A hall's
user sees the entries of the users of their halls (admin_web.scope); a province user every entry, those of the
command line and of users since removed included; the hall filter keeps the users of one hall and those below."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from admin_web.audit_log.forms import AuditFilter
from admin_web.paging import Page, bounds
from admin_web.scope import subtree
from admin_web.timeutil import day_range
from engine.store.models import AuditEntry, User

EXPORT_BATCH = 1000


def _like(text: str) -> str:
    """A LIKE pattern matching `text` literally (its % and _ escaped with '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day_bound(day: dt.date, zone: str, end: bool) -> dt.datetime:
    start, stop = day_range(zone, dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc))
    return stop if end else start


def filtered(session: Session, f: AuditFilter, halls: frozenset[int] | None, zone: str) -> Select:
    """The entries matching the filter within `halls` (None: every hall), newest first."""
    e = AuditEntry
    stmt = select(e)
    if f.actor:
        stmt = stmt.where(e.actor.ilike(f"%{_like(f.actor)}%", escape="\\"))
    if f.action:
        stmt = stmt.where(e.action.ilike(f"{_like(f.action)}%", escape="\\"))
    if f.target:
        stmt = stmt.where(e.target.ilike(f"%{_like(f.target)}%", escape="\\"))
    if f.day_from:
        stmt = stmt.where(e.at >= _day_bound(f.day_from, zone, end=False))
    if f.day_to:
        stmt = stmt.where(e.at < _day_bound(f.day_to, zone, end=True))
    for within in (halls, subtree(session, f.hall_id) if f.hall_id else None):
        if within is not None:
            stmt = stmt.where(e.actor.in_(select(User.username).where(User.hall_id.in_(sorted(within)))))
    return stmt.order_by(e.at.desc(), e.id.desc())


def entries_page(session: Session, stmt: Select, *, page: int, per_page: int) -> Page:
    """One page of the filtered entries; `page` counts from 1 (past the last page: the last page)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page, pages = bounds(page, total, per_page)
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows=list(rows), page=page, pages=pages, total=total)


def every_entry(session: Session, stmt: Select) -> Iterator[AuditEntry]:
    """Every filtered entry, newest first, read in batches (the export of a long log stays small in memory)."""
    yield from session.scalars(stmt.execution_options(yield_per=EXPORT_BATCH))
