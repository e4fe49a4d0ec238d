"""Skills (技能): the list with where each is used, create, rename, and delete one nobody uses (administrators of
the whole centre; every hall's staff read it). The agents' and queues' forms offer every skill listed here."""
from flask import Blueprint

bp = Blueprint("skills", __name__, url_prefix="/skills")

from admin_web.skills import views  # noqa: E402,F401
