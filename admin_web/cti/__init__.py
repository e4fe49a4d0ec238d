"""CTI API for the agent desktop and CRMs (R-CTI-8): JSON under /api/v1, an SSE event stream, OpenAPI.

Authenticated per agent: the console session (the desktop page) or HTTP Basic with the agent's console
username and password (CRMs, scripts). The API never talks to the engine: it inserts AgentRequest rows,
which the engine carries out within a second and answers in `result` ("ok" or "refused: <why>").
"""
from flask import Blueprint

bp = Blueprint("cti", __name__, url_prefix="/api/v1")

from admin_web.cti import views, orders  # noqa: E402,F401  (orders: work orders and follow-ups)
from admin_web.extensions import csrf  # noqa: E402

# JSON endpoints check CSRF themselves (X-CSRFToken header) for cookie sessions; Basic-auth clients need none.
csrf.exempt(bp)
