"""The planning page: the form, then the plan of the chosen day (or why there is none)."""
from __future__ import annotations

import datetime as dt

from flask import render_template, request
from sqlalchemy import select

from admin_web.db import get_session
from admin_web.security import STAFF, roles_required
from admin_web.wfm import bp
from admin_web.wfm.forms import ALL_QUEUES, DAY_TYPE_LABELS, MODEL_LABELS, TARGET_LABELS, PlanForm
from admin_web.wfm.planning import Inputs, NoPlan, plan
from engine.reports import periods
from engine.reports.definitions import load_definitions
from engine.store.models import Queue


def today_local() -> dt.date:
    return periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).date()


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Forecast, staffing and the forecast's past errors for one day and one queue (or all) the user may see."""
    session = get_session()
    d = load_definitions(session)
    today = today_local()
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
    return render_template("wfm/index.html", form=form, plan=result, reason=reason, today=today,
                           target_labels=TARGET_LABELS, model_labels=MODEL_LABELS, day_type_labels=DAY_TYPE_LABELS,
                           queue_names=dict(queues))
