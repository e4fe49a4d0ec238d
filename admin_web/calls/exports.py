"""The call search as CSV or XLSX: computed by a report worker (admin_web.jobs) from the search's filters, on a
session scoped like the user who asked (a hall's user gets their hall's calls only), in their language; times in
the console's zone, durations h:mm:ss, the words of every code. CSV cells are spreadsheet-safe
(engine.csvcells); in XLSX a text starting with "=" is written as text, never as a formula."""
from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from admin_web.jobs.downloads import write_table
from admin_web.calls.queries import Filters, count, row, search
from admin_web.filters import hms
from admin_web.jobs.registry import JobKind, Progress, Result, register
from admin_web.labels import OUTCOME_LABELS, SIDE_LABELS
from engine.store.orders import region_of_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
BATCH = 500


def header() -> list[str]:
    return [_("Start"), _("Caller"), _("Caller's region"), _("Dialled number"), _("Queue"), _("Agent"), _("Wait"),
            _("Talk"), _("Outcome"), _("Hang-up cause"), _("Hung up by"), _("Transfers"), _("Call ID")]


def export_rows(session: Session, params: dict, progress: Progress):
    """The header, then one row per call found (read in batches: a month of a hotline's calls is a large file)."""
    filters, zone = Filters.from_params(params), params["zone"]
    tz = ZoneInfo(zone)
    total = count(session, filters, zone)
    yield header()
    progress(0, total)
    done = 0
    for record, queue_name, emp_no, agent_name in session.execute(search(session, filters, zone)
                                                                   .execution_options(yield_per=BATCH)):
        call = row(record, queue_name, emp_no, agent_name)
        started = call.started_at.replace(tzinfo=dt.timezone.utc) if call.started_at.tzinfo is None \
            else call.started_at
        yield [started.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), call.ani, region_of_number(call.ani),
               call.dnis, call.queue, call.agent, hms(call.wait_s) if call.wait_s is not None else "",
               hms(call.talk_s) if call.talk_s is not None else "", str(OUTCOME_LABELS.get(call.outcome, "")),
               call.hangup_cause, str(SIDE_LABELS.get(call.hangup_side, "")), call.transfers, call.call_uuid]
        done += 1
        if done % BATCH == 0:
            progress(done, total)
    progress(done, max(total, done))


def _export(session: Session, params: dict, progress: Progress) -> Result:
    fmt = params.get("format")
    if fmt not in FORMATS:
        raise ValueError(f"call export: format {fmt!r}")
    out = io.BytesIO()
    write_table(out, fmt, export_rows(session, params, progress), _("Calls"))
    stamp = dt.datetime.now(ZoneInfo(params["zone"])).strftime("%Y%m%d_%H%M%S")
    return Result(out.getvalue(), "text/csv" if fmt == "csv" else XLSX, f"{_('Calls')}_{stamp}.{fmt}")


EXPORT = register(JobKind("calls_export", _export, None))       # each export is its owner's own
