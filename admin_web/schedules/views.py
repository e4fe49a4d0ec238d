"""Schedule pages: shift templates and rotations (admins and supervisors), generating a week's schedule from the
planned requirement, viewing and publishing it, the adherence and attendance of the published shifts, and an
agent's own shifts. Every query runs on the request's scoped session (admin_web.scope)."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from admin_web import audit
from admin_web.db import get_session
from admin_web.halls import queries as hall_queries
from admin_web.halls.fields import hall_data, hall_value, set_hall_choices
from admin_web.schedules import bp, pages
from admin_web.schedules.forms import (POOL_LABELS, WEEKDAY_LABELS, AdherenceForm, GenerateForm, RotationForm,
                                       TemplateForm)
from admin_web.security import STAFF, roles_required
from admin_web.wfm.forms import ALL_QUEUES
from admin_web.wfm.planning import Inputs, NoPlan
from admin_web.wfm.views import today_local
from engine.domain import scheduling as sch
from engine.domain.states import Role
from engine.reports.definitions import load_definitions
from engine.store import schedules as store
from engine.store.base import utcnow
from engine.store.models import Agent, AgentGroup, Queue
from engine.store.models.schedules import Rotation, Schedule, ShiftTemplate


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _hall_names(session) -> dict[int, str]:
    return {h: label.strip("\u3000") for h, label in hall_queries.choices(session)}


def _templates(session) -> list[ShiftTemplate]:
    return list(session.scalars(select(ShiftTemplate).order_by(ShiftTemplate.start_minute, ShiftTemplate.code)))


@bp.route("/")
@roles_required(*STAFF)
def index():
    """The schedules, newest week first."""
    session = get_session()
    schedules = session.scalars(select(Schedule).order_by(Schedule.week_start.desc(), Schedule.id.desc())
                                .limit(200)).all()
    return render_template("schedules/index.html", schedules=schedules, pool_labels=POOL_LABELS)


# --- shift templates ---------------------------------------------------------------------------------------------

def _save_template(form: TemplateForm, t: ShiftTemplate) -> None:
    t.code, t.name = form.code.data.strip(), form.name.data.strip()
    t.start_minute = form.start.data.hour * 60 + form.start.data.minute
    t.length_minutes, t.unpaid_break_minutes = form.length_minutes.data, form.unpaid_break_minutes.data
    t.break_after_minutes, t.paid_break_minutes = form.break_after_minutes.data, form.paid_break_minutes.data
    t.weekdays = store.mask_of(int(d) for d in form.weekdays.data)
    t.hall_id = hall_value(form.hall_id)


@bp.route("/templates", methods=["GET", "POST"])
@roles_required(*STAFF)
def templates():
    """The shift templates, and a new one."""
    session = get_session()
    form = TemplateForm()
    set_hall_choices(form.hall_id, session, _("None (the centre's)"))
    if form.validate_on_submit():
        t = ShiftTemplate()
        _save_template(form, t)
        session.add(t)
        session.flush()
        audit.record(session, "shift_template.create", f"shift_template:{t.code}", f"start={t.start_minute}")
        session.commit()
        flash(_("Shift %(code)s saved.", code=t.code), "success")
        return redirect(url_for("schedules.templates"))
    return render_template("schedules/templates.html", form=form, templates=_templates(session), template=None,
                           weekday_labels=dict(WEEKDAY_LABELS), weekdays_of=store.weekdays_of,
                           hall_names=_hall_names(session))


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_template(template_id: int):
    """Edit a shift template (shifts already scheduled keep their times)."""
    session = get_session()
    t = session.get(ShiftTemplate, template_id) or abort(404)
    form = TemplateForm(code=t.code, name=t.name, start=dt.time(t.start_minute // 60, t.start_minute % 60),
                        length_minutes=t.length_minutes, unpaid_break_minutes=t.unpaid_break_minutes,
                        break_after_minutes=t.break_after_minutes, paid_break_minutes=t.paid_break_minutes,
                        weekdays=[str(d) for d in sorted(store.weekdays_of(t.weekdays))],
                        hall_id=hall_data(t.hall_id))
    set_hall_choices(form.hall_id, session, _("None (the centre's)"))
    if form.validate_on_submit():
        _save_template(form, t)
        audit.record(session, "shift_template.update", f"shift_template:{t.code}", f"start={t.start_minute}")
        session.commit()
        flash(_("Shift %(code)s saved.", code=t.code), "success")
        return redirect(url_for("schedules.templates"))
    return render_template("schedules/templates.html", form=form, templates=_templates(session), template=t,
                           weekday_labels=dict(WEEKDAY_LABELS), weekdays_of=store.weekdays_of,
                           hall_names=_hall_names(session))


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def delete_template(template_id: int):
    """Delete a shift template (its scheduled shifts stay, with their code)."""
    session = get_session()
    t = session.get(ShiftTemplate, template_id) or abort(404)
    audit.record(session, "shift_template.delete", f"shift_template:{t.code}")
    session.delete(t)
    session.commit()
    flash(_("Shift %(code)s deleted.", code=t.code), "success")
    return redirect(url_for("schedules.templates"))


# --- rotations ---------------------------------------------------------------------------------------------------

def _rotation_form(session, rotation: Rotation | None = None) -> RotationForm:
    templates = _templates(session)
    codes = {t.code: t.id for t in templates}
    if rotation is None:
        form = RotationForm(codes)
    else:
        names = {t.id: t.code for t in templates}
        form = RotationForm(codes, name=rotation.name, teams=rotation.teams, anchor=rotation.anchor,
                            pattern=",".join(names.get(i, "休") if i else "休" for i in rotation.pattern),
                            hall_id=hall_data(rotation.hall_id))
    set_hall_choices(form.hall_id, session, _("None (the centre's)"))
    return form


def _rotation_page(session, form, rotation):
    templates = {t.id: t for t in _templates(session)}
    rotations = session.scalars(select(Rotation).order_by(Rotation.name)).all()
    return render_template("schedules/rotations.html", form=form, rotation=rotation, rotations=rotations,
                           templates=templates)


@bp.route("/rotations", methods=["GET", "POST"])
@roles_required(*STAFF)
def rotations():
    """The rotations (e.g. 四班三运转 for 7×24), and a new one."""
    session = get_session()
    form = _rotation_form(session)
    if request.method == "GET" and not form.pattern.data:
        form.anchor.data = _monday(today_local())
    if form.validate_on_submit():
        r = Rotation(name=form.name.data.strip(), pattern=form.template_ids, teams=form.teams.data,
                     anchor=form.anchor.data, hall_id=hall_value(form.hall_id))
        session.add(r)
        session.flush()
        audit.record(session, "rotation.create", f"rotation:{r.name}", f"teams={r.teams}")
        session.commit()
        flash(_("Rotation %(name)s saved.", name=r.name), "success")
        return redirect(url_for("schedules.rotations"))
    return _rotation_page(session, form, None)


@bp.route("/rotations/<int:rotation_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_rotation(rotation_id: int):
    """Edit a rotation."""
    session = get_session()
    r = session.get(Rotation, rotation_id) or abort(404)
    form = _rotation_form(session, r)
    if form.validate_on_submit():
        r.name, r.pattern, r.teams = form.name.data.strip(), form.template_ids, form.teams.data
        r.anchor, r.hall_id = form.anchor.data, hall_value(form.hall_id)
        audit.record(session, "rotation.update", f"rotation:{r.name}", f"teams={r.teams}")
        session.commit()
        flash(_("Rotation %(name)s saved.", name=r.name), "success")
        return redirect(url_for("schedules.rotations"))
    return _rotation_page(session, form, r)


@bp.route("/rotations/<int:rotation_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def delete_rotation(rotation_id: int):
    """Delete a rotation (schedules made with it stay)."""
    session = get_session()
    r = session.get(Rotation, rotation_id) or abort(404)
    audit.record(session, "rotation.delete", f"rotation:{r.name}")
    session.delete(r)
    session.commit()
    flash(_("Rotation %(name)s deleted.", name=r.name), "success")
    return redirect(url_for("schedules.rotations"))


# --- generating, viewing, publishing -----------------------------------------------------------------------------

def _generate_form(session) -> GenerateForm:
    form = GenerateForm()
    form.group_id.choices = [("", "—")] + [(str(g.id), g.name) for g in
                                           session.scalars(select(AgentGroup).order_by(AgentGroup.name))]
    form.hall.choices = [("", "—")] + [(str(h), label) for h, label in hall_queries.choices(session)]
    form.queue.choices = [(ALL_QUEUES, _("All queues"))] + [
        (q.code, q.name) for q in session.scalars(select(Queue).order_by(Queue.name))]
    form.templates.choices = [(t.id, f"{t.code} {t.name} {t.start_minute // 60:02d}:{t.start_minute % 60:02d} "
                               f"+{t.length_minutes / 60:g}h") for t in _templates(session) if t.active]
    form.rotation.choices = [("", _("None: any template on any day"))] + [
        (str(r.id), r.name) for r in session.scalars(select(Rotation).order_by(Rotation.name))]
    if form.week.data is None and not form.week.raw_data:
        form.week.data = _monday(today_local()) + dt.timedelta(days=7)
    return form


@bp.route("/generate", methods=["GET", "POST"])
@roles_required(*STAFF)
def generate():
    """Generate a week's schedule (a draft) from the requirement the planning page computes for each day."""
    session = get_session()
    form = _generate_form(session)
    reason = None
    if form.validate_on_submit():
        pool, group_id = form.pool.data, int(form.group_id.data) if form.group_id.data else None
        hall_id = int(form.hall.data) if form.hall.data else None
        queue_code = form.queue.data or None
        agents = store.pool_agents(session, pool, hall_id=hall_id, group_id=group_id, queue_code=queue_code)
        rows = {t.id: t for t in _templates(session)}
        rotation_row = session.get(Rotation, int(form.rotation.data)) if form.rotation.data else None
        chosen = [rows[i] for i in form.templates.data if i in rows]
        for i in rotation_row.pattern if rotation_row is not None else ():
            if i in rows and rows[i] not in chosen:
                chosen.append(rows[i])
        inputs = Inputs(form.week.data, queue_code, form.target.data, float(form.level.data) / 100,
                        float(form.seconds.data), form.model.data, float(form.shrinkage.data) / 100)
        codes = [t.code for t in chosen]
        if len(set(codes)) < len(codes):
            reason = _("Two of the chosen shift templates have the same code: give each its own code.")
        elif not agents:
            reason = _("No active agent in this choice: there is nobody to schedule.")
        elif set(form.leave_days) - {a.employee_no for a in agents}:
            reason = _("Not among the agents scheduled: %(numbers)s",
                       numbers="、".join(sorted(set(form.leave_days) - {a.employee_no for a in agents})))
        else:
            try:
                required = pages.week_requirement(session, form.week.data, inputs, today_local(),
                                                  load_definitions(session))
            except NoPlan as exc:
                reason = str(exc)
        if reason is None:
            week = form.week.data
            booked = store.booked(session, [a.id for a in agents], week)
            specs = [sch.AgentSpec(a.id, int(float(form.week_hours.data) * 60),
                                   form.leave_days.get(a.employee_no, frozenset()), booked=tuple(booked.get(a.id, ())))
                     for a in agents]
            rules = sch.Rules(int(float(form.rest_hours.data) * 60), form.days_off.data)
            rotation = store.rotation_spec(rotation_row, rows) if rotation_row is not None else None
            generated = sch.generate(required, [store.template_spec(t) for t in chosen], specs, week, rules,
                                     rotation)
            owner = {"hall": hall_id, "group": None, "queue": None}[pool]
            if pool == "group":
                owner = session.get(AgentGroup, group_id).hall_id
            elif pool == "queue":
                owner = session.scalar(select(Queue.hall_id).where(Queue.code == queue_code))
            schedule = Schedule(
                name=form.name.data or _("Week of %(day)s", day=week.isoformat()), week_start=week, pool=pool,
                group_id=group_id, queue_code=queue_code, rotation_id=rotation_row.id if rotation_row else None,
                hall_id=owner if owner is not None else current_user.hall_id,
                created_by=current_user.username,
                settings={"target": form.target.data, "level": float(form.level.data),
                          "seconds": float(form.seconds.data), "model": form.model.data,
                          "shrinkage": float(form.shrinkage.data), "week_hours": float(form.week_hours.data),
                          "rest_hours": float(form.rest_hours.data), "days_off": form.days_off.data,
                          "hall": hall_id, "agents": len(agents),
                          "leave": {k: sorted(d + 1 for d in v) for k, v in form.leave_days.items()}})
            session.add(schedule)
            store.save(session, schedule, generated, {t.code: t for t in chosen})
            session.flush()
            audit.record(session, "schedule.generate", f"schedule:{schedule.id}",
                         f"week={week.isoformat()} shifts={len(generated.shifts)}")
            session.commit()
            flash(_("Draft schedule generated: %(n)d shifts.", n=len(generated.shifts)), "success")
            return redirect(url_for("schedules.view", schedule_id=schedule.id))
    return render_template("schedules/generate.html", form=form, reason=reason)


@bp.route("/<int:schedule_id>")
@roles_required(*STAFF)
def view(schedule_id: int):
    """A schedule: agents × days, coverage against the requirement per quarter hour, the gaps."""
    session = get_session()
    schedule = session.get(Schedule, schedule_id) or abort(404)
    c = store.coverage(schedule)
    return render_template("schedules/view.html", schedule=schedule, rows=pages.grid(session, schedule), coverage=c,
                           chart=pages.coverage_chart(c), gaps=pages.gaps(c), weekdays=pages.WEEKDAYS,
                           days=[schedule.week_start + dt.timedelta(days=n) for n in range(7)],
                           local_hm=pages.local_hm, pool_labels=POOL_LABELS)


@bp.route("/<int:schedule_id>/publish", methods=["POST"])
@roles_required(*STAFF)
def publish(schedule_id: int):
    """Publish a draft: its shifts become what the agents see; refused if it would double-book an agent."""
    session = get_session()
    schedule = session.get(Schedule, schedule_id) or abort(404)
    clashes = store.clashes(session, schedule)
    if clashes:
        names = {a.id: a.name for a in session.scalars(select(Agent).where(
            Agent.id.in_({c.agent_id for c in clashes})))}
        flash(_("Not published: %(agents)s already have shifts at these times in another published schedule.",
                agents="、".join(sorted(set(names.values())))), "error")
        return redirect(url_for("schedules.view", schedule_id=schedule.id))
    schedule.status, schedule.published_at, schedule.published_by = store.PUBLISHED, utcnow(), current_user.username
    audit.record(session, "schedule.publish", f"schedule:{schedule.id}", f"week={schedule.week_start.isoformat()}")
    session.commit()
    flash(_("Schedule published: the agents see their shifts."), "success")
    return redirect(url_for("schedules.view", schedule_id=schedule.id))


@bp.route("/<int:schedule_id>/withdraw", methods=["POST"])
@roles_required(*STAFF)
def withdraw(schedule_id: int):
    """Take a published schedule back to a draft (the agents no longer see it)."""
    session = get_session()
    schedule = session.get(Schedule, schedule_id) or abort(404)
    schedule.status, schedule.published_at = store.DRAFT, None
    audit.record(session, "schedule.withdraw", f"schedule:{schedule.id}")
    session.commit()
    flash(_("Schedule withdrawn: it is a draft again."), "success")
    return redirect(url_for("schedules.view", schedule_id=schedule.id))


@bp.route("/<int:schedule_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def delete(schedule_id: int):
    """Delete a draft (a published schedule is withdrawn first)."""
    session = get_session()
    schedule = session.get(Schedule, schedule_id) or abort(404)
    if schedule.status == store.PUBLISHED:
        flash(_("Withdraw the schedule before deleting it."), "error")
        return redirect(url_for("schedules.view", schedule_id=schedule.id))
    audit.record(session, "schedule.delete", f"schedule:{schedule.id}", f"week={schedule.week_start.isoformat()}")
    session.delete(schedule)
    session.commit()
    flash(_("Schedule deleted."), "success")
    return redirect(url_for("schedules.index"))


# --- adherence, attendance, an agent's own shifts ----------------------------------------------------------------

@bp.route("/adherence")
@roles_required(*STAFF)
def adherence():
    """Adherence and attendance (出勤率) of a week's published shifts, per agent and day, with a chart."""
    session = get_session()
    form = AdherenceForm(request.args)
    form.group_id.choices = [("", _("All teams"))] + [(str(g.id), g.name) for g in
                                                     session.scalars(select(AgentGroup).order_by(AgentGroup.name))]
    week = _monday(form.week.data if form.validate() and form.week.data else today_local())
    form.week.data = week
    group_id = int(form.group_id.data) if form.group_id.data else None
    rows, total, chart = pages.adherence_week(session, week, utcnow(), group_id)
    return render_template("schedules/adherence.html", form=form, rows=rows, total=total, chart=chart, week=week,
                           weekdays=pages.WEEKDAYS, status_label=pages.status_label, local_hm=pages.local_hm,
                           previous=week - dt.timedelta(days=7), following=week + dt.timedelta(days=7))


@bp.route("/mine")
@roles_required(Role.AGENT, scope="own")
def mine():
    """The agent's own published shifts from this week's Monday for four weeks, and how the past ones went."""
    session = get_session()
    start = store.week_origin(_monday(today_local()))
    shifts = []
    if current_user.agent_id is not None:
        rows = store.published_shifts(session, start, start + dt.timedelta(days=28), [current_user.agent_id])
        shifts = store.measured(session, rows, utcnow())
    return render_template("schedules/mine.html", shifts=shifts, linked=current_user.agent_id is not None,
                           status_label=pages.status_label, local_hm=pages.local_hm,
                           summary=sch.summarize(r for _s, r in shifts))
