"""Wallboard: the snapshot reflects what the engine published and logged; alerts when thresholds are crossed."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time

from admin_web.timeutil import day_range
from engine.domain.states import AgentState, NotReadyReason
from engine.reports.definitions import Definitions, save_definitions
from engine.domain.commands import SaveSwitchStatus
import pytest

from engine.store.models import Agent, CallEvent, EngineNode, QueueStatus, SwitchStatus, TrunkStatus
from engine.store.switch_status import save_switch_status

from .helpers import publish_queue

UTC = dt.timezone.utc


def engine_heartbeat(db, role="active", ago_s=0.0, name="cc1:100", switch_connected=None):
    """An engine's row as engine.heartbeat writes it (a heartbeat `ago_s` old; negative: still beating for the
    whole test)."""
    now = dt.datetime.now(UTC)
    row = db.get(EngineNode, name) or EngineNode(name=name)
    row.role, row.since, row.heartbeat_at = role, now - dt.timedelta(minutes=5), now - dt.timedelta(seconds=ago_s)
    row.switch_connected = switch_connected
    db.add(row)
    db.commit()


@pytest.fixture(autouse=True)
def active_engine(db):
    """The figures below are read with an engine running (its absence is the subject of its own test)."""
    engine_heartbeat(db, ago_s=-3600)


def _agent(db, no: str, state: AgentState, reason: NotReadyReason | None = None) -> None:
    db.add(Agent(employee_no=no, name=f"坐席{no}", extension=f"8{no}", state=state, not_ready_reason=reason,
                 state_since=dt.datetime.now(UTC)))


def _call(db, uuid: str, queued_ago_s: float, waited_s: float, outcome: str, now: dt.datetime) -> None:
    """A call queued `queued_ago_s` ago that was answered or abandoned after `waited_s` (as the engine logs it)."""
    queued_at = now - dt.timedelta(seconds=queued_ago_s)
    common = dict(call_uuid=uuid, direction="inbound", ani="13800138000", dnis="12366", queue_code="tax_policy",
                  queued_at=queued_at)
    db.add(CallEvent(at=queued_at, kind="queued", **common))
    db.add(CallEvent(at=queued_at + dt.timedelta(seconds=waited_s), kind=outcome, wait_s=waited_s,
                     agent_id=None, **common))


def test_snapshot_reflects_agents_queues_trunks_and_the_call_log(as_supervisor, db, seed):
    now = dt.datetime.now(UTC)
    publish_queue(db, queue_code="tax_policy", waiting=3, longest_wait_since=now - dt.timedelta(seconds=95),
                      agents_ready=1, agents_busy=1, agents_logged_in=4, updated_at=now)
    publish_queue(db, queue_code="etax", waiting=0, longest_wait_since=None, agents_ready=0, agents_busy=0,
                      agents_logged_in=0, updated_at=now)
    db.add(TrunkStatus(name="电信", channels=90, in_use=42, all_busy_since=None, updated_at=now))
    _agent(db, "2001", AgentState.NOT_READY, NotReadyReason.MEAL)
    _agent(db, "2002", AgentState.NOT_READY, NotReadyReason.MEAL)
    _agent(db, "2003", AgentState.NOT_READY, NotReadyReason.TRAINING)
    _agent(db, "2004", AgentState.TALKING)
    _agent(db, "2005", AgentState.LOGGED_OUT)
    # last 15 minutes: answered in 10 s and 30 s, abandoned after 3 s (short) and 40 s; 40 minutes ago: answered in 5 s
    _call(db, "a", 300, 10, "answered", now)
    _call(db, "b", 400, 30, "answered", now)
    _call(db, "c", 200, 3, "abandoned", now)
    _call(db, "d", 500, 40, "abandoned", now)
    _call(db, "e", 2400, 5, "answered", now)
    db.commit()

    data = as_supervisor.get("/wallboard/api/snapshot").get_json()
    states = {s["state"]: s["count"] for s in data["agents"]["states"]}
    assert states["ready"] == 1 and states["not_ready"] == 3 and states["talking"] == 1
    assert data["agents"]["logged_in"] == 5 and data["agents"]["logged_out"] == 1
    assert [(r["reason"], r["count"]) for r in data["agents"]["not_ready"]] == [("meal", 2), ("training", 1)]
    assert data["agents"]["not_ready"][0]["label"] == "用餐"
    tax = next(q for q in data["queues"] if q["queue"] == "tax_policy")
    assert tax["waiting"] == 3 and 94 <= tax["longest_wait_s"] <= 100 and tax["logged_in"] == 4
    assert data["waiting"] == 3 and data["longest_wait_s"] == tax["longest_wait_s"]
    # T = 15 s, short abandons (≤ 5 s) left out: 15 min → 1 of (2 + 2 − 1); 60 min → 2 of (3 + 2 − 1)
    m15, m60 = data["service_level"]["m15"], data["service_level"]["m60"]
    assert (m15["answered"], m15["answered_within"], m15["abandoned"], m15["abandoned_short"]) == (2, 1, 2, 1)
    assert m15["base"] == 3 and m15["percent"] == 33.3
    assert m60["base"] == 4 and m60["percent"] == 50.0
    start, _end = day_range("Asia/Shanghai")
    today = [q for q, o in ((300, "a"), (400, "b"), (200, "c"), (500, "d"), (2400, "e"))
             if now - dt.timedelta(seconds=q) >= start]
    assert data["today"]["requests"] == len(today)
    assert data["today"]["answered"] + data["today"]["abandoned"] == len(today)
    assert data["trunks"] == [{"name": "电信", "channels": 90, "in_use": 42, "all_busy": False, "all_busy_since": None,
                               "all_busy_s": 0, "stale": False}]
    assert [a["kind"] for a in data["alerts"]] == ["service_level"]       # 33.3 % is below the 80 % target
    assert data["switch"] is None                   # the engine has not published the switch yet: no line, no alert


def test_alerts_follow_the_thresholds(as_supervisor, db, seed):
    now = dt.datetime.now(UTC)
    publish_queue(db, queue_code="tax_policy", waiting=12, longest_wait_since=now - dt.timedelta(seconds=200),
                      agents_ready=0, agents_busy=8, agents_logged_in=8, updated_at=now)
    db.add(TrunkStatus(name="联通", channels=60, in_use=60, all_busy_since=now - dt.timedelta(seconds=75),
                       updated_at=now))
    _call(db, "a", 60, 4, "answered", now)          # 100 % within T: no service-level alert
    db.commit()
    data = as_supervisor.get("/wallboard/api/snapshot").get_json()
    kinds = {a["kind"]: a for a in data["alerts"]}
    assert set(kinds) == {"waiting", "trunk"}
    assert "12" in kinds["waiting"]["message"] and kinds["waiting"]["key"] == "tax_policy"
    assert "联通" in kinds["trunk"]["message"] and data["trunks"][0]["all_busy"] is True
    assert 74 <= data["trunks"][0]["all_busy_s"] <= 80
    assert data["service_level"]["m15"]["percent"] == 100.0

    save_definitions(db, Definitions(alert_waiting=20, alert_service_level=100.0, service_level_s=10,
                                     short_abandon_s=5))
    db.query(TrunkStatus).one().in_use, db.query(TrunkStatus).one().all_busy_since = 59, None
    db.commit()
    data = as_supervisor.get("/wallboard/api/snapshot").get_json()
    assert data["alerts"] == []                     # 12 waiting is under 20; 4 s is within T = 10 s
    assert data["definitions"]["alert_waiting"] == 20 and data["definitions"]["service_level_s"] == 10

    db.query(QueueStatus).one().updated_at = now - dt.timedelta(minutes=5)
    db.commit()
    assert [a["kind"] for a in as_supervisor.get("/wallboard/api/snapshot").get_json()["alerts"]] == ["stale"]


def publish_switch(db, connected=True, sps=30, max_sessions=1000, refused_recent=0, refused_total=0,
                   last_refused_ago_s=None, ago_s=0.0, exempt=False, sessions=None, sessions_last_second=None) -> None:
    """The switch's status as the engine publishes it (through the store writer)."""
    now = time.time()
    save_switch_status(db, SaveSwitchStatus(
        connected=connected, sessions_per_second=sps, max_sessions=max_sessions, exempt=exempt,
        refused_total=refused_total, refused_recent=refused_recent,
        last_refused_at=None if last_refused_ago_s is None else now - last_refused_ago_s, at=now - ago_s,
        sessions=sessions, sessions_last_second=sessions_last_second))
    db.commit()


def _snapshot(client, lang: str = "") -> dict:
    return client.get("/wallboard/api/snapshot" + (f"?lang={lang}" if lang else "")).get_json()


def test_switch_status_limits_and_refusals(as_supervisor, db, seed):
    publish_switch(db)
    data = _snapshot(as_supervisor)
    assert data["switch"] == {"connected": True, "sessions_per_second": 30, "max_sessions": 1000, "exempt": False,
                              "refused_total": 0, "refused_recent": 0, "last_refused_at": None, "stale": False,
                              "label": "交换机：已连接 · 会话速率上限 30/秒 · 最大会话 1000"}
    assert data["alerts"] == []

    publish_switch(db, refused_recent=4, refused_total=9, last_refused_ago_s=70, exempt=True)
    data = _snapshot(as_supervisor)
    last = dt.datetime.fromisoformat(data["switch"]["last_refused_at"])
    assert abs((dt.datetime.now(UTC) - last).total_seconds() - 70) < 5
    assert (data["switch"]["refused_recent"], data["switch"]["refused_total"]) == (4, 9)
    assert data["switch"]["label"] == ("交换机：已连接 · 会话速率上限 30/秒 · 最大会话 1000 · 坐席呼叫不受速率限制"
                                       " · 引擎启动以来被拒绝 9 次")
    assert data["alerts"] == [{"kind": "switch_refused", "key": "switch",
                               "message": "交换机在最近15分钟拒绝了 4 次坐席呼叫（会话速率上限 30 次/秒）"}]
    english = _snapshot(as_supervisor, "en")
    assert english["alerts"][0]["message"] == ("The switch refused 4 agent calls in the last 15 minutes "
                                               "(session rate limit 30 per second)")
    assert english["switch"]["label"].startswith("Switch: connected · session rate limit 30/s · max sessions 1000")
    as_supervisor.get("/wallboard/api/snapshot?lang=zh_CN")

    publish_switch(db, sps=None, max_sessions=None, refused_recent=2, refused_total=2, last_refused_ago_s=5)
    data = _snapshot(as_supervisor)
    assert data["switch"]["label"] == "交换机：已连接 · 引擎启动以来被拒绝 2 次"      # limits not read (yet)
    assert [a["message"] for a in data["alerts"]] == ["交换机在最近15分钟拒绝了 2 次坐席呼叫"]


def test_switch_disconnected_or_stale(as_supervisor, db, seed):
    publish_switch(db, connected=False)
    data = _snapshot(as_supervisor)
    assert data["switch"]["connected"] is False and data["switch"]["stale"] is False
    assert data["switch"]["label"].startswith("交换机：未连接")
    assert data["alerts"] == [{"kind": "switch", "key": "switch",
                               "message": "引擎未连接交换机：无法接听来电，也无法向坐席分配呼叫"}]

    # the engine stopped publishing: one `stale` alert, no claim about the connection now
    publish_switch(db, connected=False, ago_s=120)
    data = _snapshot(as_supervisor)
    assert data["switch"]["stale"] is True and data["switch"]["label"].startswith("交换机：状态未更新")
    assert [a["kind"] for a in data["alerts"]] == ["stale"]
    assert data["alerts"][0]["message"] == "引擎已超过 30 秒未发布队列、中继或交换机状态"

    # stale queue and switch status: still one `stale` alert
    now = dt.datetime.now(UTC)
    publish_queue(db, queue_code="etax", waiting=0, longest_wait_since=None, agents_ready=0, agents_busy=0,
                      agents_logged_in=0, updated_at=now - dt.timedelta(minutes=5))
    db.commit()
    assert [a["kind"] for a in _snapshot(as_supervisor)["alerts"]] == ["stale"]

    # refusals counted before the engine went quiet: shown while the last one is under 15 minutes old
    publish_switch(db, refused_recent=3, last_refused_ago_s=60, ago_s=120)
    assert [a["kind"] for a in _snapshot(as_supervisor)["alerts"]] == ["switch_refused", "stale"]
    publish_switch(db, refused_recent=3, last_refused_ago_s=16 * 60, ago_s=120)
    assert [a["kind"] for a in _snapshot(as_supervisor)["alerts"]] == ["stale"]
    assert db.query(SwitchStatus).count() == 1


def test_wallboard_needs_a_supervisor_or_admin(client, seed, as_agent):
    assert as_agent.get("/wallboard/").status_code == 403
    assert as_agent.get("/wallboard/api/snapshot").status_code == 403
    as_agent.post("/auth/logout")
    anonymous = client.get("/wallboard/api/snapshot")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert client.get("/wallboard/events").status_code == 302


def test_page_is_chinese_by_default_and_linked_from_the_console(as_admin):
    page = as_admin.get("/wallboard/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and 'data-events-url="/wallboard/events"' in page
    assert "js/wallboard.js" in page and "vendor/echarts/echarts.min.js" in page
    assert 'id="wb-switch"' in page
    assert 'href="/wallboard/"' in as_admin.get("/floor/").get_data(as_text=True)


def _events(chunks, want: int, timeout: float = 8.0) -> list[tuple[str, dict]]:
    found, buffer, deadline = [], "", time.monotonic() + timeout
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if "event" in fields:
                found.append((fields["event"], json.loads(fields["data"])))
        if len(found) >= want or time.monotonic() > deadline:
            break
    return found


def test_event_stream_pushes_a_new_snapshot_when_the_data_changes(app, as_supervisor, db, seed):
    app.config.update(WALLBOARD_POLL_S=0.1, WALLBOARD_EVENTS_LIFETIME_S=6)
    now = dt.datetime.now(UTC)
    publish_queue(db, queue_code="etax", waiting=0, longest_wait_since=None, agents_ready=1, agents_busy=0,
                      agents_logged_in=1, updated_at=now)
    db.commit()
    response = as_supervisor.get("/wallboard/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = response.iter_encoded()
    [(kind, first)] = _events(chunks, 1)
    assert kind == "snapshot" and first["waiting"] == 0

    def engine_publishes():
        publish_queue(db, queue_code="etax", waiting=2, longest_wait_since=now, agents_ready=1, agents_busy=0,
                      agents_logged_in=1, updated_at=dt.datetime.now(UTC))
        db.commit()
    timer = threading.Timer(0.3, engine_publishes)
    timer.start()
    [(kind, second)] = _events(chunks, 1)
    timer.join()
    assert kind == "snapshot" and second["waiting"] == 2 and second["queues"][0]["waiting"] == 2
    response.close()


def test_no_active_engine_is_said_first_within_seconds_and_a_standby_is_named(as_supervisor, db, seed):
    publish_switch(db)
    assert _snapshot(as_supervisor)["alerts"] == []
    engine_heartbeat(db, ago_s=4)                                  # silent for 4 s: killed
    data = _snapshot(as_supervisor)
    assert [a["kind"] for a in data["alerts"]] == ["engine"]
    assert data["alerts"][0]["message"] == "没有运行中的引擎：来电无法接听，也无法分配给坐席"
    assert data["system"]["engine_label"] == "引擎：无运行中的引擎 · 无备用引擎"
    engine_heartbeat(db, role="standby", name="cc2:200")
    data = _snapshot(as_supervisor)
    assert data["alerts"][0]["message"] == "没有运行中的引擎：来电无法接听，也无法分配给坐席；备用引擎正在接管"
    engine_heartbeat(db, role="active", name="cc2:200")
    data = _snapshot(as_supervisor)
    assert data["alerts"] == [] and data["system"]["engine_label"].endswith("（cc2:200） · 无备用引擎")
    engine_heartbeat(db, role="standby", name="cc3:300", switch_connected=True)
    engine_heartbeat(db, role="standby", name="cc4:400", switch_connected=False)     # cannot reach the switch
    data = _snapshot(as_supervisor)
    assert data["system"]["engine_label"].endswith("（cc2:200） · 2 个备用引擎，1 个连通交换机")


def test_every_page_gets_the_system_alerts_and_staff_the_engines_and_switch_load(as_supervisor, client, db, seed):
    publish_switch(db, sessions=12, sessions_last_second=3)
    data = as_supervisor.get("/system/status").get_json()
    assert data["alerts"] == [] and data["switch_label"] == "交换机：已连接 · 12 个会话 · 每秒 3/30 个会话"
    assert data["engines"][0]["role"] == "active" and data["engines"][0]["reporting"] is True
    publish_switch(db, connected=False)
    assert [a["kind"] for a in as_supervisor.get("/system/status").get_json()["alerts"]] == ["switch"]
    page = as_supervisor.get("/").get_data(as_text=True)
    assert 'id="system-alert"' in page and "system_status.js" in page
