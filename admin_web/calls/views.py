"""Today's calls: counts by outcome at the top, then the list, newest first, paginated and filterable."""
from __future__ import annotations

from flask import current_app, render_template, request

from admin_web.calls import bp
from admin_web.calls.forms import CallFilterForm
from admin_web.calls.queries import calls_page, outcome_counts
from admin_web.db import get_session
from admin_web.security import STAFF, roles_required
from admin_web.timeutil import console_today
from engine.domain.states import CallOutcome


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Today's calls (today in the console's time zone)."""
    form = CallFilterForm(request.args)
    outcome = CallOutcome(form.outcome.data) if form.validate() and form.outcome.data else None
    start, end = console_today()
    session = get_session()
    page = calls_page(session, start, end, page=request.args.get("page", 1, type=int),
                      per_page=current_app.config["CALLS_PER_PAGE"], outcome=outcome)
    return render_template("calls/index.html", form=form, page=page, counts=outcome_counts(session, start, end),
                           outcome=outcome)
