"""Report tables as a user reads them: durations as h:mm:ss, column sets that fit a 1440-pixel screen, no rows for
periods without any figure, and a large grid (agents × days of a month) one page at a time."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from admin_web.filters import hms
from admin_web.reports.tables import COLUMN_GROUPS, COLUMNS, MAX_GROUP_COLUMNS
from admin_web.reports.views import GRID_ROWS
from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.store.calllog import append

LOCAL = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 2)


def _at(day: dt.date, hour: int, minute: int = 0) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL).timestamp()


def _answered(db, uuid: str, queue: str, queued: float, agent_id: int, wait_s: float, talk_s: float) -> None:
    append(db, LogCallEvent(uuid, K.QUEUED, queued, queue_code=queue, queued_at=queued))
    append(db, LogCallEvent(uuid, K.ANSWERED, queued + wait_s, queue_code=queue, queued_at=queued, wait_s=wait_s,
                            agent_id=agent_id))
    append(db, LogCallEvent(uuid, K.TALK_ENDED, queued + wait_s + talk_s, queue_code=queue, queued_at=queued,
                            duration_s=talk_s, agent_id=agent_id))


def _table(html: str, group: str) -> str:
    return html.split(f'data-group="{group}"', 1)[1].split("</table>", 1)[0]


def _cell(table_html: str, column: str) -> str:
    """The first body cell of a column, its text only."""
    body = table_html.split("<tbody>", 1)[1]
    raw = body.split(f'data-col="{column}">', 1)[1].split("</td>", 1)[0]
    return re.sub(r"<[^>]+>", "", raw).strip()


@pytest.mark.parametrize("seconds,shown", [(None, "—"), (0, "0:00:00"), (59.4, "0:00:59"), (61, "0:01:01"),
                                           (3600, "1:00:00"), (67918.2, "18:51:58"), (90061, "25:01:01")])
def test_hms_shows_hours_minutes_and_seconds(seconds, shown):
    assert hms(seconds) == shown


def test_durations_on_the_page_read_h_mm_ss_and_the_export_keeps_seconds(as_supervisor, db):
    _answered(db, "long", "tax", _at(DAY, 9), agent_id=1, wait_s=75.0, talk_s=67918.2)
    db.commit()
    q = {"start": DAY.isoformat(), "end": DAY.isoformat(), "grain": "day", "dimension": "all"}
    html = as_supervisor.get("/reports/service", query_string=q).get_data(as_text=True)
    times = _table(html, "times")
    assert _cell(times, "talk_s") == "18:51:58" and _cell(times, "avg_wait_s") == "0:01:15"
    assert "67918" not in html
    assert "时:分:秒" in html                                   # the page says how durations read
    header = times.split("</thead>", 1)[0]
    assert "通话时长" in header and "通话时长（秒）" not in header   # no "(seconds)" over an h:mm:ss figure
    api = as_supervisor.get("/reports/api/service.json", query_string=q).get_json()
    assert api["total"]["talk_s"] == pytest.approx(67918.2)      # the API and exports keep seconds


@pytest.mark.parametrize("kind", sorted(COLUMN_GROUPS))
def test_every_figure_is_in_exactly_one_narrow_table(kind):
    shown = [c for _name, columns in COLUMN_GROUPS[kind] for c in columns]
    assert sorted(shown) == sorted(COLUMNS[kind]) and len(shown) == len(set(shown))
    assert all(len(columns) <= MAX_GROUP_COLUMNS for _name, columns in COLUMN_GROUPS[kind])


def test_the_page_shows_each_column_set_as_its_own_table(as_supervisor, db):
    _answered(db, "c1", "tax", _at(DAY, 9), agent_id=1, wait_s=8.0, talk_s=300.0)
    db.commit()
    q = {"start": DAY.isoformat(), "end": DAY.isoformat(), "grain": "day", "dimension": "queue"}
    html = as_supervisor.get("/reports/service", query_string=q).get_data(as_text=True)
    tables = re.findall(r'<table class="grid report"[^>]*data-group="(\w+)"', html)
    assert tables == [name for name, _columns in COLUMN_GROUPS["service"]]
    for name, columns in COLUMN_GROUPS["service"]:
        header = _table(html, name).split("</thead>", 1)[0]
        assert len(re.findall(r"<th[ >]", header)) == len(columns) + 2           # period, item, then the set's figures only
        assert '<th class="item">项目</th>' in header
    assert 'class="item">tax</td>' in html                      # the item column keeps its words together
    assert "css/reports.css" in html


def test_the_stylesheet_lets_headers_wrap_and_keeps_the_item_column_wide(client):
    css = client.get("/static/css/reports.css").get_data(as_text=True)
    item = css.split("table.grid.report .item {", 1)[1].split("}", 1)[0]
    assert "min-width: 8em" in item                            # never one character per line
    header = css.split("table.grid.report th {", 1)[1].split("}", 1)[0]
    assert "white-space: normal" in header                     # long names wrap instead of widening the table


def test_periods_without_figures_are_left_out_and_counted(as_supervisor, db):
    _answered(db, "a", "tax", _at(DAY, 9, 5), agent_id=1, wait_s=8.0, talk_s=60.0)
    _answered(db, "b", "tax", _at(DAY, 14, 35), agent_id=1, wait_s=8.0, talk_s=60.0)
    append(db, LogCallEvent("ivr-only", K.ARRIVED, _at(DAY, 11, 3), dnis="12366"))    # no request for an agent
    db.commit()
    q = {"start": DAY.isoformat(), "end": DAY.isoformat(), "grain": "interval", "dimension": "all"}
    api = as_supervisor.get("/reports/api/service.json", query_string=q).get_json()
    assert [r["period"][-5:] for r in api["rows"]] == ["09:00", "11:00", "14:30"]
    html = as_supervisor.get("/reports/service", query_string=q).get_data(as_text=True)
    body = _table(html, "calls").split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 2 and "11:00" not in body
    assert "另有 1 个没有任何数据的时段未显示" in html


def test_the_row_of_calls_without_a_queue_is_left_out_when_empty(as_supervisor, db):
    _answered(db, "a", "tax", _at(DAY, 9, 5), agent_id=1, wait_s=8.0, talk_s=60.0)
    append(db, LogCallEvent("ivr-only", K.ARRIVED, _at(DAY, 11, 3), dnis="12366"))
    db.commit()
    q = {"start": DAY.isoformat(), "end": DAY.isoformat(), "grain": "day", "dimension": "queue"}
    api = as_supervisor.get("/reports/api/service.json", query_string=q).get_json()
    assert sorted(r["key"] for r in api["rows"]) == ["", "tax"]       # the API keeps the empty "no queue" row
    html = as_supervisor.get("/reports/service", query_string=q).get_data(as_text=True)
    body = _table(html, "calls").split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 1 and 'class="item">tax</td>' in body and 'class="item">—</td>' not in body
    assert "另有 1 行没有任何数据，未显示" in html


def test_agents_by_day_for_a_month_comes_one_page_at_a_time(as_supervisor, db):
    agents, days = 6, 20                                       # 120 agent-days with calls
    for a in range(agents):
        for d in range(days):
            day = dt.date(2026, 3, 2) + dt.timedelta(days=d)
            _answered(db, f"c{a}-{d}", "tax", _at(day, 9, a), agent_id=101 + a, wait_s=5.0, talk_s=100.0 + a)
    db.commit()
    q = {"start": "2026-03-01", "end": "2026-03-31", "grain": "day", "dimension": "agent"}
    first = as_supervisor.get("/reports/agents", query_string=q).get_data(as_text=True)
    rows = _table(first, "handled").split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")
    assert rows == GRID_ROWS == 100
    assert "第 1 页，共 2 页" in first and "共 120 行" in first
    second = as_supervisor.get("/reports/agents", query_string={**q, "page": 2}).get_data(as_text=True)
    rows = _table(second, "handled").split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == agents * days - GRID_ROWS
    assert "第 2 页，共 2 页" in second and "2026-03-21" in rows and "2026-03-02" not in rows
    assert "page=1" in second.split('id="report-pager"', 1)[1]    # the way back keeps the report's parameters
    assert "dimension=agent" in second.split('id="report-pager"', 1)[1]
    beyond = as_supervisor.get("/reports/agents", query_string={**q, "page": 9}).get_data(as_text=True)
    assert "第 2 页，共 2 页" in beyond                         # a page past the end shows the last one
    api = as_supervisor.get("/reports/api/agents.json", query_string=q).get_json()
    assert len(api["rows"]) == agents * days                   # the API (and exports) keep every row
