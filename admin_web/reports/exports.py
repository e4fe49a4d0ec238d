"""Exports: CSV and XLSX of every report table, computed by a report worker (admin_web.jobs) with a polled
progress (long ranges take a while), and the monthly operating report (运行分析月报) as an XLSX workbook with
charts; the files a job leaves, for its owner."""
from __future__ import annotations

import csv
import io

from flask import abort, jsonify, request, send_file, url_for
from flask_babel import gettext as _

from admin_web.db import get_session
from admin_web.jobs import queue
from admin_web.jobs import web as jobs
from admin_web.jobs.registry import Progress
from admin_web.reports import bp
from admin_web.reports.forms import ReportFilterForm
from admin_web.reports.jobs import EXPORT, WORKBOOK, month_params, query_params
from admin_web.reports.labels import FIGURE_LABELS, REPORT_TITLES
from admin_web.reports.tables import KINDS, Query
from admin_web.reports.views import _month_arg, failed_page, today_local
from admin_web.security import MONITORS, roles_required
from engine.csvcells import safe_row
from engine.reports.definitions import load_definitions


def header_and_rows(table: dict) -> tuple[list[str], list[list]]:
    """Translated header and plain rows (periods, dimension value, figures; percentages as numbers)."""
    columns = table["columns"]
    header = [_("Period"), _("Item"), *[str(FIGURE_LABELS.get(c, c)) for c in columns]]
    rows = [[r.get("period", ""), r.get("label", ""), *[_cell(r.get(c)) for c in columns]] for r in table["rows"]]
    if table.get("total"):
        rows.append([_("Total"), "", *[_cell(table["total"].get(c)) for c in columns]])
    return header, rows


def _cell(value):
    if isinstance(value, float):
        return round(value, 2)
    return value


def write_file(out: io.BytesIO, fmt: str, q: Query, table: dict, progress: Progress) -> None:
    """The table as CSV (UTF-8 with BOM: Excel opens Chinese text right) or XLSX into `out`."""
    header, rows = header_and_rows(table)
    progress(0, len(rows))
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(header)
        for i, row in enumerate(rows, 1):
            writer.writerow(safe_row("" if v is None else v for v in row))
            progress(i, len(rows))
        text.detach()
        return
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(REPORT_TITLES[q.kind])[:31])
    ws.append(header)
    for i, row in enumerate(rows, 1):
        ws.append(row)
        progress(i, len(rows))
    wb.save(out)


@bp.route("/exports", methods=["POST"])
@roles_required(*MONITORS)
def export_start():
    """Queue an export of one report for a report worker (form fields: kind, format csv|xlsx, and the report's
    parameters); the answer is the job's status, to poll."""
    kind, fmt = request.form.get("kind", ""), request.form.get("format", "")
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        abort(400)
    form = ReportFilterForm(kind, today_local(), request.form, meta={"csrf": False})
    if not form.validate():
        return jsonify(errors=form.errors), 400
    q = Query(kind, form.dimension.data, form.grain.data, form.start.data, form.end.data)
    job = jobs.submit(EXPORT.name, {**query_params(q, load_definitions(get_session())), "format": fmt})
    return jsonify(jobs.status(job)), 202


@bp.route("/jobs/<job_id>.json")
@roles_required(*MONITORS)
def job_status(job_id: str):
    """A report job's progress (its owner's, or a shared one of the same scope)."""
    job = jobs.find(job_id) or abort(404)
    return jsonify(jobs.status(job))


@bp.route("/jobs/<job_id>/file")
@roles_required(*MONITORS)
def job_file(job_id: str):
    """The file a done job left (an export, the monthly workbook)."""
    job = jobs.find(job_id, with_result=True)
    if job is None or job.state != queue.DONE or not job.filename:
        abort(404)
    return send_file(io.BytesIO(job.result or b""), mimetype=job.mimetype, as_attachment=True,
                     download_name=job.filename)


@bp.route("/monthly.xlsx")
@roles_required(*MONITORS)
def monthly():
    """The monthly operating report (运行分析月报) of ?month=YYYY-MM as an XLSX workbook with charts."""
    year, month = _month_arg()
    job = jobs.for_request(WORKBOOK.name, month_params(year, month, load_definitions(get_session())),
                           fresh=request.args.get("fresh") == "1")
    if job.state == queue.DONE:
        return send_file(io.BytesIO(job.result or b""), mimetype=job.mimetype, as_attachment=True,
                         download_name=job.filename)
    if job.state == queue.FAILED:
        return failed_page(job, _("Monthly operating report"))
    return jobs.pending_page(job, _("Monthly operating report"), url_for("reports.job_file", job_id=job.id))
