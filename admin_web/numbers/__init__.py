"""Published numbers (号码): list, create/edit/deactivate, CSV import (with a dry run) and export."""
from flask import Blueprint

bp = Blueprint("numbers", __name__, url_prefix="/numbers")

from admin_web.numbers import views  # noqa: E402,F401
