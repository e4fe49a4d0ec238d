"""Agent groups (班组): list, create, edit, delete."""
from flask import Blueprint

bp = Blueprint("groups", __name__, url_prefix="/groups")

from admin_web.groups import views  # noqa: E402,F401
