"""The call search (issue 16) on each database kind: by the whole number in any form (numbers are stored sealed),
date range, queue, agent, outcome and hall, paginated on the server with the search kept in the pager, scoped by
hall (a 班长 of one hall never sees another hall's calls, whatever they ask for), and exported as CSV and XLSX with
exactly the calls the list found."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from admin_web.auth.services import create_user
from admin_web.timeutil import day_range
from engine.domain.states import AgentState, CallOutcome, HangupSide, Role
from engine.store.models import Agent, CallRecord, PublishedNumber, Queue, User
from engine.store.numbers import save_hall
from .helpers import PASSWORD, login


@pytest.fixture
def db_url(database_url):
    """Sealed-number search, date ranges and the hall scope are SQL: on each database kind."""
    return database_url


@pytest.fixture
def calls(db, seed):
    """Two halls (深圳市 with 福田区 under it, and 广州市), a queue each, an agent each, and calls today and
    three days ago. Returns the local dates and the ids."""
    sz = save_hall(db, "GD-440300", "深圳市", "city", "440300")
    ft = save_hall(db, "GD-440304", "福田区", "county", "440304", "GD-440300")
    gz = save_hall(db, "GD-440100", "广州市", "city", "440100")
    db.add_all([PublishedNumber(number="075560304001", name="福田区纳税", flow="tax_main", hall_id=ft.id),
                PublishedNumber(number="02088880001", name="广州纳税", flow="tax_main", hall_id=gz.id)])
    tax, etax = Queue(code="tax_policy", name="税收政策咨询"), Queue(code="etax", name="电子税务局")
    sz_agent = db.get(Agent, seed.agent_id)
    sz_agent.hall_id = ft.id
    gz_agent = Agent(employee_no="3001", name="王五", extension="8301", state=AgentState.READY, hall_id=gz.id)
    db.add_all([tax, etax, gz_agent])
    db.flush()
    today = day_range("Asia/Shanghai")[0]
    earlier = today - dt.timedelta(days=3)

    def add(uuid, when, ani, dnis, outcome, queue=None, agent=None, talk=75):
        answered = outcome is CallOutcome.ANSWERED
        db.add(CallRecord(call_uuid=uuid, ani=ani, dnis=dnis, queue_id=queue.id if queue else None,
                          agent_id=agent.id if agent else None, started_at=when,
                          enqueued_at=when + dt.timedelta(seconds=10),
                          answered_at=when + dt.timedelta(seconds=25) if answered else None,
                          ended_at=when + dt.timedelta(seconds=25 + (talk if answered else 0)), outcome=outcome,
                          hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER))
    minute = dt.timedelta(minutes=1)
    add("sz-1", today + 1 * minute, "13911112222", "075560304001", CallOutcome.ANSWERED, tax, sz_agent, talk=3725)
    add("sz-2", today + 2 * minute, "13933334444", "075560304001", CallOutcome.ABANDONED, tax)
    add("sz-3", today + 3 * minute, "=HYPERLINK(\"http://x\")", "075560304001", CallOutcome.ANSWERED, etax, sz_agent)
    add("gz-1", today + 4 * minute, "13911112222", "02088880001", CallOutcome.ANSWERED, tax, gz_agent)
    add("gz-2", today + 5 * minute, "02012345678", "02088880001", CallOutcome.ABANDONED, etax)
    add("old-1", earlier + 6 * minute, "13911112222", "075560304001", CallOutcome.ANSWERED, tax, sz_agent)
    create_user(db, "sz-boss", PASSWORD, Role.SUPERVISOR)
    db.scalar(select(User).where(User.username == "sz-boss")).hall_id = sz.id
    db.commit()
    local = lambda value: (value + dt.timedelta(hours=8)).date()  # noqa: E731  (Asia/Shanghai, no DST)
    return {"today": local(today), "earlier": local(earlier), "tax": tax.id, "etax": etax.id, "sz": sz.id,
            "ft": ft.id, "gz": gz.id}


def found(client, **args) -> list[str]:
    """The calls a search lists, in order (their ids, from the links to their pages)."""
    response = client.get("/calls/", query_string=args)
    assert response.status_code == 200
    return re.findall(r'href="/calls/([\w-]+)" class="call-link"', response.get_data(as_text=True))


def as_user(app, name):
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def test_the_numbers_are_sealed_and_found_by_the_whole_number_in_any_form(as_supervisor, db, calls):
    stored = db.execute(text("SELECT ani FROM call_records WHERE call_uuid = 'sz-1'")).scalar_one()
    assert stored.startswith("s1.") and "13911112222" not in stored               # sealed at rest
    assert found(as_supervisor, number="13911112222") == ["gz-1", "sz-1"]          # today, newest first
    assert found(as_supervisor, number="+86 139-1111-2222") == ["gz-1", "sz-1"]   # the same number, typed otherwise
    assert found(as_supervisor, number="1391111") == []                            # no search by part of a number
    assert found(as_supervisor, number="02088880001") == ["gz-2", "gz-1"]          # the number dialled


def test_the_date_range_is_of_local_days_and_today_by_default(as_supervisor, calls):
    assert found(as_supervisor) == ["gz-2", "gz-1", "sz-3", "sz-2", "sz-1"]
    day = calls["earlier"].isoformat()
    assert found(as_supervisor, date_from=day, date_to=day) == ["old-1"]
    everything = found(as_supervisor, date_from=day, date_to=calls["today"].isoformat(), number="13911112222")
    assert everything == ["gz-1", "sz-1", "old-1"]
    assert found(as_supervisor, date_from=day) == ["gz-2", "gz-1", "sz-3", "sz-2", "sz-1", "old-1"]   # to today
    page = as_supervisor.get("/calls/", query_string={"date_from": calls["today"].isoformat(), "date_to": day})
    refused = page.get_data(as_text=True)
    assert "结束日期早于开始日期" in refused and f'value="{day}"' in refused    # the dates as typed, to correct
    too_long = as_supervisor.get("/calls/", query_string={"date_from": "2024-01-01", "date_to": "2025-01-01"})
    assert "一次最多查询 366 天。" in too_long.get_data(as_text=True)
    assert f'value="{calls["today"].isoformat()}"' in as_supervisor.get(
        "/calls/", query_string={"date_to": ""}).get_data(as_text=True)          # the dates searched: today


def test_queue_agent_outcome_and_hall(as_supervisor, calls):
    assert found(as_supervisor, queue=calls["etax"]) == ["gz-2", "sz-3"]
    assert found(as_supervisor, agent="1001") == ["sz-3", "sz-1"]
    assert found(as_supervisor, agent="9999") == []
    assert found(as_supervisor, outcome="abandoned") == ["gz-2", "sz-2"]
    assert found(as_supervisor, hall=calls["sz"]) == ["sz-3", "sz-2", "sz-1"]       # the city and the county under it
    assert found(as_supervisor, hall=calls["gz"]) == ["gz-2", "gz-1"]
    assert found(as_supervisor, hall=calls["gz"], outcome="answered", queue=calls["tax"]) == ["gz-1"]
    page = as_supervisor.get("/calls/", query_string={"hall": calls["sz"], "outcome": "abandoned"})
    html = page.get_data(as_text=True)
    assert 'id="answered-today">2<' in html and 'id="abandoned-today">1<' in html    # counts of the whole search
    assert re.search(r'<select[^>]*data-autosubmit[^>]*name="outcome"', html)       # chosen, it searches at once


def test_pages_keep_the_search(app, as_supervisor, calls):
    app.config["CALLS_PER_PAGE"] = 2
    first = as_supervisor.get("/calls/", query_string={"hall": calls["sz"]}).get_data(as_text=True)
    assert re.findall(r'href="/calls/([\w-]+)" class="call-link"', first) == ["sz-3", "sz-2"]
    assert "第 1 页，共 2 页" in first
    older = re.search(r'href="(/calls/\?[^"]+)">[^<]*»', first).group(1).replace("&amp;", "&")
    assert f"hall={calls['sz']}" in older and "page=2" in older
    assert re.findall(r'href="/calls/([\w-]+)" class="call-link"', as_supervisor.get(older).get_data(as_text=True)) \
        == ["sz-1"]
    assert found(as_supervisor, hall=calls["sz"], page="99") == ["sz-1"]           # past the end: the last page


def test_a_hall_supervisor_finds_only_their_halls_calls(app, calls):
    boss = as_user(app, "sz-boss")
    assert found(boss) == ["sz-3", "sz-2", "sz-1"]
    assert found(boss, number="13911112222") == ["sz-1"]
    html = boss.get("/calls/").get_data(as_text=True)
    assert "福田区" in html and "广州市" not in html                                   # the hall choices
    # another hall is not a choice: the form says so and the list stays theirs; its export is refused
    asked = boss.get("/calls/", query_string={"hall": calls["gz"]}).get_data(as_text=True)
    assert "不是可选的值" in asked and "gz-1" not in asked and "sz-1" in asked
    assert boss.get(f"/calls/export?format=csv&hall={calls['gz']}").status_code == 400
    rows = _csv(boss.get("/calls/export?format=csv"))
    assert [r["呼叫编号"] for r in rows] == ["sz-3", "sz-2", "sz-1"]


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_export_has_the_lists_calls_in_words(as_supervisor, calls):
    rows = _csv(as_supervisor.get("/calls/export", query_string={"format": "csv", "hall": calls["sz"]}))
    assert [r["呼叫编号"] for r in rows] == ["sz-3", "sz-2", "sz-1"]
    first = rows[2]
    assert first["主叫"] == "13911112222" and first["来电归属地"] == "北京市" and first["队列"] == "税收政策咨询"
    assert first["坐席"] == "1001 张三" and first["结果"] == "已接通" and first["通话时长"] == "1:02:05"
    assert first["等待时长"] == "0:00:15" and first["开始时间"].endswith(" 00:01:00")
    assert rows[0]["主叫"].startswith("'=HYPERLINK")                                # a formula stays text
    assert rows[1]["结果"] == "放弃" and rows[1]["通话时长"] == ""
    response = as_supervisor.get("/calls/export", query_string={"format": "xlsx", "number": "13911112222"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    assert values[0][0] == "开始时间" and [v[-1] for v in values[1:]] == ["gz-1", "sz-1"]
    cells = {row[-1].value: row[1] for row in load_workbook(io.BytesIO(
        as_supervisor.get("/calls/export?format=xlsx").data)).active.iter_rows(min_row=2)}
    assert cells["sz-3"].value == '=HYPERLINK("http://x")' and cells["sz-3"].data_type == "s"   # text, not a formula
    assert as_supervisor.get("/calls/export?format=pdf").status_code == 400


def test_a_slow_export_is_followed_then_fetched_by_its_owner_only(app, as_supervisor, calls):
    import time
    app.config["REPORT_WAIT_S"] = 0.0          # the request does not wait: the page that follows the job
    pending = as_supervisor.get("/calls/export", query_string={"format": "csv", "outcome": "abandoned"})
    if pending.status_code == 200:              # the worker was quicker than no wait at all
        assert [r["呼叫编号"] for r in _csv(pending)] == ["gz-2", "sz-2"]
        return
    assert pending.status_code == 202
    html = pending.get_data(as_text=True)
    status_url = re.search(r'data-status="([^"]+)"', html).group(1)
    deadline = time.monotonic() + 20
    while (status := as_supervisor.get(status_url).get_json())["state"] != "done":
        assert status["state"] != "failed" and time.monotonic() < deadline
        time.sleep(0.1)
    assert [r["呼叫编号"] for r in _csv(as_supervisor.get(status["download"]))] == ["gz-2", "sz-2"]
    other = as_user(app, "sz-boss")
    assert other.get(status_url).status_code == 404 and other.get(status["download"]).status_code == 404
