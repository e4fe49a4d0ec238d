"""Webhooks (administrators): receivers kept in step with the work orders — add, disable, delete, test, and see
how far each is and its last error (issue 15 item 7, R-NF-4; delivery: admin_web.jobs.webhooks)."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from admin_web.webhooks import views  # noqa: E402,F401
