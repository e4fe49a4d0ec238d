"""Routing rules (路由规则): ordered list, structured create/edit, activate/deactivate, move, delete."""
from flask import Blueprint

bp = Blueprint("rules", __name__, url_prefix="/rules")

from admin_web.rules import views  # noqa: E402,F401
