"""Report pages and their JSON API: every page's figures come from the same table builder, so the page, the
API and the exports always agree; every figure links to the calls behind it."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin_web.jobs import queue
from admin_web.jobs import web as jobs
from admin_web.paging import page_arg
from admin_web.audit import record as audit_record
from admin_web.db import get_session
from admin_web.labels import engine_message
from admin_web.reports import bp
from admin_web.reports.forms import DefinitionsForm, ReportFilterForm
from admin_web.reports.charts import chart
from admin_web.reports.labels import (ABANDON_LABELS, ANSWER_RATE_ABANDON_LABELS, DIMENSION_LABELS, FIGURE_LABELS,
                                      GRAIN_LABELS, GROUP_LABELS, RATING_LABELS, REPORT_TITLES, page_label)
from admin_web.reports.jobs import SCORECARD, TABLE, month_params, query_params, scorecard_of, table_of
from admin_web.reports.tables import COLUMN_GROUPS, KINDS, Query, is_duration, is_empty_row, is_percent
from admin_web.security import ADMIN, MONITORS, roles_required
from engine.reports import periods, rollups
from engine.reports.definitions import Definitions, load_definitions, save_definitions
from engine.reports.drill import DRILL, calls_behind
from admin_web.reports.labels import FORMULA_LABELS as FORMULAS

PER_PAGE = 100
GRID_ROWS = 100             # rows of a report table per page (agents × days of a month run into thousands)


def today_local() -> dt.date:
    return periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).date()


def _query(kind: str) -> tuple[ReportFilterForm, Query | None]:
    form = ReportFilterForm(kind, today_local(), request.args)
    if not form.validate():
        return form, None
    return form, Query(kind, form.dimension.data, form.grain.data, form.start.data, form.end.data)


def _fresh() -> bool:
    """?fresh=1: compute again now instead of sharing a result of the last seconds."""
    return request.args.get("fresh") == "1"


def failed_page(job, title: str):
    """A job that failed: said in the page's language (the worker's log has the reason, under the job's id)."""
    return render_template("reports/pending.html", job=job, job_status=jobs.status(job), title=title, then=""), 500


def _definition_labels() -> dict:
    """What the definitions card (reports/_definitions.html) names its choices with."""
    return {"abandon_labels": ABANDON_LABELS, "answer_rate_abandon_labels": ANSWER_RATE_ABANDON_LABELS,
            "rating_labels": RATING_LABELS}


def _table_job(q: Query, d):
    return jobs.for_request(TABLE.name, query_params(q, d), fresh=_fresh())


@bp.app_template_global()
def report_titles() -> dict:
    """The reports' translated titles, for the reports' sub-menu on every page that shows it."""
    return REPORT_TITLES


def grid_page(kind: str, table: dict, page: int) -> dict:
    """What the page shows of a table: its column sets, one page of the rows that have figures (periods without
    any are left out and counted), and the pager."""
    columns = table["columns"]
    rows = [r for r in table["rows"] if not is_empty_row(r, columns)]
    pages = max(1, -(-len(rows) // GRID_ROWS))
    page = min(max(1, page), pages)
    groups = [(name, GROUP_LABELS[name], cols) for name, cols in COLUMN_GROUPS[kind]]
    return {"rows": rows[(page - 1) * GRID_ROWS:page * GRID_ROWS], "empty": len(table["rows"]) - len(rows),
            "count": len(rows), "page": page, "pages": pages, "groups": groups}


@bp.route("/")
@roles_required(*MONITORS)
def index():
    return redirect(url_for("reports.report", kind="service"))


@bp.route("/<kind>")
@roles_required(*MONITORS)
def report(kind: str):
    """One report: selector, definitions, chart, table with every figure linked to its calls, exports."""
    if kind not in KINDS:
        abort(404)
    form, q = _query(kind)
    session = get_session()
    d = load_definitions(session)
    table = computed_at = None
    if q is not None:
        job = _table_job(q, d)
        if job.state == queue.FAILED:
            return failed_page(job, str(REPORT_TITLES[kind]))
        if job.state != queue.DONE:
            args = {k: v for k, v in request.args.items() if k != "fresh"}
            return jobs.pending_page(job, str(REPORT_TITLES[kind]), url_for("reports.report", kind=kind, **args))
        table, computed_at = table_of(job), job.finished_at
    grid = grid_page(kind, table, page_arg()) if table else None
    return render_template("reports/report.html", kind=kind, form=form, q=q, table=table, d=d, grid=grid,
                           chart=chart(kind, q.dimension, table) if table else None,
                           titles=REPORT_TITLES, figure_labels=FIGURE_LABELS, page_label=page_label,
                           formulas=FORMULAS, is_percent=is_percent, is_duration=is_duration,
                           computed_at=computed_at, **_definition_labels())


@bp.route("/api/<kind>.json")
@roles_required(*MONITORS)
def api(kind: str):
    """The report's figures as JSON (same parameters as the page)."""
    if kind not in KINDS:
        abort(404)
    form, q = _query(kind)
    if q is None:
        return jsonify(errors=form.errors), 400
    d = load_definitions(get_session())
    job = _table_job(q, d)
    if job.state != queue.DONE:
        return jsonify(job=jobs.status(job)), 500 if job.state == queue.FAILED else 202
    table = table_of(job)
    return jsonify(kind=kind, query=q.args(), definitions=dataclasses.asdict(d),
                   labels={c: str(FIGURE_LABELS.get(c, c)) for c in table["columns"]},
                   grain_label=str(GRAIN_LABELS[q.grain]), dimension_label=str(DIMENSION_LABELS[q.dimension]),
                   chart=chart(kind, q.dimension, table), **table)


def _where() -> dict:
    dim, key = request.args.get("dim", "all"), request.args.get("key", "")
    return {dim: key} if dim not in ("all", "", None) else {}


@bp.route("/calls")
@roles_required(*MONITORS)
def calls():
    """The calls behind one figure: figure, [start, end) epochs, and the row's dimension and key."""
    figure = request.args.get("figure", "")
    if figure not in DRILL:
        abort(404)
    start, end = request.args.get("start", type=int), request.args.get("end", type=int)
    if start is None or end is None or end <= start:
        abort(400)
    page = max(1, page_arg())
    session = get_session()
    d = load_definitions(session)
    total, entries = calls_behind(session, figure, start, end, d, _where(), PER_PAGE, (page - 1) * PER_PAGE)
    if request.args.get("format") == "json":
        return jsonify(total=total, calls=[{**dataclasses.asdict(e), "at": e.at.isoformat(),
                                            "queued_at": e.queued_at.isoformat() if e.queued_at else None}
                                           for e in entries])
    return render_template("reports/calls.html", figure=figure, label=FIGURE_LABELS.get(figure, figure),
                           dimension_labels=DIMENSION_LABELS,
                           formula=FORMULAS.get(figure, ""), total=total, entries=entries, page=page,
                           pages=max(1, -(-total // PER_PAGE)), start=periods.local(start),
                           end=periods.local(end), args=request.args.to_dict())


def _month_arg() -> tuple[int, int]:
    text = request.args.get("month") or today_local().strftime("%Y-%m")
    try:
        year, month = (int(x) for x in text.split("-"))
        dt.date(year, month, 1)
    except ValueError:
        abort(400)
    return year, month


@bp.route("/scorecard")
@roles_required(*MONITORS)
def scorecard():
    """The month's KPIs against the purchaser's targets (seed 003) and the points each scores."""
    year, month = _month_arg()
    d = load_definitions(get_session())
    job = jobs.for_request(SCORECARD.name, month_params(year, month, d), fresh=_fresh())
    if job.state == queue.FAILED:
        return failed_page(job, _("Monthly scorecard"))
    if job.state != queue.DONE:
        return jobs.pending_page(job, _("Monthly scorecard"), url_for("reports.scorecard", month=f"{year:04d}-{month:02d}"))
    return render_template("reports/scorecard.html", card=scorecard_of(job), month=f"{year:04d}-{month:02d}", d=d,
                           figure_labels=FIGURE_LABELS, formulas=FORMULAS, computed_at=job.finished_at,
                           **_definition_labels())


@bp.route("/api/scorecard.json")
@roles_required(*MONITORS)
def scorecard_api():
    year, month = _month_arg()
    job = jobs.for_request(SCORECARD.name, month_params(year, month, load_definitions(get_session())),
                           fresh=_fresh())
    if job.state != queue.DONE:
        return jsonify(job=jobs.status(job)), 500 if job.state == queue.FAILED else 202
    return jsonify(scorecard_of(job).as_dict())


@bp.route("/definitions", methods=["GET", "POST"])
@roles_required(*ADMIN, scope="centre")
def definitions():
    """Edit the definitions (admins); reports use them at once, no rebuild needed."""
    session = get_session()
    current = load_definitions(session)
    data = dataclasses.asdict(current)
    for key in ("valid_ratings", "satisfied_ratings"):
        data[key] = [str(v) for v in data[key]]
    data["rest_reasons"] = list(data["rest_reasons"])
    form = DefinitionsForm(data=data) if request.method == "GET" else DefinitionsForm()
    if form.validate_on_submit():
        # every definition the form edits; the others (rating_codes) stay as they are
        values = {name: getattr(form, name).data if name in form._fields else data[name] for name in data}
        values["valid_ratings"] = tuple(sorted(int(v) for v in values["valid_ratings"]))
        values["satisfied_ratings"] = tuple(sorted(int(v) for v in values["satisfied_ratings"]))
        values["rest_reasons"] = tuple(values["rest_reasons"])
        values = {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}
        try:
            new = Definitions(**values)
        except ValueError as exc:
            flash(engine_message(exc), "error")
        else:
            save_definitions(session, new)
            audit_record(session, "report_definitions.update", "report_definitions", new.to_json())
            session.commit()
            flash(_("Report definitions saved."), "success")
            return redirect(url_for("reports.definitions"))
    return render_template("reports/definitions.html", form=form, formulas=FORMULAS, figure_labels=FIGURE_LABELS)


@bp.route("/refresh", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def refresh():
    """Fold closed days of agent state time now (reports also do it on demand)."""
    rollups.refresh(get_session())
    flash(_("Agent statistics are up to date."), "success")
    return redirect(request.referrer or url_for("reports.index"))
