"""Callbacks: the list, newest first, filterable by status (admins and supervisors)."""
from __future__ import annotations

from flask import current_app, render_template, request

from admin_web.paging import page_arg
from admin_web.callbacks import bp
from admin_web.callbacks.forms import CALLBACK_STATUS_LABELS, CallbackFilterForm
from admin_web.callbacks.queries import callbacks_page, status_counts
from admin_web.db import get_session
from admin_web.security import STAFF, roles_required


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Every callback (pending ones are still in their queue, dialled when an agent is free)."""
    form = CallbackFilterForm(request.args)
    status = form.status.data if form.validate() and form.status.data else None
    session = get_session()
    page = callbacks_page(session, page=page_arg(),
                          per_page=current_app.config.get("LIST_PER_PAGE", 50), status=status)
    return render_template("callbacks/index.html", form=form, page=page, status=status,
                           counts=status_counts(session), status_labels=CALLBACK_STATUS_LABELS)
