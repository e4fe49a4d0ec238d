"""Quality inspection (质检, issue 17): scorecard forms, sampling plans, the inspector's review of a recording,
the agent's appeal and the second review, and the QA report."""
from flask import Blueprint

bp = Blueprint("quality", __name__, url_prefix="/quality")

from admin_web.quality import views  # noqa: E402,F401
