"""Accounts: every change audited; a one-time password is shown once, on the page that made it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from admin_web import audit
from admin_web.auth import guard
from admin_web.db import get_session
from admin_web.security import ADMIN, roles_required
from admin_web.timeutil import now_utc
from admin_web.users import bp
from admin_web.users.forms import NO_AGENT, UserForm
from engine.domain.states import Role
from engine.store import accounts
from engine.store.models import Agent, Department, Hall, User


REFUSALS = {
    "agent_required": _l("An agent's account must be linked to an agent."),
    "no_agent": _l("That agent does not exist."),
    "agent_taken": _l("That agent already has an account."),
    "bad_extension": _l("The extension must contain digits only."),
    "bad_username": _l("Letters, digits and . _ @ - only."),
    "username_taken": _l("This username is taken."),
    "last_admin_role": _l("The last active administrator keeps the role."),
    "last_admin_disable": _l("The last active administrator cannot be disabled."),
    "self_disable": _l("You cannot disable your own account."),
    "no_hall": _l("That hall does not exist."),
    "department_required": _l("A department user's account must name the department."),
    "no_department": _l("That department does not exist."),
}


def _refusal(exc: accounts.AccountError) -> str:
    return str(REFUSALS.get(exc.code, exc))


def _fields(form: UserForm) -> accounts.AccountFields:
    return accounts.AccountFields(display_name=form.display_name.data or "", role=Role(form.role.data),
                                  agent_id=int(form.agent_id.data) if form.agent_id.data != NO_AGENT else None,
                                  extension=form.extension.data or None, locale=form.locale.data,
                                  hall_id=int(form.hall_id.data) if form.hall_id.data else _own_hall(),
                                  department_id=int(form.department_id.data) if form.department_id.data else None)


def _own_hall() -> int | None:
    """A scoped administrator's new or edited account stays in their subtree (no "every hall" for them)."""
    return current_user.hall_id


def _form(session, user: User | None = None) -> UserForm:
    form = UserForm(obj=None)
    form.set_agents(session.scalars(select(Agent).order_by(Agent.employee_no)))
    form.set_halls(session.scalars(select(Hall).order_by(Hall.code)), everything=current_user.hall_id is None)
    form.set_departments(session.scalars(select(Department).order_by(Department.hall_id, Department.name)))
    if user is not None and not form.is_submitted():
        form.username.data, form.display_name.data = user.username, user.display_name
        form.role.data, form.extension.data = user.role.code.value, user.extension or ""
        form.agent_id.data = str(user.agent_id) if user.agent_id else NO_AGENT
        form.locale.data, form.active.data = user.locale, user.active
        form.hall_id.data = str(user.hall_id) if user.hall_id else ""
        form.department_id.data = str(user.department_id) if user.department_id else ""
    return form


@bp.route("/")
@roles_required(*ADMIN)
def index():
    """Every account, with whether it is locked by the login throttle."""
    session = get_session()
    users = session.scalars(select(User).order_by(User.username)).all()
    locked = {u.username for u in users if guard.lock_of(session, u.username, "", now_utc()) is not None}
    halls = {h.id: h.name for h in session.scalars(select(Hall))}
    return render_template("users/index.html", users=users, locked=locked, halls=halls)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    session = get_session()
    form = _form(session)
    if form.validate_on_submit():
        try:
            user, password = accounts.create(session, form.username.data, _fields(form))
        except accounts.AccountError as exc:
            form.form_errors.append(_refusal(exc))
        else:
            audit.record(session, "user.create", f"user:{user.username}", f"role {user.role.code.value}")
            session.commit()
            return render_template("users/password.html", user=user, password=password, created=True)
    return render_template("users/form.html", form=form, user=None), 400 if form.errors or form.form_errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit(user_id: int):
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    form = _form(session, user)
    form.username.data = user.username          # the name is not changed (the audit trail refers to it)
    if form.validate_on_submit():
        try:
            accounts.edit(session, user, _fields(form))
            if form.active.data != user.active:
                if not form.active.data and user.id == current_user.id:
                    raise accounts.AccountError("self_disable", "cannot disable one's own account")
                accounts.set_active(session, user, form.active.data)
        except accounts.AccountError as exc:
            session.rollback()
            form.form_errors.append(_refusal(exc))
        else:
            audit.record(session, "user.edit", f"user:{user.username}",
                         f"role {user.role.code.value}, {'active' if user.active else 'disabled'}")
            session.commit()
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user), 400 if form.form_errors else 200


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@roles_required(*ADMIN)
def reset_password(user_id: int):
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    password = accounts.reset_password(session, user)
    audit.record(session, "user.reset_password", f"user:{user.username}", "one-time password, sessions ended")
    session.commit()
    return render_template("users/password.html", user=user, password=password, created=False)


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@roles_required(*ADMIN)
def unlock(user_id: int):
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    forgotten = accounts.unlock(session, user.username)
    audit.record(session, "user.unlock", f"user:{user.username}", f"{forgotten} failed logins forgotten")
    session.commit()
    flash(_("Account %(name)s unlocked.", name=user.username), "success")
    return redirect(url_for("users.index"))
