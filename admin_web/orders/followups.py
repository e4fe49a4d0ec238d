"""Follow-up visits (回访): the list of closed orders to call back, and recording what the citizen said."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin_web import audit
from admin_web.db import get_session
from admin_web.orders import bp
from admin_web.orders.forms import ConfirmForm, FollowUpForm
from admin_web.orders.queries import context, follow_ups_page
from admin_web.orders.views import REGISTRARS, _labels, actor
from admin_web.paging import page_arg
from admin_web.security import roles_required
from engine.domain.errors import InvalidTransition
from engine.domain.followup import Rating
from engine.store import orders as store
from engine.store.models import FollowUp
from engine.store.models.orders import FOLLOW_UP_STATES


@bp.route("/follow-ups/")
@roles_required(*REGISTRARS)
def follow_ups():
    """Closed orders waiting for their follow-up call, then the rest."""
    state = request.args.get("state", "pending")
    state = state if state in FOLLOW_UP_STATES or state == "" else "pending"
    page = follow_ups_page(get_session(), state=state, page=page_arg(),
                           per_page=current_app.config.get("LIST_PER_PAGE", 50))
    return render_template("orders/follow_ups.html", page=page, state=state, follow_up_states=FOLLOW_UP_STATES,
                           aware=store.aware, **_labels())


@bp.route("/follow-ups/<int:follow_up_id>", methods=["GET", "POST"])
@roles_required(*REGISTRARS)
def follow_up(follow_up_id: int):
    """Call the citizen (from the desktop) and record their rating; 不满意 reopens the order."""
    session = get_session()
    row = session.get(FollowUp, follow_up_id) or abort(404)
    form = FollowUpForm()
    if request.method == "GET":
        form.call_uuid.data = request.args.get("call", "")
    if row.state in ("pending", "calling") and form.validate_on_submit():
        try:
            store.record_follow_up(session, context(session), row, actor(), rating=Rating(form.rating.data),
                                   department_rating=Rating(form.department_rating.data)
                                   if form.department_rating.data else None,
                                   note=form.note.data or "", call_uuid=form.call_uuid.data or None)
        except InvalidTransition:
            session.rollback()
            flash(_("This follow-up is already recorded."), "error")
            return redirect(url_for("orders.follow_up", follow_up_id=follow_up_id))
        audit.record(session, "order.follow_up", f"order:{row.order.number}", f"rating={row.rating.value}")
        session.commit()
        flash(_("Follow-up of order %(number)s recorded.", number=row.order.number) if not row.rating.reopens else
              _("Order %(number)s reopened: the citizen is not satisfied.", number=row.order.number), "success")
        return redirect(url_for("orders.follow_ups"))
    return render_template("orders/follow_up.html", row=row, form=form, confirm=ConfirmForm(), aware=store.aware,
                           **_labels())


@bp.route("/follow-ups/<int:follow_up_id>/unreachable", methods=["POST"])
@roles_required(*REGISTRARS)
def follow_up_unreachable(follow_up_id: int):
    """The citizen did not answer: try again later within the calling hours, or give up after the attempts."""
    session = get_session()
    row = session.get(FollowUp, follow_up_id) or abort(404)
    if not ConfirmForm().validate_on_submit() or row.state not in ("pending", "calling"):
        abort(400)
    store.unanswered_follow_up(session, context(session), row, store.utcnow())
    audit.record(session, "order.follow_up_unreachable", f"order:{row.order.number}", f"attempts={row.attempts}")
    session.commit()
    flash(_("Not reached (attempt %(n)d).", n=row.attempts), "info")
    return redirect(url_for("orders.follow_ups"))
