"""POST /freeswitch/directory: answers mod_xml_curl's directory lookups (sip_auth, user_call, ...) with the
agent whose extension is asked for. Documents follow mod_xml_curl's format (a `freeswitch/xml` document with a
`directory` section, or the `result not found` document so FreeSWITCH falls back to its static files)."""
from __future__ import annotations

import hmac
import logging
from xml.sax.saxutils import quoteattr

from flask import Response, current_app, request
from sqlalchemy import select

from admin_web.access import switch_only
from admin_web.db import get_session
from admin_web.extensions import csrf
from admin_web.fsdirectory import bp
from engine.store.models import Agent

logger = logging.getLogger(__name__)

NOT_FOUND = ('<document type="freeswitch/xml"><section name="result">'
             '<result status="not found"/></section></document>')
# mod_sofia's default dial string for a directory user (conf/vanilla/directory/default.xml)
DIAL_STRING = ("{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}"
               "${sofia_contact(*/${dialed_user}@${dialed_domain})}")


def authorised() -> bool:
    """HTTP basic credentials as configured for xml_curl (gateway-credentials) and xml_cdr (cred)."""
    user, _, password = current_app.config.get("DIRECTORY_CREDENTIALS", "").partition(":")
    auth = request.authorization
    return bool(user and auth and hmac.compare_digest(auth.username or "", user)
                and hmac.compare_digest(auth.password or "", password))


@bp.route("/directory", methods=["POST"])
@csrf.exempt
@switch_only
def directory():
    """One directory lookup; unknown users, domains-only lookups and other sections get 'not found'."""
    if not authorised():
        return refused("directory lookup")
    form = request.form
    user, domain = form.get("user", ""), form.get("domain", "")
    if form.get("section") != "directory" or not user or not user.isdigit():
        return _xml(NOT_FOUND)
    agent = get_session().scalars(select(Agent).where(Agent.extension == user)).first()
    if agent is None or not agent.active or not agent.sip_a1_hash:
        logger.info("directory: no SIP account for %s@%s (%s)", user, domain, form.get("action", ""))
        return _xml(NOT_FOUND)
    return _xml(_user_document(agent, domain or current_app.config.get("SIP_DOMAIN", "")))


def refused(what: str) -> Response:
    """401 with a basic-auth challenge, logged."""
    logger.warning("%s from %s refused: bad credentials", what, request.remote_addr)
    return Response("unauthorised", status=401, headers={"WWW-Authenticate": 'Basic realm="freeswitch"'})


def _user_document(agent: Agent, domain: str) -> str:
    q = quoteattr
    return (
        '<document type="freeswitch/xml"><section name="directory">'
        f'<domain name={q(domain)}><params><param name="dial-string" value={q(DIAL_STRING)}/></params>'
        '<groups><group name="default"><users>'
        f'<user id={q(agent.extension)}><params><param name="a1-hash" value={q(agent.sip_a1_hash or "")}/>'
        '<param name="vm-enabled" value="false"/></params><variables>'
        '<variable name="user_context" value="default"/>'
        f'<variable name="effective_caller_id_name" value={q(agent.name)}/>'
        f'<variable name="effective_caller_id_number" value={q(agent.extension)}/>'
        f'<variable name="callcenter_agent" value="true"/><variable name="cc_employee_no" value={q(agent.employee_no)}/>'
        '</variables></user></users></group></groups></domain></section></document>')


def _xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")
