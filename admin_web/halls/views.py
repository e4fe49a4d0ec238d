"""Halls: the tree with counts (staff), create/edit/delete (admins); HallError messages are shown."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from admin_web.db import get_session
from admin_web.halls import bp, queries, services
from admin_web.halls.forms import LEVEL_LABELS, HallForm
from admin_web.security import ADMIN, STAFF, roles_required
from engine.store.models import Hall
from engine.store.numbers import HallError, hall_by_code


@bp.route("/")
@roles_required(*STAFF)
def index():
    return render_template("halls/index.html", rows=queries.tree(get_session()), levels=LEVEL_LABELS)


def _parents(session, except_code: str | None = None) -> list[tuple[str, str]]:
    return [(row.hall.code, "\u3000" * row.depth + f"{row.hall.name} ({row.hall.code})")
            for row in queries.tree(session) if row.hall.code != except_code and row.hall.level.value != "county"]


def _data(form: HallForm, code: str) -> dict:
    return {"code": code, "name": form.name.data, "level": form.level.data, "region_code": form.region_code.data,
            "parent_code": form.parent_code.data, "active": form.active.data}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    session = get_session()
    form = HallForm(_parents(session))
    problems: list[str] = []
    if form.validate_on_submit():
        if hall_by_code(session, form.code.data) is not None:
            form.code.errors.append(_("A hall with this code already exists."))
        else:
            try:
                hall = services.save(session, _data(form, form.code.data), created=True)
            except HallError as exc:
                problems = exc.problems
            else:
                session.commit()
                flash(_("Hall %(name)s created.", name=hall.name), "success")
                return redirect(url_for("halls.index"))
    return render_template("halls/form.html", form=form, hall=None, problems=problems), 422 if problems else 200


@bp.route("/<int:hall_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit(hall_id: int):
    session = get_session()
    hall = session.get(Hall, hall_id) or abort(404)
    form = HallForm(_parents(session, hall.code), code=hall.code, name=hall.name, level=hall.level.value,
                    region_code=hall.region_code, parent_code=hall.parent.code if hall.parent else "",
                    active=hall.active)
    form.code.data = hall.code                        # the code identifies the hall; it is not renamed here
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            services.save(session, _data(form, hall.code), created=False)
        except HallError as exc:
            problems = exc.problems
        else:
            session.commit()
            flash(_("Hall %(name)s saved.", name=hall.name), "success")
            return redirect(url_for("halls.index"))
    return render_template("halls/form.html", form=form, hall=hall, problems=problems), 422 if problems else 200


@bp.route("/<int:hall_id>/delete", methods=["POST"])
@roles_required(*ADMIN)
def delete(hall_id: int):
    session = get_session()
    hall = session.get(Hall, hall_id) or abort(404)
    name = hall.name
    try:
        services.delete(session, hall)
    except HallError as exc:
        flash(_("Hall %(name)s was not deleted: %(reason)s", name=name, reason="; ".join(exc.problems)), "error")
        return redirect(url_for("halls.edit", hall_id=hall_id))
    session.commit()
    flash(_("Hall %(name)s deleted; its numbers and agents now have no hall.", name=name), "success")
    return redirect(url_for("halls.index"))
