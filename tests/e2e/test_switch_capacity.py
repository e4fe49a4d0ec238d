"""The engine and the switch's capacity, through the real ESL path to the simulated switch (which has
FreeSWITCH's session-rate throttle and session limit, capture 08): the limits are read at connect and shown on
the wallboard's status, agent legs are exempt from the throttle, a refusal by the switch is not the agent's,
and an agent set aside because the phone was unreachable comes back by itself once it registers again."""
from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.domain.events import AgentRequest
from engine.domain.states import AgentState, CallOutcome, NotReadyReason
from engine.store.models import AgentStateChange
from engine.store.models.switch import SwitchStatus
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import read, record_of, set_not_ready

ETAX = ("1006", "1007", "1008", "1009", "1001")     # the agents of queue etax (menu key 2)


def agents_not(engine, keep):
    return [a.extension for a in engine.center.floor.agents.values() if a.extension not in keep]


def test_the_limits_are_read_at_connect_and_published_for_the_wallboard(engine, sim, db_url):
    pacer = engine.center.floor.pacer
    wait_until(lambda: pacer.sessions_per_second == 30 and pacer.max_sessions == 1000, 10, "the limits")
    row = wait_until(lambda: read(db_url, lambda s: s.scalars(select(SwitchStatus)).first()), 10, "the status")
    assert (row.connected, row.sessions_per_second, row.max_sessions, row.exempt) == (True, 30, 1000, True)
    assert sim.api("fsctl", "sps 12") == "+OK sessions per second: 12\n"
    engine._read_limits()                   # as the periodic refresh does
    wait_until(lambda: pacer.sessions_per_second == 12, 5, "the new rate")


def test_agent_legs_take_none_of_the_callers_session_budget(engine, sim, db_url):
    set_not_ready(engine, agents_not(engine, ETAX))
    sim.api("fsctl", "sps 2")               # one session per refill: callers only
    uuids = []
    for n in range(3):
        uuids.append(sim.place_call(did="12366", ani=f"1380013800{n}", digits="2", talk_time=2.0))
        sim.sleep(1.5)                      # a refill between callers (simulated seconds)
    assert all(uuids), "the callers were admitted one per refill"
    for uuid in uuids:
        rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call records")
        assert rec.outcome is CallOutcome.ANSWERED
    assert sim.capacity()["refused_originates"] == 0
    legs = [c for c in sim.commands() if "originate" in c["command"]]
    assert legs and all("no_throttle_limits=true" in c["command"] for c in legs)


def test_a_refused_agent_leg_leaves_the_agent_ready_and_the_call_is_served_once_the_switch_allows(
        engine_config, sim, db_url):
    engine = Engine(dataclasses.replace(engine_config, exempt_agent_legs=False), directory_reload_s=0.3)
    engine.start()
    try:
        wait_until(lambda: engine.switch.connected and engine.center.floor.directory_loaded, 10, "the engine")
        ids = set_not_ready(engine, [a.extension for a in engine.center.floor.agents.values()])
        uuid = sim.place_call(did="12366", digits="2", talk_time=2.0)
        wait_until(lambda: uuid in engine.center.floor.waiting, 15, "the caller waiting")
        sim.api("fsctl", "sps 1")           # from the next refill on, no session at all gets a token
        sim.sleep(2.0)
        engine.runtime.post(AgentRequest(ids["1006"], "ready", None, "test", time.time()))
        floor = engine.center.floor
        wait_until(lambda: floor.pacer.refused_total >= 2, 10, "the switch to refuse the agent's leg")
        assert floor.agents[ids["1006"]].state in (AgentState.READY, AgentState.RESERVED)   # never not-ready
        sim.api("fsctl", "sps 30")
        rec = wait_until(lambda: record_of(engine_config.database_url, uuid), 30, "the call record")
        assert rec.outcome is CallOutcome.ANSWERED and rec.agent_id == ids["1006"]
        assert not [a for a in floor.agents.values() if a.reason is NotReadyReason.SYSTEM]
    finally:
        engine.stop()


def test_an_agent_set_aside_for_an_unregistered_phone_is_ready_again_once_it_registers(engine, sim, db_url):
    ids = set_not_ready(engine, agents_not(engine, ("1006",)))
    sim.unregister("1006")
    uuid = sim.place_call(did="12366", digits="2", talk_time=2.0)
    floor = engine.center.floor
    wait_until(lambda: floor.agents[ids["1006"]].reason is NotReadyReason.SYSTEM, 15, "the agent set aside")
    sim.register("1006")
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call, once the phone is back")
    assert rec.outcome is CallOutcome.ANSWERED and rec.agent_id == ids["1006"]
    causes = read(db_url, lambda s: list(s.scalars(select(AgentStateChange.cause))))
    assert any("phone reachable again" in c for c in causes)
