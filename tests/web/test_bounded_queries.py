"""Bounded queries (issue 14, item 3): a console page or API answer costs the rows it shows, not the history behind
them. Each test asks for a page, then adds as much history again as the page must not read (earlier days, other
agents, other numbers) and asks again: the database work of the page's statements on the history tables, counted
in SQLite virtual-machine steps over their whole result (as PostgreSQL computes it), must not grow with it. The
lists' pagers and tiles count every row they total (an index-only count); those tests leave the counts out.

Also what a user sees of the same fixes: the voice messages paged across new and handled ones, and a recordings
page number past the last page showing the last page."""
from __future__ import annotations

import base64
import datetime as dt
import itertools
import re
import sqlite3

import pytest
from sqlalchemy import event, insert

from admin_web.auth.services import create_user
from admin_web.timeutil import day_range
from engine.domain.states import AgentState, CallOutcome, HangupSide, Role
from engine.store.models import (Agent, AgentRequest, AgentStateChange, Callback, CallOffer, CallRecord, Queue,
                                 Recording, Voicemail)

from .helpers import PASSWORD

UTC = dt.timezone.utc
HISTORY_TABLES = ("agent_state_changes", "agent_requests", "call_records", "call_offers", "callbacks", "voicemails",
                  "recordings", "call_events")
HISTORY = re.compile(r"\b(" + "|".join(HISTORY_TABLES) + r")\b")
TOTAL = re.compile(r"^\s*SELECT\s+(\w+\.\w+,\s*)?count\(\*\)", re.IGNORECASE)     # a pager's or a tile's count
ADDED = 400             # rows of each kind the page must not read, added between the two measurements
_serial = itertools.count()


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(UTC)


@pytest.fixture
def today(now) -> tuple[dt.datetime, dt.datetime]:
    """Two moments of today on the console's wall clock, before now."""
    start, _end = day_range("Asia/Shanghai")
    return start + (now - start) / 3, start + (now - start) * 2 / 3


@pytest.fixture
def other_id(db, seed) -> int:
    """A second agent (1002) with a login, and the queue the calls went through."""
    agent = Agent(employee_no="1002", name="李四", extension="8002", state=AgentState.READY)
    db.add_all([agent, Queue(code="tax", name="纳税咨询")])
    db.flush()
    create_user(db, "agent1002", PASSWORD, Role.AGENT, agent_id=agent.id)
    db.commit()
    return agent.id


@pytest.fixture
def work(app, db_url):
    """work(client, url, headers=None, totals=True): the SQLite steps the request's statements on the history
    tables take, each run again to its last row on a connection of its own."""
    path = db_url.removeprefix("sqlite:///")
    engine = app.extensions["db_engine"]

    def measure(client, url: str, headers: dict | None = None, totals: bool = True) -> int:
        statements = []

        def capture(_conn, _cursor, statement, parameters, _context, _many):
            if statement.lstrip().upper().startswith("SELECT") and HISTORY.search(statement):
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            response = client.get(url, headers=headers or {})
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert statements, f"{url} read no history table"
        steps = [0]

        def step() -> int:
            steps[0] += 1
            return 0

        connection = sqlite3.connect(path)
        connection.set_progress_handler(step, 1)
        try:
            for statement, parameters in statements:
                if totals or not TOTAL.match(statement):
                    connection.execute(statement, parameters).fetchall()
        finally:
            connection.close()
        return steps[0]

    return measure


def assert_bounded(before: int, after: int) -> None:
    """Not even one step for every four rows added: a scan reads each row in several steps."""
    assert after - before < ADDED / 4, f"{before} steps, then {after} with {ADDED} more rows of history"


def basic(username: str) -> dict:
    """The CTI API's basic authentication with the console password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()}


def _uuid(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def add_state_changes(db, agent_id: int, start: dt.datetime, n: int = ADDED,
                      gap: dt.timedelta = dt.timedelta(minutes=1)) -> None:
    """n changes of the agent from `start`, `gap` apart: signed in, ready, talking on a call, wrap-up..."""
    cycle = (AgentState.LOGGED_OUT, AgentState.READY, AgentState.TALKING, AgentState.WRAP_UP, AgentState.READY,
             AgentState.LOGGED_OUT)
    db.execute(insert(AgentStateChange), [
        {"agent_id": agent_id, "at": start + gap * i, "from_state": cycle[i % 5],
         "to_state": cycle[i % 5 + 1], "cause": "", "actor": "system",
         "call_uuid": _uuid("old") if cycle[i % 5 + 1] is AgentState.TALKING else None} for i in range(n)])
    db.commit()


def add_requests(db, agent_id: int, start: dt.datetime, n: int = ADDED, action: str = "ready") -> None:
    db.execute(insert(AgentRequest), [
        {"agent_id": agent_id, "action": action, "actor": "agent", "requested_at": start + dt.timedelta(minutes=i),
         "processed_at": start + dt.timedelta(minutes=i, seconds=1), "result": "ok", "argument": None, "note": ""}
        for i in range(n)])
    db.commit()


def add_calls(db, agent_id: int | None, start: dt.datetime, n: int = ADDED,
              gap: dt.timedelta = dt.timedelta(minutes=1)) -> None:
    """n answered calls from `start`, `gap` apart."""
    db.execute(insert(CallRecord), [
        {"call_uuid": _uuid("call"), "ani": "13700000000", "dnis": "12366", "agent_id": agent_id,
         "started_at": start + gap * i, "answered_at": start + gap * i + dt.timedelta(seconds=5),
         "ended_at": start + gap * i + dt.timedelta(seconds=60), "outcome": CallOutcome.ANSWERED,
         "hangup_cause": "NORMAL_CLEARING", "hangup_side": HangupSide.CALLER} for i in range(n)])
    db.commit()


def add_recordings(db, start: dt.datetime, n: int = ADDED, ani: str = "13700000000",
                   employee_no: str = "1002", agent_id: int | None = None) -> None:
    db.execute(insert(Recording), [
        {"path": f"/recordings/{uuid}.wav", "call_uuid": uuid, "ani": ani, "dnis": "12366", "extension": "8002",
         "agent_id": agent_id, "employee_no": employee_no, "queue_code": "tax",
         "started_at": start + dt.timedelta(minutes=i), "status": "complete"}
        for i, uuid in enumerate(_uuid("rec") for _ in range(n))])
    db.commit()


def add_voicemails(db, start: dt.datetime, n: int = ADDED, status: str = "handled") -> None:
    db.execute(insert(Voicemail), [
        {"call_uuid": uuid, "ani": "13700000000", "dnis": "12366", "queue_code": "tax",
         "recorded_at": start + dt.timedelta(minutes=i), "file_path": f"voicemail/{uuid}.wav", "status": status}
        for i, uuid in enumerate(_uuid("vm") for _ in range(n))])
    db.commit()


def add_callbacks(db, start: dt.datetime, n: int = ADDED, status: str = "done") -> None:
    db.execute(insert(Callback), [
        {"call_uuid": uuid, "number": "13700000000", "queue_code": "tax",
         "enqueued_at": start + dt.timedelta(minutes=i), "requested_at": start + dt.timedelta(minutes=i, seconds=30),
         "status": status, "attempts": 1}
        for i, uuid in enumerate(_uuid("cb") for _ in range(n))])
    db.commit()


# --- live pages: the floor, the agents page, the CTI API -------------------------------------------------------------

def test_the_floor_view_reads_todays_state_changes_and_calls_not_the_whole_log(as_admin, db, seed, other_id, work,
                                                                                today, now):
    add_state_changes(db, seed.agent_id, today[0], 20, gap=(today[1] - today[0]) / 20)
    add_calls(db, seed.agent_id, today[0], 20, gap=(today[1] - today[0]) / 20)
    before = work(as_admin, "/floor/data.json")
    for agent_id in (seed.agent_id, other_id):
        add_state_changes(db, agent_id, now - dt.timedelta(days=30), ADDED // 2)
        add_calls(db, agent_id, now - dt.timedelta(days=30), ADDED // 2)
    after = work(as_admin, "/floor/data.json")
    assert_bounded(before, after)
    figures = as_admin.get("/floor/data.json").get_json()
    assert {a["employee_no"]: a["answered_today"] for a in figures["agents"]} == {"1001": 20, "1002": 0}


def test_the_agents_page_polls_the_last_minutes_requests_only(as_supervisor, db, seed, other_id, work, now):
    add_requests(db, seed.agent_id, now - dt.timedelta(seconds=30), 1)
    before = work(as_supervisor, "/agents/state.json")
    add_requests(db, other_id, now - dt.timedelta(days=10))
    after = work(as_supervisor, "/agents/state.json")
    assert_bounded(before, after)
    agents = {a["id"]: a for a in as_supervisor.get("/agents/state.json").get_json()["agents"]}
    assert agents[seed.agent_id]["request"]["result"] == "ok" and agents[other_id]["request"] is None


@pytest.fixture
def conference(db, seed, other_id, now) -> str:
    """Agent 1001 in a conference on a call agent 1002 answered first and transferred to them with a note."""
    uuid, start = "live-call", now - dt.timedelta(minutes=4)
    agent = db.get(Agent, seed.agent_id)
    agent.state, agent.state_since, agent.current_call_uuid = AgentState.TALKING, start, uuid
    db.add_all([
        Recording(path=f"/recordings/{uuid}.wav", call_uuid=uuid, ani="13800000001", dnis="12366",
                  extension="8001", agent_id=seed.agent_id, employee_no="1001", queue_code="tax",
                  started_at=start + dt.timedelta(seconds=70)),
        CallOffer(call_uuid=uuid, agent_id=other_id, queue_code="tax", offered_at=start, result="answered",
                  settled_at=start + dt.timedelta(seconds=5), strategy="longest_idle"),
        AgentRequest(agent_id=other_id, action="transfer", actor="agent1002", requested_at=start + dt.timedelta(
            seconds=30), processed_at=start + dt.timedelta(seconds=31), result="ok", argument="agent:1001",
            note="问发票"),
        CallOffer(call_uuid=uuid, agent_id=seed.agent_id, queue_code="tax", offered_at=start + dt.timedelta(
            seconds=60), result="answered", settled_at=start + dt.timedelta(seconds=70), strategy="longest_idle"),
        AgentStateChange(agent_id=seed.agent_id, at=start + dt.timedelta(seconds=60), from_state=AgentState.READY,
                         to_state=AgentState.RESERVED, call_uuid=uuid),
        AgentStateChange(agent_id=seed.agent_id, at=start + dt.timedelta(seconds=70), from_state=AgentState.RESERVED,
                         to_state=AgentState.TALKING, call_uuid=uuid),
        AgentRequest(agent_id=seed.agent_id, action="consult", actor="agent1001", argument="number:13900000009",
                     requested_at=start + dt.timedelta(seconds=90), result="ok"),
        AgentRequest(agent_id=seed.agent_id, action="conference", actor="agent1001",
                     requested_at=start + dt.timedelta(seconds=120), result="ok"),
    ])
    db.commit()
    return uuid


def test_the_cti_call_card_reads_this_call_not_the_agents_history(client, db, seed, other_id, conference, work,
                                                                  now):
    headers = basic("agent1001")
    before = work(client, "/api/v1/me", headers)
    earlier = now - dt.timedelta(days=20)
    for agent_id in (seed.agent_id, other_id):
        add_state_changes(db, agent_id, earlier, ADDED // 2)
    add_requests(db, seed.agent_id, earlier, ADDED // 4, action="consult")      # consultations of earlier calls
    add_requests(db, seed.agent_id, earlier + dt.timedelta(days=5), ADDED // 4)
    add_requests(db, other_id, earlier, ADDED // 2, action="transfer")
    after = work(client, "/api/v1/me", headers)
    assert_bounded(before, after)
    call = client.get("/api/v1/me", headers=headers).get_json()["call"]
    assert call["uuid"] == conference and call["caller"] == "13800000001"
    assert call["consult"] == {"target": "number:13900000009", "conference": True}
    assert call["transferred_from"]["employee_no"] == "1002" and call["transferred_from"]["note"] == "问发票"


def test_the_cti_day_figures_read_the_agents_own_calls(client, db, seed, other_id, work, today, now):
    headers = basic("agent1001")
    add_calls(db, seed.agent_id, today[0], 3, gap=(today[1] - today[0]) / 3)
    before = work(client, "/api/v1/me/calls/today", headers)
    add_calls(db, other_id, today[0], ADDED // 2, gap=(today[1] - today[0]) / ADDED)     # the floor's day
    add_calls(db, seed.agent_id, now - dt.timedelta(days=30), ADDED // 2)
    after = work(client, "/api/v1/me/calls/today", headers)
    assert_bounded(before, after)
    assert client.get("/api/v1/me/calls/today", headers=headers).get_json()["answered"] == 3


# --- lists ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/recordings/?number=13800000001", "/recordings/?agent=1001"])
def test_a_recordings_search_without_dates_reads_the_matches_only(as_supervisor, db, seed, other_id, work, now,
                                                                   url):
    add_recordings(db, now - dt.timedelta(days=2), 3, ani="13800000001", employee_no="1001", agent_id=seed.agent_id)
    before = work(as_supervisor, url)
    add_recordings(db, now - dt.timedelta(days=400), ADDED // 2, agent_id=other_id)        # other callers, agents
    add_recordings(db, now - dt.timedelta(hours=10), ADDED // 2, agent_id=other_id)
    after = work(as_supervisor, url)
    assert_bounded(before, after)
    assert "共找到 3 条录音" in as_supervisor.get(url).get_data(as_text=True)


def test_the_callbacks_list_reads_one_page_of_rows(app, as_supervisor, db, seed, other_id, work, now):
    app.config["LIST_PER_PAGE"] = 5
    add_callbacks(db, now - dt.timedelta(hours=1), 8, status="pending")
    before = work(as_supervisor, "/callbacks/", totals=False)
    add_callbacks(db, now - dt.timedelta(days=90))
    after = work(as_supervisor, "/callbacks/", totals=False)
    assert_bounded(before, after)
    page = as_supervisor.get("/callbacks/").get_data(as_text=True)
    assert "第 1 页，共 82 页" in page and 'href="/callbacks/?page=2"' in page


@pytest.mark.parametrize("url", ["/voicemails/", "/voicemails/?status=handled", "/voicemails/?page=2"])
def test_the_voicemail_list_reads_one_page_of_rows(app, as_supervisor, db, seed, other_id, work, now, url):
    app.config["LIST_PER_PAGE"] = 5
    add_voicemails(db, now - dt.timedelta(days=3), 8, status="handled")
    add_voicemails(db, now - dt.timedelta(days=2), 8, status="new")
    before = work(as_supervisor, url, totals=False)
    add_voicemails(db, now - dt.timedelta(hours=20), ADDED, status="new")         # newer than every handled one
    after = work(as_supervisor, url, totals=False)
    assert_bounded(before, after)


# --- what a user sees -------------------------------------------------------------------------------------------------

def test_voice_messages_are_paged_new_first_across_the_handled_ones(app, as_supervisor, db, seed, other_id, now):
    app.config["LIST_PER_PAGE"] = 2
    db.add_all([Voicemail(call_uuid=f"vm-{i}", ani=f"1380000000{i}", dnis="12366", queue_code="tax",
                          recorded_at=now - dt.timedelta(minutes=10 - i), file_path=f"voicemail/vm-{i}.wav",
                          status=status) for i, status in enumerate(("new", "handled", "new", "handled", "new"))])
    db.commit()

    def shown(url: str) -> list[str]:
        return re.findall(r'<td class="mono">(1380000000\d)</td>', as_supervisor.get(url).get_data(as_text=True))

    # new messages, newest first, then the handled ones, newest first: one page after the other
    assert shown("/voicemails/") == ["13800000004", "13800000002"]
    assert shown("/voicemails/?page=2") == ["13800000000", "13800000003"]
    assert shown("/voicemails/?page=3") == ["13800000001"]
    assert shown("/voicemails/?page=9") == ["13800000001"]                      # past the end: the last page
    assert shown("/voicemails/?status=handled") == ["13800000003", "13800000001"]
    assert shown("/voicemails/?status=new&page=2") == ["13800000000"]
    text = as_supervisor.get("/voicemails/?page=2").get_data(as_text=True)
    assert "第 2 页，共 3 页" in text and 'href="/voicemails/?page=3"' in text and 'href="/voicemails/?page=1"' in text


def test_a_recordings_page_past_the_last_shows_the_last_page(app, as_supervisor, db, seed, now):
    app.config["LIST_PER_PAGE"] = 2
    add_recordings(db, now - dt.timedelta(hours=3), 3, ani="13800000001", employee_no="1001", agent_id=seed.agent_id)
    text = as_supervisor.get("/recordings/?number=13800000001&page=99").get_data(as_text=True)
    assert "第 2 页，共 2 页" in text and text.count('name="ids" value=') == 1
    assert 'href="/recordings/?page=1&amp;number=13800000001"' in text
