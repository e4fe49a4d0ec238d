"""One call's page: the record and every offer in order, with the strategy's reason; linked from the list."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from admin_web.timeutil import day_range
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import Agent, CallOffer, CallRecord, Callback, Queue


@pytest.fixture
def call(db, seed):
    """A call that rang agent 1002 (no answer), then was answered by 1001; started a minute into today."""
    start = day_range("Asia/Shanghai")[0] + dt.timedelta(minutes=1)
    other = Agent(employee_no="1002", name="李四", extension="8002")
    queue = Queue(code="tax", name="纳税咨询", strategy="longest_idle")
    db.add_all([other, queue])
    db.flush()
    db.add(CallRecord(call_uuid="abc-123", ani="13911112222", dnis="12366", flow="tax_main", queue_id=queue.id,
                      agent_id=seed.agent_id, started_at=start, enqueued_at=start + dt.timedelta(seconds=20),
                      answered_at=start + dt.timedelta(seconds=65), ended_at=start + dt.timedelta(seconds=160),
                      outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.AGENT,
                      ivr_path="welcome > menu > key:1 > queue:tax", offers=2, priority=1))
    db.add_all([  # stored out of order: the page sorts by time
        CallOffer(call_uuid="abc-123", agent_id=seed.agent_id, queue_code="tax",
                  offered_at=start + dt.timedelta(seconds=50), settled_at=start + dt.timedelta(seconds=65),
                  result="answered", cause="", strategy="longest_idle",
                  reason="longest_idle among 1 ready agents with skills {1: 1}: 1001 has idle since 100.000"),
        CallOffer(call_uuid="abc-123", agent_id=other.id, queue_code="tax",
                  offered_at=start + dt.timedelta(seconds=21), settled_at=start + dt.timedelta(seconds=41),
                  result="no_answer", cause="NO_ANSWER", strategy="longest_idle",
                  reason="longest_idle among 2 ready agents with skills {1: 1}: 1002 has idle since 50.000"),
        CallOffer(call_uuid="other-call", agent_id=seed.agent_id, queue_code="tax", offered_at=start,
                  settled_at=start, result="answered", strategy="top_down", reason="unrelated offer"),
    ])
    db.commit()
    return "abc-123"


def test_detail_shows_record_and_offers_in_order(as_supervisor, call):
    response = as_supervisor.get(f"/calls/{call}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "13911112222" in text and "12366" in text and "tax_main" in text and "纳税咨询" in text
    assert 'id="call-wait">0:00:45<' in text and 'id="call-talk">0:01:35<' in text
    assert "已接通" in text and "NORMAL_CLEARING" in text and "坐席" in text
    path = re.sub(r"<[^>]+>", " ", text.split("IVR 路径")[1].split("通话过程")[0])
    assert re.sub(r"\s+", " ", path).strip() == "放音 按键菜单 按 1 键 进入队列 纳税咨询"   # in words, in order
    first, second = text.index("1002 李四"), text.index("1001 张三</td>")
    assert first < second
    assert "2 位空闲坐席中" in text and "1 位空闲坐席中" in text and "has idle since" not in text
    assert "未接" in text and "NO_ANSWER" in text and "最长空闲" in text
    assert "0:00:20" in text                                # the first phone rang 20 s
    assert "unrelated offer" not in text


def test_calls_list_links_to_the_detail(as_supervisor, call):
    assert 'href="/calls/abc-123"' in as_supervisor.get("/calls/").get_data(as_text=True)


def test_offers_of_a_call_still_in_progress(as_admin, db, seed):
    now = dt.datetime.now(dt.timezone.utc)
    db.add(CallOffer(call_uuid="live-1", agent_id=seed.agent_id, queue_code="tax", offered_at=now, settled_at=now,
                     result="caller_left", cause="ORIGINATOR_CANCEL", strategy="ring_all", reason="ring all"))
    db.commit()
    text = as_admin.get("/calls/live-1").get_data(as_text=True)
    assert "尚无话单" in text and "来电方已挂机" in text and "全部振铃" in text


def test_call_never_offered_and_callback(as_admin, db, seed):
    now = dt.datetime.now(dt.timezone.utc)
    db.add(CallRecord(call_uuid="cb-call", ani="13700000000", dnis="12366", started_at=now, ended_at=now,
                      outcome=CallOutcome.CALLBACK, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.SYSTEM))
    db.add(Callback(call_uuid="cb-call", number="13700000000", queue_code="tax", enqueued_at=now, requested_at=now))
    db.commit()
    text = as_admin.get("/calls/cb-call").get_data(as_text=True)
    assert "该呼叫未分配给任何坐席" in text and "来电者申请回拨至 13700000000" in text


def test_deleted_agent_and_queue(as_admin, db, call, seed):
    db.delete(db.get(Agent, seed.agent_id))
    db.commit()
    text = as_admin.get(f"/calls/{call}").get_data(as_text=True)
    assert "（已删除的坐席）" in text


def test_unknown_call_is_404(as_admin, seed):
    assert as_admin.get("/calls/no-such-call").status_code == 404


def test_english(as_admin, call):
    text = as_admin.get(f"/calls/{call}?lang=en").get_data(as_text=True)
    assert "Offers to agents" in text and "Why this agent" in text and "No answer" in text


def test_roles(client, as_agent, call):
    assert as_agent.get(f"/calls/{call}").status_code == 403
