"""Scope by hall, checked in one place (issue 13, R-ADM-1/R-ADM-4): a user of a hall sees and changes only that
hall's subtree (province → city → county); a user with no hall (the province's) sees everything.

The request's database session carries the user's halls (`session.info["scope_halls"]`, set before each request
once the user is known), and every ORM query the console runs on that session gets the scope's criteria added
(SQLAlchemy's do_orm_execute + with_loader_criteria): lists, counts, detail pages, `session.get`, the choices of a
form, lazy loads. A row outside the scope is simply not there: its page is a 404, it cannot be edited. What is
scoped, and how:

* agents, published numbers, halls, users: by their hall;
* call records and recordings: by the number called (its hall) or the agent who took the call (their hall);
* call-log events: by the hall the engine logged (the number's).
"""
from __future__ import annotations

from flask import Flask, g
from flask_login import current_user
from sqlalchemy import event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from engine.store.models import Agent, CallEvent, CallRecord, Hall, PublishedNumber, Recording, User

SCOPE_KEY = "scope_halls"
NUMBERS_KEY = "scope_numbers"


def subtree(session: Session, hall_id: int) -> frozenset[int]:
    """A hall and every hall under it."""
    rows = session.execute(select(Hall.id, Hall.parent_id).execution_options(unscoped=True)).all()
    children: dict[int | None, list[int]] = {}
    for hid, parent in rows:
        children.setdefault(parent, []).append(hid)
    out, todo = set(), [hall_id]
    while todo:
        hid = todo.pop()
        if hid not in out:
            out.add(hid)
            todo.extend(children.get(hid, ()))
    return frozenset(out)


def current_halls() -> frozenset[int] | None:
    """The halls the logged-in user may see, or None for every hall."""
    return g.get(SCOPE_KEY)


def hall_numbers(session: Session, halls: frozenset[int]) -> tuple[str, ...]:
    """The published numbers of these halls (call records and recordings hold the number sealed, so the scope
    compares them with these values rather than with a subquery: engine.store.sealed)."""
    return tuple(session.scalars(select(PublishedNumber.number).where(PublishedNumber.hall_id.in_(tuple(halls)))
                                 .execution_options(unscoped=True)))


def _criteria(halls: frozenset[int], numbers: tuple[str, ...]):
    ids = tuple(halls)
    agents = select(Agent.id).where(Agent.hall_id.in_(ids))
    employees = select(Agent.employee_no).where(Agent.hall_id.in_(ids))
    return [
        with_loader_criteria(Agent, Agent.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(PublishedNumber, PublishedNumber.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(Hall, Hall.id.in_(ids), include_aliases=True),
        with_loader_criteria(User, User.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(CallRecord, or_(CallRecord.dnis.in_(numbers), CallRecord.agent_id.in_(agents)),
                             include_aliases=True),
        with_loader_criteria(Recording, or_(Recording.dnis.in_(numbers), Recording.employee_no.in_(employees)),
                             include_aliases=True),
        with_loader_criteria(CallEvent, CallEvent.hall_id.in_(ids), include_aliases=True),
    ]


def _add_criteria(state: ORMExecuteState) -> None:
    halls = state.session.info.get(SCOPE_KEY)
    if halls is None or not state.is_select or state.execution_options.get("unscoped"):
        return
    state.statement = state.statement.options(*_criteria(halls, state.session.info.get(NUMBERS_KEY, ())))


def init_app(app: Flask) -> None:
    """Scope every request's session by the logged-in user's hall."""
    event.listen(app.extensions["db_sessions"], "do_orm_execute", _add_criteria)

    @app.before_request
    def _scope():
        from admin_web.db import get_session
        if not current_user.is_authenticated or current_user.hall_id is None:
            return
        session = get_session()
        halls = subtree(session, current_user.hall_id)
        g.setdefault(SCOPE_KEY, halls)
        session.info[NUMBERS_KEY] = hall_numbers(session, halls)
        session.info[SCOPE_KEY] = halls
