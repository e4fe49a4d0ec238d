"""The agent desktop (坐席工作台): one page driven only by the CTI API (fetch + EventSource)."""
from flask import Blueprint

bp = Blueprint("desktop", __name__, url_prefix="/desktop")

from admin_web.desktop import views  # noqa: E402,F401
