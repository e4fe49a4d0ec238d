"""Property tests of the ACD under random streams of events: never a skill mismatch, never an agent offered two
calls at once, never an agent ringing or talking for a call that is gone, and every ended call recorded once."""
import itertools

from hypothesis import given, settings, strategies as st

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import (AgentRequest, CallParked, DirectoryLoaded, LegHungUp, OriginateResult, TimerFired)
from engine.domain.routing import QueueSpec, qualifies
from engine.domain.states import AgentState
from engine.ivr.loader import parse_flow

QUEUES = (QueueSpec(1, "a", "A", {1: 5}, strategy="longest_idle", wrap_up_s=0),
          QueueSpec(2, "b", "B", {2: 3}, strategy="ring_all", wrap_up_s=0),
          QueueSpec(3, "c", "C", {1: 2, 3: 4}, strategy="fewest_calls", wrap_up_s=0))
FLOWS = {f"to_{q.code}": parse_flow({"name": f"to_{q.code}", "start": "q",
                                     "nodes": {"q": {"type": "queue", "queue": q.code, "priority": n}}}, "f.yaml")
         for n, q in enumerate(QUEUES)}
AGENTS = tuple(Agent(i, f"A{i:03d}", f"a{i}", str(1000 + i), skills, state=AgentState.READY, idle_since=float(i))
               for i, skills in enumerate([{1: 5}, {1: 7, 2: 3}, {2: 9}, {1: 3, 3: 5}, {1: 9, 2: 4, 3: 4}, {3: 9}], 1))

actions = st.lists(st.tuples(st.sampled_from(["arrive", "answer", "fail", "caller_hangup", "agent_hangup",
                                              "ready", "not_ready", "wrapup", "timeout"]),
                             st.integers(0, 50)), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(actions)
def test_the_floor_stays_consistent_whatever_happens(script):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter(FLOWS, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded(AGENTS, QUEUES, {"1": "to_a", "2": "to_b", "3": "to_c"}, 0.0))
    floor = cc.floor
    dials: dict[str, c.DialAgent] = {}
    recorded: list[str] = []
    now = 1.0
    for action, n in script:
        now += 1.0
        out: list = []
        if action == "arrive":
            out = cc.handle(CallParked(f"call{now}", "139", str(n % 3 + 1), "", True, now))
        elif action in ("answer", "fail") and floor.offers:
            job = sorted(floor.offers)[n % len(floor.offers)]
            made = floor.offers[job]
            out = cc.handle(OriginateResult(job, action == "answer", made.leg_uuid if action == "answer" else None,
                                            "" if action == "answer" else "NO_ANSWER", now))
        elif action == "caller_hangup" and floor.calls:
            uuid = sorted(floor.calls)[n % len(floor.calls)]
            out = cc.handle(LegHungUp(uuid, "NORMAL_CLEARING", now))
        elif action == "agent_hangup" and floor.agent_legs:
            leg = sorted(floor.agent_legs)[n % len(floor.agent_legs)]
            out = cc.handle(LegHungUp(leg, "NORMAL_CLEARING", now))
        elif action in ("ready", "not_ready"):
            agent_id = n % len(AGENTS) + 1
            out = cc.handle(AgentRequest(agent_id, action, "break" if action == "not_ready" else None, "t", now))
        elif action == "wrapup":
            out = cc.handle(TimerFired(f"wrapup:{n % len(AGENTS) + 1}", now))
        elif action == "timeout" and floor.offers:
            out = cc.handle(TimerFired(f"offer:{sorted(floor.offers)[n % len(floor.offers)]}", now))
        for cmd in out:
            if isinstance(cmd, c.DialAgent):
                dials[cmd.job_uuid] = cmd
                call = floor.calls[cmd.variables["cc_call_uuid"]]
                agent = next(a for a in floor.agents.values() if a.extension == cmd.extension)
                assert qualifies(agent, call.required), "offered to an agent lacking the skill"
            if isinstance(cmd, c.SaveCallRecord):
                recorded.append(cmd.call_uuid)
        # invariants after every event
        busy = [a for a in floor.agents.values() if a.state in (AgentState.RESERVED, AgentState.TALKING)]
        for agent in busy:
            assert agent.call_uuid in floor.calls, "an agent busy with a call that no longer exists"
        ringing_agents = [o.agent_id for o in floor.offers.values() if o.caller_uuid is not None]
        assert len(ringing_agents) == len(set(ringing_agents)), "an agent offered two calls at once"
        # a call whose agent hung up is being released (call.ending): its agent is free for the next call
        connected = [call.agent_id for call in floor.calls.values()
                     if call.phase.value == "connected" and not call.ending]
        assert len(connected) == len(set(connected)), "an agent connected to two calls"
        assert not set(ringing_agents) & set(connected)
        for agent_id in ringing_agents:
            assert floor.agents[agent_id].state is AgentState.RESERVED
        for uuid in floor.waiting:
            assert floor.calls[uuid].phase.value == "queued"
    assert len(recorded) == len(set(recorded)), "a call recorded twice"
