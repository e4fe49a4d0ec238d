"""Knowledge base (知识库): search and read answers (everyone who handles calls), the desktop's suggestions, write
and publish or retire articles, the category tree, and corrections (纠错) agents flag and editors handle."""
from flask import Blueprint

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")

from admin_web.knowledge import views  # noqa: E402,F401
