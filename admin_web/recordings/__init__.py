"""Call recordings (录音): search, play, download one or a batch (zip); downloads are audited (R-REC-2)."""
from flask import Blueprint

bp = Blueprint("recordings", __name__, url_prefix="/recordings")

from admin_web.recordings import views  # noqa: E402,F401
