"""The floor view page and its live JSON (polled every 2 s)."""
from __future__ import annotations

import dataclasses

from flask import current_app, jsonify, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from admin_web import labels, live
from admin_web.scope import current_scope
from admin_web.agents.forms import StateRequestForm, SuperviseForm
from admin_web.db import get_session
from admin_web.floor import bp, queries
from admin_web.security import STAFF, roles_required
from admin_web.timeutil import console_today, now_utc
from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import User


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Queues and agents, refreshed in place."""
    mine = get_session().scalar(select(User.extension).where(User.id == current_user.id))
    return render_template("floor/index.html", poll_ms=current_app.config["AGENT_POLL_INTERVAL_MS"],
                           state_form=StateRequestForm(), supervise_form=SuperviseForm(), my_extension=mine)


@bp.route("/data.json")
@roles_required(*STAFF)
def data():
    """Queues (waiting, longest wait, agents) and agents (state, time in state, today's figures), computed once per
    FLOOR_SHARED_S for every viewer of the same halls in this console process (admin_web.live)."""
    key = ("floor", current_scope().key, str(get_locale()))
    return jsonify(live.feed().shared(key, float(current_app.config.get("FLOOR_SHARED_S", 1.0)), _figures))


def _figures() -> dict:
    session, now = get_session(), now_utc()
    start, _end = console_today()
    agents = []
    for day in queries.agent_days(session, start, now):
        row = dataclasses.asdict(day)
        row["state_label"] = labels.label(labels.STATE_LABELS, AgentState(day.state))
        row["reason_label"] = labels.label(labels.REASON_LABELS, NotReadyReason(day.reason)) if day.reason else ""
        agents.append(row)
    return {"server_time": now.isoformat(), "queues": queries.queue_rows(session, now), "agents": agents}
