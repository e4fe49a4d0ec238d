"""Groups: list, create, edit, delete (admins only). A group that still has agents is not deleted."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from admin_web.db import get_session
from admin_web.groups import bp, queries
from admin_web.groups.forms import GroupForm
from admin_web.halls.fields import hall_data, hall_value
from admin_web.groups.services import GroupNotEmpty, create_group, delete_group, update_group
from admin_web.security import ADMIN, roles_required
from engine.store.models import AgentGroup


@bp.route("/")
@roles_required(*ADMIN)
def index():
    """Groups with their agent counts."""
    return render_template("groups/index.html", groups=queries.groups_with_counts(get_session()))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    """Create a group."""
    session = get_session()
    form = GroupForm(session)
    if form.validate_on_submit():
        group = create_group(session, form.name.data, form.description.data, hall_value(form.hall_id))
        session.commit()
        flash(_("Group %(name)s created.", name=group.name), "success")
        return redirect(url_for("groups.index"))
    return render_template("groups/form.html", form=form, group=None)


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit(group_id: int):
    """Edit a group."""
    session = get_session()
    group = session.get(AgentGroup, group_id) or abort(404)
    form = GroupForm(session, group.id, name=group.name, description=group.description,
                     hall_id=hall_data(group.hall_id))
    if form.validate_on_submit():
        update_group(session, group, form.name.data, form.description.data, hall_value(form.hall_id))
        session.commit()
        flash(_("Group %(name)s saved.", name=group.name), "success")
        return redirect(url_for("groups.index"))
    return render_template("groups/form.html", form=form, group=group,
                           agent_count=queries.agent_count(session, group.id))


@bp.route("/<int:group_id>/delete", methods=["POST"])
@roles_required(*ADMIN)
def delete(group_id: int):
    """Delete an empty group; refuse, with the reason, if it still has agents."""
    session = get_session()
    group = session.get(AgentGroup, group_id) or abort(404)
    try:
        delete_group(session, group)
    except GroupNotEmpty as exc:
        flash(_("Group %(name)s still has %(count)d agents; move them to another group or delete them first.",
                name=group.name, count=exc.count), "error")
        return redirect(url_for("groups.index"))
    session.commit()
    flash(_("Group %(name)s deleted.", name=group.name), "success")
    return redirect(url_for("groups.index"))
