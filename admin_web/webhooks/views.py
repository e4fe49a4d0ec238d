"""The webhooks page. A hook of a hall (and its subtree) is that hall's: its administrators and the centre's manage
it; a hook of every hall is the centre's: only administrators who see every hall see and manage it. The secret is
shown once, on the page that created it."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from admin_web import audit
from admin_web.db import get_session
from admin_web.jobs import webhooks as delivery
from admin_web.scope import current_halls
from admin_web.security import ADMIN, roles_required
from admin_web.webhooks import bp
from engine.store.models import Hall, Webhook, WebhookDelivery
from engine.store.models.webhooks import WEBHOOK_EVENTS

EVENT_LABELS = {"order.step": _l("Every step of a work order"), "follow_up.result": _l("Follow-up results")}
EVERY_HALL = ""


def _url_ok(_form, field) -> None:
    if not delivery.valid_url(field.data or ""):
        raise ValidationError(_l("An http:// or https:// address."))


class WebhookForm(FlaskForm):
    name = StringField(_l("Name"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                       validators=[Optional(), Length(max=64)])
    url = StringField(_l("Address (URL)"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                      validators=[InputRequired(message=_l("Give the receiver's address.")), Length(max=500),
                                  _url_ok])
    hall_id = SelectField(_l("Hall"), validators=[Optional()])
    events = SelectMultipleField(_l("Events"), choices=[(e, EVENT_LABELS[e]) for e in WEBHOOK_EVENTS],
                                 default=list(WEBHOOK_EVENTS),
                                 validators=[InputRequired(message=_l("Choose at least one event."))])


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""


def _visible(stmt):
    halls = current_halls()
    return stmt if halls is None else stmt.where(Webhook.hall_id.in_(tuple(halls)))


def _hook(webhook_id: int) -> Webhook:
    hook = get_session().scalar(_visible(select(Webhook).where(Webhook.id == webhook_id)))
    if hook is None:
        abort(404)
    return hook


def _hall_choices(session) -> list[tuple[str, str]]:
    halls = session.scalars(select(Hall).order_by(Hall.code)).all()     # the scope keeps a hall's own subtree
    everything = [(EVERY_HALL, str(_("Every hall (the whole centre)")))] if current_halls() is None else []
    return everything + [(str(h.id), f"{h.name} ({h.code})") for h in halls]


@bp.route("/")
@roles_required(*ADMIN)
def index():
    """Every hook the administrator may see: where it sends, what, how far it is, its last error."""
    session = get_session()
    hooks = session.scalars(_visible(select(Webhook)).order_by(Webhook.id)).all()
    halls = {h.id: h.name for h in session.scalars(select(Hall))}
    backlog = {h.id: delivery.backlog(session, h) for h in hooks}
    return render_template("webhooks/index.html", hooks=hooks, halls=halls, backlog=backlog, labels=EVENT_LABELS,
                           confirm=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def create():
    """A new hook; it receives the changes from now on. Its secret is shown once."""
    session = get_session()
    form = WebhookForm()
    form.hall_id.choices = _hall_choices(session)
    if form.validate_on_submit():
        hall_id = int(form.hall_id.data) if form.hall_id.data else None
        if hall_id is None and current_halls() is not None:
            abort(403)
        secret = secrets.token_urlsafe(32)
        step_id, since = delivery.new_cursor(session)
        hook = Webhook(hall_id=hall_id, name=form.name.data or "", url=form.url.data, secret=secret,
                       events=",".join(e for e in WEBHOOK_EVENTS if e in form.events.data), active=True,
                       created_by=current_user.username, last_delivered_step_id=step_id, last_follow_up_at=since)
        session.add(hook)
        session.flush()
        audit.record(session, "webhook.create", f"webhook:{hook.id}",
                     f"url={hook.url}; hall={hall_id or 'all'}; events={hook.events}")
        session.commit()
        return render_template("webhooks/created.html", hook=hook, secret=secret,
                               hall=session.get(Hall, hall_id) if hall_id else None)
    return render_template("webhooks/form.html", form=form), 400 if form.errors else 200


@bp.route("/<int:webhook_id>")
@roles_required(*ADMIN)
def detail(webhook_id: int):
    """A hook and its latest deliveries."""
    session = get_session()
    hook = _hook(webhook_id)
    deliveries = session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                                 .order_by(WebhookDelivery.id.desc()).limit(50)).all()
    hall = session.get(Hall, hook.hall_id) if hook.hall_id else None
    return render_template("webhooks/detail.html", hook=hook, deliveries=deliveries, hall=hall,
                           backlog=delivery.backlog(session, hook), labels=EVENT_LABELS, confirm=ConfirmForm())


@bp.route("/<int:webhook_id>/active", methods=["POST"])
@roles_required(*ADMIN)
def toggle(webhook_id: int):
    """Disable a hook (its cursor stays: enabled again, it catches up) or enable it (tried at once)."""
    session = get_session()
    hook = _hook(webhook_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    hook.active = not hook.active
    if hook.active:
        hook.next_attempt_at, hook.failures = None, 0
    audit.record(session, "webhook.enable" if hook.active else "webhook.disable", f"webhook:{hook.id}", hook.url)
    session.commit()
    flash(_("Webhook enabled.") if hook.active else _("Webhook disabled."), "success")
    return redirect(url_for("webhooks.detail", webhook_id=hook.id))


@bp.route("/<int:webhook_id>/delete", methods=["POST"])
@roles_required(*ADMIN)
def delete(webhook_id: int):
    session = get_session()
    hook = _hook(webhook_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit.record(session, "webhook.delete", f"webhook:{hook.id}", hook.url)
    session.delete(hook)
    session.commit()
    flash(_("Webhook deleted."), "success")
    return redirect(url_for("webhooks.index"))


@bp.route("/<int:webhook_id>/test", methods=["POST"])
@roles_required(*ADMIN)
def test(webhook_id: int):
    """Send a signed `ping` now (the cursors do not move) and say what the receiver answered."""
    session = get_session()
    hook = _hook(webhook_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = delivery.ping(session, hook, current_user.username)
    audit.record(session, "webhook.test", f"webhook:{hook.id}", f"status={row.status_code}; {row.error}"[:255])
    session.commit()
    if row.ok:
        flash(_("Test delivery answered with HTTP %(status)s.", status=row.status_code), "success")
    else:
        flash(_("Test delivery failed: %(error)s", error=row.error), "error")
    return redirect(url_for("webhooks.detail", webhook_id=hook.id))
