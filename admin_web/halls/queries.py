"""Reads for the halls pages (also used by the numbers and rules forms): the tree in display order."""
from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.regions import HallRef
from engine.store.models import Agent, PublishedNumber
from engine.store.numbers import hall_refs


@dataclasses.dataclass(frozen=True)
class TreeRow:
    """A hall with its depth in the tree and its direct and subtree counts."""

    hall: HallRef
    depth: int
    parent_code: str | None
    numbers: int
    agents: int
    total_numbers: int
    total_agents: int
    children: int


def tree(session: Session) -> list[TreeRow]:
    """Depth-first: each province, then its cities, then their counties (by region code)."""
    halls = hall_refs(session)
    by_id = {h.hall_id: h for h in halls}
    kids: dict[int | None, list[HallRef]] = {}
    for hall in halls:
        parent = hall.parent_id if hall.parent_id in by_id else None
        kids.setdefault(parent, []).append(hall)
    numbers = {k: v for k, v in session.execute(select(PublishedNumber.hall_id, func.count())
                                                .group_by(PublishedNumber.hall_id))}
    agents = {k: v for k, v in session.execute(select(Agent.hall_id, func.count()).group_by(Agent.hall_id))}

    def total(hall: HallRef, counts: dict) -> int:
        return counts.get(hall.hall_id, 0) + sum(total(k, counts) for k in kids.get(hall.hall_id, []))

    rows: list[TreeRow] = []

    def walk(hall: HallRef, depth: int) -> None:
        parent = by_id.get(hall.parent_id) if hall.parent_id else None
        rows.append(TreeRow(hall, depth, parent.code if parent else None, numbers.get(hall.hall_id, 0),
                            agents.get(hall.hall_id, 0), total(hall, numbers), total(hall, agents),
                            len(kids.get(hall.hall_id, []))))
        for kid in kids.get(hall.hall_id, []):
            walk(kid, depth + 1)

    for root in kids.get(None, []):
        walk(root, 0)
    return rows


def choices(session: Session) -> list[tuple[int, str]]:
    """(hall id, indented name) in tree order, for select fields."""
    return [(row.hall.hall_id, "\u3000" * row.depth + f"{row.hall.name} ({row.hall.code})") for row in tree(session)]


def subtree_ids(session: Session, hall_id: int) -> set[int]:
    """The hall and every hall below it."""
    halls = hall_refs(session)
    found = {hall_id}
    changed = True
    while changed:
        changed = False
        for hall in halls:
            if hall.parent_id in found and hall.hall_id not in found:
                found.add(hall.hall_id)
                changed = True
    return found
