"""The home page (admins, supervisors) and the agent's own page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from admin_web.access import signed_in
from admin_web.agents.forms import StateRequestForm
from admin_web.agents.queries import state_counts
from admin_web.agents.services import request_state
from admin_web.calls.queries import outcome_counts
from admin_web.dashboard import bp
from admin_web.db import get_session
from admin_web.security import MONITORS, roles_required
from admin_web.timeutil import console_today, now_utc, seconds_between
from engine.domain.states import CallOutcome, Role
from engine.store.models import Agent


@bp.route("/")
@login_required
@signed_in
def index():
    """Today's call totals and agents by state; an agent is sent to their own page."""
    if current_user.role is Role.AGENT:
        return redirect(url_for("dashboard.me"))
    if current_user.role is Role.DEPARTMENT:
        return redirect(url_for("orders.index"))     # a department's home is its orders
    return _staff_home()


@roles_required(*MONITORS)
def _staff_home():
    """The dashboard proper (role-checked like every staff page)."""
    session = get_session()
    counts = outcome_counts(session, *console_today())
    total = sum(counts.values())
    answered = counts[CallOutcome.ANSWERED]
    offered = answered + counts[CallOutcome.ABANDONED]
    return render_template("dashboard/index.html", counts=counts, total=total,
                           answer_rate=(100.0 * answered / offered) if offered else None,
                           states=state_counts(session))


@bp.route("/me")
@login_required
@signed_in
def me():
    """Which agent the logged-in user is (the agent role's only page)."""
    agent = get_session().get(Agent, current_user.agent_id) if current_user.agent_id else None
    seconds = seconds_between(agent.state_since, now_utc()) if agent else None
    return render_template("dashboard/me.html", agent=agent, seconds_in_state=seconds, state_form=StateRequestForm())


@bp.route("/me/state", methods=["POST"])
@login_required
@signed_in
def my_state():
    """An agent signs in or out, or sets themselves ready / not ready with a reason (R-CTI-3)."""
    session = get_session()
    agent = session.get(Agent, current_user.agent_id) if current_user.agent_id else None
    if agent is None:
        abort(404)
    form = StateRequestForm()
    if form.validate_on_submit():
        request_state(session, agent, form.command.data, current_user.username)
        session.commit()
        flash(_("Request sent."), "success")
    else:
        flash(_("Unknown state change."), "error")
    return redirect(url_for("dashboard.me"))
