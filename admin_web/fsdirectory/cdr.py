"""POST /freeswitch/cdr: FreeSWITCH's own CDRs (mod_xml_cdr, conf/freeswitch/autoload_configs/xml_cdr.conf.xml),
kept so that a call that ends while no engine is connected still gets its record (engine.cdr_sync reconciles them).

The switch authenticates with the same credentials as the directory lookups. Only HTTP 200 counts as delivered
for mod_xml_cdr (it retries anything else, then writes the CDR to its err-log-dir), so a repeated post answers 200,
and a body that is not a CDR is refused with 400 and logged (retrying cannot mend it). Agents' and consulted
parties' legs are acknowledged and dropped: only calls are reconciled."""
from __future__ import annotations

import logging
import time

from flask import Response, request

from admin_web.access import switch_only
from admin_web.db import get_session
from admin_web.extensions import csrf
from admin_web.fsdirectory import bp
from admin_web.fsdirectory.views import authorised, refused
from engine.store import cdrs
from engine.xml_cdr import CdrError, parse_cdr, xml_of_post

logger = logging.getLogger(__name__)


@bp.route("/cdr", methods=["POST"])
@csrf.exempt
@switch_only
def cdr():
    """One CDR of one leg (the query names it: ?uuid=a_<uuid>)."""
    if not authorised():
        return refused("CDR post")
    try:
        record = parse_cdr(xml_of_post(request.get_data(cache=False), request.content_type or ""))
    except CdrError as exc:
        logger.error("CDR post %s refused: %s", request.args.get("uuid", ""), exc)
        return Response(f"not a CDR: {exc}", status=400, mimetype="text/plain")
    if not cdrs.is_call(record):
        return Response("ok (not a call)", mimetype="text/plain")
    session = get_session()
    stored = cdrs.store_cdr(session, record, time.time())
    session.commit()
    return Response("ok" if stored else "ok (already received)", mimetype="text/plain")
