"""The floor view page, its live JSON (polled every 2 s) and the action on one agent's row."""
from __future__ import annotations

import dataclasses

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from admin_web import labels, live
from admin_web.agents.services import request_state, request_supervision
from admin_web.scope import current_scope
from admin_web.db import get_session
from admin_web.floor import bp, queries
from admin_web.floor.forms import MONITOR_LABELS, FloorActionForm
from admin_web.security import STAFF, roles_required
from admin_web.timeutil import console_today, now_utc
from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import Agent, User


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Queues and agents as they are now (the script refreshes them in place), one action form per agent."""
    mine = get_session().scalar(select(User.extension).where(User.id == current_user.id))
    return render_template("floor/index.html", poll_ms=current_app.config["AGENT_POLL_INTERVAL_MS"],
                           action_form=FloorActionForm(), my_extension=mine, figures=_figures(),
                           monitor_labels={k: str(v) for k, v in MONITOR_LABELS.items()})


@bp.route("/data.json")
@roles_required(*STAFF)
def data():
    """Queues (waiting, longest wait, agents) and agents (state, time in state, today's figures), computed once per
    FLOOR_SHARED_S for every viewer of the same halls in this console process (admin_web.live)."""
    key = ("floor", current_scope().key, str(get_locale()))
    return jsonify(live.feed().shared(key, float(current_app.config.get("FLOOR_SHARED_S", 1.0)), _figures))


@bp.route("/<int:agent_id>/action", methods=["POST"])
@roles_required(*STAFF)
def act(agent_id: int):
    """One agent's row: force a state (示忙 keeps its reason: `state:not_ready:<reason>` reaches the engine as
    not_ready with that reason) or join the agent's call from the supervisor's own phone."""
    session = get_session()
    agent = session.get(Agent, agent_id) or abort(404)          # another hall's agent is not there (scope)
    form = FloorActionForm()
    if not form.validate_on_submit():
        flash(_("Choose an action for the agent."), "error")
        return redirect(url_for("floor.index"))
    kind, _sep, value = form.action.data.partition(":")
    label = dict(form.action.choices).get(form.action.data, form.action.data)
    if kind == "supervise":
        extension = session.scalar(select(User.extension).where(User.id == current_user.id))
        if not extension:
            flash(_("Your account has no phone of its own: an administrator sets it on the Accounts page."), "error")
            return redirect(url_for("floor.index"))
        request_supervision(session, agent, value, extension, current_user.username)
    else:
        request_state(session, agent, value, current_user.username)
    session.commit()
    flash(_("Agent %(no)s %(name)s: “%(action)s” sent to the engine.", no=agent.employee_no, name=agent.name,
            action=label), "success")
    return redirect(url_for("floor.index"))


def _figures() -> dict:
    session, now = get_session(), now_utc()
    start, _end = console_today()
    agents = []
    for day in queries.agent_days(session, start, now):
        row = dataclasses.asdict(day)
        row["state_label"] = labels.label(labels.STATE_LABELS, AgentState(day.state))
        row["reason_label"] = labels.label(labels.REASON_LABELS, NotReadyReason(day.reason)) if day.reason else ""
        if day.monitor is not None:
            row["monitor"]["label"] = str(MONITOR_LABELS.get(day.monitor["mode"], day.monitor["mode"]))
        agents.append(row)
    return {"server_time": now.isoformat(), "queues": queries.queue_rows(session, now), "agents": agents}
