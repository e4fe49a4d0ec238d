"""Report tables for the pages, the JSON API and the exports: columns, rows and the calls-behind link of
every figure, built from engine.reports for one report kind, dimension, grain and date range."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from engine.reports import periods
from engine.reports.agents import agent_report
from engine.reports.definitions import Definitions
from engine.reports.drill import DRILL
from engine.reports.queries import call_report, region_report

KINDS = ("service", "callers", "traffic", "agents", "regions")
COLUMNS = {
    "service": ("requests", "answered", "answer_rate", "answered_within", "service_level", "abandoned",
                "abandoned_short", "abandoned_ringing", "abandon_rate", "cut", "avg_wait_s", "asa_s", "max_wait_s",
                "talk_s", "hold_s", "wrap_s", "aht_s", "transfers", "rewaits", "callbacks", "voicemails", "overflowed",
                "overflow_in", "rated", "satisfaction_rate", "rating_rate"),
    "callers": ("arrived", "requests", "talk_s", "abandoned", "avg_abandon_s", "queue_time_s", "avg_wait_s",
                "hold_s", "holds", "talks", "handle_s", "abandon_rate"),
    "traffic": ("arrived", "dialed", "dialed_answered", "dialed_talk_s", "trunk_busy", "trunk_busy_s",
                "trunk_busy_avg_s", "trunk_busy_max_s"),
    "agents": ("logged_in_s", "not_ready_count", "not_ready_total_s", "not_ready_avg_s", "not_ready_max_s",
               "idle_count", "idle_total_s", "idle_avg_s", "idle_max_s", "rest_count", "rest_total_s",
               "rest_avg_s", "rest_max_s", "ready_idle_count", "ready_idle_total_s", "ready_idle_avg_s",
               "ready_idle_max_s", "answered", "talks", "handle_s", "talk_s", "hold_s", "wrap_s", "aht_s",
               "transfers", "transfer_s", "abandoned_ringing", "no_answer", "occupancy", "utilization",
               "rated", "satisfaction_rate"),
    "regions": ("calls", "share"),
}
DIMENSIONS = {"service": ("all", "queue", "skill", "hall", "agent", "group"),
              "callers": ("all", "queue", "hall"), "traffic": ("all", "trunk"),
              "agents": ("agent", "group"), "regions": ("all",)}
MAX_SUB_DAY_DAYS = 31     # 15-minute and hourly grains: at most a month at a time
# The page shows a report's columns in sets of at most MAX_GROUP_COLUMNS, one table each, so that every table fits
# a 1440-pixel screen (26 or 32 figures side by side would not); each column is in exactly one set.
MAX_GROUP_COLUMNS = 10
COLUMN_GROUPS = {
    "service": (("calls", ("requests", "answered", "answer_rate", "answered_within", "service_level", "abandoned",
                           "abandoned_short", "abandoned_ringing", "abandon_rate", "cut")),
                ("times", ("avg_wait_s", "asa_s", "max_wait_s", "talk_s", "hold_s", "wrap_s", "aht_s")),
                ("routing", ("transfers", "rewaits", "callbacks", "voicemails", "overflowed", "overflow_in", "rated",
                             "satisfaction_rate", "rating_rate"))),
    "callers": (("calls", ("arrived", "requests", "talks", "holds", "abandoned", "abandon_rate")),
                ("times", ("talk_s", "avg_abandon_s", "queue_time_s", "avg_wait_s", "hold_s", "handle_s"))),
    "traffic": (("traffic", COLUMNS["traffic"]),),
    "agents": (("states", ("logged_in_s", "not_ready_count", "not_ready_total_s", "not_ready_avg_s",
                           "not_ready_max_s", "idle_count", "idle_total_s", "idle_avg_s", "idle_max_s")),
               ("rest", ("rest_count", "rest_total_s", "rest_avg_s", "rest_max_s", "ready_idle_count",
                         "ready_idle_total_s", "ready_idle_avg_s", "ready_idle_max_s")),
               ("handled", ("answered", "talks", "handle_s", "talk_s", "hold_s", "wrap_s", "aht_s", "transfers",
                            "transfer_s")),
               ("quality", ("abandoned_ringing", "no_answer", "occupancy", "utilization", "rated",
                            "satisfaction_rate"))),
    "regions": (("regions", COLUMNS["regions"]),),
}


@dataclasses.dataclass
class Query:
    """What a report page, API call or export asks for."""

    kind: str
    dimension: str
    grain: str
    first: dt.date
    last: dt.date

    @property
    def start(self) -> int:
        return periods.local_midnight(self.first)

    @property
    def end(self) -> int:
        return periods.local_midnight(self.last + dt.timedelta(days=1))

    def args(self) -> dict:
        return {"dimension": self.dimension, "grain": self.grain, "start": self.first.isoformat(),
                "end": self.last.isoformat()}


def is_percent(column: str) -> bool:
    return column.endswith("_rate") or column in ("service_level", "occupancy", "utilization", "share")


def is_duration(column: str) -> bool:
    """Figures in seconds (the page shows them as h:mm:ss, the exports as seconds)."""
    return column.endswith("_s")


def is_empty_row(row: dict, columns) -> bool:
    """A period (or period × queue, agent …) without any figure: nothing happened in it."""
    return all(not row.get(c) for c in columns)


def period_end(start: int, grain: str, q: Query) -> int:
    """End of the period starting at `start` (clipped to the query's range)."""
    if grain == "range":
        return q.end
    if grain == "interval":
        end = start + periods.INTERVAL_S
    elif grain == "hour":
        end = start + 3600
    elif grain == "day":
        end = start + periods.DAY_S
    else:
        t = periods.local(start).date()
        months = {"month": 1, "quarter": 3, "year": 12}[grain]
        m = t.month - 1 + months
        end = periods.local_midnight(dt.date(t.year + m // 12, m % 12 + 1, 1))
    return min(end, q.end)


def build(session: Session, q: Query, d: Definitions, now: dt.datetime | None = None) -> dict:
    """{"columns", "rows", "total"}: each row has period, label, key, period_start/end and the column values;
    `drill` names the columns whose cells link to the calls behind them."""
    columns = list(COLUMNS[q.kind])
    if q.kind == "regions":
        rows = region_report(session, q.start, q.end)
        for r in rows:
            r.update(period="", label=f"{r['province'] or '—'} {r['city'] or ''}".strip(), key="",
                     period_start=q.start, period_end=q.end)
        total = {"calls": sum(r["calls"] for r in rows), "share": 100.0 if rows else None}
        return {"columns": columns, "rows": rows, "total": total, "drill": []}
    if q.kind == "agents":
        rows = agent_report(session, q.start, q.end, q.grain, q.dimension, d, now)
        for r in rows:
            r["period_end"] = period_end(r["period_start"], q.grain, q)
        drill = [c for c in columns if c in DRILL]
        return {"columns": columns, "rows": rows, "total": None, "drill": drill}
    report = call_report(session, q.start, q.end, q.grain, q.dimension, d)
    rows = []
    for r in report.rows:
        row = {"period": r.period, "period_start": r.period_start, "period_end": period_end(r.period_start, q.grain, q),
               "key": r.key, "label": r.label if q.dimension != "all" else "", **{c: r.figures[c] for c in columns}}
        rows.append(row)
    total = {c: report.total.figures[c] for c in columns}
    return {"columns": columns, "rows": rows, "total": total, "drill": [c for c in columns if c in DRILL]}
