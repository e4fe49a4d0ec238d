"""Property test of the dispatch point over random event streams on a whole floor, against a model of the switch.

The model is what FreeSWITCH does with the engine's commands: an originated agent leg exists until its end is
reported (a caller's hang-up tears the bridged agent leg down afterwards, capture 04a), a leg the switch refuses
(session-rate throttle: DESTINATION_OUT_OF_ORDER, no channel, capture 08) or cannot reach (not registered) never
existed, a cancelled ring ends with ORIGINATOR_CANCEL, and results and hang-ups arrive in any order. After every
event, with the switch's own view as the truth:

* no agent who is ready and whose phone has no leg stays beside a waiting call it may serve (unless the
  switch's session budget is spent and the engine has a pace timer running);
* never two legs to one agent's phone at once;
* never an offer (or a re-offer of a ringing phone) to an agent lacking the call's skills;
* one call record per call.
"""
import itertools

from hypothesis import given, settings, strategies as st

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import (AgentRequest, CallParked, DirectoryLoaded, LegHungUp, OriginateResult, PhoneProbed,
                                  SwitchLimits, TimerFired)
from engine.domain.routing import QueueSpec, qualifies
from engine.domain.states import AgentState
from engine.ivr.loader import parse_flow

QUEUES = (QueueSpec(1, "a", "A", {1: 5}, strategy="longest_idle", wrap_up_s=0),
          QueueSpec(2, "b", "B", {2: 3}, strategy="ring_all", wrap_up_s=0),
          QueueSpec(3, "c", "C", {1: 2, 3: 4}, strategy="fewest_calls", wrap_up_s=2))
FLOWS = {f"to_{q.code}": parse_flow({"name": f"to_{q.code}", "start": "q",
                                     "nodes": {"q": {"type": "queue", "queue": q.code, "priority": n}}}, "f.yaml")
         for n, q in enumerate(QUEUES)}
AGENTS = tuple(Agent(i, f"A{i:03d}", f"a{i}", str(1000 + i), skills, state=AgentState.READY, idle_since=float(i))
               for i, skills in enumerate([{1: 5}, {1: 7, 2: 3}, {2: 9}, {1: 3, 3: 5}, {1: 9, 2: 4, 3: 4}, {3: 9}], 1))
BY_EXT = {a.extension: a.agent_id for a in AGENTS}
FAIL_CAUSES = ("NO_ANSWER", "USER_BUSY", "DESTINATION_OUT_OF_ORDER", "USER_NOT_REGISTERED", "NORMAL_TEMPORARY_FAILURE",
               "CALL_REJECTED")
NO_CHANNEL = {"DESTINATION_OUT_OF_ORDER", "USER_NOT_REGISTERED"}

ACTIONS = ("arrive", "arrive", "answer", "fail", "caller_hangup", "agent_hangup", "deliver", "deliver", "deliver_any",
           "flush", "timer", "ready", "not_ready", "logout", "login", "limits")
steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1000), st.sampled_from((0.0, 0.01, 0.2, 1.0, 5.0))),
                 min_size=1, max_size=80)


class Switch:
    """What the switch has: callers, agent legs (requested or up), pending results and hang-ups."""

    def __init__(self):
        self.callers: set[str] = set()
        self.agent_legs: dict[str, str] = {}        # leg -> extension (requested, up, or ending: until reported)
        self.ending: set[str] = set()
        self.jobs: dict[str, c.DialAgent] = {}       # originate jobs without an outcome yet
        self.answered: set[str] = set()
        self.bridges: dict[str, str] = {}            # caller <-> agent leg
        self.pending: list = []                      # events the switch will still deliver
        self.violations: list[str] = []

    def legs_of(self, ext: str) -> list[str]:
        return [leg for leg, e in self.agent_legs.items() if e == ext]

    def end_leg(self, uuid: str, cause: str) -> None:
        """A leg goes: its hang-up will be reported; a bridged agent leg follows its caller."""
        if uuid in self.callers:
            self.callers.discard(uuid)
            self.pending.append(LegHungUp(uuid, cause, 0.0))
            partner = self.bridges.pop(uuid, None)
            if partner is not None:
                self.bridges.pop(partner, None)
                self.end_leg(partner, "NORMAL_CLEARING")
        elif uuid in self.agent_legs and uuid not in self.ending:
            job = next((j for j, d in self.jobs.items() if d.leg_uuid == uuid), None)
            if job is not None:                      # still ringing: the originate fails
                del self.jobs[job]
                self.pending.append(OriginateResult(job, False, None, cause, 0.0))
            self.ending.add(uuid)                    # gone once its hang-up is reported
            self.answered.discard(uuid)
            self.pending.append(LegHungUp(uuid, cause, 0.0))
            partner = self.bridges.pop(uuid, None)
            if partner is not None:
                self.bridges.pop(partner, None)      # the caller parks (park_after_bridge)

    def delivered(self, event) -> None:
        if isinstance(event, LegHungUp) and event.uuid in self.ending:
            self.ending.discard(event.uuid)
            self.agent_legs.pop(event.uuid, None)

    def execute(self, cmd, floor) -> None:
        if isinstance(cmd, c.DialAgent):
            if self.legs_of(cmd.extension):
                self.violations.append(f"{cmd.extension} rung while its leg {self.legs_of(cmd.extension)} is up")
            call = floor.calls.get(cmd.variables["cc_call_uuid"])
            agent = floor.agents[BY_EXT[cmd.extension]]
            if call is None or not qualifies(agent, call.required):
                self.violations.append(f"offer to {cmd.extension} lacking the skills")
            self.agent_legs[cmd.leg_uuid] = cmd.extension
            self.jobs[cmd.job_uuid] = cmd
        elif isinstance(cmd, c.SetLegVars) and "cc_call_uuid" in cmd.variables:
            call = floor.calls.get(cmd.variables["cc_call_uuid"])
            ext = self.agent_legs.get(cmd.uuid)
            if ext is not None and (call is None or not qualifies(floor.agents[BY_EXT[ext]], call.required)):
                self.violations.append(f"re-offer to {ext} lacking the skills")
        elif isinstance(cmd, c.Hangup):
            self.end_leg(cmd.uuid, cmd.cause)
        elif isinstance(cmd, c.Bridge):
            if cmd.a_uuid in self.callers and cmd.b_uuid in self.answered:
                self.bridges[cmd.a_uuid], self.bridges[cmd.b_uuid] = cmd.b_uuid, cmd.a_uuid
        elif isinstance(cmd, c.ProbePhone):
            self.pending.append(PhoneProbed(cmd.agent_id, True, "registered", 0.0))


def _at(ev, now):
    return type(ev)(*[now if f == "at" else getattr(ev, f) for f in ev.__dataclass_fields__])


@settings(max_examples=300, deadline=None)
@given(steps)
def test_no_free_agent_beside_a_waiting_call_and_never_two_legs_to_one_phone(script):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter(FLOWS, "/p", new_id=lambda: next(ids))
    floor = cc.floor
    sw = Switch()
    timers: dict[str, float] = {}
    recorded: list[str] = []
    now = 1.0

    def feed(event):
        out = cc.handle(event)
        for cmd in out:
            if isinstance(cmd, c.StartTimer):
                timers[cmd.key] = now + cmd.delay
            elif isinstance(cmd, c.CancelTimer):
                timers.pop(cmd.key, None)
            elif isinstance(cmd, c.SaveCallRecord):
                recorded.append(cmd.call_uuid)
            else:
                sw.execute(cmd, floor)

    def fire(key):
        kind, _, ref = key.partition(":")
        if kind == "offer":     # the guard fires only when the switch never reported: the outcome was lost
            sw.jobs.pop(ref, None)
            sw.pending = [e for e in sw.pending if getattr(e, "job_uuid", None) != ref]
        elif kind == "leg":     # likewise, the end of that leg was lost
            sw.agent_legs.pop(ref, None)
            sw.ending.discard(ref)
            sw.pending = [e for e in sw.pending if not (isinstance(e, LegHungUp) and e.uuid == ref)]
        feed(TimerFired(key, now))

    feed(DirectoryLoaded(AGENTS, QUEUES, {"1": "to_a", "2": "to_b", "3": "to_c"}, now))
    for action, n, dt in script:
        now += dt
        if action == "arrive":
            uuid = f"caller{n}-{now}"
            sw.callers.add(uuid)
            feed(CallParked(uuid, "139", str(n % 3 + 1), "", True, now))
        elif action in ("answer", "fail") and sw.jobs:
            job = sorted(sw.jobs)[n % len(sw.jobs)]
            dial = sw.jobs.pop(job)
            if action == "answer":
                sw.answered.add(dial.leg_uuid)
                feed(OriginateResult(job, True, dial.leg_uuid, "", now))
            else:
                cause = FAIL_CAUSES[n % len(FAIL_CAUSES)]
                if cause in NO_CHANNEL:
                    del sw.agent_legs[dial.leg_uuid]
                else:                           # a channel was made: its end is reported too, before or after
                    sw.ending.add(dial.leg_uuid)
                    sw.pending.insert(n % (len(sw.pending) + 1), LegHungUp(dial.leg_uuid, cause, 0.0))
                feed(OriginateResult(job, False, None, cause, now))
        elif action == "caller_hangup" and sw.callers:
            sw.end_leg(sorted(sw.callers)[n % len(sw.callers)], "NORMAL_CLEARING")
        elif action == "agent_hangup" and sw.answered:
            sw.end_leg(sorted(sw.answered)[n % len(sw.answered)], "NORMAL_CLEARING")
        elif action in ("deliver", "deliver_any", "flush") and sw.pending:
            # in order (one, or all that are pending), or out of order (the switch's threads race)
            for _ in range(50 if action == "flush" else 1):
                if not sw.pending:
                    break
                event = sw.pending.pop(n % len(sw.pending) if action == "deliver_any" else 0)
                sw.delivered(event)
                feed(_at(event, now))
        elif action == "timer" and timers:
            key = sorted(timers)[n % len(timers)]
            now = max(now, timers.pop(key))
            fire(key)
        elif action in ("ready", "not_ready", "logout", "login"):
            feed(AgentRequest(n % len(AGENTS) + 1, action, "break" if action == "not_ready" else None, "t", now))
        elif action == "limits":
            floor.pacer.exempt = n % 2 == 0          # agent legs exempt from the throttle, or paced within it
            feed(SwitchLimits(True, (3, 30, 5)[n % 3], 1000, now))
        while True:                                   # timers due now run at once, as the runtime does
            due = sorted(k for k, t in timers.items() if t <= now)
            if not due:
                break
            timers.pop(due[0])
            fire(due[0])

        assert not sw.violations, sw.violations
        # no free agent beside a waiting call it may serve (the switch's view of the agent's phone)
        paced = not floor.pacer.may_originate(now) and "pace" in timers
        for uuid in floor.waiting:
            call = floor.calls[uuid]
            assert call.phase.value == "queued"
            if call.due_while_ringing or paced:
                continue
            for agent in floor.agents.values():
                if agent.state is AgentState.READY and agent.active and not sw.legs_of(agent.extension) \
                        and qualifies(agent, call.required):
                    raise AssertionError(f"agent {agent.employee_no} is free while call {uuid} waits for it")
        # every agent ringing has exactly its offer; every offer rings a reserved agent (or is being cancelled)
        ringing = [o.agent_id for o in floor.offers.values() if o.caller_uuid is not None]
        assert len(ringing) == len(set(ringing)), "an agent offered two calls at once"
        for agent_id in ringing:
            assert floor.agents[agent_id].state is AgentState.RESERVED
        assert len(recorded) == len(set(recorded)), "a call recorded twice"
