"""Routing rules: the ordered list in words (staff), create/edit/move/activate/delete (admins)."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from admin_web.db import get_session
from admin_web.flows import files
from admin_web.flows.describe import describe_when
from admin_web.halls import queries as hall_queries
from admin_web.rules import bp
from admin_web.rules.forms import FIELD_OF, RuleForm
from admin_web.rules import services
from admin_web.security import ADMIN, STAFF, roles_required
from engine.domain.rules import RuleError
from engine.store.models import Queue, RoutingRule

_PROBLEM = re.compile(r"^rule [^:]*: (match|action) (\w+): ")


def describe_action(action: dict) -> list[str]:
    """What a rule does, in words."""
    words = []
    if action.get("block"):
        words.append(_("block the call") + (_(" after playing %(prompt)s", prompt=action["prompt"])
                                            if action.get("prompt") else ""))
    if "queue" in action:
        words.append(_("queue %(queue)s", queue=action["queue"]))
    if "priority" in action:
        words.append(_("priority %(priority)s", priority=action["priority"]))
    if isinstance(action.get("skills"), dict):
        words.append(_("skills %(skills)s", skills=", ".join(f"{k} ≥ {v}" for k, v in action["skills"].items())))
    if "flow" in action:
        words.append(_("flow %(flow)s", flow=action["flow"]))
    if "hall" in action:
        words.append(_("hall %(hall)s", hall=action["hall"]))
    if isinstance(action.get("tag"), dict):
        words.append(_("set %(pairs)s", pairs=", ".join(f"{k}={v}" for k, v in action["tag"].items())))
    return words


@bp.route("/")
@roles_required(*STAFF)
def index():
    rules = list(get_session().scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))
    return render_template("rules/index.html", rules=rules, describe_when=describe_when,
                           describe_action=describe_action)


def _form(session, **kwargs) -> tuple[RuleForm, list[str]]:
    flows = files.valid_flow_names(session)
    queues = [(q.code, f"{q.name} ({q.code})") for q in session.scalars(select(Queue).order_by(Queue.code))]
    halls = [(row.hall.code, "\u3000" * row.depth + f"{row.hall.name} ({row.hall.code})")
             for row in hall_queries.tree(session)]
    prompts = [p.filename for p in files.prompt_files([])]
    return RuleForm(queues, flows, halls, prompts, **kwargs), flows


def _save(form: RuleForm, rule: RoutingRule | None, flows: list[str]):
    """Validate through save_rule; its problems go to the fields they name (others above the form)."""
    session = get_session()
    try:
        row = services.save(session, rule, form.name.data, form.match(), form.action(), form.active.data, flows)
    except RuleError as exc:
        general = []
        for problem in exc.problems:
            m = _PROBLEM.match(problem)
            field = getattr(form, FIELD_OF.get(m.group(2), m.group(2)), None) if m else None
            if field is not None:
                field.errors = [*field.errors, problem[m.end():]]
            elif "name is used" in problem or "a name is required" in problem:
                form.name.errors = [*form.name.errors, _("Another rule already has this name.")
                                    if "name is used" in problem else problem]
            else:
                general.append(problem)
        return render_template("rules/form.html", form=form, rule=rule, problems=exc.problems, general=general,
                               preview=_preview(form)), 422
    session.commit()
    flash(_("Rule %(name)s saved.", name=row.name), "success")
    return redirect(url_for("rules.index"))


def _preview(form: RuleForm) -> tuple[str, list[str]]:
    try:
        return describe_when(form.match()), describe_action(form.action())
    except ValueError:
        return "", []


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN, scope="centre")
def create():
    session = get_session()
    form, flows = _form(session)
    if form.validate_on_submit():
        return _save(form, None, flows)
    return render_template("rules/form.html", form=form, rule=None, problems=[], general=[], preview=None)


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN, scope="centre")
def edit(rule_id: int):
    session = get_session()
    rule = session.get(RoutingRule, rule_id) or abort(404)
    form, flows = _form(session, name=rule.name, active=rule.active,
                        **RuleForm.field_values(rule.match or {}, rule.action or {}))
    if form.validate_on_submit():
        return _save(form, rule, flows)
    return render_template("rules/form.html", form=form, rule=rule, problems=[], general=[],
                           preview=(describe_when(rule.match or {}), describe_action(rule.action or {})))


@bp.route("/<int:rule_id>/move/<direction>", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def move(rule_id: int, direction: str):
    session = get_session()
    rule = session.get(RoutingRule, rule_id) or abort(404)
    if direction not in ("up", "down"):
        abort(404)
    if services.move(session, rule, -1 if direction == "up" else 1):
        session.commit()
    return redirect(url_for("rules.index"))


@bp.route("/<int:rule_id>/active", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def toggle(rule_id: int):
    session = get_session()
    rule = session.get(RoutingRule, rule_id) or abort(404)
    active = request.form.get("active") == "1"
    try:
        services.set_active(session, rule, active, files.valid_flow_names(session))
    except RuleError as exc:
        flash(_("Rule %(name)s was not activated: %(reason)s", name=rule.name, reason="; ".join(exc.problems)),
              "error")
        return redirect(url_for("rules.index"))
    session.commit()
    flash(_("Rule %(name)s activated.", name=rule.name) if active
          else _("Rule %(name)s deactivated.", name=rule.name), "success")
    return redirect(url_for("rules.index"))


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def delete(rule_id: int):
    session = get_session()
    rule = session.get(RoutingRule, rule_id) or abort(404)
    name = rule.name
    services.delete(session, rule)
    session.commit()
    flash(_("Rule %(name)s deleted.", name=name), "success")
    return redirect(url_for("rules.index"))

