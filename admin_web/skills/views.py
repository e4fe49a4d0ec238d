"""Skills: the list (administrators and supervisors, every hall's), create, rename, delete (administrators who see
every hall: skills are the centre's shared configuration)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from admin_web.db import get_session
from admin_web.security import ADMIN, STAFF, roles_required
from admin_web.skills import bp, queries
from admin_web.skills.forms import SkillForm
from admin_web.skills.services import SkillInUse, create_skill, delete_skill, rename_skill
from engine.store.models import Skill


@bp.route("/")
@roles_required(*STAFF, scope="centre")
def index():
    """Every skill with the agents, queues, overflow steps and routing rules that use it."""
    session = get_session()
    return render_template("skills/index.html", uses=queries.uses(session, queries.all_skills(session)))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN, scope="centre")
def create():
    """A new skill: agents get a level in it on their form, queues may require it."""
    session = get_session()
    form = SkillForm(session)
    if form.validate_on_submit():
        skill = create_skill(session, form.code.data, form.name.data)
        session.commit()
        flash(_("Skill %(name)s (%(code)s) created: give agents a level in it on their page, and queues may "
                "require it.", name=skill.name, code=skill.code), "success")
        return redirect(url_for("skills.index"))
    return render_template("skills/form.html", form=form, skill=None)


@bp.route("/<int:skill_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN, scope="centre")
def edit(skill_id: int):
    """Rename a skill (its code stays: overflow steps and routing rules name it by its code)."""
    session = get_session()
    skill = session.get(Skill, skill_id) or abort(404)
    form = SkillForm(session, skill_id=skill.id, obj=skill)
    if form.validate_on_submit():
        rename_skill(session, skill, form.name.data)
        session.commit()
        flash(_("Skill %(code)s renamed %(name)s.", code=skill.code, name=skill.name), "success")
        return redirect(url_for("skills.index"))
    return render_template("skills/form.html", form=form, skill=skill)


@bp.route("/<int:skill_id>/delete", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def delete(skill_id: int):
    """Delete a skill nobody uses; a skill in use is refused, saying by whom."""
    session = get_session()
    skill = session.get(Skill, skill_id) or abort(404)
    (use,) = queries.uses(session, [skill])
    try:
        delete_skill(session, use)
    except SkillInUse:
        flash(_("Skill %(name)s (%(code)s) is in use and cannot be deleted: %(uses)s. Remove it there first.",
                name=skill.name, code=skill.code, uses=_describe(use)), "error")
        return redirect(url_for("skills.index"))
    session.commit()
    flash(_("Skill %(name)s (%(code)s) deleted.", name=use.skill.name, code=use.skill.code), "success")
    return redirect(url_for("skills.index"))


def _describe(use: queries.SkillUse) -> str:
    parts = []
    if use.agents:
        parts.append(_("%(num)d agents have it", num=use.agents))
    if use.queues:
        parts.append(_("queues %(names)s require it", names="、".join(use.queues)))
    if use.overflow:
        parts.append(_("the overflow steps of %(names)s widen to it", names="、".join(use.overflow)))
    if use.rules:
        parts.append(_("routing rules %(names)s ask for it", names="、".join(use.rules)))
    return _("; ").join(parts)
