"""The system itself, for every console page and the wallboard: the engines (active, standby, since when) and the
switch (connected, sessions, session rate in use), with an alert within seconds when either is down."""
from flask import Blueprint

bp = Blueprint("system", __name__, url_prefix="/system")

from admin_web.system import views  # noqa: E402,F401
