"""A twin run: the real engine (engine.bootstrap.Engine) on the simulated switch (engine.fsim.SimSwitch) in this
process over real ESL, both on one accelerated clock (engine.clock.ScaledClock) set to the planned day, so that
every record the engine writes is dated that day; callers arrive per interval at the plan's rate, wait with a
patience drawn from the measured one (exponential, as Erlang A assumes) and talk for the AHT less the wrap-up the
engine times itself; the agents on the phones follow the plan's head count interval by interval."""
from __future__ import annotations

import dataclasses
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import gevent

from engine.bootstrap import Engine
from engine.clock import ScaledClock
from engine.config import load_config
from engine.domain.events import AgentRequest
from engine.domain.states import AgentState, NotReadyReason
from engine.fsim import SimSwitch
from engine.reports.periods import local

from . import center as twin_center
from .plan import TwinPlan

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ACTOR = "twin"
LEAD_S = 120.0          # virtual seconds before the first interval: the engine connects, the agents log in
TICK_S = 1.0            # the staffing reconciler's period, virtual seconds


@dataclasses.dataclass(frozen=True)
class TwinOptions:
    speed: float = 60.0                 # virtual seconds per wall-clock second
    seed: int = 1
    answer_delay_s: float = 1.0         # an agent picks up this long after the phone starts ringing
    database_url: str | None = None     # a fresh database (default: SQLite in a temporary folder)
    drain_max_s: float = 3600.0         # virtual seconds for the calls left after the last interval


@dataclasses.dataclass(frozen=True)
class PlacedCall:
    uuid: str
    at: float                   # virtual epoch it was placed
    due: float                  # when it was planned
    interval: int               # the plan's interval index it arrived in
    patience: float | None
    talk: float


@dataclasses.dataclass
class TwinRun:
    plan: TwinPlan
    options: TwinOptions
    database_url: str
    placed: dict[str, PlacedCall]
    refused: int                # INVITEs the switch turned away (session limits)
    wall_s: float
    cpu_s: float
    events_handled: int
    calls_left: int             # calls still in the engine after the drain (must be 0)
    legs_left: int              # channels still up on the switch after the drain (must be 0)
    staffing_requests: dict[str, int]
    loop_lag: list[float]       # how late a 20 ms wall-clock sleep woke up, virtual seconds, sampled all along


def arrivals(plan: TwinPlan, rng: random.Random) -> list[tuple[float, int]]:
    """(virtual epoch, interval index) of every call: Poisson at each interval's rate, or for an actual day its
    count exactly, at uniform times within the interval."""
    out: list[tuple[float, int]] = []
    for iv in plan.intervals:
        lo = plan.interval_start(iv)
        hi = lo + 900.0
        if plan.exact_counts:
            out += sorted((rng.uniform(lo, hi), iv.index) for _ in range(int(round(iv.calls))))
            continue
        rate = iv.calls / 900.0
        t = lo
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= hi:
                break
            out.append((t, iv.index))
    return out


class Staffing:
    """Keeps the plan's head count on the phones in each interval, through AgentRequest events as the agents'
    consoles would. When the head count drops, idle agents leave at once and, if that is not enough, as many busy
    ones are told to leave after their call (the ones who took their call last): from the boundary on, exactly
    the head count stays to take new calls, as in the ideal queue (engine.twin.ideal). Missing agents log in and
    get ready."""

    def __init__(self, engine: Engine, plan: TwinPlan, agents: dict[int, str], clock: ScaledClock):
        self.engine, self.plan, self.clock = engine, plan, clock
        self.order = list(agents)
        self.requests: dict[str, int] = {}
        self._asked: dict[int, tuple[str, float]] = {}
        self.leaving: set[int] = set()      # told to go on a break once their call (and wrap-up) is over
        self.frozen_at: int | None = None   # after the day: the last interval's head count finishes the calls

    def heads(self, t: float) -> int:
        if self.frozen_at is not None:
            return self.frozen_at
        for iv in self.plan.intervals:
            start = self.plan.interval_start(iv)
            if start <= t < start + 900.0:
                return iv.agents
        return self.plan.intervals[0].agents if t < self.plan.start else self.plan.intervals[-1].agents

    def post(self, agent_id: int, action: str, reason: NotReadyReason | None = None) -> None:
        now = self.clock.now()
        last = self._asked.get(agent_id)
        if last is not None and last[0] == action and now - last[1] < 5.0:
            return                          # asked a moment ago (virtual seconds): not applied yet
        self._asked[agent_id] = (action, now)
        self.requests[action] = self.requests.get(action, 0) + 1
        self.engine.runtime.post(AgentRequest(agent_id, action, reason.value if reason else None, ACTOR, now))

    def tick(self) -> None:
        floor = self.engine.center.floor
        want = self.heads(self.clock.now())
        states = {aid: floor.agents[aid] for aid in self.order if aid in floor.agents}
        off_states = (AgentState.LOGGED_OUT, AgentState.NOT_READY)
        self.leaving = {aid for aid in self.leaving if aid in states and states[aid].state not in off_states}
        staying = [aid for aid, a in states.items() if a.state not in off_states and aid not in self.leaving]
        extra = len(staying) - want
        if extra > 0:       # idle ones first, then the busy ones who took their call last
            order = sorted(staying, key=lambda aid: (states[aid].state is not AgentState.READY, -states[aid].since))
            self.leaving.update(order[:extra])
        elif extra < 0:     # those about to leave stay after all, then others come
            for aid in sorted(self.leaving)[:-extra]:
                self.leaving.discard(aid)
                extra += 1
            off = [aid for aid, a in states.items() if a.state in off_states]
            for aid in off[:max(0, -extra)]:
                self.post(aid, "login" if states[aid].state is AgentState.LOGGED_OUT else "ready")
        for aid in self.leaving:
            if states[aid].state in (AgentState.READY, AgentState.WRAP_UP):
                self.post(aid, "not_ready", NotReadyReason.BREAK)


def run(plan: TwinPlan, opts: TwinOptions = TwinOptions(), say: Callable[[str], None] = lambda _m: None) -> TwinRun:
    """Seed the twin's center, start switch and engine on the plan's day, play the calls, drain, stop."""
    if not plan.intervals:
        raise ValueError("the plan has no interval to run")
    rng = random.Random(opts.seed)
    workdir = Path(tempfile.mkdtemp(prefix="twin-"))
    db_url = opts.database_url or f"sqlite:///{workdir / 'twin.db'}"
    code = plan.queue_code or "twin"
    most = max(iv.agents for iv in plan.intervals)
    c = twin_center.seed(db_url, workdir / "flows", code, max(1, most), plan.wrap_up_s)
    calls = arrivals(plan, rng)
    talk_mean = {iv.index: max(1.0, iv.aht - plan.wrap_up_s) for iv in plan.intervals}
    say(f"twin {plan.day.isoformat()} {plan.intervals[0].label}-{_hhmm(plan.end)} queue {code}: {len(calls)} calls, "
        f"up to {most} agents, speed x{opts.speed:g}; database {db_url}")
    clock = ScaledClock(1.0 / opts.speed, start=plan.start - LEAD_S)
    sim = SimSwitch(host="127.0.0.1", esl_port=0, password="ClueCon", control_port=None,
                    dialplan_dir=str(PROJECT_ROOT / "dialplans"), clock=clock)
    sim.start()
    for ext in c.agents.values():
        sim.add_phone(ext, behaviour="answer", answer_delay=opts.answer_delay_s)
    config = load_config(env={**os.environ, "CALLCENTER_ESL_PORT": str(sim.esl_port),
                              "CALLCENTER_DATABASE_URL": db_url, "CALLCENTER_PATHS_FLOWS_DIR": c.flows_dir,
                              "CALLCENTER_PATHS_RECORDINGS_DIR": str(workdir / "recordings")})
    engine = Engine(config, directory_reload_s=2.0, clock=clock)
    wall0, cpu0 = time.time(), time.process_time()
    engine.start()
    staffing = Staffing(engine, plan, c.agents, clock)
    placed: dict[str, PlacedCall] = {}
    refused = 0
    tickers: list[gevent.Greenlet] = []
    lag: list[float] = []
    try:
        wait_until(lambda: engine.switch.connected and engine.center.floor.directory_loaded, 15.0, "the engine")
        tickers.append(gevent.spawn(every, max(0.01, clock.real(TICK_S)), staffing.tick))
        tickers.append(gevent.spawn(_measure_lag, clock, lag))
        done = -1
        for at, index in calls:
            clock.sleep_until(at)
            if index != done:
                done = index
                say(f"progress {index - plan.intervals[0].index}/{len(plan.intervals)}")
            patience = rng.expovariate(1.0 / plan.patience) if plan.patience else None
            talk = rng.expovariate(1.0 / talk_mean[index])
            uuid = sim.place_call(did=twin_center.DID, ani=f"1{rng.randrange(3, 10)}{rng.randrange(10 ** 9):09d}",
                                  patience=patience, talk_time=talk)
            if uuid is None:
                refused += 1
                continue
            placed[uuid] = PlacedCall(uuid, clock.now(), at, index, patience, talk)
        clock.sleep_until(plan.end)
        say(f"progress {len(plan.intervals)}/{len(plan.intervals)}")
        staffing.frozen_at = max(1, plan.intervals[-1].agents)
        say(f"  {len(placed)} calls placed; draining")
        wait_until(lambda: not engine.center.floor.calls and not any(
            getattr(ch, "direction", "") == "inbound" for ch in sim.all_channels()),
              clock.real(opts.drain_max_s) + 10.0, None)
        clock.sleep(2 * plan.wrap_up_s + 5.0)          # the last wrap-ups run out
        wait_until(engine.runtime.idle, 10.0, None)
        calls_left = len(engine.center.floor.calls)
        legs_left = len(sim.all_channels())
    finally:
        for g in tickers:
            g.kill()
        events = engine.runtime.events_handled
        engine.stop(hangup_calls=True)
        sim.stop()
        for scratch in ("recordings", "flows"):         # the figures need the records only (the database stays)
            shutil.rmtree(workdir / scratch, ignore_errors=True)
        try:
            workdir.rmdir()                             # nothing left when the database lives elsewhere
        except OSError:
            pass
    return TwinRun(plan, opts, db_url, placed, refused, time.time() - wall0, time.process_time() - cpu0, events,
                   calls_left, legs_left, dict(staffing.requests), lag)


def _measure_lag(clock: ScaledClock, out: list[float], period: float = 0.02) -> None:
    """The event loop's lateness: what every event the engine and the switch handle waits on top of its own time,
    in virtual seconds (the acceleration magnifies it by 1/scale; docs/twin.md)."""
    while True:
        t0 = time.monotonic()
        gevent.sleep(period)
        out.append(clock.virtual(max(0.0, time.monotonic() - t0 - period)))


def _hhmm(epoch: float) -> str:
    return local(epoch).strftime("%H:%M")


def every(interval: float, fn) -> None:
    """Call fn every `interval` wall-clock seconds, for ever (a greenlet's body); a failure is logged and the run
    goes on. Shared with the day simulation (benchmarks/daysim)."""
    while True:
        try:
            fn()
        except Exception:  # noqa: BLE001 - the run goes on; the failure is in the log
            logger.exception("periodic task %r failed", fn)
        gevent.sleep(interval)


def wait_until(predicate, timeout: float, what: str | None) -> bool:
    """Poll until predicate() holds or `timeout` wall-clock seconds pass; then RuntimeError naming `what`, or
    False when `what` is None. Shared with the day simulation."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        gevent.sleep(0.02)
    if what:
        raise RuntimeError(f"timed out waiting for {what}")
    return False
