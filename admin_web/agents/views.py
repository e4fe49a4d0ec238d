"""Agents: live list (+ JSON polled every 2 s), create, edit, delete."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin_web import audit, labels
from admin_web.halls.fields import hall_data, hall_value
from admin_web.agents import bp, queries
from flask_login import current_user
from sqlalchemy import select

from admin_web.agents.forms import NO_GROUP, AgentForm, StateRequestForm, SuperviseForm
from admin_web.agents.services import (AgentData, create_agent, delete_agent, request_state, request_supervision,
                                       update_agent)
from admin_web.db import get_session
from admin_web.security import ADMIN, STAFF, roles_required
from admin_web.timeutil import now_utc
from engine.domain.states import Role
from engine.store import accounts
from engine.store.models import Agent, User


@bp.route("/")
@roles_required(*STAFF)
def index():
    """All agents with their live state; the page then polls state.json."""
    session = get_session()
    now = now_utc()
    return render_template("agents/index.html", agents=queries.list_agents(session),
                           live={s.agent_id: s for s in queries.live_states(session, now)},
                           poll_ms=current_app.config["AGENT_POLL_INTERVAL_MS"], state_form=StateRequestForm(),
                           supervise_form=SuperviseForm())


@bp.route("/state.json")
@roles_required(*STAFF)
def state_json():
    """Every agent's live state with translated labels and seconds in state."""
    now = now_utc()
    session = get_session()
    requests = queries.recent_requests(session, now)
    return jsonify(server_time=now.isoformat(), agents=[
        {"id": s.agent_id, "state": s.state.value, "state_label": labels.label(labels.STATE_LABELS, s.state),
         "reason": s.reason.value if s.reason else None,
         "reason_label": labels.label(labels.REASON_LABELS, s.reason),
         "since": s.since.isoformat(), "seconds_in_state": s.seconds_in_state,
         "request": requests.get(s.agent_id)}
        for s in queries.live_states(session, now)])


def _form(agent: Agent | None = None) -> AgentForm:
    """The agent form with group choices and one level entry per skill (pre-filled from `agent`)."""
    session = get_session()
    skills = queries.all_skills(session)
    obj_kwargs = {}
    if agent is not None:
        obj_kwargs = dict(employee_no=agent.employee_no, name=agent.name, extension=agent.extension,
                          group_id=agent.group_id or NO_GROUP, active=agent.active,
                          remote_number=agent.remote_number or "", hall_id=hall_data(agent.hall_id))
    form = AgentForm(session, queries.all_groups(session), skills, agent.id if agent else None, **obj_kwargs)
    if not form.is_submitted():
        levels = queries.skill_levels(agent) if agent else {}
        for skill in skills:
            form.skills.append_entry({"skill_id": skill.id, "level": levels.get(skill.id)})
    form.skill_names = {s.id: f"{s.name} ({s.code})" for s in skills}
    return form


def _data(form: AgentForm) -> AgentData:
    """The validated form as AgentData."""
    return AgentData(employee_no=form.employee_no.data, name=form.name.data, extension=form.extension.data,
                     group_id=form.group_id.data or None, active=form.active.data,
                     skill_levels=form.chosen_levels(), remote_number=form.remote_number.data or None,
                     hall_id=hall_value(form.hall_id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    """Create an agent."""
    form = _form()
    if form.validate_on_submit():
        session = get_session()
        agent = create_agent(session, _data(form))
        try:        # the agent's login, named by the employee number, with a one-time password shown once
            user, password = accounts.create(session, agent.employee_no, accounts.AccountFields(
                display_name=agent.name, role=Role.AGENT, agent_id=agent.id))
        except accounts.AccountError:
            session.commit()
            flash(_("Agent %(no)s created; a login named %(no)s exists already: link one on the Accounts page.",
                    no=agent.employee_no), "success")
            return redirect(url_for("agents.index"))
        audit.record(session, "user.create", f"user:{user.username}", f"role agent, with agent {agent.employee_no}")
        session.commit()
        flash(_("Agent %(no)s created.", no=agent.employee_no), "success")
        return render_template("users/password.html", user=user, password=password, created=True)
    return render_template("agents/form.html", form=form, agent=None)


@bp.route("/<int:agent_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(agent_id: int):
    """Edit an agent (admins and supervisors)."""
    session = get_session()
    agent = session.get(Agent, agent_id) or abort(404)
    form = _form(agent)
    if form.validate_on_submit():
        update_agent(session, agent, _data(form))
        session.commit()
        flash(_("Agent %(no)s saved.", no=agent.employee_no), "success")
        return redirect(url_for("agents.index"))
    return render_template("agents/form.html", form=form, agent=agent)


@bp.route("/<int:agent_id>/sip-password", methods=["POST"])
@roles_required(*ADMIN)
def sip_password(agent_id: int):
    """A new random SIP password for the agent's extension: shown once here, only its digest hash is stored
    (FreeSWITCH gets the hash through mod_xml_curl)."""
    from engine.sip_accounts import a1_hash, new_password
    session = get_session()
    agent = session.get(Agent, agent_id) or abort(404)
    password = new_password()
    agent.sip_a1_hash = a1_hash(agent.extension, current_app.config.get("SIP_DOMAIN", ""), password)
    from admin_web import audit
    audit.record(session, "agent.sip_password", f"agent:{agent.employee_no}", "new SIP password set")
    session.commit()
    flash(_("New SIP password for extension %(ext)s: %(pw)s — write it down now, it is not shown again.",
            ext=agent.extension, pw=password), "success")
    return redirect(url_for("agents.edit", agent_id=agent.id))


@bp.route("/<int:agent_id>/delete", methods=["POST"])
@roles_required(*ADMIN)
def delete(agent_id: int):
    """Delete an agent (admins); their past call records stay, without the agent."""
    session = get_session()
    agent = session.get(Agent, agent_id) or abort(404)
    employee_no = agent.employee_no
    delete_agent(session, agent)
    session.commit()
    flash(_("Agent %(no)s deleted.", no=employee_no), "success")
    return redirect(url_for("agents.index"))


@bp.route("/<int:agent_id>/supervise", methods=["POST"])
@roles_required(*STAFF)
def supervise(agent_id: int):
    """Listen to, coach or barge into an agent's call from the supervisor's own phone."""
    session = get_session()
    agent = session.get(Agent, agent_id) or abort(404)
    form = SuperviseForm()
    extension = session.scalar(select(User.extension).where(User.id == current_user.id))
    if not extension:
        flash(_("Your account has no phone of its own: an administrator sets it on the Accounts page."), "error")
    elif form.validate_on_submit():
        request_supervision(session, agent, form.mode.data, extension, current_user.username)
        session.commit()
        flash(_("Your phone %(ext)s will ring to join agent %(no)s's call.", ext=extension,
                no=agent.employee_no), "success")
    else:
        flash(_("Choose how to join the call."), "error")
    return _back()


@bp.route("/<int:agent_id>/state", methods=["POST"])
@roles_required(*STAFF)
def change_state(agent_id: int):
    """A supervisor forces an agent's state (ready, not ready with a reason, log in, log out)."""
    session = get_session()
    agent = session.get(Agent, agent_id) or abort(404)
    form = StateRequestForm()
    if form.validate_on_submit():
        request_state(session, agent, form.command.data, current_user.username)
        session.commit()
        flash(_("Request sent to the engine for agent %(no)s.", no=agent.employee_no), "success")
    else:
        flash(_("Unknown state change."), "error")
    return _back()


def _back():
    """Back to the page the supervisor acted from: the floor view or the agents page."""
    return redirect(url_for("floor.index") if request.form.get("back") == "floor" else url_for("agents.index"))
