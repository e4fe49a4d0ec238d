"""Work-order reports (issue 15, item 6): orders by request type, category, department, hall and period with what
became of them, the open orders past their deadline, the citizens' satisfaction with the departments, and the
month's hot topics by category. Pure SQLAlchemy on the session it is given (the console's scope applies to every
statement: admin_web.scope), the same on SQLite and PostgreSQL.

Periods are the centre's local days and months (UTC+8, engine.reports.periods), computed in the database by two
small portable constructs (`local_period`, `seconds_between`) compiled for each dialect. An order counts in the
period it was registered in (a cohort): of the orders registered that day, how many were answered on the spot,
dispatched, closed, dispatched late, replied late, and how long each stage took on average."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Float, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import String

from engine.domain.followup import Rating
from engine.domain.workorder import OrderState, PartState
from engine.reports.periods import TZ_OFFSET_S
from engine.store.base import utcnow
from engine.store.models import (Department, FollowUp, Hall, OrderCategory, WorkOrder, WorkOrderPart)

__all__ = ["GRAINS", "DIMENSIONS", "OrderRow", "order_counts", "overdue_orders", "department_satisfaction",
           "hot_categories", "category_levels", "local_period", "seconds_between"]

GRAINS = ("day", "month", "range")
DIMENSIONS = ("all", "request_type", "category", "category2", "department", "hall")
OPEN_PARTS = (PartState.DISPATCHED, PartState.ACCEPTED)
WAITING = (OrderState.REGISTERED, OrderState.REVIEWED)
_OFFSET_H = TZ_OFFSET_S // 3600


# -- two portable expressions -----------------------------------------------------------------------------------
class local_period(FunctionElement):
    """The local day ('2026-09-24') or month ('2026-09') of a stored UTC timestamp, as text."""

    type = String()
    inherit_cache = True
    name = "local_period"

    def __init__(self, column, grain: str):
        if grain not in ("day", "month"):
            raise ValueError(f"grain {grain!r}: day or month")
        self.grain = grain
        super().__init__(column)


@compiles(local_period)
def _local_period_default(element, compiler, **kw):           # SQLite: the text SQLAlchemy stores, read as UTC
    fmt = "%Y-%m-%d" if element.grain == "day" else "%Y-%m"
    return f"strftime('{fmt}', {compiler.process(element.clauses, **kw)}, '+{_OFFSET_H} hours')"


@compiles(local_period, "postgresql")
def _local_period_pg(element, compiler, **kw):
    fmt = "YYYY-MM-DD" if element.grain == "day" else "YYYY-MM"
    return (f"to_char(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') "
            f"+ INTERVAL '{_OFFSET_H} hours', '{fmt}')")


class seconds_between(FunctionElement):
    """later − earlier in seconds (a float; NULL when either is NULL)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_default(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


# -- the category tree ------------------------------------------------------------------------------------------
def category_levels(session: Session) -> dict[int, tuple[int, int | None]]:
    """Each category's (top-level id, second-level id or None for a top-level category)."""
    parents = dict(session.execute(select(OrderCategory.id, OrderCategory.parent_id)).all())
    out: dict[int, tuple[int, int | None]] = {}
    for cid in parents:
        chain, seen, node = [cid], {cid}, parents.get(cid)
        while node is not None and node not in seen and node in parents:
            chain.append(node)
            seen.add(node)
            node = parents.get(node)
        chain.reverse()             # root first
        out[cid] = (chain[0], chain[1] if len(chain) > 1 else None)
    return out


def category_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(OrderCategory.id, OrderCategory.name)).all())


def category_paths(session: Session) -> dict[int, str]:
    """id → 税费政策 › 个人所得税 (every category, retired ones too)."""
    rows = dict((i, (p, n)) for i, p, n in session.execute(
        select(OrderCategory.id, OrderCategory.parent_id, OrderCategory.name)))
    out: dict[int, str] = {}
    for cid in rows:
        names, seen, node = [], set(), cid
        while node is not None and node in rows and node not in seen:
            seen.add(node)
            names.append(rows[node][1])
            node = rows[node][0]
        out[cid] = " › ".join(reversed(names))
    return out


# -- orders by dimension and period -----------------------------------------------------------------------------
@dataclasses.dataclass
class OrderRow:
    """The figures of one period × one value of the dimension (key None: none, e.g. an order with no category)."""

    period: str
    key: str | None
    registered: int = 0
    on_the_spot: int = 0
    dispatched: int = 0
    replied: int = 0
    closed: int = 0
    late_dispatch: int = 0
    late_reply: int = 0
    dispatch_s_sum: float = 0.0
    dispatch_n: int = 0
    reply_s_sum: float = 0.0
    reply_n: int = 0
    close_s_sum: float = 0.0
    close_n: int = 0

    FIGURES = ("registered", "on_the_spot", "dispatched", "replied", "closed", "late_dispatch", "late_reply")

    def add(self, other: "OrderRow") -> None:
        for f in dataclasses.fields(self):
            if f.name not in ("period", "key"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @staticmethod
    def _avg(total: float, n: int) -> float | None:
        return round(total / n, 1) if n else None

    @property
    def avg_dispatch_s(self) -> float | None:
        """Registered → first dispatched."""
        return self._avg(self.dispatch_s_sum, self.dispatch_n)

    @property
    def avg_reply_s(self) -> float | None:
        """Dispatched → replied (for a department: its part's)."""
        return self._avg(self.reply_s_sum, self.reply_n)

    @property
    def avg_close_s(self) -> float | None:
        """Registered → closed (an order answered on the spot: 0)."""
        return self._avg(self.close_s_sum, self.close_n)

    def as_dict(self) -> dict:
        return {"period": self.period, "key": self.key, **{f: getattr(self, f) for f in self.FIGURES},
                "avg_dispatch_s": self.avg_dispatch_s, "avg_reply_s": self.avg_reply_s,
                "avg_close_s": self.avg_close_s}


def _instant(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc)


def _sum(condition) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _avg_parts(seconds) -> tuple[ColumnElement, ColumnElement]:
    return func.coalesce(func.sum(seconds), 0.0), func.count(seconds)


def order_counts(session: Session, start: dt.datetime, end: dt.datetime, *, dimension: str = "all",
                 grain: str = "range", now: dt.datetime | None = None) -> list[OrderRow]:
    """Orders registered in [start, end) per period of `grain` and value of `dimension`, in period order.

    * late_dispatch: dispatched after the dispatch deadline, or past it and not dispatched (answered on the spot:
      never late);
    * late_reply: a department's part replied after its deadline, or past it and not replied (per department:
      that department's part; otherwise: orders with any such part);
    * per department an order counts once for each department it was dispatched to (a part returned as not the
      department's still counts as dispatched to it, not as replied).
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension {dimension!r}: one of {', '.join(DIMENSIONS)}")
    if grain not in GRAINS:
        raise ValueError(f"grain {grain!r}: one of {', '.join(GRAINS)}")
    now = _instant(now or utcnow())
    late_dispatch = and_(WorkOrder.on_the_spot.is_(False), WorkOrder.dispatch_due.is_not(None), or_(
        WorkOrder.dispatched_at > WorkOrder.dispatch_due,
        and_(WorkOrder.dispatched_at.is_(None), WorkOrder.dispatch_due < now,
             WorkOrder.state.in_(WAITING))))
    dispatch_s = case((WorkOrder.dispatched_at.is_not(None),
                       seconds_between(WorkOrder.dispatched_at, WorkOrder.created_at)), else_=None)
    close_s = case((and_(WorkOrder.state == OrderState.CLOSED, WorkOrder.closed_at.is_not(None)),
                    seconds_between(WorkOrder.closed_at, WorkOrder.created_at)), else_=None)
    # an alias: the hall scope's own criterion on orders (admin_web.scope) names WorkOrderPart in a correlated
    # EXISTS, which a join of the table itself would swallow
    part = aliased(WorkOrderPart)
    if dimension == "department":
        key = part.department_id
        part_late = and_(part.reply_due.is_not(None), or_(
            part.replied_at > part.reply_due, and_(part.replied_at.is_(None), part.state.in_(OPEN_PARTS),
                                                   part.reply_due < now)))
        reply_s = case((part.replied_at.is_not(None), seconds_between(part.replied_at, part.dispatched_at)),
                       else_=None)
        figures = [func.count(WorkOrder.id), _sum(WorkOrder.on_the_spot), func.count(part.id),
                   _sum(part.replied_at.is_not(None)), _sum(WorkOrder.state == OrderState.CLOSED),
                   _sum(late_dispatch), _sum(part_late)]
    else:
        any_late = exists().where(part.order_id == WorkOrder.id, part.reply_due.is_not(None), or_(
            part.replied_at > part.reply_due,
            and_(part.replied_at.is_(None), part.state.in_(OPEN_PARTS), part.reply_due < now)))
        reply_s = case((and_(WorkOrder.replied_at.is_not(None), WorkOrder.dispatched_at.is_not(None)),
                        seconds_between(WorkOrder.replied_at, WorkOrder.dispatched_at)), else_=None)
        key = {"all": None, "request_type": WorkOrder.request_type, "category": WorkOrder.category_id,
               "category2": WorkOrder.category_id, "hall": WorkOrder.hall_id}[dimension]
        figures = [func.count(WorkOrder.id), _sum(WorkOrder.on_the_spot), _sum(WorkOrder.dispatched_at.is_not(None)),
                   _sum(WorkOrder.replied_at.is_not(None)), _sum(WorkOrder.state == OrderState.CLOSED),
                   _sum(late_dispatch), _sum(any_late)]
    groups = []
    if grain != "range":
        groups.append(local_period(WorkOrder.created_at, grain))
    if key is not None:
        groups.append(key)
    stmt = select(*groups, *figures, *_avg_parts(dispatch_s), *_avg_parts(reply_s), *_avg_parts(close_s))
    stmt = stmt.select_from(WorkOrder)
    if dimension == "department":
        stmt = stmt.join(part, part.order_id == WorkOrder.id)
    stmt = stmt.where(WorkOrder.created_at >= _instant(start), WorkOrder.created_at < _instant(end))
    if groups:
        stmt = stmt.group_by(*groups)
    levels = category_levels(session) if dimension in ("category", "category2") else {}
    rows: dict[tuple[str, str | None], OrderRow] = {}
    for result in session.execute(stmt):
        values = list(result)
        per = str(values.pop(0) or "") if grain != "range" else ""
        raw_key = values.pop(0) if key is not None else ""
        registered, spot, dispatched, replied, closed, late_d, late_r, ds, dn, rs, rn, cs, cn = values
        if not registered:
            continue                # no group at all: an aggregate over no rows
        value = getattr(raw_key, "value", raw_key)
        if dimension in ("category", "category2"):
            top, second = levels.get(value, (None, None)) if value is not None else (None, None)
            value = top if dimension == "category" else second
        row = OrderRow(per, "" if dimension == "all" else (None if value is None else str(value)),
                       int(registered), int(spot or 0), int(dispatched or 0), int(replied or 0), int(closed or 0),
                       int(late_d or 0), int(late_r or 0), float(ds or 0), int(dn or 0), float(rs or 0),
                       int(rn or 0), float(cs or 0), int(cn or 0))
        bucket = rows.get((row.period, row.key))
        if bucket is None:
            rows[(row.period, row.key)] = row
        else:
            bucket.add(row)
    return sorted(rows.values(), key=lambda r: (r.period, r.key is None, r.key or ""))


def total_of(rows: Iterable[OrderRow]) -> OrderRow:
    """The rows added up (per department an order dispatched to two departments counts twice)."""
    total = OrderRow("", "")
    for row in rows:
        total.add(row)
    return total


def labels_for(session: Session, dimension: str, keys: Iterable[str | None]) -> dict[str | None, str]:
    """The names of the dimension's keys that name rows (categories, departments, halls); others as given."""
    ids = [int(k) for k in keys if k not in (None, "") and str(k).isdigit()]
    if dimension in ("category", "category2"):
        names = category_names(session)
    elif dimension == "department":
        names = dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())
    elif dimension == "hall":
        names = dict(session.execute(select(Hall.id, Hall.name).where(Hall.id.in_(ids))).all())
    else:
        return {}
    return {str(i): names[i] for i in ids if i in names}


# -- the overdue list -------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Overdue:
    order_id: int
    number: str
    title: str
    stage: str                  # "dispatch" (waiting for dispatch) or "reply" (a department's part)
    department_id: int | None
    department: str
    hall_id: int | None
    due: dt.datetime
    late_s: float
    escalated: bool

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "due": self.due.isoformat()}


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def overdue_orders(session: Session, now: dt.datetime | None = None, limit: int = 500) -> tuple[int, list[Overdue]]:
    """Open orders past a deadline, the latest first: waiting for dispatch past the dispatch deadline, and each
    department's open part past its reply deadline (an order late at two departments is listed twice).
    (how many in all, the first `limit`)."""
    now = _instant(now or utcnow())
    waiting = (select(WorkOrder.id, WorkOrder.number, WorkOrder.title, WorkOrder.hall_id, WorkOrder.dispatch_due,
                      WorkOrder.escalated_at)
               .where(WorkOrder.state.in_(WAITING), WorkOrder.dispatch_due.is_not(None), WorkOrder.dispatch_due < now))
    part = aliased(WorkOrderPart)        # see order_counts
    parts = (select(WorkOrder.id, WorkOrder.number, WorkOrder.title, WorkOrder.hall_id, part.reply_due,
                    WorkOrder.escalated_at, part.department_id, Department.name)
             .select_from(WorkOrder).join(part, part.order_id == WorkOrder.id)
             .outerjoin(Department, Department.id == part.department_id)
             .where(WorkOrder.state == OrderState.DISPATCHED, part.state.in_(OPEN_PARTS),
                    part.reply_due.is_not(None), part.reply_due < now))
    count = (session.scalar(select(func.count()).select_from(waiting.subquery())) or 0) + \
        (session.scalar(select(func.count()).select_from(parts.subquery())) or 0)
    out: list[Overdue] = []
    for oid, number, title, hall_id, due_at, escalated in session.execute(
            waiting.order_by(WorkOrder.dispatch_due).limit(limit)):
        due_at = _aware(due_at)
        out.append(Overdue(oid, number, title, "dispatch", None, "", hall_id, due_at, (now - due_at).total_seconds(),
                           escalated is not None))
    for oid, number, title, hall_id, due_at, escalated, department_id, name in session.execute(
            parts.order_by(part.reply_due).limit(limit)):
        due_at = _aware(due_at)
        out.append(Overdue(oid, number, title, "reply", department_id, name or "", hall_id, due_at,
                           (now - due_at).total_seconds(), escalated is not None))
    out.sort(key=lambda o: (-o.late_s, o.number))
    return count, out[:limit]


# -- satisfaction with the departments --------------------------------------------------------------------------
@dataclasses.dataclass
class Satisfaction:
    """The follow-ups done in the period of orders a department handled (department_id None: orders no department
    handled, answered by the centre): the citizen's rating of the order and of the department's handling."""

    department_id: int | None
    department: str
    visits: int = 0
    rating: dict = dataclasses.field(default_factory=dict)              # rating value → count
    department_rating: dict = dataclasses.field(default_factory=dict)

    @staticmethod
    def _rate(counts: dict) -> float | None:
        total = sum(counts.values())
        if not total:
            return None
        return round(100.0 * sum(n for key, n in counts.items() if Rating(key).satisfied) / total, 2)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意 + 基本满意 in % of the rated visits."""
        return self._rate(self.rating)

    @property
    def department_rate(self) -> float | None:
        return self._rate(self.department_rating)

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "satisfaction_rate": self.satisfaction_rate,
                "department_rate": self.department_rate}


def department_satisfaction(session: Session, start: dt.datetime, end: dt.datetime) -> list[Satisfaction]:
    """Follow-ups done in [start, end) by department of the order's parts (returned parts aside), the most
    visited first; the orders no department handled last."""
    part = aliased(WorkOrderPart)        # see order_counts
    stmt = (select(part.department_id, Department.name, FollowUp.rating, FollowUp.department_rating,
                   func.count(FollowUp.id))
            .select_from(FollowUp).join(WorkOrder, WorkOrder.id == FollowUp.order_id)
            .outerjoin(part, and_(part.order_id == FollowUp.order_id, part.state != PartState.RETURNED))
            .outerjoin(Department, Department.id == part.department_id)
            .where(FollowUp.state == "done", FollowUp.done_at >= _instant(start), FollowUp.done_at < _instant(end))
            .group_by(part.department_id, Department.name, FollowUp.rating, FollowUp.department_rating))
    out: dict[int | None, Satisfaction] = {}
    for department_id, name, rating, department_rating, n in session.execute(stmt):
        row = out.setdefault(department_id, Satisfaction(department_id, name or ""))
        row.visits += n
        if rating is not None:
            key = getattr(rating, "value", rating)
            row.rating[key] = row.rating.get(key, 0) + n
        if department_rating is not None:
            key = getattr(department_rating, "value", department_rating)
            row.department_rating[key] = row.department_rating.get(key, 0) + n
    return sorted(out.values(), key=lambda r: (r.department_id is None, -r.visits, r.department))


# -- hot topics -------------------------------------------------------------------------------------------------
def hot_categories(session: Session, start: dt.datetime, end: dt.datetime, limit: int = 20
                   ) -> tuple[int, list[tuple[str, int, float]]]:
    """The categories of the orders registered in [start, end), the most frequent first: (orders in all,
    [(category path, orders, share %)]); orders without a category are counted in all, listed as ''."""
    stmt = (select(WorkOrder.category_id, func.count(WorkOrder.id))
            .where(WorkOrder.created_at >= _instant(start), WorkOrder.created_at < _instant(end))
            .group_by(WorkOrder.category_id))
    counts = session.execute(stmt).all()
    total = sum(n for _c, n in counts)
    paths = category_paths(session)
    rows = sorted(((paths.get(c, "") if c is not None else "", n) for c, n in counts), key=lambda r: (-r[1], r[0]))
    return total, [(path, n, round(100.0 * n / total, 2)) for path, n in rows[:limit]] if total else []


def hot_top_categories(session: Session, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int, float]]:
    """The same by top-level category."""
    levels, names = category_levels(session), category_names(session)
    stmt = (select(WorkOrder.category_id, func.count(WorkOrder.id))
            .where(WorkOrder.created_at >= _instant(start), WorkOrder.created_at < _instant(end))
            .group_by(WorkOrder.category_id))
    totals: dict[str, int] = {}
    for category_id, n in session.execute(stmt):
        top = levels.get(category_id, (None, None))[0] if category_id is not None else None
        name = names.get(top, "") if top is not None else ""
        totals[name] = totals.get(name, 0) + n
    total = sum(totals.values())
    return [(name, n, round(100.0 * n / total, 2)) for name, n in sorted(totals.items(), key=lambda r: (-r[1], r[0]))]
