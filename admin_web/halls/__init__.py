"""Service halls (服务厅): the province/city/county tree with numbers and agents, create/edit/delete."""
from flask import Blueprint

bp = Blueprint("halls", __name__, url_prefix="/halls")

from admin_web.halls import views  # noqa: E402,F401
