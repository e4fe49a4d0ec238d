"""Reads for the numbers pages."""
from __future__ import annotations

import dataclasses
import math

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from admin_web.halls.queries import subtree_ids
from engine.store.models import Hall, PublishedNumber

NO_HALL = -1


@dataclasses.dataclass(frozen=True)
class NumbersPage:
    rows: list[tuple[PublishedNumber, Hall | None]]
    total: int
    page: int
    pages: int


def numbers_page(session: Session, hall_id: int | None = None, search: str = "", page: int = 1,
                 per_page: int = 50) -> NumbersPage:
    """Numbers by number; hall_id filters to that hall and the halls below it (NO_HALL: numbers without one);
    search looks in the number, the name and the flow."""
    stmt = select(PublishedNumber, Hall).outerjoin(Hall, Hall.id == PublishedNumber.hall_id)
    if hall_id == NO_HALL:
        stmt = stmt.where(PublishedNumber.hall_id.is_(None))
    elif hall_id:
        stmt = stmt.where(PublishedNumber.hall_id.in_(subtree_ids(session, hall_id)))
    if search:
        like = f"%{search.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(PublishedNumber.number.like(like), PublishedNumber.name.like(like),
                              PublishedNumber.flow.like(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = [(n, h) for n, h in session.execute(stmt.order_by(PublishedNumber.number)
                                               .offset((page - 1) * per_page).limit(per_page))]
    return NumbersPage(rows, total, page, pages)


def number_taken(session: Session, number: str, except_id: int | None = None) -> bool:
    return any(i != except_id for i in session.scalars(select(PublishedNumber.id)
                                                       .where(PublishedNumber.number == number)))
