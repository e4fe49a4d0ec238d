"""The audit log page and its CSV export (administrators and supervisors, within their halls)."""
from __future__ import annotations

import csv
import io

from flask import Response, current_app, render_template, request, stream_with_context
from flask_babel import get_timezone
from flask_babel import gettext as _

from admin_web.audit_log import bp, queries
from admin_web.audit_log.forms import AuditFilter, AuditFilterForm
from admin_web.db import get_session
from admin_web.filters import localtime
from admin_web.paging import page_arg
from admin_web.scope import current_halls
from admin_web.security import STAFF, roles_required
from admin_web.timeutil import now_utc
from engine.csvcells import safe_row


def _filter(session) -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(session, request.args)
    return form, (form.chosen() if form.validate() else AuditFilter())


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Who changed what and when, newest first, with the filters and the pager."""
    session = get_session()
    form, chosen = _filter(session)
    stmt = queries.filtered(session, chosen, current_halls(), str(get_timezone()))
    page = queries.entries_page(session, stmt, page=page_arg(),
                                per_page=current_app.config.get("LIST_PER_PAGE", 50))
    return render_template("audit/index.html", form=form, page=page, args=chosen.args())


@bp.route("/export.csv")
@roles_required(*STAFF)
def export():
    """The filtered entries as CSV (UTF-8 with a BOM so that Excel shows the Chinese), Beijing time, newest first;
    a cell that a spreadsheet would run as a formula is written as text (engine.csvcells)."""
    session = get_session()
    _form, chosen = _filter(session)
    stmt = queries.filtered(session, chosen, current_halls(), str(get_timezone()))
    header = [_("Time"), _("Who"), _("Action"), _("Object"), _("Details")]

    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        yield "\ufeff" + out.getvalue()
        for entry in queries.every_entry(session, stmt):
            out.seek(0)
            out.truncate()
            writer.writerow(safe_row([localtime(entry.at), entry.actor, entry.action, entry.target, entry.detail]))
            yield out.getvalue()

    name = f"audit-{now_utc():%Y%m%d}.csv"
    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Content-Type": "text/csv; charset=utf-8"})
