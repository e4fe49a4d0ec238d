"""Call records: the search (number, date range, queue, agent, outcome, hall; today by default) with the counts by
outcome of what it found, paginated on the server, exported as CSV or XLSX by a report worker; and one call's page
with everything known of it."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_web.quality.services import inspections_of
from admin_web.calls import bp, queries
from admin_web.calls.detail import call_detail
from admin_web.calls.exports import EXPORT, FORMATS
from admin_web.calls.forms import CallSearchForm
from admin_web.calls.timeline import OFFER_RESULT_LABELS
from admin_web.db import get_session
from admin_web.jobs import downloads
from admin_web.jobs import web as jobs
from admin_web.orders.labels import STATE_LABELS as ORDER_STATE_LABELS
from admin_web.orders.labels import TYPE_LABELS as ORDER_TYPE_LABELS
from admin_web.paging import page_arg
from admin_web.queues.vocab import STRATEGY_LABELS
from admin_web.recordings.forms import STATUS_LABELS as RECORDING_STATUS_LABELS
from admin_web.recordings.queries import file_states
from admin_web.security import INSPECTORS, roles_required
from admin_web.timeutil import now_utc
from admin_web.voicemails.files import FileState
from engine.domain.states import CallOutcome

# the agent's wrap-up dispositions (admin_web.cti.views.DISPOSITIONS), as the desktop names them
DISPOSITION_LABELS = {"resolved": _l("Resolved"), "follow_up": _l("Needs follow-up (ticket)"),
                      "callback": _l("Call back later"), "complaint": _l("Complaint"), "other": _l("Other")}
SEARCH_ARGS = ("date_from", "date_to", "number", "queue", "agent", "outcome", "hall")


def _zone() -> str:
    return str(get_timezone())


def _search(session) -> tuple[CallSearchForm, queries.Filters]:
    """The form from the query string, and the filters it stands for (today alone when it is not valid)."""
    form = CallSearchForm(request.args, queues=queries.queue_choices(session), halls=queries.hall_choices(session))
    today = now_utc().astimezone(ZoneInfo(_zone())).date()
    if not form.validate():
        return form, queries.Filters(today, today)
    start, end = form.days(today)
    outcome = CallOutcome(form.outcome.data) if form.outcome.data else None
    return form, queries.Filters(start, end, form.number.data or None, form.queue.data, form.agent.data or None,
                                 outcome, form.hall.data)


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k in SEARCH_ARGS and v}


@bp.route("/")
@roles_required(*INSPECTORS)
def index():
    """The search, newest first; the counts by outcome are those of the search whatever outcome it asks for."""
    session = get_session()
    form, filters = _search(session)
    page = queries.calls_page(session, filters, _zone(), page=page_arg(),
                              per_page=current_app.config["CALLS_PER_PAGE"])
    return render_template("calls/index.html", form=form, page=page, filters=filters, args=_args(),
                           counts=queries.search_counts(session, filters, _zone()), outcome=filters.outcome,
                           formats=FORMATS)


@bp.route("/export")
@roles_required(*INSPECTORS)
def export():
    """The search (the list's query string) as ?format=csv|xlsx, computed by a report worker; the file at once when
    it is ready within the wait, else a page that follows the job."""
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400)
    form, filters = _search(get_session())
    if form.errors:
        abort(400)
    job = jobs.for_request(EXPORT.name, {**filters.params(), "zone": _zone(), "format": fmt})
    return downloads.respond(job, "calls", _("Export of calls"), url_for("calls.index", **_args()), _("Call records"))


@bp.route("/export/<job_id>.json")
@roles_required(*INSPECTORS)
def export_status(job_id: str):
    """An export's progress (its owner's only)."""
    return downloads.status_json(job_id, EXPORT.name, "calls")


@bp.route("/export/<job_id>/file")
@roles_required(*INSPECTORS)
def export_file(job_id: str):
    """The file a done export left, for its owner."""
    return downloads.result_file(job_id, EXPORT.name)


@bp.route("/<call_uuid>")
@roles_required(*INSPECTORS)
def detail(call_uuid: str):
    """One call: the record, region and hall, timeline, IVR path and offers in words, hold, transfers, recording,
    survey, wrap-up note and work orders."""
    session = get_session()
    call = call_detail(session, call_uuid) or abort(404)
    return render_template("calls/detail.html", call=call, result_labels=OFFER_RESULT_LABELS,
                           inspections=inspections_of(session, call_uuid),
                           recording_states=file_states(call.recordings), FileState=FileState,
                           strategy_labels=STRATEGY_LABELS, disposition_labels=DISPOSITION_LABELS,
                           order_states=ORDER_STATE_LABELS, order_types=ORDER_TYPE_LABELS,
                           recording_status=RECORDING_STATUS_LABELS)
