"""Exports: CSV and XLSX of every report table, run as background jobs with a polled progress (long ranges
take a while), and the monthly operating report (运行分析月报) as an XLSX workbook with charts."""
from __future__ import annotations

import csv
import dataclasses
import io
import os
import tempfile
import threading
import uuid

from flask import abort, current_app, jsonify, request, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from admin_web.reports import bp
from admin_web.reports.forms import ReportFilterForm
from admin_web.reports.labels import FIGURE_LABELS, REPORT_TITLES
from admin_web.reports.monthly import monthly_workbook
from admin_web.reports.tables import KINDS, Query, build
from admin_web.reports.views import _month_arg, today_local
from admin_web.db import get_session
from admin_web.offload import heavy
from admin_web.scope import Scope, current_scope
from admin_web.security import MONITORS, roles_required
from engine.reports.definitions import load_definitions
from engine.csvcells import safe_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclasses.dataclass
class ExportJob:
    """One export running (or done) in this console process."""

    id: str
    kind: str
    fmt: str
    state: str = "queued"          # queued, running, done, failed
    done: int = 0
    total: int = 0
    path: str = ""
    error: str = ""
    filename: str = ""
    owner: int = 0                 # the user who asked: only they see its progress and fetch its file
    scope: Scope = dataclasses.field(default_factory=Scope)    # what that user may see (admin_web.scope)

    def status(self) -> dict:
        pct = 100 if self.state == "done" else (int(100 * self.done / self.total) if self.total else 0)
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total, "percent": pct,
                "error": self.error,
                "download": url_for("reports.export_file", job_id=self.id) if self.state == "done" else None}


_JOBS: dict[str, ExportJob] = {}
_LOCK = threading.Lock()


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


def write_csv(path: str, header: list[str], rows: list[list], job: ExportJob | None = None) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:     # BOM: Excel opens Chinese text right
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, row in enumerate(rows, 1):
            writer.writerow(safe_row("" if v is None else v for v in row))
            if job is not None:
                job.done = i


def write_xlsx(path: str, title: str, header: list[str], rows: list[list], job: ExportJob | None = None) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for i, row in enumerate(rows, 1):
        ws.append(row)
        if job is not None:
            job.done = i
    wb.save(path)


def _run(app, job: ExportJob, q: Query, locale: str) -> None:
    with app.app_context(), app.test_request_context(), force_locale(locale):
        job.state = "running"
        try:
            with job.scope.open(app.extensions["db_sessions"]) as session:
                table = build(session, q, load_definitions(session))
            header, rows = header_and_rows(table)
            job.total = len(rows)
            fd, job.path = tempfile.mkstemp(prefix=f"report-{job.kind}-", suffix=f".{job.fmt}")
            os.close(fd)
            title = str(REPORT_TITLES[q.kind])
            if job.fmt == "csv":
                write_csv(job.path, header, rows, job)
            else:
                write_xlsx(job.path, title, header, rows, job)
            job.filename = f"{q.kind}_{q.first.isoformat()}_{q.last.isoformat()}_{q.dimension}_{q.grain}.{job.fmt}"
            job.state = "done"
        except Exception as exc:     # the job reports its failure to the page that polls it
            current_app.logger.exception("report export failed")
            job.state, job.error = "failed", str(exc)


@bp.route("/exports", methods=["POST"])
@roles_required(*MONITORS)
def export_start():
    """Start an export of one report (form fields: kind, format csv|xlsx, and the report's parameters)."""
    kind, fmt = request.form.get("kind", ""), request.form.get("format", "")
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        abort(400)
    form = ReportFilterForm(kind, today_local(), request.form, meta={"csrf": False})
    if not form.validate():
        return jsonify(errors=form.errors), 400
    q = Query(kind, form.dimension.data, form.grain.data, form.start.data, form.end.data)
    job = ExportJob(uuid.uuid4().hex, kind, fmt, owner=current_user.id, scope=current_scope())
    with _LOCK:
        _JOBS[job.id] = job
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run, args=(app, job, q, str(get_locale() or "zh_CN")), daemon=True)
    thread.start()
    return jsonify(job.status()), 202


@bp.route("/exports/<job_id>.json")
@roles_required(*MONITORS)
def export_status(job_id: str):
    job = _own_job(job_id) or abort(404)
    return jsonify(job.status())


def _own_job(job_id: str) -> ExportJob | None:
    """The export `job_id` if the logged-in user started it (another user's job is not there for them)."""
    job = _JOBS.get(job_id)
    return job if job is not None and job.owner == current_user.id else None


@bp.route("/exports/<job_id>/file")
@roles_required(*MONITORS)
def export_file(job_id: str):
    job = _own_job(job_id)
    if job is None or job.state != "done":
        abort(404)
    mimetype = "text/csv" if job.fmt == "csv" else XLSX
    return send_file(job.path, mimetype=mimetype, as_attachment=True, download_name=job.filename)


@bp.route("/monthly.xlsx")
@roles_required(*MONITORS)
def monthly():
    """The monthly operating report (运行分析月报) of ?month=YYYY-MM as an XLSX workbook with charts."""
    year, month = _month_arg()
    session = get_session()
    d = load_definitions(session)
    data = heavy(lambda s: monthly_workbook(s, year, month, d))
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"运行分析月报_{year:04d}-{month:02d}.xlsx")

