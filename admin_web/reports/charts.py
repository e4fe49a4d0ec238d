"""The report chart, built on the server from the report's table: one series per queue (agent, hall …) when the
report is by a dimension, the periods on the axis; pies limited to the largest slices and one "Other" slice.
The page draws it as given (static/js/reports.js), so what a chart shows is testable here."""
from __future__ import annotations

from flask_babel import gettext as _

from admin_web.reports.labels import FIGURE_LABELS

TOP_N = 10                  # named series or slices; the rest are added up into one "Other"
BARS = {"service": ("requests", "answered", "abandoned"), "callers": ("arrived", "talks", "abandoned"),
        "traffic": ("arrived", "dialed", "trunk_busy"), "agents": ("answered", "talks", "transfers")}
LINE = {"service": "service_level", "callers": "abandon_rate", "agents": "utilization"}
# the figure a by-dimension chart compares (a count, so that the others add up into "Other")
MAIN = {"service": "requests", "callers": "arrived", "traffic": "arrived", "agents": "answered"}


def _num(value) -> float:
    return value if isinstance(value, (int, float)) else 0


def _round(value):
    return None if value is None else round(value, 2)


def top_with_other(pairs: list[tuple[str, float]], n: int = TOP_N) -> list[tuple[str, float]]:
    """The n largest (name, value) pairs, largest first, and the rest added up as one "Other" pair (when any)."""
    ranked = sorted(pairs, key=lambda p: -p[1])
    head, rest = ranked[:n], ranked[n:]
    if rest:
        head.append((_("Other"), sum(v for _name, v in rest)))
    return head


def region_pie(table: dict, n: int = TOP_N) -> dict:
    """Caller regions: the n regions with most calls and one slice for all the others."""
    pairs = [(r.get("label") or "—", _num(r.get("calls"))) for r in table["rows"]]
    slices = top_with_other([p for p in pairs if p[1]], n)
    return {"type": "pie", "series": [{"name": str(FIGURE_LABELS["calls"]), "type": "pie",
                                       "data": [{"name": name, "value": value} for name, value in slices]}]}


def _periods(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        seen.setdefault(r.get("period") or "", None)
    return list(seen)


def by_dimension(kind: str, table: dict, n: int = TOP_N) -> dict:
    """One bar series per dimension value (queue, agent …) of the kind's main figure, periods on the axis; beyond
    the n largest, the others are one "Other" series."""
    figure = MAIN[kind]
    rows = table["rows"]
    categories = _periods(rows)
    position = {p: i for i, p in enumerate(categories)}
    per_key: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for r in rows:
        key = str(r.get("key") or "")
        names.setdefault(key, r.get("label") or key or "—")
        values = per_key.setdefault(key, [0] * len(categories))
        values[position[r.get("period") or ""]] += _num(r.get(figure))
    totals = [(key, sum(values)) for key, values in per_key.items()]
    ranked = sorted(totals, key=lambda p: -p[1])
    shown, rest = [k for k, _v in ranked[:n]], [k for k, _v in ranked[n:]]
    series = [{"name": names[k], "type": "bar", "data": per_key[k]} for k in shown]
    if rest:
        series.append({"name": _("Other"), "type": "bar",
                       "data": [sum(per_key[k][i] for k in rest) for i in range(len(categories))]})
    return {"type": "bar", "title": str(FIGURE_LABELS[figure]), "categories": categories, "series": series,
            "percent_axis": False}


def overall(kind: str, table: dict) -> dict:
    """Report for all calls: the kind's counts as bars per period and its rate as a line (percent axis)."""
    rows = table["rows"]
    series = [{"name": str(FIGURE_LABELS[c]), "type": "bar", "data": [r.get(c) for r in rows]}
              for c in BARS.get(kind, ())]
    line = LINE.get(kind)
    if line:
        series.append({"name": str(FIGURE_LABELS[line]), "type": "line", "yAxisIndex": 1,
                       "data": [_round(r.get(line)) for r in rows]})
    return {"type": "bar", "title": "", "categories": [r.get("period") or "" for r in rows], "series": series,
            "percent_axis": bool(line)}


def chart(kind: str, dimension: str, table: dict) -> dict:
    """The chart of one report table."""
    if kind == "regions":
        return region_pie(table)
    if dimension != "all" and kind in MAIN:
        return by_dimension(kind, table)
    return overall(kind, table)
