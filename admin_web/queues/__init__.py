"""Queues (技能队列): list with today's counts, and the create/edit/delete form (admins; supervisors view)."""
from flask import Blueprint

bp = Blueprint("queues", __name__, url_prefix="/queues")

from admin_web.queues import views  # noqa: E402,F401
