"""Work orders: the list, registering one (from the desktop's call, a voice message or by hand), its page with the
timeline and the steps the user may take, the alerts, and the caller's earlier orders for the desktop."""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from admin_web import audit
from admin_web.db import get_session
from admin_web.orders import bp
from admin_web.orders.forms import ConfirmForm, OrderForm, StepForm
from admin_web.orders.labels import (ACTION_LABELS, ALERT_LABELS, DO_LABELS, FOLLOW_UP_LABELS, MODE_LABELS, attempt_label,
                                     PART_LABELS, RATING_LABELS, SOURCE_LABELS, STATE_LABELS, TYPE_LABELS,
                                     URGENCY_LABELS)
from admin_web.orders.queries import (VIEWS, caller_history, category_paths, context, department_choices,
                                      may_see, open_alert_count, open_alerts, orders_page, view_counts)
from admin_web.paging import page_arg
from admin_web.security import STAFF, roles_required
from engine.domain.errors import InvalidTransition
from engine.domain.followup import RequestType
from engine.domain.order_clocks import Urgency
from engine.domain.states import Role
from engine.domain.workorder import ALLOWED, PART_ALLOWED, Action, OrderState
from engine.store import orders as store
from engine.store.models import Agent, CallRecord, FollowUp, OrderAlert, Recording, Voicemail, WorkOrder

logger = logging.getLogger(__name__)

REGISTRARS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
READERS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.QUALITY, Role.DEPARTMENT)
ACTORS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.DEPARTMENT)
# who takes which step: the centre's staff review, dispatch, decide extensions and close; the department's users
# take their own part; the registering side corrects what a review marked
STEP_ROLES = {
    Action.PASS_REVIEW: STAFF, Action.FAIL_REVIEW: STAFF, Action.CORRECT: REGISTRARS, Action.DISPATCH: STAFF,
    Action.GRANT_EXTENSION: STAFF, Action.REFUSE_EXTENSION: STAFF, Action.SEND_BACK: STAFF, Action.CLOSE: STAFF,
    Action.ACCEPT: (Role.DEPARTMENT,), Action.RETURN: (Role.DEPARTMENT,),
    Action.REQUEST_EXTENSION: (Role.DEPARTMENT,), Action.REPLY: (Role.DEPARTMENT,),
}
NEEDS_NOTE = {Action.FAIL_REVIEW: _l("Say what is wrong with the order."),
              Action.RETURN: _l("Say why the order is not your department's."),
              Action.REQUEST_EXTENSION: _l("Say why more time is needed."),
              Action.REPLY: _l("Write the reply."), Action.SEND_BACK: _l("Say why the reply is sent back.")}


def actor() -> store.Actor:
    return store.Actor(current_user.display_name or current_user.username, current_user.id)


def _labels() -> dict:
    return {"types": TYPE_LABELS, "urgencies": URGENCY_LABELS, "states": STATE_LABELS, "parts": PART_LABELS,
            "actions": ACTION_LABELS, "do": DO_LABELS, "alert_labels": ALERT_LABELS, "sources": SOURCE_LABELS,
            "ratings": RATING_LABELS, "follow_up_labels": FOLLOW_UP_LABELS, "modes": MODE_LABELS,
            "attempt_label": attempt_label}


def _order(order_id: int) -> WorkOrder:
    order = get_session().get(WorkOrder, order_id)
    if order is None or not may_see(order):
        abort(404)
    return order


@bp.route("/")
@roles_required(*READERS)
def index():
    """The orders, one view at a time (waiting for review, dispatch, the departments, closing; overdue)."""
    default = "mine" if current_user.role in (Role.AGENT, Role.DEPARTMENT) else "all"
    view = request.args.get("view", default)
    view = view if view in VIEWS else default
    session = get_session()
    page = orders_page(session, view=view, page=page_arg(), per_page=current_app.config.get("LIST_PER_PAGE", 50),
                       query=request.args.get("q", ""))
    return render_template("orders/index.html", page=page, view=view, views=VIEWS, q=request.args.get("q", ""),
                           counts=view_counts(session), alerts=open_alert_count(session),
                           now=store.aware(store.utcnow()), aware=store.aware, **_labels())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*REGISTRARS)
def new():
    """Register an order; from the desktop the call is given (?call=<uuid>) and its facts are taken over."""
    session = get_session()
    form = OrderForm()
    form.category_id.choices = [(0, "—")] + category_paths(session)
    call_uuid = (request.values.get("call") or form.call_uuid.data or "").strip() or None
    call = session.scalar(select(CallRecord).where(CallRecord.call_uuid == call_uuid)) if call_uuid else None
    voicemail = session.get(Voicemail, int(request.values["voicemail"])) \
        if (request.values.get("voicemail") or "").isdigit() else None
    if call_uuid and call is None:      # a call still on: only the agent's own current call may be named
        agent = session.get(Agent, current_user.agent_id) if current_user.agent_id else None
        call_uuid = call_uuid if agent is not None and agent.current_call_uuid == call_uuid else None
    form.call_uuid.data = call_uuid or ""      # a call the user may not name is not kept
    if request.method == "GET":
        form.voicemail_id.data = str(voicemail.id) if voicemail else ""
        if call is not None or voicemail is not None:
            form.citizen_phone.data = (call.ani if call is not None else voicemail.ani) or ""
        elif (request.args.get("number") or "").isdigit():
            form.citizen_phone.data = request.args["number"]    # the call is still on: its record comes later
    if form.validate_on_submit():
        agent_id = current_user.agent_id if current_user.role is Role.AGENT else None
        order = store.register(
            session, context(session), actor(), request_type=RequestType(form.request_type.data),
            title=form.title.data, content=form.content.data, urgency=Urgency(form.urgency.data),
            hard=form.hard.data, category_id=form.category_id.data or None, citizen_name=form.citizen_name.data or "",
            citizen_phone=form.citizen_phone.data or "", citizen_address=form.citizen_address.data or "",
            wishes=form.wishes.data or "", reply_wanted=form.reply_wanted.data, confidential=form.confidential.data,
            source="voicemail" if voicemail is not None else "call" if call_uuid else "manual",
            call_uuid=call_uuid if voicemail is None else voicemail.call_uuid,
            voicemail_id=voicemail.id if voicemail else None, agent_id=agent_id, answer=form.answer.data or "",
            default_hall_id=current_user.hall_id)
        audit.record(session, "order.register", f"order:{order.number}",
                     f"type={order.request_type.value}; urgency={order.urgency.value}; "
                     f"on_the_spot={order.on_the_spot}")
        session.commit()
        flash(_("Order %(number)s registered.", number=order.number) if not order.on_the_spot else
              _("Order %(number)s answered on the spot and closed.", number=order.number), "success")
        return redirect(url_for("orders.detail", order_id=order.id))
    return render_template("orders/new.html", form=form, call=call, voicemail=voicemail,
                           history=caller_history(session, form.citizen_phone.data or ""), **_labels())


def steps_for(order: WorkOrder) -> list[tuple[Action, object]]:
    """The steps the logged-in user may take now: (action, part or None)."""
    role = current_user.role
    out: list[tuple[Action, object]] = []
    for action, states in ALLOWED.items():
        if action not in STEP_ROLES or role not in STEP_ROLES[action] or order.state not in states:
            continue
        if action in PART_ALLOWED:
            for part in order.parts:
                if part.state not in PART_ALLOWED[action]:
                    continue
                if role is Role.DEPARTMENT and part.department_id != current_user.department_id:
                    continue
                if action in (Action.GRANT_EXTENSION, Action.REFUSE_EXTENSION) and not part.extension_asked:
                    continue
                if action is Action.REQUEST_EXTENSION and part.extension_asked:
                    continue
                out.append((action, part))
        else:
            out.append((action, None))
    return out


@bp.route("/<int:order_id>")
@roles_required(*READERS)
def detail(order_id: int):
    """Everything about the order: the citizen's words, its call and recording, the parts, the timeline with who
    and when, its alerts and follow-ups, and the steps the user may take."""
    session = get_session()
    order = _order(order_id)
    recording = session.scalar(select(Recording).where(Recording.call_uuid == order.call_uuid)
                               .order_by(Recording.started_at.desc()).limit(1)) if order.call_uuid else None
    alerts = session.scalars(select(OrderAlert).where(OrderAlert.order_id == order.id)
                             .order_by(OrderAlert.id)).unique().all()
    follow_ups = session.scalars(select(FollowUp).where(FollowUp.order_id == order.id)
                                 .order_by(FollowUp.round)).unique().all()
    paths = dict(category_paths(session, active_only=False))
    taken = {p.department_id for p in order.parts if p.state.value != "returned"}
    departments = [(i, n) for i, n in department_choices(session) if i not in taken]
    return render_template("orders/detail.html", order=order, steps=store.order_timeline(session, order),
                           recording=recording, alerts=alerts, follow_ups=follow_ups,
                           category=paths.get(order.category_id), available=steps_for(order),
                           departments=departments, form=StepForm(), now=store.aware(store.utcnow()),
                           aware=store.aware, **_labels())


@bp.route("/<int:order_id>/step", methods=["POST"])
@roles_required(*ACTORS)
def step(order_id: int):
    """Take one step (the role decides which; a department's user only on their own part)."""
    session = get_session()
    order = _order(order_id)
    form = StepForm()
    form.department_id.choices = department_choices(session)
    if not form.validate_on_submit():
        abort(400)
    try:
        action = Action(form.action.data)
    except ValueError:
        abort(400)
    if action not in STEP_ROLES or current_user.role not in STEP_ROLES[action]:
        abort(403)
    department_id = form.department_id.data or None
    if current_user.role is Role.DEPARTMENT:
        department_id = current_user.department_id
    if action in NEEDS_NOTE and not (form.note.data or "").strip():
        flash(NEEDS_NOTE[action], "error")
        return redirect(url_for("orders.detail", order_id=order.id))
    if action is Action.DISPATCH and department_id not in {i for i, _n in department_choices(session)}:
        flash(_("Choose the department to dispatch to."), "error")
        return redirect(url_for("orders.detail", order_id=order.id))
    try:
        store.act(session, context(session), order, action, actor(), department_id=department_id,
                  note=form.note.data or "")
    except InvalidTransition as exc:
        session.rollback()
        logger.info("order step refused: %s", exc)
        flash(_("This step is not possible now: the order is %(state)s.",
                state=STATE_LABELS[OrderState(order.state)]), "error")
        return redirect(url_for("orders.detail", order_id=order_id))
    audit.record(session, f"order.{action.value}", f"order:{order.number}",
                 f"department={department_id or ''}")
    session.commit()
    flash(_("%(step)s: order %(number)s.", step=ACTION_LABELS[action], number=order.number), "success")
    if current_user.role is Role.DEPARTMENT and not may_see(order):
        return redirect(url_for("orders.index"))
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.route("/alerts")
@roles_required(*STAFF, Role.DEPARTMENT)
def alerts():
    """What needs doing about orders: special orders' phone notices, reminders, overdue deadlines, 督办."""
    return render_template("orders/alerts.html", alerts=open_alerts(get_session()), aware=store.aware,
                           **_labels())


@bp.route("/alerts/<int:alert_id>/done", methods=["POST"])
@roles_required(*STAFF, Role.DEPARTMENT)
def alert_done(alert_id: int):
    """Mark an alert dealt with (the department was phoned, the reminder seen)."""
    session = get_session()
    alert = session.get(OrderAlert, alert_id) or abort(404)
    if current_user.role is Role.DEPARTMENT and alert.department_id != current_user.department_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if alert.done_at is None:
        alert.done_at, alert.done_by = store.utcnow(), actor().name
        if alert.kind == "special" and alert.part_id is not None:
            for part in alert.order.parts:
                if part.id == alert.part_id:
                    part.noticed_at = alert.done_at
        audit.record(session, "order.alert_done", f"order:{alert.order.number}", f"alert={alert.kind}")
        session.commit()
    flash(_("Marked as dealt with."), "success")
    return redirect(request.referrer or url_for("orders.alerts"))


@bp.route("/history.json")
@roles_required(*REGISTRARS, scope="hall")
def history_json():
    """The caller's earlier orders for the desktop's call pop (?call=<uuid> or ?number=)."""
    session = get_session()
    number = (request.args.get("number") or "").strip()
    call_uuid = (request.args.get("call") or "").strip()
    if call_uuid and not number:
        record = session.scalar(select(CallRecord).where(CallRecord.call_uuid == call_uuid))
        number = record.ani if record is not None else ""
    rows = caller_history(session, number) if number.isdigit() else []
    return jsonify({"number": number, "orders": [
        {"id": o.id, "number": o.number, "title": o.title, "type": str(TYPE_LABELS[o.request_type]),
         "state": str(STATE_LABELS[o.state]), "created_at": store.aware(o.created_at).isoformat(),
         "url": url_for("orders.detail", order_id=o.id)} for o in rows],
        "new_url": url_for("orders.new", call=call_uuid) if call_uuid else url_for("orders.new")})
