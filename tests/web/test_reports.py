"""Report pages, JSON API, drill-down, exports (background job with progress), the definitions form and the
monthly operating report, on the hand-made day of tests/integration/reports/day_fixture.py."""
from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import load_workbook

from engine.reports.definitions import load_definitions
from tests.integration.reports.day_fixture import entries

DAY = "2026-03-02"
Q = {"start": DAY, "end": DAY, "grain": "day", "dimension": "all"}


@pytest.fixture
def day(db, seed):
    """The fixture day's log entries on top of the web seed, every agent entry given to the seed's agent."""
    from engine.domain.commands import LogCallEvent
    from engine.store.calllog import append
    for entry in entries():
        append(db, LogCallEvent(**{**entry.__dict__, "agent_id": None if entry.agent_id is None else seed.agent_id}))
        db.commit()
    return db


def test_reports_need_staff(client, as_agent):
    assert client.get("/reports/service").status_code == 403


def test_service_page_shows_figures_linked_to_their_calls(as_supervisor, day):
    page = as_supervisor.get("/reports/service", query_string=Q)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-col="requests"' in html and "50.00%" in html         # 4 answered of 8 requests (C6 counts once)
    assert "/reports/calls?figure=answered_within" in html
    assert "vendor/echarts/echarts.min.js" in html and 'id="report-definitions"' in html


def test_api_returns_the_same_figures(as_supervisor, day):
    data = as_supervisor.get("/reports/api/service.json", query_string=Q).get_json()
    assert data["total"]["requests"] == 8 and data["total"]["answered"] == 4 and data["total"]["rewaits"] == 1
    assert data["rows"][0]["service_level"] == pytest.approx(100 / 7)
    assert data["definitions"]["service_level_s"] == 15
    per_queue = as_supervisor.get("/reports/api/service.json", query_string={**Q, "dimension": "queue"}).get_json()
    assert {r["key"]: r["requests"] for r in per_queue["rows"]} == {"tax": 8, "etax": 2, "": 0}   # "": no queue


def test_other_reports_render(as_supervisor, day):
    for kind in ("callers", "traffic", "regions"):
        assert as_supervisor.get(f"/reports/{kind}", query_string=Q).status_code == 200, kind
    traffic = as_supervisor.get("/reports/api/traffic.json", query_string=Q).get_json()
    assert traffic["total"]["dialed"] == 1 and traffic["total"]["trunk_busy_max_s"] == 120
    regions = as_supervisor.get("/reports/api/regions.json", query_string=Q).get_json()
    assert regions["total"]["calls"] == 9
    agents = as_supervisor.get("/reports/agents", query_string={**Q, "dimension": "agent"})
    assert agents.status_code == 200
    hourly_too_long = as_supervisor.get("/reports/api/service.json",
                                        query_string={**Q, "grain": "interval", "end": "2026-05-02"})
    assert hourly_too_long.status_code == 400


def test_drill_down_page_lists_the_calls(as_supervisor, day):
    data = as_supervisor.get("/reports/api/service.json", query_string=Q).get_json()
    row = data["rows"][0]
    page = as_supervisor.get("/reports/calls", query_string={"figure": "abandoned", "start": row["period_start"],
                                                             "end": row["period_end"], "dim": "all"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<strong id="drill-total">2</strong>' in html
    assert "/calls/C2" in html and "/calls/C4" in html and "/calls/C1" not in html
    as_json = as_supervisor.get("/reports/calls", query_string={"figure": "requests", "start": row["period_start"],
                                                                "end": row["period_end"], "dim": "queue",
                                                                "key": "etax", "format": "json"}).get_json()
    assert as_json["total"] == 2 and {c["call_uuid"] for c in as_json["calls"]} == {"C6", "C7"}


def finished_export(client, fmt, query=Q):
    """Start an export of the service report and wait for it: the job's last status."""
    started = client.post("/reports/exports", data={"kind": "service", "format": fmt, **query})
    assert started.status_code == 202
    job = started.get_json()
    for _ in range(200):
        job = client.get(job["status"]).get_json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["state"] == "done" and job["percent"] == 100
    return job


def _run_export(client, fmt):
    return client.get(finished_export(client, fmt)["download"])


def test_csv_and_xlsx_exports_run_as_jobs(as_supervisor, day):
    rows = list(csv.reader(io.StringIO(_run_export(as_supervisor, "csv").get_data().decode("utf-8-sig"))))
    assert len(rows) == 3                                            # header, the day, the total
    header, first = rows[0], rows[1]
    assert float(first[header.index([h for h in header if "人工接通率" in h][0])]) == 50.0
    book = load_workbook(io.BytesIO(_run_export(as_supervisor, "xlsx").get_data()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:2] and sheet.max_row == 3


def test_definitions_form_is_for_admins_and_changes_the_figures(as_admin, client, day, db):
    assert as_admin.get("/reports/definitions").status_code == 200
    form = {"service_level_s": "20", "abandons_in_service_level": "include", "short_abandon_s": "5",
            "abandons_in_answer_rate": "exclude_short",
            "valid_ratings": ["1", "2", "3", "4", "5", "6"], "satisfied_ratings": ["1"], "rest_reasons": ["break"],
            "target_answer_rate": "95", "target_avg_wait_s": "60", "target_timely_rate": "95",
            "target_satisfaction": "95", "scorecard_rounding": "whole_points", "alert_waiting": "5",
            "alert_service_level": "80"}
    assert as_admin.post("/reports/definitions", data=form).status_code == 302
    db.expire_all()
    d = load_definitions(db)
    assert d.service_level_s == 20 and d.satisfied_ratings == (1,) and d.abandons_in_service_level == "include"
    assert d.abandons_in_answer_rate == "exclude_short" and d.valid_ratings == (1, 2, 3, 4, 5, 6)
    data = as_admin.get("/reports/api/service.json", query_string=Q).get_json()
    assert data["total"]["answered_within"] == 2 and data["total"]["service_level"] == pytest.approx(100 * 2 / 8)
    assert data["total"]["answer_rate"] == pytest.approx(100 * 4 / 7)      # the short abandon C4 left out
    page = as_admin.get("/reports/definitions").get_data(as_text=True)
    assert "人工接通率" in page and "基本满意" in page
    bad = as_admin.post("/reports/definitions", data={**form, "satisfied_ratings": ["7"]})
    assert bad.status_code == 200 and "满意按键必须同时是有效评价按键" in bad.get_data(as_text=True)


def test_supervisors_cannot_change_definitions(as_supervisor):
    assert as_supervisor.get("/reports/definitions").status_code == 403


def test_scorecard_page_api_and_monthly_workbook(as_supervisor, day):
    card = as_supervisor.get("/reports/api/scorecard.json", query_string={"month": "2026-03"}).get_json()
    items = {i["key"]: i for i in card["items"]}
    assert items["answer_rate"]["value"] == pytest.approx(100 * 4 / 8) and items["avg_wait"]["points"] == 0
    assert "不超过分项分值" in card["cap_rule"]
    page = as_supervisor.get("/reports/scorecard", query_string={"month": "2026-03"}).get_data(as_text=True)
    assert "50.00%" in page and "热线电话呼入接通率" in page
    assert 'id="cap-rule"' in page and "每项满分5分" in page
    book = load_workbook(io.BytesIO(as_supervisor.get("/reports/monthly.xlsx",
                                                      query_string={"month": "2026-03"}).get_data()))
    assert {"概要", "每日", "时段分布", "队列", "坐席", "来电地区", "热点问题"} <= set(book.sheetnames)
    assert book["每日"]["B2"].value == 8 and book["每日"]._charts


def test_every_formula_is_shown_translated_on_the_pages():
    from admin_web.reports.labels import FORMULA_LABELS
    from engine.reports.figures import FORMULAS
    assert set(FORMULA_LABELS) == set(FORMULAS)
    assert [str(FORMULA_LABELS[k]) for k in FORMULAS] == list(FORMULAS.values())   # outside a request: English
