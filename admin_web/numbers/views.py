"""Published numbers (号码): list with hall filter and search, create/edit/deactivate (admins), CSV import with a
dry run and export (UTF-8 with BOM, for Excel)."""
from __future__ import annotations

import datetime as dt
import re

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin_web.paging import page_arg
from admin_web.db import get_session
from admin_web.flows.files import valid_flow_names
from admin_web.halls import queries as hall_queries
from admin_web.numbers import bp, queries
from admin_web.numbers.forms import NO_HALL, ImportForm, NumberFilterForm, NumberForm
from admin_web.numbers.services import import_csv, save_number, set_active
from admin_web.security import ADMIN, STAFF, roles_required
from engine.store.models import PublishedNumber
from engine.store.numbers import ImportReport, NumberImportError, UndecodableCsv, decode_csv, export_numbers_csv

_MESSAGE = re.compile(r"^row (?P<row>\d+)(?:, column (?P<column>[^:]+))?: (?P<text>.*)$", re.S)


def split_message(message: str) -> tuple[str, str, str]:
    """'row 3, column hall_code: unknown hall' as ('3', 'hall_code', 'unknown hall')."""
    m = _MESSAGE.match(message)
    return (m.group("row"), m.group("column") or "", m.group("text")) if m else ("", "", message)


@bp.route("/")
@roles_required(*STAFF)
def index():
    session = get_session()
    halls = hall_queries.choices(session)
    form = NumberFilterForm(halls, formdata=request.args)
    valid = form.validate()
    hall = form.hall.data if valid else 0
    search = (form.q.data or "") if valid else ""
    page = queries.numbers_page(session, hall, search, page_arg(),
                                current_app.config.get("LIST_PER_PAGE", 50))
    flows = set(valid_flow_names(session))
    return render_template("numbers/index.html", form=form, page=page, flows=flows, hall=hall, search=search,
                           import_form=ImportForm())


def _form_data(form: NumberForm) -> dict:
    return {"number": form.number.data, "name": form.name.data, "flow": form.flow.data,
            "hall_id": form.hall_id.data or None, "active": form.active.data}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    session = get_session()
    form = NumberForm(session, valid_flow_names(session), hall_queries.choices(session))
    if form.validate_on_submit():
        number = save_number(session, None, _form_data(form))
        session.commit()
        flash(_("Number %(number)s created.", number=number.number), "success")
        return redirect(url_for("numbers.index"))
    return render_template("numbers/form.html", form=form, number=None)


@bp.route("/<int:number_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit(number_id: int):
    session = get_session()
    number = session.get(PublishedNumber, number_id) or abort(404)
    form = NumberForm(session, valid_flow_names(session), hall_queries.choices(session), number.id, number.flow,
                      number=number.number, name=number.name, flow=number.flow, hall_id=number.hall_id or NO_HALL,
                      active=number.active)
    if form.validate_on_submit():
        save_number(session, number, _form_data(form))
        session.commit()
        flash(_("Number %(number)s saved.", number=number.number), "success")
        return redirect(url_for("numbers.index"))
    return render_template("numbers/form.html", form=form, number=number)


@bp.route("/<int:number_id>/active", methods=["POST"])
@roles_required(*ADMIN)
def toggle(number_id: int):
    """Deactivate (or reactivate) a number: calls to an inactive number get the unknown-number message."""
    session = get_session()
    number = session.get(PublishedNumber, number_id) or abort(404)
    active = request.form.get("active") == "1"
    set_active(session, number, active)
    session.commit()
    flash(_("Number %(number)s activated.", number=number.number) if active
          else _("Number %(number)s deactivated.", number=number.number), "success")
    return redirect(request.referrer or url_for("numbers.index"))


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*ADMIN)
def import_():
    """Check (dry run) or import a CSV; errors name row and column, and nothing is written when any exists."""
    session = get_session()
    form = ImportForm()
    report: ImportReport | None = None
    failed = False
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = decode_csv(upload.read())
        except UndecodableCsv:
            form.file.errors = [*form.file.errors, _("This file is not CSV text in UTF-8 or GB18030: save it from "
                                                     "the spreadsheet as CSV and upload it again.")]
            return render_template("numbers/import.html", form=form, report=None, failed=False, dry_run=False,
                                   split=split_message), 400
        try:
            report = import_csv(session, text, valid_flow_names(session), form.replace.data,
                                upload.filename or "numbers.csv")
        except NumberImportError as exc:
            report, failed = exc.report, True
            session.rollback()
        else:
            if form.dry_run.data:
                session.rollback()
            else:
                session.commit()
                flash(_("Numbers imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                        "%(deleted)d deleted.", created=report.created, updated=report.updated,
                        unchanged=report.unchanged, deleted=report.deleted), "success")
    status = 422 if failed else 200
    return render_template("numbers/import.html", form=form, report=report, failed=failed,
                           dry_run=bool(form.dry_run.data), split=split_message), status


@bp.route("/export.csv")
@roles_required(*STAFF)
def export():
    """Every number as CSV, UTF-8 with a BOM so that Excel shows the Chinese names."""
    text = "\ufeff" + export_numbers_csv(get_session())
    name = f"numbers-{dt.date.today():%Y%m%d}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Content-Type": "text/csv; charset=utf-8"})
