"""Supervisor floor view: queues as the engine published them, agents with today's figures."""
import datetime as dt

from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason
from engine.store.models import AgentStateChange, CallRecord

import pytest

from .helpers import publish_queue


@pytest.fixture
def db_url(database_url):
    """The floor's day figures are summed in SQL: on each database kind."""
    return database_url


def test_floor_shows_queue_status_and_each_agents_day(as_supervisor, db, seed):
    now = dt.datetime.now(dt.timezone.utc)
    publish_queue(db, queue_code="tax_policy", waiting=3, longest_wait_since=now - dt.timedelta(seconds=95),
                      agents_ready=0, agents_busy=4, agents_logged_in=5, updated_at=now)
    t0 = now - dt.timedelta(seconds=180)    # well inside today (the day starts at local midnight)
    for seconds, src, dst, reason in ((0, AgentState.LOGGED_OUT, AgentState.READY, None),
                                      (60, AgentState.READY, AgentState.NOT_READY, NotReadyReason.MEAL),
                                      (90, AgentState.NOT_READY, AgentState.READY, None)):
        db.add(AgentStateChange(agent_id=seed.agent_id, at=t0 + dt.timedelta(seconds=seconds), from_state=src,
                                to_state=dst, reason=reason, cause="t", actor="t"))
    db.add(CallRecord(call_uuid="x", ani="1", dnis="12366", agent_id=seed.agent_id, started_at=now,
                      ended_at=now, answered_at=now, outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING",
                      hangup_side=HangupSide.CALLER))
    db.commit()
    assert "现场监控" in as_supervisor.get("/floor/").get_data(as_text=True)
    data = as_supervisor.get("/floor/data.json").get_json()
    (queue,) = data["queues"]
    assert (queue["waiting"], queue["ready"], queue["busy"]) == (3, 0, 4) and 94 <= queue["longest_wait_s"] <= 100
    agent = next(a for a in data["agents"] if a["agent_id"] == seed.agent_id)
    assert agent["answered_today"] == 1 and agent["not_ready_count"] == 1
    assert 29 <= agent["not_ready_s"] <= 31 and 178 <= agent["logged_in_s"] <= 185


def test_agents_may_not_see_the_floor(as_agent):
    assert as_agent.get("/floor/data.json").status_code in (302, 401, 403)


def test_supervisors_act_on_an_agent_from_the_floor_and_come_back_to_it(as_supervisor, db, seed):
    from sqlalchemy import select

    from engine.store.models import AgentRequest, AuditEntry
    page = as_supervisor.get("/floor/").get_data(as_text=True)
    assert f'action="/floor/{seed.agent_id}/action"' in page and 'value="supervise:whisper"' in page and 'value="state:logout"' in page
    answer = as_supervisor.post(f"/agents/{seed.agent_id}/supervise", data={"mode": "whisper", "back": "floor"})
    assert answer.status_code == 302                       # refused: the supervisor has no phone of their own
    assert db.scalars(select(AgentRequest).where(AgentRequest.agent_id == seed.agent_id)).all() == []
    from engine.store.models import User
    db.scalar(select(User).where(User.username == "super")).extension = "2001"
    db.commit()
    assert "2001" in as_supervisor.get("/floor/").get_data(as_text=True)
    answer = as_supervisor.post(f"/agents/{seed.agent_id}/supervise",         # a typed extension is ignored
                                data={"mode": "whisper", "extension": "9999", "back": "floor"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/floor/")
    answer = as_supervisor.post(f"/agents/{seed.agent_id}/state", data={"command": "logout", "back": "floor"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/floor/")
    requests = db.scalars(select(AgentRequest).where(AgentRequest.agent_id == seed.agent_id)
                          .order_by(AgentRequest.id)).all()
    assert [(r.action, r.argument) for r in requests][-2:] == [("whisper", "2001"), ("logout", None)]
    assert len(db.scalars(select(AuditEntry)).all()) >= 2
