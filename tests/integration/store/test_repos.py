"""Repositories on every database kind: demo seed, directory for the ACD, agent states, call records."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.demo import seed_demo
from engine.domain.agent import AgentStateChanged
from engine.domain.commands import SaveCallRecord
from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason
from engine.store import repos
from engine.store.models import Agent, AgentSkill, AgentStateChange, CallRecord
from engine.store.session import make_engine, make_session_factory, transaction


def test_seeded_directory_gives_the_acd_agents_skills_queues_and_numbers(sessions):
    with transaction(sessions) as s:
        agents, queues, numbers = repos.load_directory(s)
        assert seed_demo(s) is False            # idempotent
    assert len(agents) == 12 and all(a.state is AgentState.READY for a in agents)
    assert {q.code for q in queues} == {"tax_policy", "etax", "social_fee"}
    assert len(numbers) == 200 and numbers["12366"] == "tax_main" and numbers["12345"] == "citizen_main"
    wang = next(a for a in agents if a.extension == "1001")
    assert sorted(wang.skills.values()) == [6, 9]


def test_agent_state_change_updates_the_agent_and_is_logged(sessions):
    with transaction(sessions) as s:
        agent_id = s.scalar(select(Agent.id).where(Agent.extension == "1003"))
        repos.save_agent_state(s, AgentStateChanged(agent_id, 1_800_000_000.0, AgentState.RESERVED,
                                                    AgentState.NOT_READY, NotReadyReason.NO_ANSWER, "NO_ANSWER",
                                                    "system", "call-1"))
    with transaction(sessions) as s:
        agent = s.get(Agent, agent_id)
        assert (agent.state, agent.not_ready_reason, agent.current_call_uuid) == (
            AgentState.NOT_READY, NotReadyReason.NO_ANSWER, None)
        log = s.scalars(select(AgentStateChange).where(AgentStateChange.agent_id == agent_id)).one()
        assert (log.from_state, log.to_state, log.cause, log.call_uuid) == (
            AgentState.RESERVED, AgentState.NOT_READY, "NO_ANSWER", "call-1")
        assert repos.to_epoch(log.at) == 1_800_000_000.0


def test_call_record_is_written_once(sessions):
    rec = SaveCallRecord("c-1", "13800138000", "12366", "tax_main", None, None, None, 100.0, 110.0, 125.0, 400.0,
                         CallOutcome.ANSWERED, "NORMAL_CLEARING", HangupSide.CALLER, "welcome > menu", 1)
    for _ in range(2):
        with transaction(sessions) as s:
            repos.save_call_record(s, rec)
    with transaction(sessions) as s:
        rows = s.scalars(select(CallRecord)).all()
    assert len(rows) == 1 and rows[0].outcome is CallOutcome.ANSWERED
    assert repos.to_epoch(rows[0].answered_at) - repos.to_epoch(rows[0].enqueued_at) == 15.0


def test_constraints_hold_skill_levels_to_1_10(sessions):
    with pytest.raises(IntegrityError):
        with transaction(sessions) as s:
            agent_id = s.scalar(select(Agent.id).where(Agent.extension == "1002"))
            s.add(AgentSkill(agent_id=agent_id, skill_id=3, level=11))


def test_every_agent_state_and_call_outcome_fits_the_schema_and_junk_does_not(sessions):
    from sqlalchemy import text

    from engine.domain.states import AgentState, CallOutcome
    with transaction(sessions) as s:
        agent_id = s.scalar(select(Agent.id).where(Agent.extension == "1004"))
        for state in AgentState:
            repos.save_agent_state(s, AgentStateChanged(agent_id, 1.8e9, AgentState.READY, state, None, "t", "t",
                                                        None))
            s.flush()
        for n, outcome in enumerate(CallOutcome):
            repos.save_call_record(s, SaveCallRecord(f"o-{n}", "1", "2", None, None, None, None, 1.0, None, None,
                                                     2.0, outcome, "X", HangupSide.CALLER, "", 0))
            s.flush()
    with pytest.raises(IntegrityError):
        with transaction(sessions) as s:
            s.execute(text("UPDATE agents SET state = 'dancing' WHERE id = :i"), {"i": agent_id})


def test_the_pending_requests_probe_sees_a_request_from_another_connection_until_it_is_taken(database_url):
    """The engine's 4-a-second poll: a request the console commits shows at the next poll, not once taken; the
    probe's kept connection holds no snapshot that would hide later commits (PostgreSQL) and recovers when
    broken."""
    import datetime as dt

    from engine.store.models import AgentRequest
    eng = make_engine(database_url)
    factory = make_session_factory(eng)
    with transaction(factory) as s:
        seed_demo(s)
        agent_id = s.scalar(select(Agent.id).where(Agent.extension == "1001"))
    probe = repos.PendingRequestsProbe(eng)
    try:
        assert probe() is False
        with transaction(factory) as s:
            s.add(AgentRequest(agent_id=agent_id, action="ready", actor="a1001",
                               requested_at=dt.datetime.now(dt.timezone.utc)))
        assert probe() is True
        with transaction(factory) as s:
            assert len(repos.take_pending_requests(s)) == 1
        assert probe() is False
        probe._conn.driver_connection.close()        # the server went away under it: says "look", then recovers
        assert probe() is True
        assert probe() is False
    finally:
        probe.close()
        eng.dispose()


def test_a_request_a_dead_engine_took_but_never_answered_is_answered_by_the_next_one(database_url):
    """bench-failover: a hold request taken by an engine killed before its result stayed unanswered for ever."""
    import datetime as dt

    from engine.store.models import AgentRequest
    eng = make_engine(database_url)
    factory = make_session_factory(eng)
    try:
        with transaction(factory) as s:
            seed_demo(s)
            agent_id = s.scalar(select(Agent.id).where(Agent.extension == "1001"))
            for action in ("hold", "ready"):
                s.add(AgentRequest(agent_id=agent_id, action=action, actor="a1001",
                                   requested_at=dt.datetime.now(dt.timezone.utc)))
        with transaction(factory) as s:
            taken = repos.take_pending_requests(s)          # then the engine dies before answering the first
            s.get(AgentRequest, taken[1].request_id).result = "ok"
        with transaction(factory) as s:
            assert repos.answer_orphaned_requests(s) == 1
        with transaction(factory) as s:
            results = [r.result for r in s.scalars(select(AgentRequest).order_by(AgentRequest.id))]
        assert results == [repos.ORPHANED_REQUEST, "ok"]
    finally:
        eng.dispose()
