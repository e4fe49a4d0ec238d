"""Scope by hall, checked in one place (issue 13, R-ADM-1/R-ADM-4): a user of a hall sees and changes only that
hall's subtree (province → city → county); a user with no hall (the province's) sees everything.

The request's database session carries the user's halls (`session.info["scope_halls"]`, set before each request
once the user is known), and every ORM query the console runs on that session gets the scope's criteria added
(SQLAlchemy's do_orm_execute + with_loader_criteria): lists, counts, detail pages, `session.get`, the choices of a
form, lazy loads. A row outside the scope is simply not there: its page is a 404, it cannot be edited. What is
scoped, and how:

* agents, published numbers, halls, users: by their hall;
* call records and recordings: by the number called (its hall) or the agent who took the call (their hall);
* voice messages: by the number called; callbacks: by the number their call dialled;
* quality inspection: scorecards and sampling plans by their hall (or the centre's, seen by all, changed by
  none of the halls), reviews by the agent inspected;
* schedules: shift templates, rotations and schedules by their hall (or the centre's, seen by all, changed by
  none of the halls), scheduled shifts by the agent's hall;
* departments, work orders, their alerts and follow-ups: by their hall (an order's is the number's that was called,
  or the registering user's; an agent's own orders too, whichever hall's number the caller dialled, and an order
  dispatched to one of the hall's departments);
* call-log events: by the hall the engine logged (the number's);
* queue status on the floor and the wallboard: the per-hall figures the engine publishes (QueueHallStatus);
* reports: the call rollups by the call's hall (the number's), the caller-region rollup likewise, agent state
  time and agent statistics by the agent's hall (statements marked `scope_by="agent"` take the call rollups by
  the agent who handled the call instead: an agent's figures include the calls of other halls they took).

Derived-data maintenance (folding the agent days, engine.reports.rollups) marks its statements `unscoped`: it
writes for every hall whoever's request triggers it.
"""
from __future__ import annotations

import dataclasses

import logging

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, exists, inspect, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from engine.store.models import (Agent, AgentGroup, AgentStateChange, Callback, CallEvent, CallRecord, Department,
                                 FollowUp, Hall, OrderAlert, PublishedNumber, Queue, QueueHallStatus, Recording, User,
                                 Voicemail, WorkOrder, WorkOrderPart)
from engine.store.models.quality import QaForm, QaPlan, QaReview
from engine.store.models.reports import ReportAgentDay, ReportCallerRegionDay, ReportCalls15m, ReportCallsDay
from engine.store.models.schedules import Rotation, Schedule, ScheduledShift, ShiftTemplate

logger = logging.getLogger(__name__)

SCOPE_KEY = "scope_halls"
NUMBERS_KEY = "scope_numbers"
HOME_KEY = "scope_home"         # the user's own hall: new rows they create without one belong to it


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


def _criteria(halls: frozenset[int], numbers: tuple[str, ...], by_agent: bool = False):
    ids = tuple(halls)
    agents = select(Agent.id).where(Agent.hall_id.in_(ids))
    employees = select(Agent.employee_no).where(Agent.hall_id.in_(ids))
    departments = select(Department.id).where(Department.hall_id.in_(ids))
    calls = [with_loader_criteria(model, (model.agent_id.in_(agents) if by_agent else model.hall_id.in_(ids)),
                                  include_aliases=True) for model in (ReportCalls15m, ReportCallsDay)]
    return [
        *calls,
        with_loader_criteria(ReportCallerRegionDay, ReportCallerRegionDay.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(ReportAgentDay, ReportAgentDay.agent_id.in_(agents), include_aliases=True),
        with_loader_criteria(AgentStateChange, AgentStateChange.agent_id.in_(agents), include_aliases=True),
        with_loader_criteria(QueueHallStatus, QueueHallStatus.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(Agent, Agent.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(PublishedNumber, PublishedNumber.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(Hall, Hall.id.in_(ids), include_aliases=True),
        with_loader_criteria(User, User.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(CallRecord, or_(CallRecord.dnis.in_(numbers), CallRecord.agent_id.in_(agents)),
                             include_aliases=True),
        with_loader_criteria(Recording, or_(Recording.dnis.in_(numbers), Recording.employee_no.in_(employees)),
                             include_aliases=True),
        with_loader_criteria(CallEvent, CallEvent.agent_id.in_(agents) if by_agent else CallEvent.hall_id.in_(ids),
                             include_aliases=True),
        with_loader_criteria(Queue, or_(Queue.hall_id.in_(ids), Queue.hall_id.is_(None)), include_aliases=True),
        with_loader_criteria(AgentGroup, or_(AgentGroup.hall_id.in_(ids), AgentGroup.hall_id.is_(None)),
                             include_aliases=True),
        with_loader_criteria(Voicemail, Voicemail.dnis.in_(numbers), include_aliases=True),
        with_loader_criteria(QaForm, or_(QaForm.hall_id.in_(ids), QaForm.hall_id.is_(None)), include_aliases=True),
        with_loader_criteria(QaPlan, or_(QaPlan.hall_id.in_(ids), QaPlan.hall_id.is_(None)), include_aliases=True),
        with_loader_criteria(QaReview, QaReview.agent_id.in_(agents), include_aliases=True),
        with_loader_criteria(Department, Department.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(WorkOrder, or_(WorkOrder.hall_id.in_(ids), WorkOrder.agent_id.in_(agents),
                                            exists().where(WorkOrderPart.order_id == WorkOrder.id,
                                                           WorkOrderPart.department_id.in_(departments))),
                             include_aliases=True),
        with_loader_criteria(FollowUp, FollowUp.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(OrderAlert, OrderAlert.hall_id.in_(ids), include_aliases=True),
        with_loader_criteria(Callback, exists().where(CallRecord.call_uuid == Callback.call_uuid,
                                                      CallRecord.dnis.in_(numbers)), include_aliases=True),
        # schedules (排班): a hall's own and the centre's (seen, not changed); shifts by the agent's hall
        *[with_loader_criteria(m, or_(m.hall_id.in_(ids), m.hall_id.is_(None)), include_aliases=True)
          for m in (ShiftTemplate, Rotation, Schedule)],
        with_loader_criteria(ScheduledShift, ScheduledShift.agent_id.in_(agents), include_aliases=True),
    ]


def _add_criteria(state: ORMExecuteState) -> None:
    halls = state.session.info.get(SCOPE_KEY)
    if halls is None or not state.is_select or state.execution_options.get("unscoped"):
        return
    state.statement = state.statement.options(*_criteria(halls, state.session.info.get(NUMBERS_KEY, ()),
                                                         state.execution_options.get("scope_by") == "agent"))


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a request may see, to carry into work done outside its own session (a stream's sessions, an export
    running in the background): the halls (None: every hall) and their published numbers."""

    halls: frozenset[int] | None = None
    numbers: tuple[str, ...] = ()

    def open(self, factory) -> Session:
        """A new session from the console's factory, scoped like the request."""
        session = factory()
        if self.halls is not None:
            session.info[SCOPE_KEY], session.info[NUMBERS_KEY] = self.halls, self.numbers
        return session

    @property
    def key(self) -> str:
        """A key for figures computed once per scope and shared by its viewers ("" for every hall)."""
        return "" if self.halls is None else ",".join(map(str, sorted(self.halls)))


def current_scope() -> Scope:
    """The logged-in user's scope, for this request."""
    halls = g.get(SCOPE_KEY)
    return Scope(halls, g.get(NUMBERS_KEY, ()) if halls is not None else ())


class OutOfScope(Exception):
    """A write to a row of a hall the user may not change (or to the centre's shared configuration)."""


# What a hall's user may write: rows of these kinds whose hall (a hall: its parent, for a new one) is in the scope.
# A new row given no hall gets the user's own. Queues and teams without a hall are the centre's: seen, not changed.
_OWNED = (Agent, PublishedNumber, User, Queue, AgentGroup, Department, ShiftTemplate, Rotation, Schedule)


def _owner(obj) -> int | None:
    return obj.parent_id if isinstance(obj, Hall) else obj.hall_id


def _old_owner(obj) -> int | None:
    history = inspect(obj).attrs["parent_id" if isinstance(obj, Hall) else "hall_id"].history
    return history.deleted[0] if history.deleted else _owner(obj)


def _guard_writes(session: Session, _context, _instances) -> None:
    """Refuse (OutOfScope) any insert, update or delete, by a hall's user, of a row outside their halls; checked
    before every flush of the console's sessions, whichever view writes."""
    halls = session.info.get(SCOPE_KEY)
    if halls is None:
        return
    for obj in session.new:
        if isinstance(obj, _OWNED) and obj.hall_id is None:
            obj.hall_id = session.info.get(HOME_KEY)
        if isinstance(obj, (*_OWNED, Hall)) and _owner(obj) not in halls:
            raise OutOfScope(f"new {type(obj).__name__} outside the user's halls")
    changed = [o for o in session.dirty if session.is_modified(o)] + list(session.deleted)
    for obj in changed:
        if isinstance(obj, Hall):
            moved = _old_owner(obj) != _owner(obj)
            if obj.id not in halls or (moved and (obj.id == session.info.get(HOME_KEY) or _owner(obj) not in halls)):
                raise OutOfScope(f"hall {obj.id} outside the user's halls")
        elif isinstance(obj, _OWNED) and (_owner(obj) not in halls or _old_owner(obj) not in halls):
            raise OutOfScope(f"{type(obj).__name__} {getattr(obj, 'id', '')} outside the user's halls")


def init_app(app: Flask) -> None:
    """Scope every request's session by the logged-in user's hall."""
    event.listen(app.extensions["db_sessions"], "do_orm_execute", _add_criteria)
    event.listen(app.extensions["db_sessions"], "before_flush", _guard_writes)

    @app.errorhandler(OutOfScope)
    def _out_of_scope(exc):
        from admin_web.errors import render_error
        logger.warning("write refused by the hall scope: %s", exc)
        return render_error(403, _l("This belongs to another hall or to the centre: you can see it but not change "
                                    "it."))

    @app.before_request
    def _scope():
        from admin_web.db import get_session
        if not current_user.is_authenticated or current_user.hall_id is None:
            return
        session = get_session()
        halls = subtree(session, current_user.hall_id)
        g.setdefault(SCOPE_KEY, halls)
        g.setdefault(NUMBERS_KEY, hall_numbers(session, halls))
        session.info[NUMBERS_KEY] = g.get(NUMBERS_KEY)
        session.info[HOME_KEY] = current_user.hall_id
        session.info[SCOPE_KEY] = halls
