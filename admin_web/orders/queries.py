"""Reads over work orders: the lists (by state, by department, overdue), a caller's earlier orders, the category
tree and the department choices, and what the role may see."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_login import current_user
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from admin_web.callbacks.queries import Page
from engine.domain.states import Role
from engine.domain.workorder import OrderState, PartState
from engine.store import orders as store
from engine.store.models import Department, FollowUp, OrderAlert, OrderCategory, WorkOrder, WorkOrderPart

VIEWS = ("all", "mine", "review", "dispatch", "handling", "closing", "closed", "overdue")
OPEN_PARTS = (PartState.DISPATCHED, PartState.ACCEPTED)


def context(session: Session) -> store.Context:
    """Settings, working calendar and time zone for this request's deadlines."""
    return store.Context.load(session, current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))


def category_paths(session: Session, active_only: bool = True) -> list[tuple[int, str]]:
    """(id, 税费政策 › 个人所得税) for every category, in tree order."""
    rows = session.scalars(select(OrderCategory).order_by(OrderCategory.position, OrderCategory.name)).all()
    children: dict[int | None, list[OrderCategory]] = {}
    for row in rows:
        if row.active or not active_only:
            children.setdefault(row.parent_id, []).append(row)
    out: list[tuple[int, str]] = []

    def walk(parent: int | None, prefix: str) -> None:
        for row in children.get(parent, ()):
            path = f"{prefix} › {row.name}" if prefix else row.name
            out.append((row.id, path))
            walk(row.id, path)

    walk(None, "")
    return out


def department_choices(session: Session) -> list[tuple[int, str]]:
    return [(d.id, d.name) for d in session.scalars(select(Department).where(Department.active.is_(True))
                                                   .order_by(Department.hall_id, Department.name))]


def _role() -> Role | None:
    return getattr(current_user, "role", None)


def visible(stmt: Select) -> Select:
    """What the logged-in user may see of the orders (the hall scope is added by admin_web.scope): a department's
    user only the orders dispatched to their department."""
    if _role() is Role.DEPARTMENT:
        return stmt.where(exists().where(WorkOrderPart.order_id == WorkOrder.id,
                                         WorkOrderPart.department_id == (current_user.department_id or -1)))
    return stmt


def may_see(order: WorkOrder) -> bool:
    if _role() is Role.DEPARTMENT:
        return any(p.department_id == current_user.department_id for p in order.parts)
    return True


def export_params(*, view: str, query: str, fmt: str, role: str, user_id: int | None,
                  department_id: int | None) -> dict:
    """What the worker needs to list what the user's page lists (the worker has no logged-in user)."""
    return {"view": view, "q": query, "format": fmt, "role": role, "user_id": user_id,
            "department_id": department_id}


def filtered(params: dict, now: dt.datetime) -> Select:
    """The orders of the list page's view and search for the user the params describe — the page itself
    (admin_web.orders.queries.orders_page) and its export list the same; the hall scope is the session's — newest
    first."""
    stmt = select(WorkOrder)
    role, department_id, view = params.get("role"), params.get("department_id"), params.get("view", "all")
    if role == Role.DEPARTMENT.value:
        stmt = stmt.where(exists().where(WorkOrderPart.order_id == WorkOrder.id,
                                         WorkOrderPart.department_id == (department_id or -1)))
    if view == "mine":
        if role == Role.DEPARTMENT.value:
            stmt = stmt.where(exists().where(WorkOrderPart.order_id == WorkOrder.id,
                                             WorkOrderPart.department_id == (department_id or -1),
                                             WorkOrderPart.state.in_(OPEN_PARTS)))
        else:
            stmt = stmt.where(WorkOrder.created_by_id == (params.get("user_id") or -1))
    elif view in ("review", "dispatch", "handling", "closing", "closed"):
        state = {"review": OrderState.REGISTERED, "dispatch": OrderState.REVIEWED,
                 "handling": OrderState.DISPATCHED, "closing": OrderState.REPLIED, "closed": OrderState.CLOSED}[view]
        stmt = stmt.where(WorkOrder.state == state)
    elif view == "overdue":
        stmt = stmt.where(or_(
            (WorkOrder.state.in_((OrderState.REGISTERED, OrderState.REVIEWED)) & (WorkOrder.dispatch_due < now)),
            (WorkOrder.state == OrderState.DISPATCHED) & (WorkOrder.reply_due < now)))
    text = (params.get("q") or "").strip()
    if text:
        stmt = stmt.where(or_(WorkOrder.number == text, WorkOrder.citizen_phone == text)) \
            if text.isdigit() else stmt.where(WorkOrder.title.contains(text))
    return stmt.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())


def orders_page(session: Session, *, view: str, page: int, per_page: int, query: str = "",
                now: dt.datetime | None = None) -> Page:
    """Newest first, one filter view at a time; `query` finds an order number or a caller's whole number."""
    now = now or store.aware(dt.datetime.now(dt.timezone.utc))
    role = _role()
    params = export_params(view=view, query=query, fmt="", role=role.value if role else "",
                           user_id=current_user.id, department_id=current_user.department_id)
    return _page(session, filtered(params, now), page, per_page)


def view_counts(session: Session) -> dict[str, int]:
    """How many orders wait in each state (for the tabs)."""
    stmt = visible(select(WorkOrder.state, func.count()).select_from(WorkOrder)).group_by(WorkOrder.state)
    return {OrderState(state).value: n for state, n in session.execute(stmt)}


def caller_history(session: Session, phone: str, limit: int = 10) -> list[WorkOrder]:
    """A caller's earlier orders, newest first (the number is sealed deterministically: equality works)."""
    if not phone:
        return []
    return list(session.scalars(visible(select(WorkOrder)).where(WorkOrder.citizen_phone == phone)
                                .order_by(WorkOrder.created_at.desc()).limit(limit)).unique())


def _open_alerts(stmt: Select) -> Select:
    stmt = stmt.where(OrderAlert.done_at.is_(None))
    if _role() is Role.DEPARTMENT:
        stmt = stmt.where(OrderAlert.department_id == current_user.department_id)
    return stmt


def open_alerts(session: Session, limit: int = 200) -> list[OrderAlert]:
    """The alerts nobody has dealt with yet, newest first (a department's user: their department's)."""
    return list(session.scalars(_open_alerts(select(OrderAlert)).order_by(OrderAlert.at.desc()).limit(limit))
                .unique())


def open_alert_count(session: Session) -> int:
    return session.scalar(_open_alerts(select(func.count(OrderAlert.id)))) or 0


def follow_ups_page(session: Session, *, state: str, page: int, per_page: int) -> Page:
    stmt = select(FollowUp)
    if state:
        stmt = stmt.where(FollowUp.state == state)
    return _page(session, stmt.order_by(FollowUp.created_at.desc(), FollowUp.id.desc()), page, per_page)


def _page(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    """One page of an ordered statement's rows, with the count the pager shows; `page` counts from 1."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(rows=rows, page=page, pages=pages, total=total)
