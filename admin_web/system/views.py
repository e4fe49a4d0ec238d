"""GET /system/status: what every page's system banner and the wallboard show of the engines and the switch."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from admin_web.access import signed_in
from admin_web.db import get_session
from admin_web.security import STAFF
from admin_web.system import bp
from admin_web.system.status import status
from admin_web.timeutil import now_utc


@bp.route("/status")
@login_required
@signed_in
def status_json():
    """Any logged-in user gets the alerts (an agent must know when calls cannot reach them); staff also get the
    engines and the switch."""
    data = status(get_session(), now_utc())
    if current_user.role not in STAFF:
        data = {"alerts": data["alerts"]}
    return jsonify(data)
