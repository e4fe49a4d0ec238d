"""The desktop page itself: static markup and the translated words its script needs; all data comes from /api/v1."""
from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from admin_web.desktop import bp
from admin_web.security import roles_required
from engine.domain.states import Role


def _words() -> dict[str, str]:
    """Texts the script shows (the server translates them once, here)."""
    return {"pending": _("waiting for the engine…"), "ok": _("done"), "refused": _("refused"),
            "no_answer": _("no answer from the engine yet"), "sent": _("sent"), "failed": _("request failed"),
            "connected": _("live"), "reconnecting": _("reconnecting…"), "no_call": _("No call"),
            "inbound": _("Incoming call"), "outbound": _("Outbound call"), "unknown": _("unknown"),
            "transferred_by": _("Transferred by %(who)s"), "note": _("Note"),
            "confirm_logout": _("Sign out from work?"), "need_target": _("Choose where to transfer the call."),
            "need_number": _("Enter a number (digits only)."), "need_reason": _("Choose a reason."),
            "no_history": _("No numbers dialled yet."), "since": _("since %(time)s"),
            "signed_in_at": _("Signed in at %(time)s"), "signed_out_at": _("Signed out at %(time)s"),
            "consulted_by": _("Consultation from %(who)s: the caller is waiting"),
            "consulting": _("Consulting %(who)s"), "in_conference": _("In conference with %(who)s and the caller"),
            "no_consult_flow": _("A consultation is with a queue, an agent or a number.")}


@bp.route("/")
@roles_required(Role.AGENT)
def index():
    """The desktop (agents only; their account must be linked to an agent for the API to answer)."""
    return render_template("desktop/index.html", words=_words(), linked=current_user.agent_id is not None,
                           api=url_for("cti.me").rsplit("/me", 1)[0])
