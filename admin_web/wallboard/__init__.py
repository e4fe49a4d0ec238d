"""Live wallboard for the big screen (R-MON-1): agents by state, waiting calls, service level, trunks, alerts."""
from flask import Blueprint

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")

from admin_web.wallboard import views  # noqa: E402,F401
