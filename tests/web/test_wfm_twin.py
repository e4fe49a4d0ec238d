"""The digital twin on the planning page (/wfm/twin): the plan of the day, computed in the user's scope, run as a
report job through `python -m engine.twin` (the real engine on the simulated switch, accelerated), its figures per
interval shown in Chinese next to the plan's Erlang ones; every placed call has a record."""
from __future__ import annotations

import re
import time

import pytest

from .test_wfm import PLAN_DAY, history, rows, today  # noqa: F401  (fixtures)

# timing-sensitive (an accelerated clock, or a load benchmark): never beside another of them (make test:
# --dist loadgroup), so that one does not starve the other of CPU
pytestmark = pytest.mark.xdist_group("timing")

QUERY = {"day": PLAN_DAY, "queue": "tax", "target": "service_level", "level": "80", "seconds": "20", "model": "A",
         "shrinkage": "0", "speed": "300"}


def _twin_page(client, deadline_s=120.0, query=None):
    """The twin page once its job is done (the first request may answer with the pending page)."""
    end = time.time() + deadline_s
    while True:
        page = client.get("/wfm/twin", query_string=query or QUERY)
        if page.status_code != 202 or time.time() > end:
            return page
        time.sleep(1.0)


def test_the_plan_page_offers_the_twin(as_supervisor, history):  # noqa: F811
    html = as_supervisor.get("/wfm/", query_string={k: v for k, v in QUERY.items() if k != "speed"}) \
        .get_data(as_text=True)
    assert 'id="wfm-twin-form"' in html and "用数字孪生运行此计划" in html
    assert f'name="day" value="{PLAN_DAY}"' in html and 'name="queue" value="tax"' in html


def test_the_twin_runs_the_plan_and_shows_it_next_to_erlang(as_supervisor, history):  # noqa: F811
    page = _twin_page(as_supervisor)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "数字孪生" in html and "孪生服务水平" in html and "Erlang A 服务水平" in html
    got = rows(html)
    assert set(got) == {"09:00", "09:15", "09:30"}             # the plan's intervals with calls
    offered = int(re.search(r'id="twin-offered">(\d+)<', html).group(1))
    assert offered == sum(int(r["offered"]) for r in got.values()) and offered > 0
    placed, records = map(int, re.search(r"共呼入 (\d+) 通，其中 (\d+) 通有话单", html).groups())
    assert placed == records >= offered
    assert all(r["sl_a"].endswith("%") and r["plan_sl"].endswith("%") for r in got.values())
    # the plan staffs each interval for 80 % within 20 s: its Erlang A figure is the plan's own prediction
    assert all(r["sl_a"] == r["plan_sl"] for r in got.values())


def test_without_a_day_the_twin_sends_back_to_the_plan(as_supervisor, today):  # noqa: F811
    page = as_supervisor.get("/wfm/twin")
    assert page.status_code == 302 and page.headers["Location"].endswith("/wfm/")


def test_the_twin_takes_the_agents_the_published_schedules_have_at_work(as_supervisor, history, db, seed):  # noqa: F811
    import datetime as dt
    from engine.store.models.schedules import Schedule, ScheduledShift
    query = {**QUERY, "staffing": "schedule"}
    html = as_supervisor.get("/wfm/twin", query_string=query).get_data(as_text=True)
    assert "已发布的排班中当天没有在班坐席" in html and 'id="twin-intervals"' not in html
    start = dt.datetime(2026, 3, 31, 0, 0, tzinfo=dt.timezone.utc)        # 08:00 in Beijing (the store keeps UTC)
    schedule = Schedule(name="三月第五周", week_start=dt.date(2026, 3, 30), pool="hall", status="published",
                        required=[0] * 672)
    schedule.shifts.append(ScheduledShift(agent_id=seed.agent_id, code="早", start_at=start,
                                          end_at=start + dt.timedelta(hours=4)))
    db.add(schedule)
    db.commit()
    page = _twin_page(as_supervisor, query=query)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<th>排班坐席</th>" in html
    agents = re.findall(r'<td class="mono">(\d\d:\d\d)</td>\s*<td class="num">(\d+)</td>', html)
    assert agents and all(n == "1" for _start, n in agents), agents     # the one agent the schedule has at work
