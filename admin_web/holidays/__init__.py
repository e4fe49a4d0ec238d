"""Holidays (节假日): this and next year's calendar (statutory holidays, make-up working days) and local overrides."""
from flask import Blueprint

bp = Blueprint("holidays", __name__, url_prefix="/holidays")

from admin_web.holidays import views  # noqa: E402,F401
