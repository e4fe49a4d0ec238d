"""Today's calls: counts by outcome at the top, then the list, newest first, paginated and filterable;
and one call's page with the record and every offer the ACD made, with why that agent was chosen."""
from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from admin_web.paging import page_arg
from admin_web.calls import bp
from admin_web.calls.detail import call_detail
from admin_web.calls.forms import CallFilterForm
from admin_web.calls.queries import calls_page, outcome_counts
from admin_web.db import get_session
from admin_web.queues.vocab import STRATEGY_LABELS
from admin_web.security import INSPECTORS, roles_required
from admin_web.timeutil import console_today
from engine.domain.states import CallOutcome

# how an offer ended (engine.acd.offers)
OFFER_RESULT_LABELS = {
    "answered": _l("Answered"),
    "no_answer": _l("No answer"),
    "rejected": _l("Rejected"),
    "busy": _l("Busy"),
    "unreachable": _l("Unreachable"),
    "caller_left": _l("Caller hung up"),
    "lost_race": _l("Another agent answered first"),
}


@bp.route("/")
@roles_required(*INSPECTORS)
def index():
    """Today's calls (today in the console's time zone)."""
    form = CallFilterForm(request.args)
    outcome = CallOutcome(form.outcome.data) if form.validate() and form.outcome.data else None
    start, end = console_today()
    session = get_session()
    page = calls_page(session, start, end, page=page_arg(),
                      per_page=current_app.config["CALLS_PER_PAGE"], outcome=outcome)
    return render_template("calls/index.html", form=form, page=page, counts=outcome_counts(session, start, end),
                           outcome=outcome)


@bp.route("/<call_uuid>")
@roles_required(*INSPECTORS)
def detail(call_uuid: str):
    """One call: times, wait, talk, outcome, cause, IVR path, and each offer in order with its reason."""
    call = call_detail(get_session(), call_uuid) or abort(404)
    return render_template("calls/detail.html", call=call, result_labels=OFFER_RESULT_LABELS,
                           strategy_labels=STRATEGY_LABELS)
