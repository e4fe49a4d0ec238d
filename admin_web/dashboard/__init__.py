"""Home page: today's totals and links; agents get a page saying which agent they are."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from admin_web.dashboard import views  # noqa: E402,F401
