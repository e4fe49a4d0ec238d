"""The planning page: the form, then the plan of the chosen day (or why there is none)."""
from __future__ import annotations

import datetime as dt
import json

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from admin_web.db import get_session
from admin_web.jobs import queue
from admin_web.jobs import web as jobs
from admin_web.reports.views import failed_page
from admin_web.security import STAFF, roles_required
from admin_web.wfm import bp
from admin_web.wfm.forms import ALL_QUEUES, DAY_TYPE_LABELS, MODEL_LABELS, TARGET_LABELS, PlanForm
from admin_web.wfm.planning import Inputs, NoPlan, plan
from admin_web.wfm.twin import SPEEDS, STAFFINGS, TWIN, twin_plan
from engine.reports import periods
from engine.reports.definitions import load_definitions
from engine.store.models import Queue


def today_local() -> dt.date:
    return periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).date()


def _planned(session, d, today):
    """The form from the query string and, when it is valid, the plan it asks for (or why there is none)."""
    queues = [(q.code, q.name) for q in session.scalars(select(Queue).order_by(Queue.name))]   # the user's halls
    form = PlanForm(queues, today + dt.timedelta(days=1), d.service_level_s, request.args)
    result = reason = None
    if form.validate():
        inputs = Inputs(form.day.data, form.queue.data if form.queue.data != ALL_QUEUES else None,
                        form.target.data, float(form.level.data) / 100, float(form.seconds.data), form.model.data,
                        float(form.shrinkage.data) / 100)
        try:
            result = plan(session, inputs, today, d)
        except NoPlan as exc:
            reason = str(exc)
    return form, queues, result, reason


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Forecast, staffing and the forecast's past errors for one day and one queue (or all) the user may see."""
    session = get_session()
    d = load_definitions(session)
    today = today_local()
    form, queues, result, reason = _planned(session, d, today)
    return render_template("wfm/index.html", form=form, plan=result, reason=reason, today=today,
                           target_labels=TARGET_LABELS, model_labels=MODEL_LABELS, day_type_labels=DAY_TYPE_LABELS,
                           queue_names=dict(queues), twin_speeds=SPEEDS)


@bp.route("/twin")
@roles_required(*STAFF)
def twin():
    """The plan of the form run through the digital twin (a report job: the first viewer waits, or sees it
    computing), its figures per interval next to the plan's Erlang ones."""
    if not request.args.get("day"):
        return redirect(url_for("wfm.index"))
    session = get_session()
    d = load_definitions(session)
    today = today_local()
    form, queues, result, reason = _planned(session, d, today)
    title = _("Digital twin")
    speed = request.args.get("speed", type=int)
    speed = speed if speed in SPEEDS else SPEEDS[0]
    staffing = request.args.get("staffing", STAFFINGS[0])
    staffing = staffing if staffing in STAFFINGS else STAFFINGS[0]
    tp = twin_plan(session, result, d, staffing) if result is not None else None
    if result is not None and tp is None:
        reason = _("No call is forecast on this day: there is nothing to run through the twin.")
    elif tp is not None and staffing == "schedule" and not any(iv.agents for iv in tp.intervals):
        reason = _("No published schedule has anyone at work on this day for this choice: publish a schedule "
                   "first, or run the twin with the required agents.")
        tp = None
    data = computed_at = None
    if tp is not None:
        job = jobs.for_request(TWIN.name, {"plan": tp.as_dict(), "speed": speed},
                               fresh=request.args.get("fresh") == "1")
        if job.state == queue.FAILED:
            return failed_page(job, title)
        if job.state != queue.DONE:
            args = {k: v for k, v in request.args.items() if k != "fresh"}
            return jobs.pending_page(job, title, url_for("wfm.twin", **args))
        data, computed_at = json.loads(job.result), job.finished_at
    erlang = {r.start: r for r in result.rows} if result is not None else {}
    return render_template("wfm/twin.html", form=form, plan=result, reason=reason, data=data, erlang=erlang,
                           computed_at=computed_at, speed=speed, title=title, model_labels=MODEL_LABELS,
                           staffing=staffing,
                           queue_names=dict(queues))
