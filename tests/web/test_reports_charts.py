"""Report charts: a report by queue draws one series per queue (its own figures, not all queues mixed in one
series), ten at most and the rest as one "其他" series; a pie has at most ten slices and one "其他"."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from admin_web.reports.charts import TOP_N, region_pie
from admin_web.reports.labels import FIGURE_LABELS
from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.store.calllog import append

LOCAL = dt.timezone(dt.timedelta(hours=8))
DAYS = [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)]
Q = {"start": "2026-03-02", "end": "2026-03-04", "grain": "day", "dimension": "queue"}


def _at(day: dt.date, hour: int, minute: int = 0) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL).timestamp()


def _calls(db, plan: dict[str, list[int]]) -> None:
    """plan: queue → calls per day of DAYS; every call queued and answered after 10 s by agent 1."""
    n = 0
    for queue, per_day in plan.items():
        for day, count in zip(DAYS, per_day):
            for i in range(count):
                n += 1
                queued = _at(day, 9, i % 60) + n
                append(db, LogCallEvent(f"c{n}", K.QUEUED, queued, queue_code=queue, queued_at=queued))
                append(db, LogCallEvent(f"c{n}", K.ANSWERED, queued + 10, queue_code=queue, queued_at=queued,
                                        wait_s=10.0, agent_id=1))
    db.commit()


def _chart(client, **extra):
    data = client.get("/reports/api/service.json", query_string={**Q, **extra}).get_json()
    return data, data["chart"]


def test_by_queue_chart_has_one_series_per_queue_with_its_own_figures(as_supervisor, db):
    _calls(db, {"tax": [5, 1, 0], "etax": [0, 2, 4], "fees": [3, 3, 3]})
    data, chart = _chart(as_supervisor)
    assert chart["categories"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    by_name = {s["name"]: s["data"] for s in chart["series"]}
    assert len(chart["series"]) == 3
    assert [by_name[k] for k in ("tax", "etax", "fees")] == [[5, 1, 0], [0, 2, 4], [3, 3, 3]]
    # the same figures as the table's rows
    for row in data["rows"]:
        assert by_name[row["label"]][chart["categories"].index(row["period"])] == row["requests"]


def test_more_queues_than_shown_are_added_up_as_other(as_supervisor, db):
    plan = {f"q{i:02d}": [i + 1, 0, 0] for i in range(TOP_N + 2)}          # q11 the largest, q00 the smallest
    _calls(db, plan)
    _data, chart = _chart(as_supervisor)
    names = [s["name"] for s in chart["series"]]
    assert len(names) == TOP_N + 1 and names[-1] == "其他"
    assert "q00" not in names and "q01" not in names and names[0] == "q11"
    assert chart["categories"] == ["2026-03-02"] and chart["series"][-1]["data"] == [1 + 2]
    english = as_supervisor.get("/reports/api/service.json", query_string={**Q, "lang": "en"}).get_json()
    assert english["chart"]["series"][-1]["name"] == "Other"


def test_the_page_draws_the_chart_it_was_given(as_supervisor, db):
    _calls(db, {"tax": [1, 1, 1], "etax": [2, 0, 0]})
    html = as_supervisor.get("/reports/service", query_string=Q).get_data(as_text=True)
    embedded = html.split('<script type="application/json" id="report-chart-data">', 1)[1].split("</script>", 1)[0]
    assert len(json.loads(embedded)["series"]) == 2
    all_calls = as_supervisor.get("/reports/api/service.json", query_string={**Q, "dimension": "all"}).get_json()
    with as_supervisor.application.test_request_context("/"):
        expected = [str(FIGURE_LABELS[c]) for c in ("requests", "answered", "abandoned", "service_level")]
    assert [s["name"] for s in all_calls["chart"]["series"]] == expected    # counts as bars, the service level a line
    assert all_calls["chart"]["series"][-1]["type"] == "line" and all_calls["chart"]["percent_axis"] is True


def test_region_pie_has_the_ten_largest_slices_and_other(app):
    rows = [{"label": f"省{i} 市{i}", "calls": 100 - i} for i in range(40)]
    with app.test_request_context("/"):
        pie = region_pie({"rows": rows})
    slices = pie["series"][0]["data"]
    assert len(slices) == TOP_N + 1 <= 11
    assert [s["name"] for s in slices[:TOP_N]] == [f"省{i} 市{i}" for i in range(TOP_N)]
    assert slices[-1] == {"name": "其他", "value": sum(100 - i for i in range(TOP_N, 40))}
    assert sum(s["value"] for s in slices) == sum(r["calls"] for r in rows)        # nothing lost


@pytest.mark.parametrize("regions", [3, TOP_N])
def test_a_small_pie_has_no_other_slice(app, regions):
    rows = [{"label": f"省{i}", "calls": 5 + i} for i in range(regions)]
    with app.test_request_context("/"):
        slices = region_pie({"rows": rows})["series"][0]["data"]
    assert len(slices) == regions and "其他" not in [s["name"] for s in slices]


def test_regions_api_gives_a_pie(as_supervisor, db):
    data = as_supervisor.get("/reports/api/regions.json", query_string={**Q, "dimension": "all"}).get_json()
    assert data["chart"]["type"] == "pie" and len(data["chart"]["series"][0]["data"]) <= TOP_N + 1
