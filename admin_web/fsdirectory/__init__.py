"""Agents' SIP accounts served to FreeSWITCH (mod_xml_curl directory binding), from the agents table."""
from flask import Blueprint

bp = Blueprint("fsdirectory", __name__, url_prefix="/freeswitch")

from admin_web.fsdirectory import views  # noqa: E402,F401
