"""Work orders (工单): registration from the desktop or by hand, review and dispatch, the departments' side,
deadline alerts, follow-up visits, and the directory of departments (issue 15; R-TKT-1..3)."""
from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from admin_web.orders import views, departments, followups, settings, exports, transfer, reports  # noqa: E402,F401
