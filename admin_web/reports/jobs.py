"""The reports' jobs (admin_web.jobs): a report table, the monthly scorecard, the monthly workbook and an export,
each computed by a report worker from the parameters and definitions the page asked with."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

from sqlalchemy.orm import Session

from admin_web.jobs.registry import JobKind, Progress, Result, json_result, register
from admin_web.reports.tables import Query, build
from engine.reports import periods
from engine.reports.definitions import Definitions
from engine.reports.scorecard import Scorecard, ScoreItem, monthly_scorecard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIVE_TTL_S = 30.0           # figures of a period that includes today: shared for half a minute
CLOSED_TTL_S = 600.0        # of closed periods: ten minutes (late call records still fold in)


def _today() -> dt.date:
    return periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).date()


def query_params(q: Query, d: Definitions) -> dict:
    return {"kind": q.kind, **q.args(), "definitions": d.to_json()}


def month_params(year: int, month: int, d: Definitions) -> dict:
    return {"year": year, "month": month, "definitions": d.to_json()}


def _query(params: dict) -> Query:
    return Query(params["kind"], params["dimension"], params["grain"], dt.date.fromisoformat(params["start"]),
                 dt.date.fromisoformat(params["end"]))


def _range_ttl(params: dict) -> float:
    return LIVE_TTL_S if dt.date.fromisoformat(params["end"]) >= _today() else CLOSED_TTL_S


def _month_ttl(params: dict) -> float:
    today = _today()
    return LIVE_TTL_S if (params["year"], params["month"]) >= (today.year, today.month) else CLOSED_TTL_S


def _table(session: Session, params: dict, _progress: Progress) -> Result:
    return json_result(build(session, _query(params), Definitions.from_json(params["definitions"])))


def _scorecard(session: Session, params: dict, _progress: Progress) -> Result:
    card = monthly_scorecard(session, params["year"], params["month"], Definitions.from_json(params["definitions"]))
    return json_result(dataclasses.asdict(card))


def _workbook(session: Session, params: dict, _progress: Progress) -> Result:
    from admin_web.reports.monthly import monthly_workbook
    year, month = params["year"], params["month"]
    data = monthly_workbook(session, year, month, Definitions.from_json(params["definitions"]))
    return Result(data, XLSX, f"运行分析月报_{year:04d}-{month:02d}.xlsx")


def _export(session: Session, params: dict, progress: Progress) -> Result:
    from admin_web.reports.exports import write_file
    q = _query(params)
    table = build(session, q, Definitions.from_json(params["definitions"]))
    fmt = params["format"]
    out = io.BytesIO()
    write_file(out, fmt, q, table, progress)
    filename = f"{q.kind}_{q.first.isoformat()}_{q.last.isoformat()}_{q.dimension}_{q.grain}.{fmt}"
    return Result(out.getvalue(), "text/csv" if fmt == "csv" else XLSX, filename)


TABLE = register(JobKind("report_table", _table, _range_ttl))
SCORECARD = register(JobKind("scorecard", _scorecard, _month_ttl))
WORKBOOK = register(JobKind("monthly_workbook", _workbook, _month_ttl))
EXPORT = register(JobKind("report_export", _export, None))


def table_of(job) -> dict:
    return json.loads(job.result)


def scorecard_of(job) -> Scorecard:
    data = json.loads(job.result)
    return Scorecard(**{**data, "items": [ScoreItem(**item) for item in data["items"]],
                        "business": [ScoreItem(**item) for item in data.get("business", [])]})
