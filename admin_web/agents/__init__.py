"""Agents (坐席): the live list and the create/edit/delete forms."""
from flask import Blueprint

bp = Blueprint("agents", __name__, url_prefix="/agents")

from admin_web.agents import views  # noqa: E402,F401
