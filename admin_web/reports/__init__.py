"""Reports (R-RPT-1..6): queue/service figures, agent statistics, callers and regions, traffic and trunks, the
monthly scorecard and operating report; every figure links to the calls behind it (engine.reports)."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from admin_web.reports import views, exports, jobs  # noqa: E402,F401
