"""The workforce planning page (/wfm/): a day's forecast calls and required agents per 15-minute interval from a
history written through the engine's log path, in Chinese by default; no history → a clear message; who may see
it, and a hall's supervisor sees only their halls' queues and calls."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.domain.staffing import AnswerRateTarget, ServiceLevelTarget, required_agents
from engine.store.batch import write_batch
from engine.store.models import Hall, Queue, User
from .helpers import login
from .test_scope import two_halls  # noqa: F401  (fixture)

LOCAL = dt.timezone(dt.timedelta(hours=8))
FIRST = dt.date(2026, 3, 2)                  # Monday; 4 weeks of history, no holiday in March 2026
DAYS = 28
TODAY = dt.date(2026, 3, 30)                 # the history ends the day before
PLAN_DAY = "2026-03-31"
AHT = 300.0                                  # 240 s talk + 60 s wrap-up for every call
# every day the same: 8 calls in the 09:00 interval, 4 at 09:15 (answered after 5 s), one abandon at 09:30 (30 s)
PROFILE = {"09:00": 8, "09:15": 4}


def _day_entries(day: dt.date, queue: str, hall_id: int | None, profile=PROFILE, abandon=True) -> list:
    out = []
    for label, n in profile.items():
        h, m = map(int, label.split(":"))
        for k in range(n):
            q = dt.datetime.combine(day, dt.time(h, m, k * 60 // max(n, 1)), LOCAL).timestamp()
            uuid = f"{queue}-{day}-{label}-{k}"
            kw = {"queue_code": queue, "hall_id": hall_id, "queued_at": q}
            out += [LogCallEvent(uuid, K.QUEUED, q, **kw),
                    LogCallEvent(uuid, K.ANSWERED, q + 5, agent_id=None, wait_s=5.0, duration_s=2.0, **kw),
                    LogCallEvent(uuid, K.TALK_ENDED, q + 245, wait_s=None, duration_s=240.0, **kw),
                    LogCallEvent(uuid, K.WRAP_UP_ENDED, q + 305, duration_s=60.0, **kw)]
    if abandon:
        q = dt.datetime.combine(day, dt.time(9, 30), LOCAL).timestamp()
        kw = {"queue_code": queue, "hall_id": hall_id, "queued_at": q}
        out += [LogCallEvent(f"{queue}-{day}-ab", K.QUEUED, q, **kw),
                LogCallEvent(f"{queue}-{day}-ab", K.ABANDONED, q + 30, wait_s=30.0, **kw)]
    return out


def write_history(db, queue: str, hall_id: int | None = None, **kw) -> None:
    for i in range(DAYS):
        write_batch(db, _day_entries(FIRST + dt.timedelta(days=i), queue, hall_id, **kw))
        db.commit()


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("admin_web.wfm.views.today_local", lambda: TODAY)


@pytest.fixture
def history(db, seed, today):
    db.add(Queue(code="tax", name="税收政策"))
    db.commit()
    write_history(db, "tax")
    return db


def rows(html: str) -> dict[str, dict[str, str]]:
    """{interval start: {column: text}} of the interval table."""
    out = {}
    for start, body in re.findall(r'<tr data-start="([0-9:]+)">(.*?)</tr>', html, re.S):
        out[start] = dict(re.findall(r'data-col="(\w+)">\s*([^<]*?)\s*</td>', body))
    return out


def test_plan_in_chinese_with_required_agents_of_the_forecast(as_supervisor, history):
    page = as_supervisor.get("/wfm/", query_string={"day": PLAN_DAY, "queue": "tax", "target": "service_level",
                                                    "level": "80", "seconds": "20", "model": "C", "shrinkage": "30"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "排班预测" in html and "预测呼入量" in html and "所需坐席数" in html and "排班人数" in html
    got = rows(html)
    assert set(got) == {"09:00", "09:15", "09:30"}            # every day the same: the forecast is the history
    target = ServiceLevelTarget(0.80, 20, "exclude_short", 5)   # the definitions' abandon treatment (docs/reports.md)
    for start, calls in (("09:00", 8), ("09:15", 4), ("09:30", 1)):
        expected = required_agents(calls, AHT, target, "C", shrinkage=0.30)
        assert got[start]["calls"] == f"{calls:.1f}"
        assert got[start]["aht"] == "0:05:00"                  # 09:30 had no call handled: the day's AHT
        assert int(got[start]["agents"]) == expected.agents and int(got[start]["scheduled"]) == expected.scheduled
        assert expected.scheduled > expected.agents >= 1
    assert 'id="wfm-total-calls">13<' in html
    assert 'id="wfm-wape">0.0%<' in html and 'id="wfm-bias">+0.0%<' in html    # noiseless history: no error
    assert "vendor/echarts/echarts.min.js" in html and "js/wfm.js" in html
    assert 'id="wfm-daily-data"' in html and 'id="wfm-interval-data"' in html


def test_erlang_a_uses_the_measured_patience(as_supervisor, history):
    page = as_supervisor.get("/wfm/", query_string={"day": PLAN_DAY, "queue": "", "target": "answer_rate",
                                                    "level": "95", "seconds": "15", "model": "A", "shrinkage": "0"})
    html = page.get_data(as_text=True)
    got = rows(html)
    patience = (12 * 5 + 30) / 1                               # all waits of a day / its one abandon
    assert int(got["09:00"]["agents"]) == required_agents(8, AHT, AnswerRateTarget(0.95), "A", patience).agents
    assert got["09:00"]["agents"] == got["09:00"]["scheduled"]   # no shrinkage
    assert "0:01:30" in html                                   # measured patience shown


def test_answer_rate_with_erlang_c_is_refused_in_words(as_supervisor, history):
    page = as_supervisor.get("/wfm/", query_string={"day": PLAN_DAY, "target": "answer_rate", "level": "95",
                                                    "seconds": "15", "model": "C", "shrinkage": "30"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Erlang A" in html and 'data-start=' not in html


def test_no_history_says_so_in_chinese(as_admin, today):
    page = as_admin.get("/wfm/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="wfm-no-plan"' in html and "还没有通话历史" in html
    assert 'data-start=' not in html


def test_the_past_day_shows_the_actual_calls(as_supervisor, history):
    page = as_supervisor.get("/wfm/", query_string={"day": "2026-03-20", "queue": "tax", "model": "C",
                                                    "target": "asa", "level": "80", "seconds": "20",
                                                    "shrinkage": "30"})
    html = page.get_data(as_text=True)
    assert rows(html)["09:00"]["actual"] == "8" and 'id="wfm-total-actual">13<' in html


def test_agents_may_not_plan(as_agent):
    assert as_agent.get("/wfm/").status_code == 403


def test_nav_link_for_staff(as_supervisor, today):
    assert 'href="/wfm/"' in as_supervisor.get("/").get_data(as_text=True)


def test_a_halls_supervisor_sees_only_their_halls_queues_and_calls(app, db, two_halls, today):  # noqa: F811
    sz = db.scalar(select(Hall.id).where(Hall.code == "GD-440300"))
    db.add_all([Queue(code="sz_q", name="深圳队列", hall_id=sz), Queue(code="gz_q", name="广州队列",
                                                                    hall_id=two_halls["gz"])])
    db.commit()
    write_history(db, "sz_q", two_halls["ft"])                                 # 13 requests a day in 福田区
    write_history(db, "gz_q", two_halls["gz"], profile={"10:00": 6}, abandon=False)   # 6 a day in 广州市
    boss = app.test_client()
    assert login(boss, "sz-boss").status_code == 302
    html = boss.get("/wfm/", query_string={"day": PLAN_DAY}).get_data(as_text=True)
    assert "深圳队列" in html and "广州队列" not in html and "gz_q" not in html
    assert 'id="wfm-total-calls">13<' in html and "10:00" not in rows(html)
    refused = boss.get("/wfm/", query_string={"day": PLAN_DAY, "queue": "gz_q"}).get_data(as_text=True)
    assert "data-start=" not in refused                       # not a choice for them
    province = app.test_client()
    assert login(province, "admin").status_code == 302
    html = province.get("/wfm/", query_string={"day": PLAN_DAY}).get_data(as_text=True)
    assert "广州队列" in html and 'id="wfm-total-calls">19<' in html
    assert db.scalar(select(User.hall_id).where(User.username == "admin")) is None


def test_the_page_in_english(as_supervisor, history):
    html = as_supervisor.get("/wfm/", query_string={"day": PLAN_DAY, "lang": "en"}).get_data(as_text=True)
    assert "Workforce planning" in html and "Required agents" in html and "working day" in html
    assert "排班预测" not in html


def test_a_day_the_history_cannot_forecast_is_refused_in_chinese(as_supervisor, db, seed, monkeypatch):
    """Five working days of history and a Saturday to plan: no weekend day to forecast it from, said in words."""
    monkeypatch.setattr("admin_web.wfm.views.today_local", lambda: dt.date(2026, 3, 7))
    db.add(Queue(code="tax", name="税收政策"))
    db.commit()
    for i in range(5):
        write_batch(db, _day_entries(FIRST + dt.timedelta(days=i), "tax", None))
        db.commit()
    html = as_supervisor.get("/wfm/?day=2026-03-07&queue=tax").get_data(as_text=True)
    assert "2026-03-07 之前的历史中没有可作预测依据的普通周末" in html
    assert "cannot forecast" not in html and "weekend" not in html
