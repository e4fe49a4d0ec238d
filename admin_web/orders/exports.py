"""Work orders as CSV and XLSX (R-NF-4: orders exchanged with the provincial 12345 platform), computed by a report
worker (admin_web.jobs) from the list's view and search, scoped like the user who asked.

The file is an exchange format, the same whatever the console's language: Chinese column headers and the Chinese
words of every vocabulary (never the codes), times in Beijing time. The import (admin_web.orders.transfer) reads
the same columns. The citizen's number is in the file only for the roles that see it on the order's page (agents,
supervisors, administrators); a department's user gets no name for a confidential order. An order imported from
the platform carries the platform's number (来源编号, work_orders.external_number)."""
from __future__ import annotations

import datetime as dt
import io

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from admin_web.jobs.downloads import write_table
from admin_web.jobs.registry import JobKind, Progress, Result, register
from admin_web.orders.labels import PART_LABELS, SOURCE_LABELS, STATE_LABELS, TYPE_LABELS, URGENCY_LABELS
from admin_web.orders.queries import VIEWS, filtered
from engine.domain.states import Role
from engine.domain.workorder import OrderState
from engine.reports.periods import LOCAL
from engine.store import order_reports
from engine.store.models import Hall, WorkOrder

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
EXCHANGE_LOCALE = "zh_CN"       # the file's words, whatever the user's language
PHONE_ROLES = (Role.ADMIN.value, Role.SUPERVISOR.value, Role.AGENT.value)
BATCH = 500

# the columns, in order; those the import reads are admin_web.orders.transfer.IMPORT_COLUMNS
NUMBER, EXTERNAL, REGISTERED, TYPE, URGENCY, HARD, TITLE, CONTENT, WISHES = (
    "工单编号", "来源编号", "登记时间", "诉求类型", "紧急程度", "疑难", "标题", "诉求内容", "市民诉求")
NAME, PHONE, ADDRESS, REPLY_WANTED, CONFIDENTIAL, CATEGORY, HALL, SOURCE, STATE = (
    "市民姓名", "联系电话", "地址", "需要回复", "保密", "分类", "服务厅", "来源", "状态")
DEPARTMENTS, DISPATCH_DUE, DISPATCHED, REPLY_DUE, REPLIED, CLOSED, ON_THE_SPOT, ANSWER = (
    "承办单位", "派单时限", "派单时间", "答复时限", "答复时间", "办结时间", "当场答复", "办结意见")
COLUMNS = (NUMBER, EXTERNAL, REGISTERED, TYPE, URGENCY, HARD, TITLE, CONTENT, WISHES, NAME, PHONE, ADDRESS,
           REPLY_WANTED, CONFIDENTIAL, CATEGORY, HALL, SOURCE, STATE, DEPARTMENTS, DISPATCH_DUE, DISPATCHED,
           REPLY_DUE, REPLIED, CLOSED, ON_THE_SPOT, ANSWER)
YES, NO = "是", "否"


def external_number(order: WorkOrder) -> str:
    """The provincial platform's number of an imported order ('' for the centre's own)."""
    return order.external_number or ""


def beijing(value: dt.datetime | None) -> str:
    """A stored UTC time as Beijing time text ('' when none)."""
    if value is None:
        return ""
    value = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


def _yes(value: bool) -> str:
    return YES if value else NO


def order_row(order: WorkOrder, paths: dict[int, str], halls: dict[int, str], *, phone: bool,
              names: bool) -> list:
    """One order as the file's cells (call in the exchange locale: the labels are Chinese)."""
    departments = "、".join(f"{p.department.name}（{PART_LABELS[p.state]}）" for p in order.parts)
    hidden_name = order.confidential and not names
    return [order.number, external_number(order), beijing(order.created_at), str(TYPE_LABELS[order.request_type]),
            str(URGENCY_LABELS[order.urgency]), _yes(order.hard), order.title, order.content, order.wishes,
            "" if hidden_name else order.citizen_name, order.citizen_phone if phone else "",
            order.citizen_address if not hidden_name else "", _yes(order.reply_wanted), _yes(order.confidential),
            paths.get(order.category_id, "") if order.category_id else "",
            halls.get(order.hall_id, "") if order.hall_id else "", str(SOURCE_LABELS.get(order.source, order.source)),
            str(STATE_LABELS[OrderState(order.state)]), departments, beijing(order.dispatch_due),
            beijing(order.dispatched_at), beijing(order.reply_due), beijing(order.replied_at),
            beijing(order.closed_at), _yes(order.on_the_spot), order.answer]


def orders_rows(session: Session, params: dict, progress: Progress, now: dt.datetime | None = None):
    """The header, then each row (the orders read in batches: a year of a hotline's orders is a large file)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    stmt = filtered(params, now)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    paths = order_reports.category_paths(session)
    halls = dict(session.execute(select(Hall.id, Hall.name)).all())
    phone = params.get("role") in PHONE_ROLES
    names = params.get("role") != Role.DEPARTMENT.value
    yield list(COLUMNS)
    progress(0, total)
    done = 0
    for order in session.scalars(stmt.options(selectinload(WorkOrder.parts)).execution_options(yield_per=BATCH)):
        done += 1
        yield order_row(order, paths, halls, phone=phone, names=names)
        if done % BATCH == 0:
            progress(done, total)
    progress(done, max(total, done))


def _export(session: Session, params: dict, progress: Progress) -> Result:
    fmt = params.get("format")
    if fmt not in FORMATS or params.get("view", "all") not in VIEWS:
        raise ValueError(f"order export: format {fmt!r}, view {params.get('view')!r}")
    out = io.BytesIO()
    with force_locale(EXCHANGE_LOCALE):
        write_table(out, fmt, orders_rows(session, params, progress), "工单")
    stamp = dt.datetime.now(LOCAL).strftime("%Y%m%d_%H%M%S")
    return Result(out.getvalue(), "text/csv" if fmt == "csv" else XLSX, f"工单_{stamp}.{fmt}")


EXPORT = register(JobKind("orders_export", _export, None))       # each export is its owner's own
