"""Login and logout views."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from admin_web.access import public, signed_in
from admin_web.auth import bp
from admin_web.auth.forms import ChangePasswordForm, LoginForm
from admin_web.auth import guard, services
from admin_web.db import get_session
from admin_web.security import ConsoleUser
from admin_web.timeutil import now_utc
from engine.domain.states import Role


def safe_next(target: str | None) -> str | None:
    """`next` only if it is a path on this site (no scheme, no host, no '//' or backslash tricks)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_of(role: Role) -> str:
    """Where a user lands after logging in: an agent on their desktop, everyone else on the home page (which
    sends a department to its orders)."""
    return url_for("desktop.index") if role is Role.AGENT else url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the form; on valid credentials of an active user, log in and go to `next` or home."""
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        session = get_session()
        username, address = form.username.data.strip(), request.remote_addr or ""
        lock = guard.lock_of(session, username, address)
        if lock is not None:
            form.form_errors.append(_("Too many failed logins: try again in %(n)d minutes, or ask an administrator "
                                      "to unlock the account.", n=lock.minutes_left(now_utc())))
            return render_template("auth/login.html", form=form), 429
        result, user = services.authenticate(session, username, form.password.data)
        guard.record_attempt(session, username, address, result is services.LoginResult.OK)
        session.commit()
        if result is services.LoginResult.OK:
            flask_session.clear()           # nothing of an earlier visitor's session carries over
            flask_session["sid"] = guard.start_session(session, user.id, address)
            session.commit()
            login_user(ConsoleUser.from_model(user))
            if user.must_change_password:
                return redirect(url_for("auth.change_password", next=safe_next(form.next.data) or None))
            return redirect(safe_next(form.next.data) or home_of(user.role.code))
        if result is services.LoginResult.INACTIVE:
            form.form_errors.append(_("This account is disabled. Ask an administrator."))
        else:
            form.form_errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), status if not form.form_errors else 401


@bp.route("/logout", methods=["POST"])
@login_required
@signed_in
def logout():
    """Log out (POST with the CSRF token, so a link elsewhere cannot log you out): the session ends on the server
    too, so a copy of its cookie is worth nothing."""
    session = get_session()
    guard.end_session(session, flask_session.get("sid"))
    session.commit()
    logout_user()
    flask_session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@signed_in
def change_password():
    """Change one's own password (required first, after a one-time password)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        session = get_session()
        if change_password_of(session, form):
            flash(_("Your password has been changed."), "info")
            return redirect(safe_next(request.args.get("next")) or home_of(current_user.role))
        form.current.errors = [*form.current.errors, _("Wrong password.")]
    return render_template("auth/password.html", form=form,
                           forced=current_user.must_change_password), 200 if not form.errors else 400


def change_password_of(session, form: ChangePasswordForm) -> bool:
    if not services.change_password(session, current_user.id, form.current.data, form.new.data):
        return False
    guard.end_sessions_of(session, current_user.id, except_sid=flask_session.get("sid"))   # copies elsewhere end
    session.commit()
    return True


# while a one-time password is unchanged, only these may be reached (the rest redirects to the change)
FORCED_CHANGE_ALLOWED = frozenset({"auth.change_password", "auth.logout", "static"})


@bp.before_app_request
def _force_password_change():
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in FORCED_CHANGE_ALLOWED):
        if request.path.endswith(".json") or request.path.startswith("/api/"):
            return {"error": "password change required"}, 403
        return redirect(url_for("auth.change_password", next=request.full_path if request.method == "GET"
                                else None))
    return None
