"""Supervisor floor view: every agent's state and day figures, every queue's waiting calls (R-CTI-7, R-MON-1)."""
from flask import Blueprint

bp = Blueprint("floor", __name__, url_prefix="/floor")

from admin_web.floor import views  # noqa: E402,F401
