"""Schedules (排班, issue 17): shift templates, a generated schedule that covers the planned requirement, its
publication to the agents, and adherence and attendance measured from the agents' actual states."""
from flask import Blueprint

bp = Blueprint("schedules", __name__, url_prefix="/wfm/schedules")

from admin_web.schedules import views  # noqa: E402,F401
