"""Routing decisions of the pure ACD core (CallCenter.handle), with no I/O at all.

A floor of 1,000 agents (3-5 skills each among 20, levels 1-10) and 20 queues (1-2 required skills, mixed
strategies: longest_idle, fewest_calls, least_talk_time, highest_skill, round_robin, top_down and ring_all for
two queues). A small discrete-event driver plays the switch's part on a virtual clock:

  1. backlog      500 calls arrive while every agent is not ready (they all wait);
  2. ready        agents become ready one at a time (AgentRequest ready): each one is offered the best waiting
                  call it is qualified for;
  3. steady       Poisson arrivals while agents are ready, talk, wrap up; 2 % of offers ring out (NO_ANSWER: the
                  agent goes not ready, the call goes back to its place), 1 % are refused (USER_BUSY /
                  CALL_REJECTED); callers abandon (exponential patience); agents set not ready by a failed offer
                  (no_answer, system) make themselves ready again after a minute;

until the wall-clock budget is spent. Every center.handle() is timed with time.perf_counter(); the commands it
returns are checked: no agent is dialled while it already has an offer or a call (up to the end of its wrap-up),
and every dialled agent holds the skills the call requires at that moment.

Run: ``.venv/bin/python benchmarks/bench_routing.py [--seconds 30] [--seed 1]``
"""
from __future__ import annotations

import argparse
import heapq
import itertools
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.acd.center import CallCenter  # noqa: E402
from engine.domain import commands as c  # noqa: E402
from engine.domain.agent import Agent  # noqa: E402
from engine.domain.events import (AgentRequest, CallParked, DirectoryLoaded, LegHungUp,  # noqa: E402
                                  OriginateResult, TimerFired)
from engine.domain.routing import QueueSpec, qualifies  # noqa: E402
from engine.domain.states import AgentState, NotReadyReason  # noqa: E402
from engine.ivr.model import Flow, QueueNode  # noqa: E402

N_AGENTS, N_SKILLS, N_QUEUES, N_BACKLOG = 1000, 20, 20, 500
# ring_all on two of the narrow (two-skill) queues: ringing every eligible agent only makes sense for small teams
STRATEGIES = ["longest_idle", "fewest_calls", "ring_all", "round_robin", "least_talk_time", "ring_all",
              "longest_idle", "highest_skill", "fewest_calls", "round_robin", "longest_idle", "highest_skill",
              "fewest_calls", "longest_idle", "round_robin", "least_talk_time", "longest_idle", "highest_skill",
              "top_down", "highest_skill"]
MEAN_TALK_S, WRAP_UP_S, MEAN_PATIENCE_S = 300.0, 45, 240.0
P_NO_ANSWER, P_REFUSED = 0.02, 0.01
NO_ANSWER_BACK_S = 60.0


def build_floor(rng: random.Random) -> tuple[tuple[Agent, ...], tuple[QueueSpec, ...], dict, dict]:
    """Agents (all not ready), queues, numbers (one DID per queue) and flows (straight into the queue)."""
    agents = []
    for i in range(1, N_AGENTS + 1):
        skills = {s: rng.randint(1, 10) for s in rng.sample(range(1, N_SKILLS + 1), rng.randint(3, 5))}
        agents.append(Agent(i, f"E{i:05d}", f"agent {i}", str(10000 + i), skills, state=AgentState.NOT_READY,
                            reason=NotReadyReason.BREAK, position=i))
    queues, numbers, flows = [], {}, {}
    for q in range(1, N_QUEUES + 1):
        # the first skill is always one of the 20; a second (for about a third of queues) makes it narrower
        required = {q: rng.randint(1, 3)}
        if q % 3 == 0:
            required[(q % N_SKILLS) + 1] = rng.randint(1, 3)
        code = f"q{q:02d}"
        queues.append(QueueSpec(q, code, f"queue {q}", required, strategy=STRATEGIES[q - 1], ring_timeout_s=20,
                                wrap_up_s=WRAP_UP_S, max_wait_s=100_000, priority_step_s=60))
        did = f"9{q:04d}"
        numbers[did] = code
        flows[code] = Flow(code, "q", {"q": QueueNode("q", code, priority=0)})
        flows[code + "_vip"] = Flow(code + "_vip", "q", {"q": QueueNode("q", code, priority=2)})
        numbers["8" + did[1:]] = code + "_vip"
    return tuple(agents), tuple(queues), numbers, flows


class Bench:
    """The virtual switch and clock around one CallCenter, with the latency log and invariant checks."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        agents, queues, numbers, flows = build_floor(self.rng)
        self.agents = {a.agent_id: a for a in agents}
        self.by_ext = {a.extension: a.agent_id for a in agents}
        self.queues = {q.code: q for q in queues}
        # callers dial each queue in proportion to the agents able to take it (so no queue is starved by design)
        flow_queue = {name: flow.nodes["q"].queue for name, flow in flows.items()}
        self.dids = list(numbers)
        self.did_weights = [sum(qualifies(a, self.queues[flow_queue[numbers[d]]].required_skills) for a in agents)
                            * (0.1 if numbers[d].endswith("_vip") else 1.0) for d in self.dids]
        ids = itertools.count()
        self.center = CallCenter(flows, "/prompts", new_id=lambda: f"u{next(ids)}")
        self.now = 0.0
        self.heap: list = []
        self.seq = itertools.count()
        self.timers: dict[str, int] = {}           # timer key -> live generation
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.offers_made = 0
        self.decisions = 0
        self.decision_time = 0.0
        self.routing: list[float] = []             # latency of the handle() calls that dialled an agent
        self.busy: dict[int, str] = {}             # agent -> call it is offered / talking / wrapping up for
        self.violations: Counter = Counter()
        self.examples: list[str] = []
        self.outcomes: Counter = Counter()
        self.calls_started = 0
        self.leg_of_job: dict[str, tuple[str, str, int]] = {}
        self.handle(DirectoryLoaded(agents, queues, numbers, 0.0), "directory")

    # ------------------------------------------------------------------ clock
    def at(self, delay: float, kind: str, payload) -> None:
        heapq.heappush(self.heap, (self.now + delay, next(self.seq), kind, payload))

    def run_until(self, t_end: float) -> None:
        while self.heap and self.heap[0][0] <= t_end:
            t, _, kind, payload = heapq.heappop(self.heap)
            self.now = max(self.now, t)
            getattr(self, "_due_" + kind)(payload)
        self.now = max(self.now, t_end)

    # ----------------------------------------------------------------- core
    def handle(self, event, kind: str) -> list:
        t0 = time.perf_counter()
        out = self.center.handle(event)
        dt = time.perf_counter() - t0
        self.lat[kind].append(dt)
        if kind != "directory":
            self.decisions += 1
            self.decision_time += dt
        if any(isinstance(cmd, c.DialAgent) for cmd in out):
            self.routing.append(dt)
        self.interpret(out)
        return out

    def interpret(self, out: list) -> None:
        """Check the commands, then play the switch: timers, phones, talk, hang-ups."""
        for cmd in out:
            if isinstance(cmd, c.DialAgent):
                self.offers_made += 1
                self.check_offer(cmd)
                self.leg_of_job[cmd.job_uuid] = (cmd.leg_uuid, cmd.variables["cc_call_uuid"],
                                                 self.by_ext[cmd.extension])
                r = self.rng.random()
                if r < P_REFUSED:
                    self.at(0.05, "originate", (cmd.job_uuid, False, self.rng.choice(["USER_BUSY", "CALL_REJECTED"])))
                elif r < P_REFUSED + P_NO_ANSWER:
                    self.at(cmd.timeout_s, "originate", (cmd.job_uuid, False, "NO_ANSWER"))
                else:
                    self.at(self.rng.uniform(1.0, 6.0), "originate", (cmd.job_uuid, True, ""))
            elif isinstance(cmd, c.StartTimer):
                gen = next(self.seq)
                self.timers[cmd.key] = gen
                self.at(cmd.delay, "timer", (cmd.key, gen))
            elif isinstance(cmd, c.CancelTimer):
                self.timers.pop(cmd.key, None)
            elif isinstance(cmd, c.Bridge):
                self.at(self.rng.lognormvariate(math.log(MEAN_TALK_S) - 0.18, 0.6), "caller_hangup", cmd.a_uuid)
            elif isinstance(cmd, c.Hangup):
                self.at(0.01, "leg_gone", (cmd.uuid, cmd.cause))
            elif isinstance(cmd, c.SaveAgentState):
                ch = cmd.change
                if ch.to_state in (AgentState.READY, AgentState.NOT_READY, AgentState.LOGGED_OUT):
                    self.busy.pop(ch.agent_id, None)
                if ch.to_state is AgentState.NOT_READY and ch.reason in (NotReadyReason.NO_ANSWER,
                                                                         NotReadyReason.SYSTEM):
                    self.at(NO_ANSWER_BACK_S, "ready", ch.agent_id)
            elif isinstance(cmd, c.SaveCallRecord):
                self.outcomes[cmd.outcome.value] += 1

    def check_offer(self, cmd: c.DialAgent) -> None:
        agent_id = self.by_ext[cmd.extension]
        call_uuid = cmd.variables["cc_call_uuid"]
        if agent_id in self.busy:
            self.violations["agent offered a second call"] += 1
            self._example(f"agent {agent_id} dialled for {call_uuid} while busy with {self.busy[agent_id]}")
        self.busy[agent_id] = call_uuid
        call = self.center.floor.calls.get(call_uuid)
        required = call.required if call is not None else self.queues[cmd.variables["cc_queue"]].required_skills
        if not qualifies(self.agents[agent_id], required):
            self.violations["skill mismatch"] += 1
            self._example(f"agent {agent_id} {dict(self.agents[agent_id].skills)} dialled for {required}")

    def _example(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)

    # ------------------------------------------------------- virtual world
    def arrive(self, kind: str) -> None:
        self.calls_started += 1
        uuid = f"c{self.calls_started}"
        did = self.rng.choices(self.dids, self.did_weights)[0]
        self.handle(CallParked(uuid, f"138{self.calls_started:08d}", did, "", True, self.now), kind)
        self.at(self.rng.expovariate(1 / MEAN_PATIENCE_S), "abandon", uuid)

    def _due_originate(self, payload) -> None:
        job, ok, cause = payload
        leg = self.leg_of_job.pop(job, (None, None, None))[0]
        self.handle(OriginateResult(job, ok, leg if ok else None, cause, self.now),
                    "originate answered" if ok else "offer failed (re-queue)")

    def _due_timer(self, payload) -> None:
        key, gen = payload
        if self.timers.get(key) != gen:
            return
        del self.timers[key]
        kind = key.partition(":")[0]
        self.handle(TimerFired(key, self.now), "wrap-up done (agent ready)" if kind == "wrapup" else f"timer {kind}")

    def _due_caller_hangup(self, uuid: str) -> None:
        if uuid in self.center.floor.calls:
            self.handle(LegHungUp(uuid, "NORMAL_CLEARING", self.now), "hang-up")

    def _due_abandon(self, uuid: str) -> None:
        call = self.center.floor.calls.get(uuid)
        if call is not None and call.answered_at is None:
            self.handle(LegHungUp(uuid, "NORMAL_CLEARING", self.now), "abandon")

    def _due_leg_gone(self, payload) -> None:
        uuid, cause = payload
        if uuid in self.center.floor.calls or uuid in self.center.floor.agent_legs:
            self.handle(LegHungUp(uuid, cause, self.now), "hang-up")

    def _due_ready(self, agent_id: int) -> None:
        agent = self.center.floor.agents[agent_id]
        if agent.state is AgentState.NOT_READY:
            self.handle(AgentRequest(agent_id, "ready", None, "bench", self.now), "agent ready")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="wall-clock budget (default 30)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=2.0,
                    help="steady-state arrivals per virtual second (default 2.0: ~70 %% of the floor's capacity)")
    args = ap.parse_args(argv)
    wall0 = time.perf_counter()
    b = Bench(args.seed)
    print(f"floor: {N_AGENTS} agents, {N_SKILLS} skills, {N_QUEUES} queues "
          f"({', '.join(sorted(set(q.strategy for q in b.queues.values())))})")

    # 1. backlog: 500 calls, nobody ready
    for _ in range(N_BACKLOG):
        b.now += 0.01
        b.arrive("arrival (nobody ready)")
    waiting0 = len(b.center.floor.waiting)
    # 2. agents become ready one at a time (0.2 s apart), the world keeps running meanwhile
    order = list(b.agents)
    b.rng.shuffle(order)
    for agent_id in order:
        b.run_until(b.now + 0.2)
        b.handle(AgentRequest(agent_id, "ready", None, "bench", b.now), "agent ready")
    ready_phase_offers = b.offers_made
    waiting_after_ready = len(b.center.floor.waiting)
    abandoned_in_ready = b.outcomes["abandoned"]
    # 3. steady state: Poisson arrivals while agents work, until the budget is spent
    steady_from = b.now
    while time.perf_counter() - wall0 < args.seconds * 0.92:
        b.run_until(b.now + b.rng.expovariate(args.rate))
        b.arrive("arrival (agents ready)")
    virtual_s = b.now - steady_from
    wall = time.perf_counter() - wall0

    print(f"backlog: {N_BACKLOG} calls arrived with every agent not ready; {waiting0} waiting")
    print(f"ready phase: {N_AGENTS} agents made ready one at a time, 0.2 s apart; {ready_phase_offers} offers made, "
          f"{abandoned_in_ready} callers abandoned meanwhile, {waiting_after_ready} still waiting")
    print(f"steady phase: {virtual_s / 60:.1f} virtual minutes at {args.rate:g} calls/s; "
          f"calls {b.calls_started}, still waiting {len(b.center.floor.waiting)}, "
          f"ready agents now {len(b.center.floor.ready)}")
    print(f"outcomes: {dict(b.outcomes)}")
    print()
    print(f"{'event (one center.handle)':34s} {'count':>8s} {'p50 µs':>9s} {'p99 µs':>9s} {'max µs':>9s}")
    all_lat: list[float] = []
    for kind, values in sorted(b.lat.items(), key=lambda kv: -len(kv[1])):
        if kind == "directory":
            continue
        all_lat += values
        print(f"{kind:34s} {len(values):8d} {pct(values, 50) * 1e6:9.1f} {pct(values, 99) * 1e6:9.1f} "
              f"{max(values) * 1e6:9.1f}")
    print(f"{'all decisions':34s} {len(all_lat):8d} {pct(all_lat, 50) * 1e6:9.1f} {pct(all_lat, 99) * 1e6:9.1f} "
          f"{max(all_lat) * 1e6:9.1f}")
    print(f"(directory load of {N_AGENTS} agents: {b.lat['directory'][0] * 1e3:.1f} ms)")
    print()
    r = b.routing
    print(f"routing decisions (handle() calls that dialled an agent): {len(r)}, "
          f"p50 {pct(r, 50) * 1e6:.1f} µs, p99 {pct(r, 99) * 1e6:.1f} µs, max {max(r) * 1e6:.1f} µs, "
          f"{len(r) / sum(r):,.0f} per second of core time")
    print(f"all events: {b.decisions / b.decision_time:,.0f} handle() calls per second of core time "
          f"[{b.decisions} in {b.decision_time:.2f} s]; {b.offers_made} agents dialled")
    print(f"wall clock: {wall:.1f} s (including the driver)")
    print()
    mis, dbl = b.violations["skill mismatch"], b.violations["agent offered a second call"]
    print(f"invariant: agent offered a second call while busy: {dbl}")
    print(f"invariant: agent lacking a required skill/level:    {mis}")
    for ex in b.examples:
        print("   e.g.", ex)
    print("invariants:", "OK" if not (mis or dbl) else "VIOLATED")
    return 0 if not (mis or dbl) else 1


if __name__ == "__main__":
    sys.exit(main())
