"""One working day of the center as a discrete-event simulation that emits the rows the engine would write.

Callers arrive (Poisson within each half hour of the profile) on one of the trunk groups, go through the menu,
leave in the IVR (self-service) or ask for an agent in a queue; agents are offered the longest-waiting call they
can take (longest-idle agent first), answer after a few rings (about 1 % of offers go unanswered), talk (some put
the caller on hold, some transfer to another queue), wrap up, take their scheduled breaks and log out. Callers
give up after an exponential patience, ask for a callback (they keep their place), or are released after the
maximum wait; tax-policy calls waiting two minutes are widened to every agent. After the agent hangs up first,
the caller is asked for a rating. Every step is written as the engine writes it: call_events (kinds and fields
per ``engine.domain.calllog``), agent_state_changes (the transitions of ``engine.domain.agent``), call_records,
survey_results and callbacks. Times are epoch seconds rounded to the millisecond.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import math
import random
import uuid

from engine.seeding.callers import CallerNumbers
from engine.seeding.center import DNIS, FLOW, LINES, Line, SeatPlan

LOCAL = dt.timezone(dt.timedelta(hours=8))
PATIENCE_MEAN_S = 180.0
MAX_WAIT_S = 600.0
WIDEN_AFTER_S = 120.0           # tax-policy calls: any agent may take them after two minutes (overflow step)
WIDEN_QUEUE = "tax_policy"
PRIORITY_STEP_S = 60.0
TRANSFER_PRIORITY = 5
NO_ANSWER_SHARE = 0.01
RING_TIMEOUT_S = 20.0
CALLBACK_SHARE = 0.03           # of queued callers, after waiting 40-120 s (queue key 9)
HOLD_SHARE = 0.15
TRANSFER_SHARE = 0.015
AGENT_HANGS_UP_FIRST = 0.7      # then the caller hears the survey
SURVEY_SHARE = 0.65             # of those, rate the service
# (key pressed, rating stored, share) as the shipped survey stores them: key 3 基本满意 stores 6 (ivr_flows/tax_main.yaml)
RATINGS = (("5", 5, 0.80), ("4", 4, 0.14), ("3", 6, 0.035), ("2", 2, 0.015), ("1", 1, 0.01))
AFTER_CALL_WORK_SHARE = 0.03
TALK_CV = 0.6


@dataclasses.dataclass(frozen=True)
class Trunk:
    """A trunk group: name, channels, share of the inbound calls it carries."""

    name: str
    channels: int
    share: float


@dataclasses.dataclass
class Rows:
    """What one day wrote, as tuples in the column order of engine.seeding.writer.TABLES."""

    call_events: list = dataclasses.field(default_factory=list)
    agent_state_changes: list = dataclasses.field(default_factory=list)
    call_records: list = dataclasses.field(default_factory=list)
    survey_results: list = dataclasses.field(default_factory=list)
    callbacks: list = dataclasses.field(default_factory=list)

    def size(self) -> int:
        return sum(len(getattr(self, f.name)) for f in dataclasses.fields(self))


@dataclasses.dataclass(eq=False)
class Caller:
    """One call (or a callback job waiting in a queue for an agent)."""

    uuid: str
    ani: str
    started: float
    trunk: int
    line: Line
    patience_s: float
    talk_s: float
    queue: str | None = None
    queued_at: float | None = None
    priority: int = 0
    key: float = 0.0
    state: str = "ivr"              # ivr, waiting, ringing, talking, done
    version: int = 0                # bumped at every (re)entry into a queue: stale timers are ignored
    slot: int = 0                   # its current place in the waiting heaps
    ring_token: int = 0
    offered_at: float = 0.0
    agent: int | None = None
    answered_at: float | None = None
    answered_first: float | None = None
    offers: int = 0
    transfers: int = 0
    widened: bool = False
    origin: str | None = None       # a callback job: the call that asked for it
    path: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(eq=False)
class Seat:
    """One agent in the simulation."""

    agent_id: int
    employee_no: str
    queues: frozenset
    state: str = "out"              # out, ready, nr, busy
    idle_since: float = 0.0
    since: float = 0.0
    engine_state: str = "logged_out"
    reason: str | None = None
    call: Caller | None = None
    pending: tuple | None = None    # ("nr", reason, seconds) or ("logout",) asked during a call
    nr_token: int = 0
    last_queue: str | None = None
    last_queued_at: float | None = None


def local_epoch(day: dt.date, seconds: float) -> float:
    """Epoch seconds of `seconds` after local midnight of `day` (the center is UTC+8)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL).timestamp() + seconds


def lognormal(rng: random.Random, mean: float, cv: float = TALK_CV) -> float:
    sigma = math.sqrt(math.log(1 + cv * cv))
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


class Day:
    """Simulate one working day; `run()` fills `rows` and returns the callbacks still pending at its end."""

    def __init__(self, day: dt.date, deadline: bool, calls: float, queued_share: float, plan: SeatPlan,
                 shares: list[tuple[int, float]], trunks: list[Trunk], numbers: CallerNumbers, rng: random.Random,
                 rows: Rows, carried: list[Caller] = ()):
        self.day, self.deadline, self.calls, self.queued_share = day, deadline, calls, queued_share
        self.plan, self.shares, self.trunks, self.numbers, self.rng, self.rows = plan, shares, trunks, numbers, rng, rows
        self.carried = list(carried)
        self.heap: list = []
        self.seq = itertools.count()
        self.now = 0.0
        self.waiting: dict[str, list] = {line.queue: [] for line in LINES}
        self.widened_heap: list = []
        self.ready: dict[int, Seat] = {}
        self.seats = {aid: Seat(aid, no, queues) for aid, (no, queues) in plan.agents.items()}
        self.in_use = [0] * len(trunks)
        self.busy_since: list[float | None] = [None] * len(trunks)
        self.blocked = 0

    # --- plumbing -------------------------------------------------------------------------------------------------
    def at(self, t: float, handler, *args) -> None:
        heapq.heappush(self.heap, (round(t, 3), next(self.seq), handler, args))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, t: float, c: Caller | None, kind: str, *, agent: int | None = None, wait: float | None = None,
              duration: float | None = None, value: int | None = None, detail: str = "", call_uuid: str = "",
              queue: str | None = None, queued_at: float | None = None) -> None:
        if c is not None:
            self.rows.call_events.append((t, c.uuid, kind, "inbound", c.ani, DNIS, None, queue or c.queue,
                                          agent if agent is not None else c.agent, c.queued_at,
                                          None if wait is None else round(wait, 3),
                                          None if duration is None else round(duration, 3), value, detail))
        else:
            self.rows.call_events.append((t, call_uuid, kind, "inbound", "", "", None, queue, agent, queued_at, wait,
                                          None if duration is None else round(duration, 3), value, detail))

    def change(self, s: Seat, t: float, to: str, *, reason: str | None = None, cause: str = "",
               actor: str = "system", call: str | None = None) -> None:
        self.rows.agent_state_changes.append((s.agent_id, t, s.engine_state, to, reason, cause, actor, call))
        s.engine_state, s.reason, s.since = to, reason, t

    def record(self, c: Caller, t: float, outcome: str, side: str, cause: str = "NORMAL_CLEARING") -> None:
        self.rows.call_records.append((
            c.uuid, c.ani, DNIS, None if c.origin else FLOW, self.plan.queue_ids.get(c.queue or ""), c.agent,
            None, c.started, c.queued_at, c.answered_first, t, outcome, cause, side, " > ".join(c.path), c.offers,
            c.priority, "inbound", c.transfers))

    # --- the day ----------------------------------------------------------------------------------------------------
    def run(self) -> list[Caller]:
        rng = self.rng
        volume = self.calls
        for start, share in self.shares:
            rate = volume * share / 1800.0
            t = float(start)
            while rate > 0:
                t += rng.expovariate(rate)
                if t >= start + 1800:
                    break
                self.at(local_epoch(self.day, t), self.arrive)
        for seat in self.seats.values():
            self.roster(seat)
        if self.carried:
            self.at(local_epoch(self.day, 8 * 3600 + 60), self.resume_callbacks)
        while self.heap:
            t, _, handler, args = heapq.heappop(self.heap)
            self.now = t
            handler(*args)
        pending = [c for c in self.carried if c.state == "waiting"]
        for q in self.waiting.values():
            pending += [c for _, _, slot, c in q if c.origin and c.state == "waiting" and c.slot == slot]
        return list({c.uuid: c for c in pending}.values())

    def roster(self, s: Seat) -> None:
        """Today's shift of one agent: present or not, login, breaks, lunch, occasional training, logout."""
        rng, day = self.rng, self.day
        if not self.deadline and rng.random() < 0.11:
            return                                  # day off, leave, sick
        self.at(local_epoch(day, 7 * 3600 + 45 * 60 + rng.uniform(0, 780)), self.login, s)
        lunch = 11.5 * 3600 if rng.random() < 0.5 else 12.5 * 3600
        plan = [(rng.uniform(10.5, 11.3) * 3600, "break", 15 * 60), (lunch + rng.uniform(0, 600), "meal", 3600),
                (rng.uniform(15.5, 16.5) * 3600, "break", 15 * 60)]
        if rng.random() < 0.5:
            plan.append((rng.uniform(8.5, 17.5) * 3600, "break", 5 * 60))
        if not self.deadline and rng.random() < 0.04:
            plan.append((13.5 * 3600 + rng.uniform(0, 900), "training", 3600))
        if not self.deadline and rng.random() < 0.03:
            plan.append((17 * 3600, "meeting", 30 * 60))
        for start, reason, seconds in plan:
            self.at(local_epoch(day, start), self.break_start, s, reason, seconds + rng.uniform(-60, 180))
        self.at(local_epoch(day, 18 * 3600 + rng.uniform(0, 600)), self.logout, s)

    # --- agents ---------------------------------------------------------------------------------------------------
    def make_ready(self, s: Seat, t: float, cause: str, actor: str = "system") -> None:
        self.change(s, t, "ready", cause=cause, actor=actor)
        s.state, s.idle_since = "ready", t
        self.ready[s.agent_id] = s
        self.dispatch_agent(s)

    def login(self, s: Seat) -> None:
        self.make_ready(s, self.now, "requested", s.employee_no)

    def logout(self, s: Seat) -> None:
        if s.state in ("ready", "nr"):
            self.ready.pop(s.agent_id, None)
            s.nr_token += 1
            self.change(s, self.now, "logged_out", cause="requested", actor=s.employee_no)
            s.state = "out"
        elif s.state == "busy":
            s.pending = ("logout",)

    def break_start(self, s: Seat, reason: str, seconds: float) -> None:
        if s.state == "busy":
            s.pending = ("nr", reason, seconds)     # applied when the wrap-up ends
        elif s.state in ("ready", "nr"):
            self.not_ready(s, self.now, reason, seconds, "requested", s.employee_no)

    def not_ready(self, s: Seat, t: float, reason: str, seconds: float, cause: str, actor: str = "system") -> None:
        self.ready.pop(s.agent_id, None)
        self.change(s, t, "not_ready", reason=reason, cause=cause, actor=actor)
        s.state = "nr"
        s.nr_token += 1
        self.at(t + seconds, self.break_end, s, s.nr_token)

    def break_end(self, s: Seat, token: int) -> None:
        if s.state == "nr" and s.nr_token == token:
            self.make_ready(s, self.now, "requested", s.employee_no)

    def dispatch_agent(self, s: Seat) -> None:
        """A free agent takes the longest-waiting call (priority advanced) among the queues it can serve."""
        best, best_heap = None, None
        for heap in [self.waiting[q] for q in s.queues] + [self.widened_heap]:
            while heap and (heap[0][3].state != "waiting" or heap[0][3].slot != heap[0][2]):
                heapq.heappop(heap)
            if heap and (best is None or heap[0][0] < best[0]):
                best, best_heap = heap[0], heap
        if best is not None:
            heapq.heappop(best_heap)
            self.offer(best[3], s)

    # --- callers ----------------------------------------------------------------------------------------------------
    def arrive(self) -> None:
        rng, t = self.rng, self.now
        r, trunk = rng.random(), 0
        for i, tr in enumerate(self.trunks):
            trunk = i
            r -= tr.share
            if r < 0:
                break
        if self.in_use[trunk] >= self.trunks[trunk].channels:
            self.blocked += 1                       # the caller hears busy: never reaches the engine
            return
        self.seize(trunk, t)
        r, line = rng.random(), LINES[-1]
        for candidate in LINES:
            r -= candidate.share
            if r < 0:
                line = candidate
                break
        c = Caller(self.uuid(), self.numbers.draw(), t, trunk, line, rng.expovariate(1 / PATIENCE_MEAN_S),
                   lognormal(rng, line.talk_mean_s))
        self.event(t, c, "arrived")
        self.event(round(t + 0.4, 3), c, "ivr_entered", detail=FLOW)
        c.path += ["welcome", "menu"]
        if rng.random() >= self.queued_share:
            self.at(t + lognormal(rng, 75.0, 0.8) + 10, self.leave_ivr, c)
        else:
            key = line.key if line.queue != LINES[0].queue or rng.random() > 0.09 else "timeout"
            c.path.append(f"{key}:to_{line.queue}")
            self.at(t + rng.uniform(12, 25), self.enqueue, c, line.queue, 0)

    def seize(self, trunk: int, t: float) -> None:
        self.in_use[trunk] += 1
        tr = self.trunks[trunk]
        if self.in_use[trunk] == tr.channels:
            self.busy_since[trunk] = t
            self.event(t, None, "trunk_all_busy", value=tr.channels, detail=tr.name)

    def hang_up(self, c: Caller, t: float) -> None:
        """The caller's leg is gone: its trunk channel frees."""
        i = c.trunk
        self.in_use[i] -= 1
        if self.busy_since[i] is not None:
            self.event(t, None, "trunk_free", duration=t - self.busy_since[i], detail=self.trunks[i].name)
            self.busy_since[i] = None

    def end(self, c: Caller, t: float, outcome: str, side: str) -> None:
        self.event(t, c, "ended", duration=t - c.started, detail=outcome)
        self.record(c, t, outcome, side)
        c.state = "done"
        self.at(t, self.hang_up, c, t)

    def leave_ivr(self, c: Caller) -> None:
        c.path.append("self_service")
        self.end(c, self.now, "ivr_only", "caller")

    def enqueue(self, c: Caller, queue: str, priority: int) -> None:
        t = self.now
        c.queue, c.queued_at, c.priority, c.state, c.widened = queue, t, priority, "waiting", False
        c.version += 1
        c.key = t - priority * PRIORITY_STEP_S
        self.event(t, c, "queued", value=priority, detail="transfer" if c.transfers else "")
        rng, v = self.rng, c.version
        self.at(t + c.patience_s, self.patience_over, c, v)
        self.at(t + MAX_WAIT_S, self.max_wait, c, v)
        if queue == WIDEN_QUEUE:
            self.at(t + WIDEN_AFTER_S, self.widen, c, v)
        if rng.random() < CALLBACK_SHARE:
            self.at(t + rng.uniform(40, 120), self.ask_callback, c, v)
        self.wait(c)

    def wait(self, c: Caller) -> None:
        """Put the call (back) among the waiting ones and offer it if someone able is ready."""
        c.state = "waiting"
        c.slot = slot = next(self.seq)
        heapq.heappush(self.waiting[c.queue], (c.key, slot, slot, c))
        if c.widened:
            heapq.heappush(self.widened_heap, (c.key, slot, slot, c))
        best = None
        for s in self.ready.values():
            if (c.widened or c.queue in s.queues) and (best is None or s.idle_since < best.idle_since):
                best = s
        if best is not None:
            self.offer(c, best)

    def offer(self, c: Caller, s: Seat) -> None:
        t, rng = self.now, self.rng
        self.ready.pop(s.agent_id, None)
        s.state, s.call = "busy", c
        c.state, c.offered_at, c.agent = "ringing", t, s.agent_id
        c.offers += 1
        c.ring_token += 1
        self.change(s, t, "reserved", cause=f"offer from {c.queue}", call=c.uuid)
        self.event(t, c, "offered", agent=s.agent_id, wait=t - c.queued_at, detail="longest_idle")
        if c.origin is None and rng.random() < NO_ANSWER_SHARE:
            self.at(t + RING_TIMEOUT_S, self.ring_over, c, s, c.ring_token, False)
        else:
            self.at(t + rng.uniform(2, 6), self.ring_over, c, s, c.ring_token, True)

    def ring_over(self, c: Caller, s: Seat, token: int, answered: bool) -> None:
        if c.ring_token != token or c.state != "ringing":
            return
        t, rng = self.now, self.rng
        ring = t - c.offered_at
        if not answered:
            self.event(t, c, "no_answer", agent=s.agent_id, duration=ring, detail="no_answer:NO_ANSWER")
            s.call, c.agent = None, None
            self.not_ready(s, t, "no_answer", rng.uniform(20, 90), "no answer (NO_ANSWER)")
            self.wait(c)
            return
        c.state, c.answered_at = "talking", t
        c.answered_first = c.answered_first or t
        if c.origin is None:
            self.event(t, c, "answered", agent=s.agent_id, wait=t - c.queued_at, duration=ring)
        self.change(s, t, "talking", cause="answered", call=c.uuid)
        talk = c.talk_s
        if c.origin is not None:            # a callback: the agent hears the customer's phone ring first
            c.answered_at = round(t + rng.uniform(6, 20), 3)
            c.answered_first = c.answered_at
            talk = c.answered_at - t + c.talk_s * 0.8
        elif rng.random() < HOLD_SHARE:
            held = round(t + talk * rng.uniform(0.3, 0.7), 3)
            back = round(held + min(lognormal(rng, 45.0), talk * 0.25), 3)
            self.event(held, c, "held", agent=s.agent_id)
            self.change(s, held, "on_hold", cause="hold", call=c.uuid)
            self.event(back, c, "retrieved", agent=s.agent_id, duration=back - held)
            self.change(s, back, "talking", cause="retrieved", call=c.uuid)
        self.at(t + max(talk, 5.0), self.talk_over, c, s)

    def talk_over(self, c: Caller, s: Seat) -> None:
        t, rng = self.now, self.rng
        transfer = c.origin is None and c.transfers == 0 and rng.random() < TRANSFER_SHARE
        if transfer:
            target = rng.choice([line.queue for line in LINES if line.queue != c.queue])
            self.event(t, c, "transferred", agent=s.agent_id, detail=f"queue:{target}")
            c.path.append(f"transfer:queue:{target}:by {s.employee_no}")
        self.event(t, c, "talk_ended", agent=s.agent_id, duration=t - c.answered_at)
        self.wrap_up(s, c, t)
        if transfer:
            c.transfers += 1
            c.agent = None
            c.patience_s = rng.expovariate(1 / PATIENCE_MEAN_S)
            c.talk_s = lognormal(rng, next(line for line in LINES if line.queue == target).talk_mean_s)
            self.at(t + 1.0, self.enqueue, c, target, TRANSFER_PRIORITY)
            return
        if c.origin is not None:
            self.event(t, c, "dialed", duration=t - c.answered_at, detail="callback")
            self.rows.callbacks.append((c.origin, c.ani, c.queue, c.queued_at, c.started, "done", 1, s.agent_id, t,
                                        "NORMAL_CLEARING"))
            self.end(c, t, "answered", "agent")
        elif rng.random() < AGENT_HANGS_UP_FIRST:
            c.path.append("after_call")
            if rng.random() < SURVEY_SHARE:
                rated = round(t + rng.uniform(8, 15), 3)
                key, rating, _ = rng.choices(RATINGS, [w for _, _, w in RATINGS])[0]
                c.path += ["survey", "thanks"]
                self.event(rated, c, "survey", value=rating, detail=f"key:{key}")
                self.rows.survey_results.append((c.uuid, c.agent, c.queue, rating, rated))
                self.end(c, round(rated + 2.0, 3), "answered", "agent")
            else:
                c.path.append("survey")
                self.end(c, round(t + rng.uniform(3, 12), 3), "answered", "agent")
        else:
            self.end(c, t, "answered", "caller")

    def wrap_up(self, s: Seat, c: Caller, t: float) -> None:
        self.change(s, t, "wrap_up", cause="call ended", call=c.uuid)
        s.last_queue, s.last_queued_at = c.queue, c.queued_at
        self.at(t + self.rng.uniform(*c.line.wrap_up_s), self.wrap_up_over, s, c.uuid)

    def wrap_up_over(self, s: Seat, call_uuid: str) -> None:
        t, rng = self.now, self.rng
        self.event(t, None, "wrap_up_ended", agent=s.agent_id, duration=t - s.since, call_uuid=call_uuid,
                   queue=s.last_queue, queued_at=s.last_queued_at)
        s.call, pending, s.pending = None, s.pending, None
        if pending and pending[0] == "logout":
            self.change(s, t, "logged_out", cause="requested", actor=s.employee_no, call=call_uuid)
            s.state = "out"
        elif pending:
            self.not_ready(s, t, pending[1], pending[2], "wrap-up time over")
        elif rng.random() < AFTER_CALL_WORK_SHARE:
            self.not_ready(s, t, "after_call_work", rng.uniform(60, 180), "requested", s.employee_no)
        else:
            self.make_ready(s, t, "wrap-up time over")

    def patience_over(self, c: Caller, version: int) -> None:
        if c.version != version or c.state not in ("waiting", "ringing") or c.origin:
            return
        t = self.now
        ringing = c.state == "ringing"
        self.event(t, c, "abandoned", wait=t - c.queued_at, detail="ringing" if ringing else "")
        if ringing:
            s = self.seats[c.agent]
            c.ring_token += 1
            self.event(t, c, "no_answer", agent=s.agent_id, duration=t - c.offered_at,
                       detail="caller_left:ORIGINATOR_CANCEL")
            s.call = None
            c.state = "done"
            self.make_ready(s, t, "caller_left")
        c.agent = None
        # as Call.outcome(): a call answered once (then transferred) stays answered
        self.end(c, t, "answered" if c.answered_first else "abandoned", "caller")

    def max_wait(self, c: Caller, version: int) -> None:
        if c.version != version or c.state != "waiting":
            return
        t = self.now
        self.event(t, c, "released", wait=t - c.queued_at, detail="timed_out")
        c.path.append("all_busy")
        self.end(c, round(t + 6.0, 3), "timed_out", "system")

    def widen(self, c: Caller, version: int) -> None:
        if c.version != version or c.state not in ("waiting", "ringing"):
            return
        c.widened = True
        self.event(self.now, c, "overflowed", wait=self.now - c.queued_at, detail=f"widen:{c.queue}")
        if c.state == "waiting":
            self.wait(c)

    def ask_callback(self, c: Caller, version: int) -> None:
        if c.version != version or c.state != "waiting":
            return
        t = self.now
        self.event(t, c, "callback_requested", wait=t - c.queued_at)
        c.path.append("callback")
        self.end(c, round(t + 4.0, 3), "callback", "caller")
        job = Caller(self.uuid(), c.ani, t, c.trunk, c.line, 0.0, lognormal(self.rng, c.line.talk_mean_s),
                     queue=c.queue, queued_at=c.queued_at, priority=c.priority, key=c.key, origin=c.uuid,
                     path=[f"callback:{c.queue}"])
        self.wait(job)

    def resume_callbacks(self) -> None:
        """Callbacks left over from the previous day go back in their queues at their original places."""
        for job in self.carried:
            if job.state == "waiting":
                self.wait(job)
