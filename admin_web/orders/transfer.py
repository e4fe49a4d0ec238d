"""Orders out and in (R-NF-4): the list's view as CSV or XLSX, computed by a report worker (admin_web.orders.exports),
and an import of the provincial platform's orders from the same columns: every row checked first (problems named by
row and column), nothing written unless the whole file is valid, a preview then a confirmation; each order is
registered through engine.store.orders.register (deadlines and alerts apply) and audited. The platform's number
(来源编号) is kept with the order, so importing the same file again adds nothing."""
from __future__ import annotations

import base64
import binascii
import csv
import dataclasses
import io
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from admin_web import audit
from admin_web.db import get_session
from admin_web.jobs import downloads
from admin_web.jobs import web as jobs
from admin_web.orders import bp
from admin_web.orders.exports import (ADDRESS, CATEGORY, CONFIDENTIAL, CONTENT, EXPORT, EXTERNAL,
                                      FORMATS, HALL, HARD, NAME, PHONE, REPLY_WANTED, TITLE, TYPE, URGENCY, WISHES)
from admin_web.orders.labels import TYPE_LABELS, URGENCY_LABELS
from admin_web.orders.queries import VIEWS, category_paths, context, export_params
from admin_web.orders.views import READERS, actor
from admin_web.security import STAFF, roles_required
from engine.domain.followup import RequestType
from engine.domain.order_clocks import Urgency
from engine.store import orders as store
from engine.store.models import Hall, WorkOrder
from engine.store.numbers import UndecodableCsv, decode_csv

REQUIRED = (TYPE, TITLE, CONTENT, EXTERNAL)
IMPORT_COLUMNS = (TYPE, URGENCY, TITLE, CONTENT, WISHES, NAME, PHONE, ADDRESS, HARD, REPLY_WANTED, CONFIDENTIAL,
                  CATEGORY, HALL, EXTERNAL)
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
PHONE_RE = re.compile(r"^\+?[0-9]{3,20}$")
LIMITS = {TITLE: 200, CONTENT: 8000, WISHES: 2000, NAME: 64, ADDRESS: 200, EXTERNAL: 60}
YES_WORDS, NO_WORDS = {"是", "y", "yes", "true", "1", "✓"}, {"否", "n", "no", "false", "0", ""}


# -- export ------------------------------------------------------------------------------------------------------
@bp.route("/export")
@roles_required(*READERS)
def export():
    """The list's view and search (?view=&q=) as ?format=csv|xlsx, computed by a report worker."""
    fmt = request.args.get("format", "csv")
    view = request.args.get("view", "all")
    if fmt not in FORMATS or view not in VIEWS:
        abort(400)
    params = export_params(view=view, query=request.args.get("q", ""), fmt=fmt, role=current_user.role.value,
                           user_id=current_user.id, department_id=current_user.department_id)
    job = jobs.for_request(EXPORT.name, params)
    return downloads.respond(job, "orders", _("Export of work orders"), url_for("orders.index"), _("Work orders"))


@bp.route("/export/<job_id>.json")
@roles_required(*READERS)
def export_status(job_id: str):
    """An export's progress (its owner's only)."""
    return downloads.status_json(job_id, EXPORT.name, "orders")


@bp.route("/export/<job_id>/file")
@roles_required(*READERS)
def export_file(job_id: str):
    """The file a done export left, for its owner."""
    return downloads.result_file(job_id, EXPORT.name)


# -- import ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Planned:
    row: int
    values: dict
    external: str
    duplicate_of: str | None = None       # the order already imported with this 来源编号 (its number, if visible)


@dataclasses.dataclass
class Checked:
    errors: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)   # (row, column, problem)
    planned: list[Planned] = dataclasses.field(default_factory=list)

    @property
    def new(self) -> list[Planned]:
        return [p for p in self.planned if p.duplicate_of is None]

    @property
    def duplicates(self) -> list[Planned]:
        return [p for p in self.planned if p.duplicate_of is not None]


class BadFile(ValueError):
    """The file cannot be read at all (said in the user's language)."""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text cells (XLSX: its first sheet; CSV: UTF-8 or GB18030)."""
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 — a damaged or foreign file: say so, whatever openpyxl raised
            raise BadFile(_("The file is not a readable XLSX workbook.")) from None
        sheet = book.worksheets[0]
        rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    try:
        text = decode_csv(data)
    except UndecodableCsv:
        raise BadFile(_("The file is neither a CSV text (UTF-8 or GB18030) nor an XLSX workbook.")) from None
    return [[_text(v) for v in row] for row in csv.reader(io.StringIO(text))]


def _words(labels: dict) -> dict[str, object]:
    """Every way a value may be written: its Chinese and English label and its code."""
    out: dict[str, object] = {}
    for key, label in labels.items():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                out[str(label).strip().lower()] = key
        out[key.value.lower()] = key
    return out


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in YES_WORDS else False if v in NO_WORDS else None


def _category_key(text: str) -> str:
    return " › ".join(p.strip() for p in re.split(r"[›>/／]", text) if p.strip())


def check(session, rows: list[list[str]]) -> Checked:
    """Every row checked against the columns; nothing written."""
    result = Checked()
    if not rows or not any(rows[0]):
        result.errors.append((1, "", _("The file is empty.")))
        return result
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    for column in missing:
        result.errors.append((1, column, _("This column is missing.")))
    if missing:
        return result
    if len(rows) - 1 > MAX_ROWS:
        result.errors.append((1, "", _("At most %(n)d orders per file.", n=MAX_ROWS)))
        return result
    index = {c: header.index(c) for c in IMPORT_COLUMNS if c in header}
    types, urgencies = _words(TYPE_LABELS), _words(URGENCY_LABELS)
    paths = category_paths(session)
    by_path = {_category_key(p): i for i, p in paths}
    leaves: dict[str, list[int]] = {}
    for i, p in paths:
        leaves.setdefault(p.split(" › ")[-1], []).append(i)
    halls = {}
    for hall in session.scalars(select(Hall).where(Hall.active.is_(True))):
        halls[hall.name], halls[hall.code] = hall.id, hall.id
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        raw = {c: (cells[i].strip() if i < len(cells) else "") for c, i in index.items()}
        errors: list[tuple[int, str, str]] = []

        def bad(column: str, problem: str) -> None:
            errors.append((number, column, problem))

        values: dict = {}
        kind = types.get(raw[TYPE].lower())
        if kind is None:
            bad(TYPE, _("Not a request type: %(value)s (one of %(choices)s).", value=raw[TYPE] or "—",
                        choices="、".join(str(v) for v in TYPE_LABELS.values())))
        values["request_type"] = kind
        urgency = urgencies.get(raw.get(URGENCY, "").lower()) if raw.get(URGENCY) else Urgency.GENERAL
        if urgency is None:
            bad(URGENCY, _("Not an urgency: %(value)s (one of %(choices)s).", value=raw[URGENCY],
                           choices="、".join(str(v) for v in URGENCY_LABELS.values())))
        values["urgency"] = urgency
        for column in (TITLE, CONTENT, EXTERNAL):
            if not raw[column]:
                bad(column, _("Required."))
        for column, limit in LIMITS.items():
            if len(raw.get(column, "")) > limit:
                bad(column, _("At most %(n)d characters.", n=limit))
        phone = re.sub(r"[\s()-]", "", raw.get(PHONE, ""))
        if phone and not PHONE_RE.match(phone):
            bad(PHONE, _("Digits only, 3 to 20 of them."))
        values["phone"] = phone
        for column, default in ((HARD, False), (REPLY_WANTED, True), (CONFIDENTIAL, False)):
            flag = _flag(raw[column]) if raw.get(column) else default
            if flag is None:
                bad(column, _("Write 是 or 否."))
            values[column] = flag
        category_id = None
        if raw.get(CATEGORY):
            key = _category_key(raw[CATEGORY])
            category_id = by_path.get(key)
            if category_id is None and len(leaves.get(key, [])) == 1:
                category_id = leaves[key][0]
            if category_id is None:
                bad(CATEGORY, _("No such category: %(value)s.", value=raw[CATEGORY]))
        values["category_id"] = category_id
        hall_id = None
        if raw.get(HALL):
            hall_id = halls.get(raw[HALL])
            if hall_id is None:
                bad(HALL, _("No such hall among yours: %(value)s.", value=raw[HALL]))
        values["hall_id"] = hall_id
        external = raw[EXTERNAL]
        if external and external in seen:
            bad(EXTERNAL, _("The same 来源编号 as row %(row)d.", row=seen[external]))
        seen.setdefault(external, number)
        values.update(title=raw[TITLE], content=raw[CONTENT], wishes=raw.get(WISHES, ""), name=raw.get(NAME, ""),
                      address=raw.get(ADDRESS, ""))
        if errors:
            result.errors.extend(errors)
            continue
        already = session.scalar(select(WorkOrder.number).where(WorkOrder.external_number == external)
                                 .execution_options(unscoped=True))
        if already is not None:
            visible = session.scalar(select(WorkOrder.number).where(WorkOrder.external_number == external))
            result.planned.append(Planned(number, values, external, duplicate_of=visible or "—"))
        else:
            result.planned.append(Planned(number, values, external))
    if not result.errors and not result.planned:
        result.errors.append((2, "", _("The file has no orders.")))
    return result


def register_all(session, checked: Checked) -> list[WorkOrder]:
    """Register the new rows (the caller commits)."""
    ctx, who, out = context(session), actor(), []
    for plan in checked.new:
        v = plan.values
        order = store.register(
            session, ctx, who, request_type=RequestType(v["request_type"]), title=v["title"], content=v["content"],
            urgency=Urgency(v["urgency"]), hard=v[HARD], category_id=v["category_id"], citizen_name=v["name"],
            citizen_phone=v["phone"], citizen_address=v["address"], wishes=v["wishes"], reply_wanted=v[REPLY_WANTED],
            confidential=v[CONFIDENTIAL], source="manual", external_number=plan.external,
            hall_id=v["hall_id"], default_hall_id=current_user.hall_id)
        audit.record(session, "order.import", f"order:{order.number}",
                     f"source_number={plan.external}; type={order.request_type.value}; row={plan.row}")
        out.append(order)
    return out


def _upload() -> tuple[bytes, str]:
    """The file of this request: uploaded now (the preview), or carried by the preview's form (the confirmation)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read(MAX_BYTES + 1), upload.filename
    try:
        return base64.b64decode(request.form.get("data", ""), validate=True), request.form.get("filename", "")
    except (binascii.Error, ValueError):
        return b"", ""


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_orders():
    """Upload a CSV or XLSX: checked and previewed (nothing written); confirm=1 imports it, all or nothing."""
    if request.method == "GET":
        return render_template("orders/import.html", checked=None, columns=IMPORT_COLUMNS, required=REQUIRED)
    data, filename = _upload()
    if not data:
        flash(_("Choose a CSV or XLSX file to upload."), "error")
        return render_template("orders/import.html", checked=None, columns=IMPORT_COLUMNS, required=REQUIRED), 400
    if len(data) > MAX_BYTES:
        flash(_("The file is larger than %(n)d MB.", n=MAX_BYTES // (1024 * 1024)), "error")
        return render_template("orders/import.html", checked=None, columns=IMPORT_COLUMNS, required=REQUIRED), 400
    session = get_session()
    try:
        checked = check(session, read_rows(data, filename))
    except BadFile as exc:
        flash(str(exc), "error")
        return render_template("orders/import.html", checked=None, columns=IMPORT_COLUMNS, required=REQUIRED), 400
    if checked.errors or request.form.get("confirm") != "1":
        return render_template("orders/import.html", checked=checked, columns=IMPORT_COLUMNS, required=REQUIRED,
                               data=base64.b64encode(data).decode("ascii"), filename=filename,
                               types=TYPE_LABELS), 400 if checked.errors else 200
    made = register_all(session, checked)
    audit.record(session, "order.import_file", f"file:{filename}"[:128],
                 f"created={len(made)}; already_imported={len(checked.duplicates)}")
    session.commit()
    flash(_("%(n)d order(s) imported; %(d)d already imported before, left as they are.", n=len(made),
            d=len(checked.duplicates)), "success")
    return redirect(url_for("orders.index"))

