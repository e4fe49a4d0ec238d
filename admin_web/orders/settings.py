"""The work-order settings: each step's clock by urgency, the departments' office hours, the follow-up rule and
the reminder and escalation margins (stored as engine.store.orders validates them; the centre's to change)."""
from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from admin_web import audit
from admin_web.db import get_session
from admin_web.orders import bp
from admin_web.orders.forms import SettingsForm
from admin_web.security import STAFF, roles_required
from engine.domain.calendar import BusinessHours, HoursError
from engine.domain.order_clocks import ClockError, parse_clock
from engine.store import orders as store

logger = logging.getLogger(__name__)
CLOCKS = (("dispatch", ("general", "special", "special_urgent")),
          ("reply", ("general", "hard", "special", "special_urgent")))


def _fill(form: SettingsForm, spec: dict) -> None:
    for step, keys in CLOCKS:
        for key in keys:
            getattr(form, f"{step}_{key}").data = spec["clocks"][step][key]
    form.office_hours.data = ", ".join(spec["office_hours"].get("mon-fri", []))
    fu = spec["follow_up"]
    form.follow_always.data = list(fu["always"])
    form.sample_percent.data, form.include_on_the_spot.data = fu["sample_percent"], fu["include_on_the_spot"]
    form.automated.data, form.attempts.data, form.gap_hours.data = fu["automated"], fu["attempts"], fu["gap_hours"]
    form.calling_hours.data = ", ".join(fu["calling_hours"])
    form.call_on_holidays.data, form.caller_id.data = fu["call_on_holidays"], fu["caller_id"]
    form.ring_seconds.data, form.at_once.data = fu["ring_seconds"], fu["at_once"]
    form.remind_before_minutes.data = spec["remind_before_minutes"]
    form.escalate_after_hours.data = spec["escalate_after_hours"]


def _ranges(text: str | None) -> list[str]:
    return [r.strip() for r in (text or "").replace("，", ",").split(",") if r.strip()]


def _spec(form: SettingsForm, stored: dict) -> dict:
    office = {k: v for k, v in stored["office_hours"].items() if k != "mon-fri"}
    office["mon-fri"] = _ranges(form.office_hours.data)
    return {
        "clocks": {step: {key: getattr(form, f"{step}_{key}").data for key in keys} for step, keys in CLOCKS},
        "office_hours": office,
        "follow_up": {"always": list(form.follow_always.data or []), "sample_percent": float(form.sample_percent.data),
                      "include_on_the_spot": form.include_on_the_spot.data, "automated": form.automated.data,
                      "attempts": form.attempts.data, "gap_hours": float(form.gap_hours.data),
                      "calling_hours": _ranges(form.calling_hours.data), "call_on_holidays": form.call_on_holidays.data,
                      "flow": stored["follow_up"].get("flow", "followup"), "caller_id": form.caller_id.data or "",
                      "ring_seconds": form.ring_seconds.data, "at_once": form.at_once.data},
        "remind_before_minutes": form.remind_before_minutes.data,
        "escalate_after_hours": float(form.escalate_after_hours.data),
    }


def _fields_usable(form: SettingsForm) -> bool:
    """Each clock and the office hours checked on their own, with the error next to the field."""
    ok = True
    for step, keys in CLOCKS:
        for key in keys:
            f = getattr(form, f"{step}_{key}")
            try:
                parse_clock(f.data or "")
            except ClockError:
                f.errors.append(_("Write it like 3h, 30min, 7wh, 2wd or same_day."))
                ok = False
    for field in (form.office_hours, form.calling_hours):
        ranges = _ranges(field.data)
        try:
            if not ranges:
                raise HoursError("no hours")
            BusinessHours.from_spec({"mon-fri": ranges})
        except (HoursError, ValueError):
            field.errors.append(_("Write the hours like 09:00-12:00, 13:00-17:00."))
            ok = False
    return ok


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*STAFF, scope="centre")
def settings():
    """Read by every hall's staff; changed only by the centre's (new deadlines apply from the next step)."""
    session = get_session()
    current = store.load_settings(session)
    form = SettingsForm()
    if form.validate_on_submit() and _fields_usable(form):
        try:
            saved = store.save_settings(session, _spec(form, dict(current.spec)))
        except store.SettingsError as exc:
            logger.info("work-order settings refused: %s", exc)
            flash(_("These settings cannot be used; nothing was saved."), "error")
        else:
            audit.record(session, "order.settings", "work_orders", str(dict(saved.spec))[:500])
            session.commit()
            flash(_("Work-order settings saved; new deadlines follow them."), "success")
            return redirect(url_for("orders.settings"))
    elif not form.is_submitted():
        _fill(form, dict(current.spec))
    return render_template("orders/settings.html", form=form, clocks=CLOCKS)
