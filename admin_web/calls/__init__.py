"""Call records (话单): the search and one call's page."""
from flask import Blueprint

bp = Blueprint("calls", __name__, url_prefix="/calls")

from admin_web.calls import views  # noqa: E402,F401
