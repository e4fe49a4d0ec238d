"""The floor's rows (issue 16, item 4): an action form per agent whose 示忙 keeps its reason, queues by name, a call
a supervisor joined marked, and today's signed-in time counted from when the agent really was signed in."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from admin_web.timeutil import as_utc
from engine.domain.states import AgentState, NotReadyReason
from engine.store.models import Agent, AgentRequest, AgentStateChange, AuditEntry, CallEvent, Queue, User

from .helpers import publish_queue


@pytest.fixture
def db_url(database_url):
    """The day figures are summed in SQL: on each database kind."""
    return database_url


def requests_of(db, agent_id):
    db.expire_all()
    return db.scalars(select(AgentRequest).where(AgentRequest.agent_id == agent_id).order_by(AgentRequest.id)).all()


def test_every_agent_row_has_its_own_action_form_with_the_reasons(as_supervisor, seed):
    page = as_supervisor.get("/floor/").get_data(as_text=True)
    row = page[page.index(f'<tr data-agent-id="{seed.agent_id}"'):]
    row = row[:row.index("</tr>")]
    assert "张三" in row and "1001" in row and f'action="/floor/{seed.agent_id}/action"' in row
    assert '<option value="state:not_ready:break">示忙: 小休</option>' in row
    assert '<option value="supervise:listen">监听</option>' in row


def test_a_break_forced_from_a_row_is_sent_as_not_ready_with_its_reason(as_supervisor, db, seed):
    answer = as_supervisor.post(f"/floor/{seed.agent_id}/action", data={"action": "state:not_ready:meal"},
                                follow_redirects=True)
    assert "坐席 1001 张三：“示忙: 用餐”已发送给引擎。" in answer.get_data(as_text=True)
    (row,) = requests_of(db, seed.agent_id)
    assert (row.action, row.reason, row.actor) == ("not_ready", NotReadyReason.MEAL, "super")
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "agent.state_request")).one()
    assert audit.detail == "not_ready:meal" and audit.actor == "super"


def test_an_unknown_action_is_refused_and_nothing_is_sent(as_supervisor, db, seed):
    answer = as_supervisor.post(f"/floor/{seed.agent_id}/action", data={"action": "state:not_ready"},
                                follow_redirects=True)
    assert "请为坐席选择一项操作。" in answer.get_data(as_text=True)
    assert requests_of(db, seed.agent_id) == []
    assert as_supervisor.post("/floor/9999/action", data={"action": "state:ready"}).status_code == 404


def test_joining_a_call_needs_the_supervisors_own_phone(as_supervisor, db, seed):
    answer = as_supervisor.post(f"/floor/{seed.agent_id}/action", data={"action": "supervise:whisper"},
                                follow_redirects=True)
    assert "没有设置本人分机" in answer.get_data(as_text=True) and requests_of(db, seed.agent_id) == []
    db.scalar(select(User).where(User.username == "super")).extension = "2001"
    db.commit()
    as_supervisor.post(f"/floor/{seed.agent_id}/action", data={"action": "supervise:whisper"})
    (row,) = requests_of(db, seed.agent_id)
    assert (row.action, row.argument, row.reason) == ("whisper", "2001", None)


def test_agents_may_not_act_from_the_floor(as_agent, db, seed):
    assert as_agent.post(f"/floor/{seed.agent_id}/action", data={"action": "state:logout"}).status_code == 403
    assert requests_of(db, seed.agent_id) == []


def test_queues_are_shown_by_name(as_supervisor, db, seed):
    now = dt.datetime.now(dt.timezone.utc)
    db.add(Queue(code="tax_policy", name="税收政策咨询"))
    publish_queue(db, queue_code="tax_policy", waiting=2, longest_wait_since=now - dt.timedelta(seconds=30),
                  agents_ready=1, agents_busy=0, agents_logged_in=1, updated_at=now)
    db.commit()
    (queue,) = as_supervisor.get("/floor/data.json").get_json()["queues"]
    assert (queue["queue"], queue["name"]) == ("tax_policy", "税收政策咨询")
    page = as_supervisor.get("/floor/").get_data(as_text=True)
    assert '<td title="tax_policy">税收政策咨询</td>' in page


def _day_start():
    from admin_web.timeutil import day_range
    return day_range("Asia/Shanghai")[0]


def test_signed_in_today_counts_from_when_the_agent_was_signed_in_not_from_midnight(as_supervisor, db, seed):
    """The demo's agents are created ready and log nothing until their first call: seven minutes after that,
    the floor said 2:55:xx (the hours since midnight in Beijing)."""
    now = dt.datetime.now(dt.timezone.utc)
    start = _day_start()
    created = now - dt.timedelta(minutes=7)
    agent = Agent(employee_no="1002", name="李四", extension="8002", state=AgentState.TALKING, created_at=created,
                  state_since=now - dt.timedelta(minutes=3))
    db.add(agent)
    db.flush()
    for minutes, src, dst in ((4, AgentState.READY, AgentState.RESERVED), (3, AgentState.RESERVED, AgentState.TALKING)):
        db.add(AgentStateChange(agent_id=agent.id, at=now - dt.timedelta(minutes=minutes), from_state=src,
                                to_state=dst, cause="t", actor="t"))
    seeded = db.get(Agent, seed.agent_id)       # ready for 75 s, no change logged today
    db.commit()
    figures = {a["employee_no"]: a for a in as_supervisor.get("/floor/data.json").get_json()["agents"]}
    expected = (now - max(start, created)).total_seconds()
    assert expected - 2 <= figures["1002"]["logged_in_s"] <= expected + 5
    since = (now - max(start, as_utc(seeded.state_since))).total_seconds()
    assert since - 2 <= figures["1001"]["logged_in_s"] <= since + 5
    page = as_supervisor.get("/floor/").get_data(as_text=True)
    row = page[page.index(f'<tr data-agent-id="{agent.id}"'):]
    if expected >= 420:                                  # (not in the first minutes after midnight)
        cell = re.search(r'data-f="logged_in_s">([^<]*)<', row[:row.index("</tr>")]).group(1)
        assert cell in ("6:59", "7:00", "7:01", "7:02")


def test_a_call_a_supervisor_joined_is_marked_and_the_supervisor_sees_their_own(as_supervisor, db, seed):
    now = dt.datetime.now(dt.timezone.utc)
    agent = db.get(Agent, seed.agent_id)
    agent.state, agent.state_since, agent.current_call_uuid = AgentState.TALKING, now - dt.timedelta(seconds=50), "c1"
    db.add_all([
        AgentStateChange(agent_id=agent.id, at=now - dt.timedelta(seconds=60), from_state=AgentState.READY,
                         to_state=AgentState.RESERVED, cause="offer", actor="system", call_uuid="c1"),
        AgentStateChange(agent_id=agent.id, at=now - dt.timedelta(seconds=50), from_state=AgentState.RESERVED,
                         to_state=AgentState.TALKING, cause="answered", actor="system", call_uuid="c1"),
        # on the agent's previous call: not this one
        AgentRequest(agent_id=agent.id, action="barge", actor="admin", argument="2002", result="ok",
                     requested_at=now - dt.timedelta(minutes=5), processed_at=now - dt.timedelta(minutes=5)),
    ])
    db.commit()
    (row,) = [a for a in as_supervisor.get("/floor/data.json").get_json()["agents"]]
    assert row["monitor"] is None
    db.add(AgentRequest(agent_id=agent.id, action="listen", actor="super", argument="2001", result="ok",
                        requested_at=now - dt.timedelta(seconds=20), processed_at=now - dt.timedelta(seconds=20)))
    db.commit()
    (row,) = as_supervisor.get("/floor/data.json").get_json()["agents"]
    assert (row["monitor"]["mode"], row["monitor"]["by"], row["monitor"]["label"]) == ("listen", "super", "被监听")
    page = as_supervisor.get("/floor/").get_data(as_text=True)
    assert "被监听 · super" in page
    assert "您的电话正在这些通话中：" in page and "1001 张三 (被监听)" in page
    english = as_supervisor.get("/floor/?lang=en").get_data(as_text=True)
    assert "Being listened to · super" in english and "Your phone is on these calls:" in english
    # the supervisor hangs up: the engine logs their leg leaving (supervision_ended) and the mark goes
    db.add(CallEvent(at=now - dt.timedelta(seconds=5), call_uuid="c1", kind="supervision_ended", agent_id=agent.id,
                     detail="listen", duration_s=15.0))
    db.commit()
    (row,) = as_supervisor.get("/floor/data.json").get_json()["agents"]
    assert row["monitor"] is None and "被监听 · super" not in as_supervisor.get("/floor/").get_data(as_text=True)
    db.add(AgentRequest(agent_id=agent.id, action="whisper", actor="super", argument="2001", result="ok",
                        requested_at=now - dt.timedelta(seconds=2), processed_at=now - dt.timedelta(seconds=2)))
    db.commit()                             # listening again after that: marked again
    (row,) = as_supervisor.get("/floor/data.json").get_json()["agents"]
    assert row["monitor"]["mode"] == "whisper"
    agent.state = AgentState.WRAP_UP        # the call ended: nobody is on it any more
    db.commit()
    (row,) = as_supervisor.get("/floor/data.json").get_json()["agents"]
    assert row["monitor"] is None
