"""Queues: list with today's counts (admins and supervisors); create, edit, delete (admins)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin_web.halls.fields import hall_data, hall_value
from admin_web.db import get_session
from admin_web.queues import bp, queries
from admin_web.queues.forms import QueueForm
from admin_web.queues.services import QueueData, QueueInUse, create_queue, delete_queue, update_queue
from admin_web.queues.vocab import STRATEGY_EXPLANATIONS, STRATEGY_LABELS, as_int, describe_rules, load_rules
from admin_web.security import ADMIN, STAFF, roles_required
from admin_web.timeutil import console_today
from engine.store.models import Queue

BLANK_RULE_ROWS = 2   # empty overflow rows offered on the form (more with "Add a rule row")


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Every queue with its settings, required skills, overflow rules and today's calls."""
    session = get_session()
    queues = queries.list_queues(session)
    skill_names = {s.code: s.name for s in queries.all_skills(session)}
    queue_names = {q.code: q.name for q in queues}
    return render_template("queues/index.html", queues=queues, counts=queries.today_counts(session, *console_today()),
                           rules={q.id: describe_rules(q.overflow_rules, skill_names, queue_names) for q in queues},
                           strategy_labels=STRATEGY_LABELS)


def _form(queue: Queue | None = None) -> QueueForm:
    """The queue form, pre-filled from `queue` on GET, with level fields per skill and the overflow rows."""
    session = get_session()
    skills = queries.all_skills(session)
    values = {}
    if queue is not None:
        values = {f: getattr(queue, f) for f in ("name", "strategy", "ring_timeout_s", "wrap_up_s", "max_wait_s",
                                                 "max_size", "priority_step_s", "no_agent_action", "moh",
                                                 "announce_every_s", "callback_key", "voicemail_key")}
        values["hall_id"] = hall_data(queue.hall_id)
    form = QueueForm(session, skills, queue, **values)
    form.rules_unreadable = False
    if not form.is_submitted():
        levels = {s.skill_id: s.min_level for s in queue.skills} if queue else {}
        for skill in skills:
            form.skills.append_entry({"skill_id": skill.id, "min_level": levels.get(skill.id)})
        stored = load_rules(queue.overflow_rules) if queue else []
        form.rules_unreadable = stored is None
        for rule in sorted(stored or [], key=lambda r: as_int(r.get("after_s"))):
            form.add_rule({"after_s": rule.get("after_s"), "action": rule.get("action", ""),
                           "skills": rule.get("skills") if isinstance(rule.get("skills"), dict) else None,
                           "queue": rule.get("queue", ""), "prompt": rule.get("prompt", "")})
        for _i in range(BLANK_RULE_ROWS):
            form.add_rule()
    form.skill_names = {s.id: f"{s.name} ({s.code})" for s in skills}
    form.strategy_help = [(code, STRATEGY_LABELS[code], STRATEGY_EXPLANATIONS[code]) for code in STRATEGY_LABELS]
    return form


def _data(form: QueueForm) -> QueueData:
    """The validated form as QueueData."""
    return QueueData(code=form.code.data, name=form.name.data, strategy=form.strategy.data,
                     ring_timeout_s=form.ring_timeout_s.data, wrap_up_s=form.wrap_up_s.data,
                     max_wait_s=form.max_wait_s.data, max_size=form.max_size.data,
                     priority_step_s=form.priority_step_s.data, no_agent_action=form.no_agent_action.data,
                     moh=form.moh.data, announce_every_s=form.announce_every_s.data,
                     callback_key=form.callback_key.data or None, voicemail_key=form.voicemail_key.data or None,
                     skill_levels=form.chosen_skills(), overflow_rules=form.overflow_json(),
                     hall_id=hall_value(form.hall_id))


def _adding_row(form: QueueForm) -> bool:
    """'Add a rule row' was pressed: one more empty row, nothing saved."""
    if form.is_submitted() and "add_rule" in request.form:
        form.add_rule()
        return True
    return False


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    """Create a queue."""
    form = _form()
    if not _adding_row(form) and form.validate_on_submit():
        session = get_session()
        queue = create_queue(session, _data(form))
        session.commit()
        flash(_("Queue %(code)s created; the engine uses it within a few seconds.", code=queue.code), "success")
        return redirect(url_for("queues.index"))
    return render_template("queues/form.html", form=form, queue=None)


@bp.route("/<int:queue_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit(queue_id: int):
    """Edit a queue (its code stays)."""
    session = get_session()
    queue = session.get(Queue, queue_id) or abort(404)
    form = _form(queue)
    if not _adding_row(form) and form.validate_on_submit():
        update_queue(session, queue, _data(form))
        session.commit()
        flash(_("Queue %(code)s saved; the engine applies the change within a few seconds.", code=queue.code),
              "success")
        return redirect(url_for("queues.index"))
    return render_template("queues/form.html", form=form, queue=queue,
                           referrers=queries.overflow_referrers(session, queue.code))


@bp.route("/<int:queue_id>/delete", methods=["POST"])
@roles_required(*ADMIN)
def delete(queue_id: int):
    """Delete a queue; refused while another queue overflows to it. Its past calls keep their records."""
    session = get_session()
    queue = session.get(Queue, queue_id) or abort(404)
    code = queue.code
    try:
        delete_queue(session, queue)
    except QueueInUse as exc:
        flash(_("Queue %(code)s is the overflow target of %(queues)s; change their overflow rules first.",
                code=code, queues=", ".join(f"{q.name} ({q.code})" for q in exc.referrers)), "error")
        return redirect(url_for("queues.edit", queue_id=queue_id))
    session.commit()
    flash(_("Queue %(code)s deleted.", code=code), "success")
    return redirect(url_for("queues.index"))
