"""ACD behaviour through the real ESL path: console requests, overflow, maximum wait, restart survival."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update

from engine.bootstrap import Engine
from engine.domain.events import AgentRequest as AgentRequestEvent
from engine.domain.states import AgentState, CallOutcome, NotReadyReason
from engine.store.base import utcnow
from engine.store.models import Agent, AgentRequest, AgentStateChange, CallOffer, Queue
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import read, record_of, set_not_ready


def write(db_url, fn):
    from engine.store.session import make_engine, make_session_factory, transaction
    eng = make_engine(db_url)
    try:
        with transaction(make_session_factory(eng)) as session:
            return fn(session)
    finally:
        eng.dispose()


def request(db_url, extension, action, reason=None, actor="supervisor"):
    def add(s):
        agent_id = s.scalar(select(Agent.id).where(Agent.extension == extension))
        row = AgentRequest(agent_id=agent_id, action=action, reason=reason, actor=actor, requested_at=utcnow())
        s.add(row)
        s.flush()
        return row.id
    return write(db_url, add)


def test_a_supervisor_request_from_the_console_changes_the_agent_and_is_answered(engine, db_url):
    req = request(db_url, "1003", "not_ready", NotReadyReason.MEETING)
    row = wait_until(lambda: read(db_url, lambda s: s.get(AgentRequest, req) if s.get(AgentRequest, req).result
                                  else None), 10, "the request to be carried out")
    assert row.result == "ok"
    agent = read(db_url, lambda s: s.scalars(select(Agent).where(Agent.extension == "1003")).one())
    assert (agent.state, agent.not_ready_reason) == (AgentState.NOT_READY, NotReadyReason.MEETING)
    log = read(db_url, lambda s: s.scalars(select(AgentStateChange).where(
        AgentStateChange.agent_id == agent.id)).all())
    assert [(r.to_state, r.actor) for r in log] == [(AgentState.NOT_READY, "supervisor")]
    refused = request(db_url, "1003", "not_ready")          # no reason given
    row = wait_until(lambda: read(db_url, lambda s: s.get(AgentRequest, refused) if s.get(
        AgentRequest, refused).result else None), 10, "the refusal")
    assert row.result.startswith("refused:") and "needs a not-ready reason" in row.result


def test_a_call_nobody_in_its_queue_can_take_overflows_to_the_next_queue(sim, engine, db_url):
    write(db_url, lambda s: s.execute(update(Queue).where(Queue.code == "social_fee").values(
        overflow_rules=json.dumps([{"after_s": 1, "action": "overflow", "queue": "tax_policy"}]))))
    engine.reload_directory()
    set_not_ready(engine, ["1005", "1009", "1010", "1011", "1012"])       # every social-fee agent
    uuid = sim.place_call(did="12366", digits="3", talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED and "queue:social_fee > overflow:tax_policy" in rec.ivr_path
    offers = read(db_url, lambda s: s.scalars(select(CallOffer).where(CallOffer.call_uuid == uuid)).all())
    assert [(o.queue_code, o.result) for o in offers] == [("tax_policy", "answered")]
    assert offers[0].reason == "served by 广东省; " + offers[0].reason.split("; ", 1)[1] and "longest_idle among" in offers[0].reason


def test_a_caller_waiting_past_the_maximum_hears_all_busy_and_is_released(sim, engine, db_url):
    write(db_url, lambda s: s.execute(update(Queue).where(Queue.code == "etax").values(max_wait_s=1)))
    engine.reload_directory()
    set_not_ready(engine, ["1001", "1006", "1007", "1008", "1009"])
    uuid = sim.place_call(did="12366", digits="2")
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    assert rec.outcome is CallOutcome.TIMED_OUT and rec.ivr_path.endswith("max_wait")
    assert any("all_busy.wav" in c["command"] for c in sim.commands())


def test_agent_states_survive_an_engine_restart(sim, engine, engine_config, db_url):
    set_not_ready(engine, ["1002"], "training")
    wait_until(lambda: read(db_url, lambda s: s.scalars(select(Agent).where(Agent.extension == "1002")).one()
                            .state is AgentState.NOT_READY), 10, "the state to be stored")
    engine.stop()
    second = Engine(engine_config, directory_reload_s=0.3)
    second.start()
    try:
        wait_until(lambda: second.center.floor.directory_loaded, 10, "the directory")
        agent = next(a for a in second.center.floor.agents.values() if a.extension == "1002")
        assert (agent.state, agent.reason) == (AgentState.NOT_READY, NotReadyReason.TRAINING)
        wait_until(lambda: second.switch.connected, 10, "the switch")
        uuid = sim.place_call(did="12366", digits="1", talk_time=1.0)
        rec = wait_until(lambda: record_of(db_url, uuid), 30, "a call answered after the restart")
        assert rec.outcome is CallOutcome.ANSWERED and rec.agent_id != agent.agent_id
    finally:
        second.stop()


def _waiting_options(db_url, engine):
    write(db_url, lambda s: s.execute(update(Queue).where(Queue.code == "social_fee").values(
        callback_key="1", voicemail_key="2", announce_every_s=1)))
    engine.reload_directory()
    wait_until(lambda: engine.center.floor.queues["social_fee"].callback_key == "1", 5, "the queue options")
    return set_not_ready(engine, ["1005", "1009", "1010", "1011", "1012"])       # every social-fee agent


def test_a_caller_asking_for_a_callback_keeps_their_place_and_is_called_back(sim, engine, db_url):
    from engine.store.models import Callback, CallRecord
    ids = _waiting_options(db_url, engine)
    uuid = sim.place_call(did="12366", ani="13700000001", digits="3")
    wait_until(lambda: uuid in engine.center.floor.waiting, 10, "the caller in the queue")
    wait_until(lambda: any("queue_position_before.wav" in c["command"] for c in sim.commands()), 10,
               "the position announcement")
    sim.send_dtmf(uuid, "1")
    rec = wait_until(lambda: record_of(db_url, uuid), 20, "the caller's record")
    assert rec.outcome is CallOutcome.CALLBACK and rec.ivr_path.endswith("callback")
    cb = read(db_url, lambda s: s.scalars(select(Callback)).one())
    assert (cb.number, cb.queue_code, cb.status) == ("13700000001", "social_fee", "pending")
    sim.set_outside("13700000001", answer_delay=1.0, talk_time=2.0)
    engine.runtime.post(__import__("engine.domain.events", fromlist=["AgentRequest"]).AgentRequest(
        ids["1010"], "ready", None, "test", __import__("time").time()))
    done = wait_until(lambda: read(db_url, lambda s: s.scalars(select(Callback).where(Callback.status == "done"))
                                   .first()), 30, "the callback to be completed")
    assert done.agent_id == ids["1010"] and done.attempts == 1
    answered = read(db_url, lambda s: s.scalars(select(CallRecord).where(
        CallRecord.outcome == CallOutcome.ANSWERED)).all())
    assert [(r.ani, r.agent_id) for r in answered] == [("13700000001", ids["1010"])]
    assert any(c["command"].startswith("bgapi originate") and "sofia/gateway/trunk/13700000001" in c["command"]
               for c in sim.commands())


def test_a_caller_can_leave_a_voice_message_instead_of_waiting(sim, engine, db_url):
    import os

    from engine.store.models import Voicemail
    _waiting_options(db_url, engine)
    uuid = sim.place_call(did="12366", ani="13700000002", digits="3", message_s=20.0)
    wait_until(lambda: uuid in engine.center.floor.waiting, 10, "the caller in the queue")
    sim.send_dtmf(uuid, "2")
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the caller's record")
    assert rec.outcome is CallOutcome.VOICEMAIL
    vm = read(db_url, lambda s: s.scalars(select(Voicemail)).one())
    assert (vm.ani, vm.dnis, vm.queue_code) == ("13700000002", "12366", "social_fee")
    assert 15 <= vm.duration_s <= 25 and os.path.getsize(vm.file_path) > 44
    assert "/voicemail/" in vm.file_path and vm.file_path.endswith(f"{uuid}.wav")


def test_holding_the_caller_puts_the_agent_on_hold_and_retrieving_back_to_talking(sim, engine, db_url):
    uuid = sim.place_call(did="12366", digits="2", talk_time=200.0)
    call = wait_until(lambda: engine.center.floor.calls.get(uuid) if engine.center.floor.calls.get(uuid) and
                      engine.center.floor.calls[uuid].answered_at else None, 20, "the call to be answered")
    agent_id = call.agent_id
    state = lambda: engine.center.floor.agents[agent_id].state  # noqa: E731
    assert engine.switch.api(f"uuid_hold {uuid}") == "+OK Success\n"
    wait_until(lambda: state() is AgentState.ON_HOLD, 10, "the agent on hold")
    assert engine.switch.api(f"uuid_hold off {uuid}") == "+OK Success\n"
    wait_until(lambda: state() is AgentState.TALKING, 10, "the agent talking again")
    sim.hangup(uuid)
    wait_until(lambda: record_of(db_url, uuid), 10, "the record")
    states = read(db_url, lambda s: [r.to_state for r in s.scalars(select(AgentStateChange).where(
        AgentStateChange.agent_id == agent_id).order_by(AgentStateChange.id))])
    assert states[:5] == [AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD, AgentState.TALKING,
                          AgentState.WRAP_UP]


def test_after_an_engine_restart_talking_calls_are_taken_over_and_parked_callers_are_served(
        sim, engine, engine_config, db_url):
    talking = sim.place_call(did="12366", digits="2", talk_time=400.0)
    call = wait_until(lambda: engine.center.floor.calls.get(talking) if engine.center.floor.calls.get(talking) and
                      engine.center.floor.calls[talking].answered_at else None, 20, "a call in conversation")
    agent_id = call.agent_id
    engine.stop()                        # the calls stay up on the switch
    parked = sim.place_call(did="12366", digits="1", talk_time=1.0)   # arrives while no engine is running
    gevent_sleep = __import__("gevent").sleep
    gevent_sleep(0.3)
    second = Engine(engine_config, directory_reload_s=0.3)
    second.start()
    try:
        wait_until(lambda: second.center.floor.calls.get(talking), 10, "the talking call taken over")
        adopted = second.center.floor.calls[talking]
        assert adopted.agent_id == agent_id and adopted.phase.value == "connected"
        assert second.center.floor.agents[agent_id].state is AgentState.TALKING
        rec = wait_until(lambda: record_of(db_url, parked), 30, "the parked caller served and recorded")
        assert rec.outcome is CallOutcome.ANSWERED
        sim.hangup(talking)
        rec = wait_until(lambda: record_of(db_url, talking), 10, "the taken-over call's record")
        assert rec.outcome is CallOutcome.ANSWERED and rec.agent_id == agent_id
        assert "adopted after restart" in rec.ivr_path
    finally:
        second.stop()


def test_after_an_engine_restart_a_waiting_caller_keeps_its_place_and_wait_and_is_not_counted_twice(
        sim, engine, engine_config, db_url):
    """A caller waiting in etax (every etax agent on a break) while the engine stops: the switch keeps it on hold
    music (not parked, capture 09). The next engine finds its queue and enqueue time on its channel, puts it back
    in its place without the IVR, and it is served with its original wait, logged once."""
    from engine.store.models import CallEvent
    ids = set_not_ready(engine, ["1001", "1006", "1007", "1008", "1009"])
    uuid = sim.place_call(did="12366", digits="2", talk_time=2.0)
    call = wait_until(lambda: engine.center.floor.calls.get(uuid) if uuid in engine.center.floor.waiting else None,
                      20, "the caller waiting in etax")
    enqueued_at = call.enqueued_at
    engine.stop()
    channel = next(ch for ch in sim.channels() if ch["uuid"] == uuid)
    assert channel["application"] == "playback"              # on hold music, not parked
    second = Engine(engine_config, directory_reload_s=0.3)
    second.start()
    try:
        adopted = wait_until(lambda: second.center.floor.calls.get(uuid), 10, "the waiting caller taken over")
        assert adopted.phase.value == "queued" and abs(adopted.enqueued_at - enqueued_at) < 1e-5
        assert adopted.queue_code == "etax" and uuid in second.center.floor.waiting
        second.runtime.post(AgentRequestEvent(ids["1006"], "ready", None, "test", __import__("time").time()))
        rec = wait_until(lambda: record_of(db_url, uuid), 30, "the caller served and recorded")
        assert rec.outcome is CallOutcome.ANSWERED and rec.agent_id == ids["1006"]
        stored = rec.enqueued_at if rec.enqueued_at.tzinfo else rec.enqueued_at.replace(tzinfo=dt.timezone.utc)
        assert abs(stored.timestamp() - enqueued_at) < 0.01            # its original wait, not the restart's
        assert "adopted after restart" in rec.ivr_path and "key:2" not in rec.ivr_path.split("adopted")[1]
        kinds = read(db_url, lambda s: [e.kind for e in s.scalars(select(CallEvent).where(
            CallEvent.call_uuid == uuid).order_by(CallEvent.id))])
        assert kinds.count("arrived") == 1 and kinds.count("queued") == 1, kinds
    finally:
        second.stop()


def test_a_supervisor_listens_then_whispers_from_their_own_phone(sim, engine, db_url):
    sim.add_phone("2000", behaviour="answer", answer_delay=1.0)
    uuid = sim.place_call(did="12366", digits="2", talk_time=400.0)
    call = wait_until(lambda: engine.center.floor.calls.get(uuid) if engine.center.floor.calls.get(uuid) and
                      engine.center.floor.calls[uuid].answered_at else None, 20, "the call to be answered")
    extension = engine.center.floor.agents[call.agent_id].extension

    def ask(mode):
        def add(s):
            row = AgentRequest(agent_id=call.agent_id, action=mode, argument="2000", actor="supervisor",
                               requested_at=utcnow())
            s.add(row)
            s.flush()
            return row.id
        return write(db_url, add)

    def session_on_agent():
        return next((ch["eavesdrop"] for ch in sim.channels() if ch.get("eavesdrop")), None)
    req = ask("listen")
    listening = wait_until(session_on_agent, 15, "the supervisor listening")
    assert listening["target"] == call.agent_leg and listening["mode"] == "listen"
    wait_until(lambda: read(db_url, lambda s: s.get(AgentRequest, req).result) == "ok", 10, "the request answered")
    sent = [c["command"] for c in sim.commands()]
    assert any("user/2000" in c and f"&eavesdrop({call.agent_leg})" in c for c in sent), extension
    assert engine.center.floor.agents[call.agent_id].extension == extension      # the agent's call goes on
    sim.add_phone("2001", behaviour="answer", answer_delay=1.0)
    def add(s):
        s.add(AgentRequest(agent_id=call.agent_id, action="whisper", argument="2001", actor="supervisor",
                           requested_at=utcnow()))
    write(db_url, add)
    coach = wait_until(lambda: next((ch["eavesdrop"] for ch in sim.channels() if ch.get("eavesdrop") and
                                     ch["eavesdrop"]["mode"] != "listen"), None), 15, "the supervisor whispering")
    assert coach["mode"] == "whisper_agent" and coach["heard_by"] == [call.agent_leg]   # the caller hears nothing
    sim.hangup(uuid)
    wait_until(lambda: (record_of(db_url, uuid) or None) and record_of(db_url, uuid).ended_at, 10,
               "the record of the ended call")      # (a record exists from the answer on: wait for its end)
    late = ask("whisper")
    row = wait_until(lambda: read(db_url, lambda s: s.get(AgentRequest, late) if s.get(AgentRequest, late).result
                                  else None), 10, "the refusal")
    assert row.result.startswith("refused:") and "not in a conversation" in row.result


def test_the_engine_publishes_live_queue_status_for_the_floor_view(sim, engine, db_url):
    from engine.store.models import QueueStatus
    set_not_ready(engine, ["1005", "1009", "1010", "1011", "1012"])
    uuid = sim.place_call(did="12366", digits="3", patience=400.0)
    wait_until(lambda: uuid in engine.center.floor.waiting, 10, "the caller waiting")
    row = wait_until(lambda: read(db_url, lambda s: s.get(QueueStatus, "social_fee") if (
        s.get(QueueStatus, "social_fee") and s.get(QueueStatus, "social_fee").waiting == 1) else None), 10,
        "the published status")
    assert row.agents_ready == 0 and row.agents_logged_in == 5 and row.longest_wait_since is not None


def test_a_supervisor_takes_over_a_call_on_their_own_phone(sim, engine, db_url):
    sim.add_phone("2000", behaviour="answer", answer_delay=1.0)
    uuid = sim.place_call(did="12366", digits="2", talk_time=400.0)
    call = wait_until(lambda: engine.center.floor.calls.get(uuid) if engine.center.floor.calls.get(uuid) and
                      engine.center.floor.calls[uuid].answered_at else None, 20, "the call to be answered")
    agent_id = call.agent_id

    def add(s):
        s.add(AgentRequest(agent_id=agent_id, action="takeover", argument="2000", actor="supervisor",
                           requested_at=utcnow()))
    write(db_url, add)
    wait_until(lambda: any(ch.get("name", "").startswith("sofia/internal/2000") and ch.get("bridged_to") == uuid
                           for ch in sim.channels()) or call.transferred, 20, "the supervisor's phone bridged")
    wait_until(lambda: engine.center.floor.agents[agent_id].state is not AgentState.TALKING, 10, "the agent freed")
    sim.hangup(uuid)
    rec = wait_until(lambda: record_of(db_url, uuid), 10, "the record")
    assert "takeover:supervisor:2000" in rec.ivr_path and "transferred:number" in rec.ivr_path


def test_a_remote_agent_is_rung_at_their_mobile_number(sim, engine, db_url):
    from engine.store.models import Agent as AgentRow
    write(db_url, lambda s: s.execute(update(AgentRow).where(AgentRow.extension == "1006").values(
        remote_number="13912345678")))
    engine.reload_directory()
    set_not_ready(engine, ["1001", "1007", "1008", "1009"])          # only the remote etax agent is ready
    sim.set_outside("13912345678", answer_delay=1.0)
    uuid = sim.place_call(did="12366", digits="2", talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    remote_id = read(db_url, lambda s: s.scalars(select(AgentRow.id).where(AgentRow.extension == "1006")).one())
    assert rec.outcome is CallOutcome.ANSWERED and rec.agent_id == remote_id
    assert any("sofia/gateway/trunk/13912345678" in c["command"] and "cc_agent=A1006" in c["command"]
               for c in sim.commands())
