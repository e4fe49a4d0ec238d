"""Recordings console (R-REC-2): search, play in the browser, download one, download a batch as a zip.

Files are served only from inside the recordings directory (app.config RECORDINGS_DIR); anything else is a 404.
Every download (one file or a zip) adds an audit entry; playing in the page does not (the browser fetches
ranges of the file repeatedly).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from flask import Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import select

from admin_web import audio as audio_files
from admin_web.paging import page_arg
from engine import sealing
from engine.csvcells import safe_cell
from admin_web import audit
from admin_web.db import get_session
from admin_web.recordings import bp, queries
from admin_web.recordings.forms import STATUS_LABELS, BatchForm, RecordingSearchForm
from admin_web.security import INSPECTORS, roles_required
from admin_web.timeutil import as_utc, now_utc
from admin_web.voicemails.files import FileState, locate
from engine.store.models import Recording

MANIFEST_FIELDS = ["id", "file", "included", "problem", "call_uuid", "ani", "dnis", "extension", "employee_no",
                   "queue", "started_at", "stopped_at", "duration_s", "size_bytes", "checksum", "status", "path"]


def _filters(form: RecordingSearchForm) -> queries.Filters:
    if not form.validate():
        return queries.Filters()
    return queries.Filters(form.date_from.data, form.date_to.data, form.agent.data or None,
                           form.number.data or None, form.queue.data or None, form.status.data or None)


def _form(session) -> RecordingSearchForm:
    form = RecordingSearchForm(request.args)
    form.queue.choices = [("", _("(any)"))] + queries.queue_codes(session)
    return form


@bp.route("/")
@roles_required(*INSPECTORS)
def index():
    """Search and list; each row says whether its file is there now (missing / damaged rows are flagged)."""
    session = get_session()
    form = _form(session)
    query = queries.search(session, _filters(form), str(get_timezone()))
    per_page = current_app.config.get("LIST_PER_PAGE", 50)
    total = queries.count(session, query)
    pages = max(1, -(-total // per_page))
    page = min(page_arg(), pages)       # past the last page (an old link, a typed number): the last one
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    states = queries.file_states(rows)
    problems = {r.id: queries.problem_of(r, states[r.id]) for r in rows}
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("recordings/index.html", form=form, rows=rows, states=states, problems=problems,
                           FileState=FileState, total=total, page=page, pages=pages,
                           args=args, status_labels=STATUS_LABELS, batch_form=BatchForm(),
                           batch_max=current_app.config.get("RECORDINGS_ZIP_MAX", 500))


def _file(recording_id: int) -> tuple[Recording, Path]:
    recording = get_session().get(Recording, recording_id) or abort(404)
    state, path = locate(recording.path)
    if state is not FileState.OK:
        abort(404)
    return recording, path


@bp.route("/<int:recording_id>/audio")
@roles_required(*INSPECTORS)
def audio(recording_id: int):
    """The recording for the page's player (ranges supported)."""
    _recording, path = _file(recording_id)
    return audio_files.serve(path)


@bp.route("/<int:recording_id>/download")
@roles_required(*INSPECTORS)
def download(recording_id: int):
    """One recording as an attachment (audited)."""
    recording, path = _file(recording_id)
    session = get_session()
    audit.record(session, "recording.download", f"recording:{recording.id}",
                 f"call={recording.call_uuid}; ani={recording.ani}; file={path.name}")
    session.commit()
    return audio_files.serve(path, download_name=_download_name(recording, path))


def _download_name(recording: Recording, path: Path) -> str:
    started = as_utc(recording.started_at).astimezone(get_timezone()).strftime("%Y%m%d-%H%M%S")
    return f"{started}_{recording.ani or 'unknown'}_{recording.employee_no or 'none'}_{recording.id}{path.suffix}"


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream: zipfile writes into it, the response generator drains it."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _ids_from_request() -> list[int]:
    return sorted({int(v) for v in request.form.getlist("ids") if v.isdigit()})


@bp.route("/batch.zip", methods=["POST"])
@roles_required(*INSPECTORS)
def batch():
    """The chosen recordings (checkboxes, or every match of the search with all=1) as one zip, streamed; only
    files present inside the recordings directory go in; manifest.csv lists every recording asked for."""
    if not BatchForm().validate_on_submit():
        abort(400)
    session = get_session()
    limit = current_app.config.get("RECORDINGS_ZIP_MAX", 500)
    if request.form.get("all") == "1":
        form = RecordingSearchForm(request.form)
        form.queue.choices = [("", "")] + queries.queue_codes(session)
        recordings = session.scalars(queries.search(session, _filters(form), str(get_timezone())).limit(limit)).all()
    else:
        ids = _ids_from_request()[:limit]
        recordings = session.scalars(select(Recording).where(Recording.id.in_(ids)).order_by(Recording.started_at)).all() \
            if ids else []
    if not recordings:
        abort(400)
    zone = get_timezone()
    entries = []
    for recording in recordings:
        state, path = locate(recording.path)
        entries.append((recording, path if state is FileState.OK else None,
                        queries.problem_of(recording, state) or ("" if state is FileState.OK else state.value)))
    included = [e for e in entries if e[1] is not None]
    audit.record(session, "recording.download_batch", f"recordings:{len(entries)}",
                 f"{len(included)} files; ids=" + ",".join(str(e[0].id) for e in entries))
    session.commit()
    rows = [_manifest_row(recording, path, problem, zone) for recording, path, problem in entries]
    name = f"recordings-{now_utc().astimezone(zone).strftime('%Y%m%d-%H%M%S')}.zip"
    return Response(stream_with_context(_zip_stream(included, rows, zone, audio_files.keys())), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _manifest_row(recording: Recording, path: Path | None, problem: str, zone) -> dict:
    local = lambda value: as_utc(value).astimezone(zone).isoformat() if value else ""  # noqa: E731
    return {"id": recording.id, "file": _arcname(recording, path, zone) if path else "",
            "included": "yes" if path else "no", "problem": problem, "call_uuid": recording.call_uuid,
            "ani": recording.ani, "dnis": recording.dnis, "extension": recording.extension,
            "employee_no": recording.employee_no, "queue": recording.queue_code or "",
            "started_at": local(recording.started_at), "stopped_at": local(recording.stopped_at),
            "duration_s": recording.duration_s if recording.duration_s is not None else "",
            "size_bytes": recording.size_bytes if recording.size_bytes is not None else "",
            "checksum": recording.checksum or "", "status": recording.status, "path": recording.path}


def _arcname(recording: Recording, path: Path, zone) -> str:
    day = as_utc(recording.started_at).astimezone(zone).strftime("%Y%m%d")
    return f"{day}/{recording.id}_{path.name}"


def _zip_stream(included, rows, zone, keyring=None):
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for recording, path, _problem in included:
            try:
                stat = path.stat()
                data = sealing.open_audio(str(path), keyring)       # the clear audio, in memory only
                info = zipfile.ZipInfo(_arcname(recording, path, zone),
                                       date_time=dt.datetime.fromtimestamp(stat.st_mtime).timetuple()[:6])
                info.file_size = len(data)
                with archive.open(info, "w", force_zip64=len(data) > 2**31) as target:
                    for start in range(0, len(data), 1 << 16):
                        target.write(data[start:start + (1 << 16)])
                        if sink.chunks:
                            yield sink.drain()
            except (OSError, sealing.SealError) as exc:   # vanished, or no key opens it: said in the manifest
                for row in rows:
                    if row["id"] == recording.id:
                        row.update(included="no", problem=f"unreadable: {exc.__class__.__name__}", file="")
            yield sink.drain()
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)     # caller IDs are untrusted
        archive.writestr(zipfile.ZipInfo("manifest.csv", date_time=now_utc().astimezone(zone).timetuple()[:6]),
                         "\ufeff" + text.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    yield sink.drain()
