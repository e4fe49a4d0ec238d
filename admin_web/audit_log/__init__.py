"""The audit log page (操作日志, R-ADM-3): every change made from the console or the command line, filtered by who,
what, which object, when and which hall, page by page, and as CSV. admin_web.audit writes the entries."""
from flask import Blueprint

bp = Blueprint("audit_log", __name__, url_prefix="/audit")

from admin_web.audit_log import views  # noqa: E402,F401
