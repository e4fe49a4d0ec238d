"""The directory of departments (承办单位) per hall, and the centre's category tree (归口分类)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from admin_web import audit
from admin_web.db import get_session
from admin_web.orders import bp
from admin_web.orders.forms import CategoryForm, DepartmentForm
from admin_web.orders.queries import category_paths
from admin_web.security import ADMIN, STAFF, roles_required
from engine.store.models import Department, Hall, OrderCategory


def _hall_choices(session) -> list[tuple[int, str]]:
    return [(h.id, h.name) for h in session.scalars(select(Hall).where(Hall.active.is_(True)).order_by(Hall.id))]


@bp.route("/departments/", methods=["GET", "POST"])
@roles_required(*STAFF)
def departments():
    """The departments of the user's halls, and a new one."""
    session = get_session()
    form = DepartmentForm()
    form.hall_id.choices = _hall_choices(session)
    if form.validate_on_submit():
        name_taken = session.scalar(select(Department.id).where(Department.hall_id == form.hall_id.data,
                                                                Department.name == form.name.data))
        if name_taken:
            form.name.errors.append(_("This hall already has a department of that name."))
        else:
            department = Department(name=form.name.data, hall_id=form.hall_id.data, contact=form.contact.data or "",
                                    phone=form.phone.data or "", active=form.active.data)
            session.add(department)
            session.flush()
            audit.record(session, "department.create", f"department:{department.id}", department.name)
            session.commit()
            flash(_("Department %(name)s added.", name=department.name), "success")
            return redirect(url_for("orders.departments"))
    rows = session.scalars(select(Department).order_by(Department.hall_id, Department.name)).all()
    halls = dict(_hall_choices(session))
    return render_template("orders/departments.html", form=form, departments=rows, halls=halls)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def department(department_id: int):
    """Edit a department (a department that has orders is deactivated, never deleted)."""
    session = get_session()
    row = session.get(Department, department_id) or abort(404)
    form = DepartmentForm(obj=row)
    form.hall_id.choices = _hall_choices(session)
    if form.validate_on_submit():
        form.populate_obj(row)
        audit.record(session, "department.update", f"department:{row.id}", f"{row.name}; active={row.active}")
        session.commit()
        flash(_("Department %(name)s saved.", name=row.name), "success")
        return redirect(url_for("orders.departments"))
    return render_template("orders/department.html", form=form, department=row)


@bp.route("/categories/", methods=["GET", "POST"])
@roles_required(*STAFF, scope="centre")
def categories():
    """The category tree orders are filed under; the centre's administrators add to it."""
    session = get_session()
    form = CategoryForm()
    form.parent_id.choices = [(0, "—")] + category_paths(session)
    if request.method == "POST":
        if form.validate_on_submit():
            category = OrderCategory(name=form.name.data, parent_id=form.parent_id.data or None,
                                     position=form.position.data or 0)
            session.add(category)
            session.flush()
            audit.record(session, "order_category.create", f"order_category:{category.id}", category.name)
            session.commit()
            flash(_("Category %(name)s added.", name=category.name), "success")
            return redirect(url_for("orders.categories"))
    return render_template("orders/categories.html", form=form, paths=category_paths(session, active_only=False),
                           may_edit=current_user_is_centre())


@bp.route("/categories/<int:category_id>/toggle", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def toggle_category(category_id: int):
    """Retire a category (orders keep it) or bring it back."""
    session = get_session()
    row = session.get(OrderCategory, category_id) or abort(404)
    row.active = not row.active
    audit.record(session, "order_category.toggle", f"order_category:{row.id}", f"active={row.active}")
    session.commit()
    return redirect(url_for("orders.categories"))


def current_user_is_centre() -> bool:
    from flask_login import current_user
    return current_user.hall_id is None
