"""One call's page (issue 16): everything about the call in Chinese — region, hall, the timeline of the call-event log,
the IVR path as the flow's nodes and keys in words, each offer's reason rendered from its parts (never the engine's
English sentence), hold, transfers, the recording player, the survey, the wrap-up note and the work order; the
recordings list links to the call. And the one parser of the engine's offer reasons, on every shape it writes."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from admin_web.calls import reasons
from admin_web.timeutil import day_range
from engine.domain.followup import RequestType
from engine.domain.states import CallOutcome, HangupSide
from engine.store import orders as store
from engine.store.models import (Agent, CallEvent, CallNote, CallOffer, CallRecord, Queue, Recording, SurveyResult)
from .test_scope import as_user, two_halls  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc


# -- the offer reasons: one parser for the sentences engine.domain.routing / engine.acd write -----------------------
def test_a_queue_selection_is_read_into_its_parts():
    parsed = reasons.parse("深圳市、no hall busy; served by 广东省; longest_idle among 3 ready agents with skills "
                           "{1: 5, 2: 3}: 1001 has idle since 1796151549.976")
    assert (parsed.kind, parsed.strategy, parsed.ready, parsed.agent) == ("selection", "longest_idle", 3, "1001")
    assert parsed.skills == ((1, 5), (2, 3)) and parsed.detail == "idle_since" and parsed.value == 1796151549.976
    assert parsed.busy_halls == ("深圳市", "no hall") and parsed.served_by == "广东省"


@pytest.mark.parametrize("text, detail, value, after", [
    ("fewest_calls among 2 ready agents with skills {}: 1002 has 7 calls today", "calls_today", 7.0, ""),
    ("least_talk_time among 2 ready agents with skills {}: 1002 has 754 s talk today", "talk_today", 754.0, ""),
    ("top_down among 4 ready agents with skills {}: 1003 has position 2", "position", 2.0, ""),
    ("highest_skill among 4 ready agents with skills {3: 1}: 1003 has skill score 9", "skill_score", 9.0, ""),
    ("round_robin among 4 ready agents with skills {3: 1}: next after 1002", "next_after", None, "1002"),
    ("ring_all among 5 ready agents with skills {3: 1}: ring all", "ring_all", None, ""),
])
def test_every_strategys_detail_is_read(text, detail, value, after):
    parsed = reasons.parse(text)
    assert (parsed.kind, parsed.detail, parsed.value, parsed.after) == ("selection", detail, value, after)


def test_the_other_offers_and_an_unknown_sentence():
    assert reasons.parse("transferred to 1002 by request").kind == "transferred"
    assert reasons.parse("transferred to 1002 by request").agent == "1002"
    reoffer = reasons.parse("re-offered: the phone was already ringing for abc-1, whose caller hung up")
    assert reoffer.kind == "reoffered" and reoffer.caller_left
    assert not reasons.parse("re-offered: the phone was already ringing for abc-1, which another agent "
                             "answered").caller_left
    assert reasons.parse("taken over after restart").kind == "adopted"
    assert reasons.parse("outbound call").kind == "outbound"
    odd = reasons.parse("longest_idle among many agents")
    assert odd.kind == "unknown" and odd.text == "longest_idle among many agents"


def test_reasons_in_chinese(app):
    with app.test_request_context("/?lang=zh_CN"):
        offered = 1796151549.976 + 252
        text = reasons.describe(reasons.parse("longest_idle among 3 ready agents with skills {1: 5}: 1001 has idle "
                                              "since 1796151549.976"), offered, {1: "税收政策"})
        assert text == "最长空闲 · 3 位空闲坐席中 · 空闲 4 分 12 秒 · 所需技能：税收政策 5 级以上"
        tiered = reasons.describe(reasons.parse("福田区 busy; served by 深圳市; ring_all among 2 ready agents with "
                                                "skills {}: ring all"))
        assert tiered == "福田区 坐席全忙 · 由 深圳市 接听 · 全部振铃 · 2 位空闲坐席同时振铃"
        assert reasons.describe(reasons.parse("round_robin among 4 ready agents with skills {}: next after start")) \
            == "轮询 · 4 位空闲坐席中 · 按坐席顺序从头开始"
        assert reasons.describe(reasons.parse("transferred to 1002 by request")) == "应坐席转接请求，直接转给坐席 1002"
        assert reasons.describe(reasons.parse("something new")) == "something new"    # shown, never guessed


def test_the_ivr_path_follows_a_goto_into_the_next_flow(app):
    from admin_web.calls.ivrpath import in_words
    from engine.ivr.model import CollectNode, Flow, GotoNode, HangupNode, MenuNode
    first = Flow("front", "menu", {"menu": MenuNode("menu", "m.wav", "i.wav", {"1": "to_hours"}, "to_hours"),
                                   "to_hours": GotoNode("to_hours", "hours")})
    hours = Flow("hours", "menu", {"menu": CollectNode("menu", "id.wav", "i.wav", "taxpayer_id", "bye", "bye"),
                                   "bye": HangupNode("bye")}, description="办税服务厅")
    with app.test_request_context("/?lang=zh_CN"):
        words = [s.words for s in in_words("menu > no_input > invalid_key > key:1 > to_hours > menu > bye > rated:3"
                                           " > mystery:step", "front", {"front": first, "hours": hours}, {})]
    # the second "menu" is the flow gone to's node (a collect), not the first flow's menu; a key rated outside a
    # survey node says no meaning (key 3 is 基本满意 in one survey, 一般 in another)
    assert words == ["按键菜单", "未按键", "按键无效", "按 1 键", "转其他流程：办税服务厅", "收号：taxpayer_id", "挂机",
                     "评价：按 3 键", "mystery:step"]


# -- the page --------------------------------------------------------------------------------------------------------
@pytest.fixture
def flows(app, tmp_path):
    shutil.copytree(ROOT / "ivr_flows", tmp_path / "flows_here")
    app.config.update(FLOWS_DIR=str(tmp_path / "flows_here"), PROMPTS_DIR=str(tmp_path / "flows_here/prompts"))


@pytest.fixture
def rec_dir(app, tmp_path):
    root = tmp_path / "recordings"
    (root / "20261207").mkdir(parents=True)
    (root / "20261207" / "full-1.wav").write_bytes(b"RIFF0000WAVEfmt ")
    app.config["RECORDINGS_DIR"] = str(root)
    return root


@pytest.fixture
def full_call(db, seed, flows, rec_dir):
    """A 12366 call: menu key 1, queue tax_policy, rang 1002 (no answer), answered by 1001 after a tiered choice,
    held 30 s, transferred to agent 1002, rated 基本满意 (key 3), with a recording, a wrap-up note and an order."""
    start = day_range("Asia/Shanghai")[0] + dt.timedelta(minutes=5)
    at = lambda s: start + dt.timedelta(seconds=s)  # noqa: E731
    other = Agent(employee_no="1002", name="李四", extension="8002")
    queue = Queue(code="tax_policy", name="税收政策咨询", strategy="longest_idle")
    db.add_all([other, queue])
    db.flush()
    uuid = "full-1"
    db.add(CallRecord(call_uuid=uuid, ani="13800138000", dnis="12366", flow="tax_main", queue_id=queue.id,
                      agent_id=seed.agent_id, started_at=at(0), enqueued_at=at(20), answered_at=at(65),
                      ended_at=at(65 + 3725), outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING",
                      hangup_side=HangupSide.AGENT, offers=2, priority=1, transfers=1,
                      ivr_path="welcome > menu > key:1 > to_policy > queue:tax_policy > transfer:agent:1002:by 1001"
                               " > after_call > survey > rated:3 > thanks"))
    idle_since = at(50).timestamp() - 252
    db.add_all([
        CallOffer(call_uuid=uuid, agent_id=other.id, queue_code="tax_policy", offered_at=at(21), settled_at=at(41),
                  result="no_answer", cause="NO_ANSWER", strategy="longest_idle",
                  reason="longest_idle among 2 ready agents with skills {%d: 1}: 1002 has idle since %.3f"
                         % (seed.skill_ids["tax"], at(21).timestamp() - 30)),
        CallOffer(call_uuid=uuid, agent_id=seed.agent_id, queue_code="tax_policy", offered_at=at(50),
                  settled_at=at(65), result="answered", cause="", strategy="longest_idle",
                  reason="福田区 busy; served by 深圳市; longest_idle among 3 ready agents with skills {%d: 1}: 1001 has "
                         "idle since %.3f" % (seed.skill_ids["tax"], idle_since)),
    ])
    kinds = [(0, "arrived", {}), (1, "ivr_entered", {"detail": "tax_main"}),
             (20, "ivr_completed", {"private": "welcome > menu > key:1 | taxpayer_id=91440300MA5"}),
             (20, "queued", {"queue_code": "tax_policy", "value": 1}),
             (21, "offered", {"agent_id": other.id, "detail": "longest_idle"}),
             (41, "no_answer", {"agent_id": other.id, "detail": "no_answer:NO_ANSWER", "duration_s": 20.0}),
             (50, "offered", {"agent_id": seed.agent_id}),
             (65, "answered", {"agent_id": seed.agent_id, "wait_s": 45.0, "duration_s": 15.0}),
             (100, "held", {"agent_id": seed.agent_id}),
             (130, "retrieved", {"agent_id": seed.agent_id, "duration_s": 30.0}),
             (3700, "transferred", {"agent_id": seed.agent_id, "detail": "agent:1002", "duration_s": 3635.0}),
             (3780, "survey", {"value": 6, "detail": "key:3"}),
             (3790, "ended", {"detail": "answered", "duration_s": 3790.0})]
    for seconds, kind, extra in kinds:
        db.add(CallEvent(at=at(seconds), call_uuid=uuid, kind=kind, ani="13800138000", dnis="12366", **extra))
    db.add(SurveyResult(call_uuid=uuid, agent_id=seed.agent_id, queue_code="tax_policy", rating=6, rated_at=at(3780)))
    db.add(CallNote(call_uuid=uuid, agent_id=seed.agent_id, disposition="follow_up", summary="纳税人询问个税专项扣除",
                    written_at=at(3800)))
    db.add(Recording(path=str(rec_dir / "20261207" / "full-1.wav"), call_uuid=uuid, ani="13800138000", dnis="12366",
                     employee_no="1001", queue_code="tax_policy", started_at=at(65), duration_s=3725.0,
                     status="complete"))
    db.flush()
    order = store.register(db, store.Context.load(db), store.Actor("坐席"), request_type=RequestType.CONSULTATION,
                           title="个税专项扣除咨询", call_uuid=uuid, now=at(3800))
    db.commit()
    return {"uuid": uuid, "order": order.number, "order_id": order.id}


def _visible(html: str) -> str:
    """What the reader sees: the page without its tags (attributes such as a step's raw text as title go too)."""
    return re.sub(r"<[^>]+>", "|", html)


def _text(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_call_page_has_everything_about_the_call_in_chinese(as_supervisor, full_call):
    text = _text(as_supervisor, f"/calls/{full_call['uuid']}")
    assert 'id="call-region">北京市<' in text
    assert "12366 纳税缴费服务热线主流程" in text
    assert 'id="call-wait">0:00:45<' in text and 'id="call-talk">1:02:05<' in text      # h:mm:ss
    assert re.search(r'id="call-hold">0:00:30 <span class="muted">\(1 次\)', text)
    assert 'id="call-transfers">1<' in text
    assert re.search(r'id="call-survey">基本满意 ', text)
    # the IVR path: the flow's nodes and the keys pressed, in words
    path = re.findall(r'<li title="([^"]*)">([^<]*)</li>', text)
    assert path[:5] == [("welcome", "放音"), ("menu", "按键菜单"), ("key:1", "按 1 键"),
                        ("to_policy", "转人工（排队）：税收政策咨询"), ("queue:tax_policy", "进入队列 税收政策咨询")]
    assert ("transfer:agent:1002:by 1001", "坐席 1001 将呼叫转给坐席 1002") in path
    assert ("rated:3", "评价：按 3 键（基本满意）") in path
    assert "taxpayer_id" in text and "91440300MA5" in text                   # the data the IVR collected
    # each offer's reason from its parts
    assert "福田区 坐席全忙 · 由 深圳市 接听 · 最长空闲 · 3 位空闲坐席中 · 空闲 4 分 12 秒 · 所需技能：税收政策 1 级以上" in text
    assert "空闲 30 秒" in text
    assert text.index("1002 李四") < text.index("1001 张三</td>")
    # the timeline, in words
    for words in ("来电到达", "进入语音导航", "坐席未接", "1002 李四 · 未接 · NO_ANSWER · 振铃 0:00:20",
                  "保持通话", "取回通话", "保持 0:00:30", "转接", "坐席 1002", "满意度评价", "呼叫结束", "全程 1:03:10"):
        assert words in text, words
    # the recording player, the wrap-up note, the work order
    assert re.search(r'<audio controls preload="none" src="/recordings/\d+/audio">', text)
    assert "需跟进（工单）" in text and "纳税人询问个税专项扣除" in text
    assert f'href="/orders/{full_call["order_id"]}"' in text and full_call["order"] in text and "个税专项扣除咨询" in text
    # no English sentence and no engine code on the Chinese page
    seen = _visible(text)
    for code in ("longest_idle", "idle since", "ready agents", "served by", "busy;", "no_answer", "key:1",
                 "queue:tax_policy", "|to_policy|", "transfer:agent", "rated:3", "ivr_completed", "follow_up"):
        assert code not in seen, code


def test_an_abandon_while_ringing_reads_in_chinese(as_supervisor, db, seed):
    start = day_range("Asia/Shanghai")[0] + dt.timedelta(minutes=7)
    db.add(CallRecord(call_uuid="gone-1", ani="13911112222", dnis="12366", started_at=start,
                      enqueued_at=start + dt.timedelta(seconds=5), ended_at=start + dt.timedelta(seconds=47),
                      outcome=CallOutcome.ABANDONED, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER))
    db.add(CallEvent(at=start + dt.timedelta(seconds=47), call_uuid="gone-1", kind="abandoned", agent_id=seed.agent_id,
                     wait_s=42.0, detail="ringing"))
    db.commit()
    text = _text(as_supervisor, "/calls/gone-1")
    assert "来电者排队时挂机" in text and "坐席话机振铃时 (1001 张三) · 等待 0:00:42" in text
    assert "ringing" not in _visible(text) and "abandoned" not in _visible(text)
    assert "该呼叫没有录音。" in text and "该呼叫没有话后小结。" in text and "该呼叫未登记工单。" in text
    assert 'id="call-survey">未评价<' in text


def test_the_page_in_english(as_supervisor, full_call):
    text = _text(as_supervisor, f"/calls/{full_call['uuid']}?lang=en")
    assert "served by 深圳市" in text and "idle 4 min 12 s" in text and "Pressed 1" in text


def test_the_recordings_list_links_each_recording_to_its_call(as_supervisor, full_call):
    text = _text(as_supervisor, "/recordings/")
    assert f'href="/calls/{full_call["uuid"]}"' in text
    assert "<th>播放</th><th>来源呼叫</th>" in text
    assert "<th>录音中</th>" not in text and "源文件" not in text


def test_a_hall_supervisor_never_opens_another_halls_call(app, db, two_halls):  # noqa: F811
    now = dt.datetime.now(UTC)
    for uuid in ("gz-call", "gz-live"):     # offers carry no hall: they alone never open a call to a hall's user
        db.add(CallOffer(call_uuid=uuid, agent_id=two_halls["gz_agent"], queue_code="tax", offered_at=now,
                         settled_at=now, result="answered", strategy="ring_all", reason="x"))
    db.commit()
    sz, gz = as_user(app, "sz-boss"), as_user(app, "gz-boss")
    assert sz.get("/calls/gz-live").status_code == 404
    assert as_user(app, "super").get("/calls/gz-live").status_code == 200           # the province's staff see it
    assert sz.get("/calls/gz-call").status_code == 404
    assert gz.get("/calls/sz-call").status_code == 404
    text = _text(sz, "/calls/sz-call")
    assert 'id="call-hall">福田区<' in text and 'id="call-region">北京市<' in text


def test_a_call_still_in_progress_shows_what_the_log_has(as_supervisor, db, seed, flows):
    now = dt.datetime.now(UTC)
    for kind, extra in (("arrived", {}), ("ivr_entered", {"detail": "tax_main"}),
                        ("ivr_completed", {"private": "welcome > menu > key:2 > to_etax | taxpayer_id=123"}),
                        ("queued", {"queue_code": "etax"})):
        db.add(CallEvent(at=now, call_uuid="live-2", kind=kind, ani="075583331234", dnis="12366", **extra))
    db.commit()
    text = _text(as_supervisor, "/calls/live-2")
    assert "尚无话单" in text
    assert [w for _raw, w in re.findall(r'<li title="([^"]*)">([^<]*)</li>', text)] == [
        "放音", "按键菜单", "按 2 键", "转人工（排队）：etax"]
    assert "taxpayer_id" in text and "来电到达" in text and "进入队列" in text
