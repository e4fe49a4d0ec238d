"""Log in and out of the console."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from admin_web.auth import views  # noqa: E402,F401
