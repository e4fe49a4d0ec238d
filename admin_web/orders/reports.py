"""The work-order reports (issue 15, item 6), computed by a report worker (admin_web.jobs): orders by request type,
category, department, hall and period with what became of them and how long each stage took, the open orders past
their deadline, and the citizens' satisfaction with the departments (engine.store.order_reports)."""
from __future__ import annotations

import datetime as dt
import json

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired, ValidationError

from admin_web.jobs import queue
from admin_web.jobs import web as jobs
from admin_web.jobs.registry import JobKind, Progress, Result, json_result, register
from admin_web.orders import bp
from admin_web.orders.labels import RATING_LABELS, TYPE_LABELS
from admin_web.reports.labels import REPORT_TITLES
from admin_web.reports.views import failed_page, today_local
from admin_web.security import MONITORS, roles_required
from engine.domain.followup import RequestType
from engine.reports import periods
from engine.store import order_reports

LIVE_TTL_S, CLOSED_TTL_S = 30.0, 600.0
MAX_DAYS = 400
GRAIN_CHOICES = [("day", _l("Day")), ("month", _l("Month")), ("range", _l("Whole range"))]
DIMENSION_CHOICES = [("all", _l("All orders")), ("request_type", _l("Request type")),
                     ("category", _l("Category (top level)")), ("category2", _l("Category (second level)")),
                     ("department", _l("Department")), ("hall", _l("Hall"))]


class OrderReportForm(FlaskForm):
    class Meta:
        csrf = False

    dimension = SelectField(_l("Per"), choices=DIMENSION_CHOICES, default="request_type")
    grain = SelectField(_l("By"), choices=GRAIN_CHOICES, default="range")
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])

    def validate_end(self, field) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end is before the start."))
        if self.start.data and field.data and (field.data - self.start.data).days >= MAX_DAYS:
            raise ValidationError(_l("At most %(days)d days.", days=MAX_DAYS))


def _ttl(params: dict) -> float:
    return LIVE_TTL_S if dt.date.fromisoformat(params["end"]) >= today_local() else CLOSED_TTL_S


def _instants(params: dict) -> tuple[dt.datetime, dt.datetime]:
    start, end = periods.day_range(dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"]))
    return (dt.datetime.fromtimestamp(start, dt.timezone.utc), dt.datetime.fromtimestamp(end, dt.timezone.utc))


def _label(dimension: str, key, names: dict) -> str:
    if dimension == "all":
        return str(_("All orders"))
    if key is None:
        return str({"category": _("No category"), "category2": _("No second-level category"),
                    "department": _("No department"), "hall": _("No hall")}.get(dimension, "—"))
    if dimension == "request_type":
        return str(TYPE_LABELS[RequestType(key)])
    return names.get(key, f"#{key}")


def _compute(session: Session, params: dict, _progress: Progress) -> Result:
    start, end = _instants(params)
    dimension, grain = params["dimension"], params["grain"]
    rows = order_reports.order_counts(session, start, end, dimension=dimension, grain=grain)
    names = order_reports.labels_for(session, dimension, [r.key for r in rows])
    total = order_reports.total_of(rows)
    count, overdue = order_reports.overdue_orders(session)
    satisfaction = order_reports.department_satisfaction(session, start, end)
    for row in satisfaction:
        if row.department_id is None:
            row.department = str(_("Answered by the centre (no department)"))
    return json_result({
        "rows": [{**r.as_dict(), "label": _label(dimension, r.key, names)} for r in rows],
        "total": total.as_dict(), "overdue_count": count, "overdue": [o.as_dict() for o in overdue],
        "satisfaction": [s.as_dict() for s in satisfaction]})


REPORT = register(JobKind("order_report", _compute, _ttl))


@bp.route("/reports")
@roles_required(*MONITORS)
def reports():
    """Orders by request type, category, department, hall and period; overdue orders; departments' satisfaction."""
    form = OrderReportForm(request.args)
    today = today_local()
    if form.start.data is None and not form.start.raw_data:
        form.start.data = today.replace(day=1)
    if form.end.data is None and not form.end.raw_data:
        form.end.data = today
    title = _("Work-order reports")
    data = computed_at = None
    if form.validate():
        params = {"dimension": form.dimension.data, "grain": form.grain.data,
                  "start": form.start.data.isoformat(), "end": form.end.data.isoformat()}
        job = jobs.for_request(REPORT.name, params, fresh=request.args.get("fresh") == "1")
        if job.state == queue.FAILED:
            return failed_page(job, title)
        if job.state != queue.DONE:
            args = {k: v for k, v in request.args.items() if k != "fresh"}
            return jobs.pending_page(job, title, url_for("orders.reports", **args))
        data, computed_at = json.loads(job.result), job.finished_at
        for row in data["overdue"]:
            row["due"] = dt.datetime.fromisoformat(row["due"])
    return render_template("orders/reports.html", form=form, data=data, computed_at=computed_at, title=title,
                           ratings=RATING_LABELS, titles=REPORT_TITLES)
