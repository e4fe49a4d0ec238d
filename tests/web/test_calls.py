"""Today's calls: today's records only, newest first, filter, counts, pagination; and the dashboard totals."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from admin_web.timeutil import day_range
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import CallRecord, Queue

_uuid = itertools.count(1)


def call(when: dt.datetime, outcome: CallOutcome, *, ani="13800000000", agent_id=None, queue_id=None,
         wait=12, talk=95) -> CallRecord:
    """A call record started at `when` that queued `wait` s and (if answered) talked `talk` s."""
    answered = outcome is CallOutcome.ANSWERED
    enqueued = when + dt.timedelta(seconds=20)
    answered_at = enqueued + dt.timedelta(seconds=wait) if answered else None
    ended = (answered_at + dt.timedelta(seconds=talk)) if answered else enqueued + dt.timedelta(seconds=wait)
    return CallRecord(call_uuid=f"uuid-{next(_uuid)}", ani=ani, dnis="12366", queue_id=queue_id, agent_id=agent_id,
                      started_at=when, enqueued_at=enqueued, answered_at=answered_at, ended_at=ended,
                      outcome=outcome, hangup_cause="NORMAL_CLEARING",
                      hangup_side=HangupSide.CALLER if not answered else HangupSide.AGENT)


@pytest.fixture
def today_start():
    """Start of today in the console's zone (Asia/Shanghai), as UTC."""
    return day_range("Asia/Shanghai")[0]


@pytest.fixture
def calls(db, seed, today_start):
    queue = Queue(code="tax", name="纳税咨询")
    db.add(queue)
    db.flush()
    db.add_all([
        call(today_start + dt.timedelta(minutes=1), CallOutcome.ANSWERED, ani="13911112222",
             agent_id=seed.agent_id, queue_id=queue.id, wait=12, talk=95),
        call(today_start + dt.timedelta(minutes=2), CallOutcome.ABANDONED, ani="13933334444", queue_id=queue.id,
             wait=40),
        call(today_start - dt.timedelta(hours=1), CallOutcome.ANSWERED, ani="13700009999"),  # yesterday
    ])
    db.commit()


def test_shows_todays_calls_not_yesterdays(as_supervisor, calls):
    text = as_supervisor.get("/calls/").get_data(as_text=True)
    assert "13911112222" in text and "13933334444" in text
    assert "13700009999" not in text
    assert text.index("13933334444") < text.index("13911112222")  # newest first
    assert "纳税咨询" in text and "1001 张三" in text
    assert "0:12" in text and "1:35" in text  # wait and talk of the answered call
    assert "NORMAL_CLEARING" in text and "主叫" in text
    assert 'id="answered-today">1<' in text and 'id="abandoned-today">1<' in text


def test_filter_by_outcome(as_supervisor, calls):
    text = as_supervisor.get("/calls/?outcome=abandoned").get_data(as_text=True)
    assert "13933334444" in text and "13911112222" not in text
    assert 'id="answered-today">1<' in text  # the counts stay for the whole day


def test_bad_filter_shows_everything(as_supervisor, calls):
    text = as_supervisor.get("/calls/?outcome=bogus&page=x").get_data(as_text=True)
    assert "13933334444" in text and "13911112222" in text


def test_pagination(app, as_supervisor, calls):
    app.config["CALLS_PER_PAGE"] = 1
    first = as_supervisor.get("/calls/").get_data(as_text=True)
    assert "13933334444" in first and "13911112222" not in first and "第 1 页，共 2 页" in first
    second = as_supervisor.get("/calls/?page=2").get_data(as_text=True)
    assert "13911112222" in second and "13933334444" not in second


def test_no_calls(as_supervisor, seed):
    assert "今日暂无呼叫" in as_supervisor.get("/calls/").get_data(as_text=True)


def test_dashboard_totals(as_admin, calls):
    text = as_admin.get("/").get_data(as_text=True)
    assert 'id="answered-today">1<' in text and 'id="abandoned-today">1<' in text
    assert "50.0%" in text


def test_day_range_is_the_local_day():
    noon_utc = dt.datetime(2025, 3, 1, 4, 0, tzinfo=dt.timezone.utc)  # 12:00 in Beijing
    start, end = day_range("Asia/Shanghai", noon_utc)
    assert start == dt.datetime(2025, 2, 28, 16, 0, tzinfo=dt.timezone.utc)
    assert end - start == dt.timedelta(days=1)
    late = dt.datetime(2025, 3, 1, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 on 2 March in Beijing
    assert day_range("Asia/Shanghai", late)[0] == dt.datetime(2025, 3, 1, 16, 0, tzinfo=dt.timezone.utc)
