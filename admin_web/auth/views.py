"""Login and logout views."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from admin_web.auth import bp
from admin_web.auth.forms import LoginForm
from admin_web.auth.services import LoginResult, authenticate
from admin_web.db import get_session
from admin_web.security import ConsoleUser


def safe_next(target: str | None) -> str | None:
    """`next` only if it is a path on this site (no scheme, no host, no '//' or backslash tricks)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the form; on valid credentials of an active user, log in and go to `next` or home."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        session = get_session()
        result, user = authenticate(session, form.username.data.strip(), form.password.data)
        if result is LoginResult.OK:
            session.commit()
            login_user(ConsoleUser.from_model(user))
            return redirect(safe_next(form.next.data) or url_for("dashboard.index"))
        if result is LoginResult.INACTIVE:
            form.form_errors.append(_("This account is disabled. Ask an administrator."))
        else:
            form.form_errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), 200 if not form.form_errors else 401


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with the CSRF token, so a link elsewhere cannot log you out)."""
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
