"""Holidays: the calendar of this and next year (staff); add and delete local overrides (admins)."""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from admin_web import audit
from admin_web.db import get_session
from admin_web.flows.describe import WEEKDAYS
from admin_web.holidays import bp, queries
from admin_web.holidays.forms import KIND_LABELS, SHORT_WEEKDAYS, DeleteOverrideForm, OverrideForm
from admin_web.labels import engine_message
from admin_web.security import ADMIN, STAFF, roles_required
from engine.store.numbers import delete_override, load_overrides, set_override


def _render(form: OverrideForm, status: int = 200):
    session = get_session()
    this = queries.today().year
    _cal, years = queries.calendar_years(session, (this, this + 1))
    overrides = sorted(load_overrides(session).items())
    return render_template("holidays/index.html", form=form, years=years, overrides=overrides,
                           kind_labels=KIND_LABELS, weekdays=WEEKDAYS, short_weekdays=SHORT_WEEKDAYS, today=queries.today(),
                           delete_form=DeleteOverrideForm()), status


@bp.route("/")
@roles_required(*STAFF)
def index():
    return _render(OverrideForm())


@bp.route("/overrides", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def add_override():
    """Declare a date a holiday or a working day (replacing an override of the same date)."""
    session = get_session()
    form = OverrideForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        row = set_override(session, form.date.data, form.kind.data, form.name.data or "")
    except ValueError as exc:
        form.name.errors = [*form.name.errors, engine_message(exc)]
        return _render(form, 400)
    audit.record(session, "holiday.set", f"date:{row.date.isoformat()}", f"kind={row.kind.value}; name={row.name}")
    session.commit()
    flash(_("%(date)s is now a %(kind)s.", date=row.date.isoformat(), kind=KIND_LABELS[row.kind.value]), "success")
    return redirect(url_for("holidays.index"))


@bp.route("/overrides/delete", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def remove_override():
    session = get_session()
    form = DeleteOverrideForm()
    try:
        day = dt.date.fromisoformat(form.date.data or "") if form.validate_on_submit() else None
    except ValueError:
        day = None
    if day is None or not delete_override(session, day):
        flash(_("No override for that date."), "error")
        return redirect(url_for("holidays.index"))
    audit.record(session, "holiday.delete", f"date:{day.isoformat()}")
    session.commit()
    flash(_("The override of %(date)s was removed; the statutory calendar applies again.", date=day.isoformat()),
          "success")
    return redirect(url_for("holidays.index"))
