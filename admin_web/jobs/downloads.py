"""A list exported by a report worker (call records, work orders): the rows written as CSV or XLSX, the job's
progress as JSON, its file for its owner, and the page that follows a job still running — one implementation for
every blueprint that exports."""
from __future__ import annotations

import csv
import io

from flask import abort, jsonify, render_template, send_file, url_for

from admin_web.jobs import queue
from admin_web.jobs import web as jobs
from engine.csvcells import safe_row


def write_table(out: io.BytesIO, fmt: str, rows, sheet: str) -> None:
    """Rows into `out` as CSV (UTF-8 with BOM: spreadsheets open the Chinese right; cells a spreadsheet would run
    as formulas neutralised) or XLSX (a text starting with "=", e.g. a caller ID "=HYPERLINK(...)", stays text)."""
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        for values in rows:
            writer.writerow(safe_row("" if v is None else v for v in values))
        text.detach()
        return
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    for values in rows:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value="" if value is None else value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
    wb.save(out)


def job_status(job, endpoint: str) -> dict:
    """Progress of an export job; `endpoint` is the blueprint's prefix (its `export_status` and `export_file`)."""
    return {**jobs.progress(job), "error": job.state == queue.FAILED,
            "status": url_for(f"{endpoint}.export_status", job_id=job.id),
            "download": url_for(f"{endpoint}.export_file", job_id=job.id)
            if job.state == queue.DONE and job.filename else None}


def send_result(job):
    return send_file(io.BytesIO(job.result or b""), mimetype=job.mimetype, as_attachment=True,
                     download_name=job.filename)


def respond(job, endpoint: str, title: str, back_url: str, back_label: str):
    """The file when the job is done within the wait, else the page that follows it (202; 500 when it failed)."""
    if job.state == queue.DONE:
        return send_result(job)
    code = 500 if job.state == queue.FAILED else 202
    return render_template("reports/pending.html", job=job, job_status=job_status(job, endpoint), title=title,
                           then=url_for(f"{endpoint}.export_file", job_id=job.id) if code == 202 else "",
                           back_url=back_url, back_label=back_label), code


def status_json(job_id: str, kind: str, endpoint: str):
    """An export's progress (its owner's only: jobs.find)."""
    job = jobs.find(job_id) or abort(404)
    if job.kind != kind:
        abort(404)
    return jsonify(job_status(job, endpoint))


def result_file(job_id: str, kind: str):
    """The file a done export left, for its owner."""
    job = jobs.find(job_id, with_result=True)
    if job is None or job.kind != kind or job.state != queue.DONE or not job.filename:
        abort(404)
    return send_result(job)
