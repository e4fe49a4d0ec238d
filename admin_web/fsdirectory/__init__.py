"""What FreeSWITCH asks of the console: agents' SIP accounts (mod_xml_curl directory binding, from the agents table)
and where it posts its CDRs (mod_xml_cdr)."""
from flask import Blueprint

bp = Blueprint("fsdirectory", __name__, url_prefix="/freeswitch")

from admin_web.fsdirectory import cdr, views  # noqa: E402,F401
