"""Agents' working day: log in, scheduled breaks, lunch in two shifts, short personal breaks, and getting
ready again after an unanswered offer, carried out through AgentRequest events (actor "schedule") as the
agents' consoles would; plus the ~1 % of offers nobody picks up (the phone is set to no_answer for one offer).
"""
from __future__ import annotations

import dataclasses
import random
import time

from engine.domain.events import AgentRequest
from engine.domain.states import AgentState, NotReadyReason

from .profile import parse_hhmm

ACTOR = "schedule"
# windows in which each kind of break starts, staggered evenly over the agents (seconds since midnight)
MORNING_BREAK = (parse_hhmm("10:00"), parse_hhmm("11:15"), 15 * 60)       # start from, start until, length
AFTERNOON_BREAK = (parse_hhmm("15:30"), parse_hhmm("16:45"), 15 * 60)
LUNCH_SHIFTS = ((parse_hhmm("11:45"), 3600), (parse_hhmm("12:45"), 3600))
PERSONAL = ((5 * 60, 10 * 60), (NotReadyReason.BREAK, NotReadyReason.AFTER_CALL_WORK))
LOGIN = (parse_hhmm("07:55"), parse_hhmm("08:00"))
BACK_AFTER_NO_ANSWER = (20.0, 60.0)     # simulated seconds an agent takes to notice and press "ready" again


@dataclasses.dataclass
class AgentPlan:
    agent_id: int
    ext: str
    login_at: float
    windows: list[tuple[float, float, NotReadyReason]]      # not ready from, until, why

    def desired(self, t: float) -> NotReadyReason | None:
        """None: should be ready (or working) at t; else the not-ready reason of the window covering t."""
        for start, end, reason in self.windows:
            if start <= t < end:
                return reason
        return None

    def not_ready_s(self, start: float, end: float) -> float:
        return sum(max(0.0, min(end, e) - max(start, s)) for s, e, _ in self.windows)


def build_plans(agents: dict[int, str], rng: random.Random, day_end: float = parse_hhmm("18:00")) -> list[AgentPlan]:
    """Plans for every agent (id -> extension): breaks staggered evenly, lunch in two shifts, two personal
    breaks at random quiet-enough moments."""
    ids = list(agents)
    rng.shuffle(ids)
    n = len(ids)
    plans = []
    for k, agent_id in enumerate(ids):
        windows: list[tuple[float, float, NotReadyReason]] = []
        for (lo, hi, length), slot in ((MORNING_BREAK, k), (AFTERNOON_BREAK, (k + n // 2) % n)):
            start = lo + (hi - lo) * slot / max(1, n)
            windows.append((start, start + length, NotReadyReason.BREAK))
        lunch_start, lunch_len = LUNCH_SHIFTS[k % 2]
        windows.append((lunch_start, lunch_start + lunch_len, NotReadyReason.MEAL))
        for reason in PERSONAL[1]:
            length = rng.uniform(*PERSONAL[0])
            for _ in range(50):
                start = rng.uniform(parse_hhmm("08:15"), day_end - length - 900)
                if all(start + length <= s - 600 or start >= e + 600 for s, e, _ in windows):
                    windows.append((start, start + length, reason))
                    break
        windows.sort()
        plans.append(AgentPlan(agent_id, agents[agent_id], rng.uniform(*LOGIN), windows))
    return sorted(plans, key=lambda p: p.agent_id)


class Schedule:
    """Reconciles every agent's engine state with its plan, once per tick (a greenlet calls tick())."""

    def __init__(self, engine, sim, plans: list[AgentPlan], clock, rng: random.Random, min_wrap_up_s: float):
        self.engine = engine
        self.sim = sim
        self.plans = {p.agent_id: p for p in plans}
        self.by_ext = {p.ext: p.agent_id for p in plans}
        self.clock = clock
        self.rng = rng
        self.min_wrap_up_s = min_wrap_up_s
        self.pending: dict[int, tuple[str, str | None, float]] = {}      # agent -> (action, reason, wall time)
        self.back_at: dict[int, float] = {}                              # agent -> sim time it gets ready again
        self.flipped: dict[str, float] = {}                              # ext -> epoch (shared clock) set to no_answer
        self.requests: dict[str, int] = {}
        self.flips = {"requested": 0, "set": 0, "rang_out": 0, "expired": 0, "no_ready_agent": 0}
        self.flip_timeout_sim = 20 * 60.0
        self.frozen = False             # after the day: nobody starts a new break, everyone comes back

    def post(self, agent_id: int, action: str, reason: NotReadyReason | None = None) -> None:
        key = (action, reason.value if reason else None)
        last = self.pending.get(agent_id)
        now = time.time()
        if last is not None and last[:2] == key and now - last[2] < 0.5:
            return                      # asked a moment ago; the engine has not applied it yet
        self.pending[agent_id] = (*key, now)
        self.requests[action] = self.requests.get(action, 0) + 1
        self.engine.runtime.post(AgentRequest(agent_id, action, key[1], ACTOR, self.clock.clock.now()))

    def tick(self) -> None:
        t = self.clock.now()
        floor = self.engine.center.floor
        for agent_id, plan in self.plans.items():
            a = floor.agents.get(agent_id)
            if a is None:
                continue
            if a.state is not AgentState.NOT_READY:
                self.back_at.pop(agent_id, None)
            if a.state is AgentState.LOGGED_OUT:
                if t >= plan.login_at:
                    self.post(agent_id, "login")
                continue
            want = None if self.frozen else plan.desired(t)
            if want is None:
                if a.state is AgentState.NOT_READY:
                    if a.reason in (NotReadyReason.NO_ANSWER, NotReadyReason.SYSTEM):
                        back = self.back_at.setdefault(agent_id, t + self.rng.uniform(*BACK_AFTER_NO_ANSWER))
                        if t < back:
                            continue
                    self.post(agent_id, "ready")
            elif a.state is AgentState.READY or (a.state is AgentState.NOT_READY and a.reason is not want):
                self.post(agent_id, "not_ready", want)
            elif a.state is AgentState.WRAP_UP and self.clock.clock.now() - a.since >= 0.75 * self.min_wrap_up_s:
                self.post(agent_id, "not_ready", want)      # the break begins once the after-call work is done
        self._check_flips(floor)

    # -------------------------------------------------- unanswered offers
    def flip_one(self) -> None:
        """Make a random ready agent's phone ring out on its next offer (then it answers again)."""
        self.flips["requested"] += 1
        t = self.clock.now()
        floor = self.engine.center.floor
        ready = [p for aid, p in self.plans.items()
                 if p.ext not in self.flipped and (a := floor.agents.get(aid)) is not None
                 and a.state is AgentState.READY and p.desired(t) is None and p.desired(t + 600) is None]
        if not ready:
            self.flips["no_ready_agent"] += 1
            return
        plan = self.rng.choice(ready)
        self.sim.set_phone(plan.ext, behaviour="no_answer")
        self.flipped[plan.ext] = self.clock.clock.now()
        self.flips["set"] += 1

    def _check_flips(self, floor) -> None:
        for ext, since in list(self.flipped.items()):
            a = floor.agents.get(self.by_ext[ext])
            rang_out = a is not None and a.state is AgentState.NOT_READY and a.reason is NotReadyReason.NO_ANSWER \
                and a.since >= since
            expired = self.clock.clock.now() - since > self.flip_timeout_sim
            if rang_out or expired or self.frozen:
                self.sim.set_phone(ext, behaviour="answer")
                del self.flipped[ext]
                self.flips["rang_out" if rang_out else "expired"] += 1
