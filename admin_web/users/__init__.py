"""Console accounts (administrators only): list, create, edit, disable, reset password, unlock."""
from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/users")

from admin_web.users import views  # noqa: E402,F401
