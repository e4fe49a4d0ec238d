"""One simulated working day: SimSwitch + Engine in this process over real ESL TCP, callers from the profile."""
from __future__ import annotations

import dataclasses
import logging
import os
import random
import socket
import tempfile
import time
import wave
from collections import Counter

import gevent

from engine.bootstrap import Engine
from engine.clock import ScaledClock
from engine.config import load_config
from engine.fsim import SimSwitch
from engine.reports.periods import local, local_midnight
from engine.twin.run import every, wait_until

from . import schedule as sched
from .profile import DAY_END_S, DAY_START_S, PROJECT_ROOT, Profile, arrivals, hhmm, load_profile
from .seed import Seeded, describe_skills, seed

logger = logging.getLogger("daysim")
DTMF_DELAY_S = 0.5          # a caller presses the key this long after the menu starts


@dataclasses.dataclass
class Options:
    agents: int = 110
    start: float = DAY_START_S          # simulated seconds since midnight
    hours: float = (DAY_END_S - DAY_START_S) / 3600
    time_scale: float = 1 / 60          # the whole 10-hour day in 10 minutes
    deadline_day: bool = False
    calls_per_day: float | None = None  # default: the profile's 5,000
    volume_factor: float = 1.0          # extra multiplier on arrivals (tests)
    seed: int = 12366
    database_url: str | None = None     # default: a fresh SQLite file in a temporary folder
    profile_csv: str | None = None
    max_wait_s: float = 1200.0
    announce_after_s: float = 90.0
    overflow_after_s: float | None = None
    drain_max_s: float = 3600.0         # simulated seconds to let calls finish after the last arrival
    log_file: str | None = None
    quiet: bool = False
    sim_nodelay: bool = True            # TCP_NODELAY on the simulator's ESL sockets, as FreeSWITCH does


LEAD_S = 300.0              # simulated seconds the shared clock starts before the run (the engine connects)


class SimClock:
    """Simulated time of day over the shared accelerated clock (engine.clock.ScaledClock) that the switch and the
    engine both run on: today's date, from `start` (seconds since local midnight) on; every timestamp either writes
    is an epoch on it, so sim(epoch) is just the time of day."""

    def __init__(self, start: float, scale: float):
        self.start, self.scale = start, scale
        self.midnight = float(local_midnight(local(time.time()).date()))
        self.clock = ScaledClock(scale, start=self.midnight + start)

    def now(self) -> float:
        return self.clock.now() - self.midnight

    def sim(self, epoch: float) -> float:
        return epoch - self.midnight

    def sleep_until(self, t: float) -> None:
        self.clock.sleep_until(self.midnight + t)


class CountingHandler(logging.Handler):
    """Counts the engine's warnings and errors by message shape (the report lists the commonest)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.counts: Counter = Counter()
        self.examples: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        shape = f"{record.levelname} {record.name}: {record.msg}"
        self.counts[shape] += 1
        if shape not in self.examples:
            try:
                self.examples[shape] = record.getMessage()[:300]
            except Exception:  # noqa: BLE001 - a bad log call must not stop the run
                self.examples[shape] = str(record.msg)[:300]


@dataclasses.dataclass
class RunData:
    """What the run leaves behind for the report."""

    options: Options
    profile: Profile
    seeded: Seeded
    database_url: str
    clock: SimClock
    placed: dict[str, object]                   # caller uuid -> Caller
    lateness: list[float]                       # simulated seconds each call was placed after its due time
    calls_log: list[dict]
    live_channels_after: int
    live_detail: list[dict]
    floor_calls_after: int
    agents_after: dict[int, tuple[str, float]]  # agent -> (state, seconds in it) after the drain
    samples: list[tuple[float, Counter]]        # (sim time, agents by state)
    schedule: sched.Schedule
    warnings: CountingHandler
    events_handled: int
    wall_s: float
    cpu_s: float
    arrivals_end: float
    drained_at: float
    ivr_offset: dict[str, float]
    nodelay_sockets: int = 0


def prompt_seconds(name: str) -> float:
    path = PROJECT_ROOT / "ivr_flows" / "prompts" / name
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def ivr_offsets() -> dict[str, float]:
    """Simulated seconds from arrival to the queue (added to patience, which counts in the queue only):
    the welcome, then the key pressed DTMF_DELAY_S into the menu; pressing nothing sits through the
    menu's three tries (prompt + 5 s timeout, the invalid prompt between tries) before the default."""
    welcome, menu, invalid = prompt_seconds("welcome.wav"), prompt_seconds("tax_menu.wav"), prompt_seconds(
        "invalid.wav")
    return {"key": welcome + DTMF_DELAY_S, "none": welcome + 3 * (menu + 5.0 + invalid)}


def sim_nodelay(sim) -> int:
    """Disable Nagle on the simulator's accepted ESL sockets; returns how many were set.

    Real FreeSWITCH does this for every event-socket connection (mod_event_socket.c listener_run:
    switch_socket_opt_set(listener->sock, SWITCH_SO_TCP_NODELAY, TRUE)); the simulator does not (yet), and
    its replies then wait ~40 ms for the engine's delayed ACK, which time compression turns into seconds.
    Best effort: it reads the simulator's session list and does nothing if that changes shape."""
    done = 0
    for session in list(getattr(sim, "sessions", []) or []):
        sock = getattr(session, "sock", None)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            done += 1
        except (AttributeError, OSError):
            pass
    return done


def run(opts: Options, say=print) -> RunData:
    """Seed, start, drive the day, drain, stop; returns everything the report needs."""
    rng = random.Random(opts.seed)
    profile = load_profile(opts.profile_csv, opts.calls_per_day)
    workdir = None
    db_url = opts.database_url
    if db_url is None:
        workdir = tempfile.mkdtemp(prefix="daysim-")
        db_url = f"sqlite:///{os.path.join(workdir, 'daysim.db')}"
    warnings = _setup_logging(opts)
    seeded = seed(db_url, profile, opts.agents, 1.0, rng, max_wait_sim=opts.max_wait_s,
                  announce_after_sim=opts.announce_after_s, overflow_after_sim=opts.overflow_after_s)
    end = opts.start + opts.hours * 3600
    plan = arrivals(profile, opts.start, end, rng, opts.deadline_day, opts.volume_factor)
    plans = sched.build_plans({aid: a["ext"] for aid, a in seeded.agents.items()}, rng)
    offsets = ivr_offsets()
    say(f"database: {db_url}")
    say(f"seeded {describe_skills(seeded)}")
    say(f"{len(plan)} calls planned {hhmm(opts.start)}-{hhmm(end)} ({'deadline' if opts.deadline_day else 'normal'}"
        f" day, expected {profile.expected_calls(opts.start, end, opts.deadline_day) * opts.volume_factor:.0f}); "
        f"time scale {opts.time_scale:.5g} (1 simulated hour = {3600 * opts.time_scale:.0f} s)")

    # everyone logged in before the first call when starting at the opening; later starts join mid-day
    first = min(opts.start, min(p.login_at for p in plans)) if opts.start <= DAY_START_S else opts.start
    clock = SimClock(first - LEAD_S, opts.time_scale)        # one clock for the switch and the engine
    sim = SimSwitch(host="127.0.0.1", esl_port=0, password="ClueCon", control_port=None,
                    dialplan_dir=str(PROJECT_ROOT / "dialplans"), clock=clock.clock)
    sim.start()
    for a in seeded.agents.values():
        sim.add_phone(a["ext"], behaviour="answer", answer_delay=round(rng.uniform(*profile.answer_delay_s), 2))
    config = load_config(env={"CALLCENTER_ESL_PORT": str(sim.esl_port), "CALLCENTER_DATABASE_URL": db_url,
                              "CALLCENTER_CONFIG": os.environ.get("CALLCENTER_CONFIG", "")})
    engine = Engine(config, directory_reload_s=2.0, clock=clock.clock)
    wall0, cpu0 = time.time(), time.process_time()
    engine.start()
    greenlets: list[gevent.Greenlet] = []
    try:
        wait_until(lambda: engine.switch.connected and engine.center.floor.directory_loaded, 15, "the engine")
        nodelay = sim_nodelay(sim) if opts.sim_nodelay else 0
        if opts.sim_nodelay:
            greenlets.append(gevent.spawn(every, 5.0, lambda: sim_nodelay(sim)))   # again after a reconnect
        min_wrap = min(t.wrap_up_real for t in seeded.timers.values())
        schedule = sched.Schedule(engine, sim, plans, clock, rng, min_wrap)
        tick_real = min(0.25, max(0.02, 5.0 * opts.time_scale))
        samples: list[tuple[float, Counter]] = []
        greenlets.append(gevent.spawn(every, tick_real, schedule.tick))
        greenlets.append(gevent.spawn(every, 60.0 * opts.time_scale, lambda: samples.append(
            (clock.now(), Counter(a.state.value for a in engine.center.floor.agents.values())))))
        placed: dict[str, object] = {}
        lateness: list[float] = []
        progress_every = 1800.0
        next_progress = opts.start + progress_every
        for caller in plan:
            clock.sleep_until(caller.at)
            now = clock.now()
            lateness.append(now - caller.at)
            patience = caller.patience_s + offsets["key" if caller.digits else "none"]
            uuid = sim.place_call(did="12366", ani=f"1{rng.randrange(3, 10)}{rng.randrange(10 ** 9):09d}",
                                  digits=caller.digits, dtmf_delay=DTMF_DELAY_S, patience=patience,
                                  talk_time=caller.talk_s)
            if uuid is None:        # refused by the switch's session limits (503): never became a call
                continue
            placed[uuid] = caller
            if rng.random() < profile.no_answer_share:
                schedule.flip_one()
            if now >= next_progress and not opts.quiet:
                next_progress += progress_every
                floor = engine.center.floor
                states = Counter(a.state.value for a in floor.agents.values())
                say(f"  {hhmm(now)}  placed {len(placed):5d}  waiting {len(floor.waiting):3d}  in calls "
                    f"{len(floor.calls):3d}  agents ready {states['ready']:3d} talking {states['talking']:3d} "
                    f"not ready {states['not_ready']:3d}  late {now - caller.at:5.1f} s")
        clock.sleep_until(end)
        arrivals_end = clock.now()
        schedule.frozen = True          # the day is over: breaks end, everyone finishes the calls left
        wait_until(lambda: not engine.center.floor.calls and not any(
            getattr(ch, "direction", "inbound") == "inbound" for ch in sim.all_channels()),
              opts.drain_max_s * opts.time_scale + 10, None)
        wait_until(lambda: not schedule.flipped, 5, None)
        gevent.sleep(max(0.5, clock.clock.real(3 * min_wrap)))     # wrap-ups of the last calls run out
        wait_until(engine.runtime.idle, 10, None)
        drained_at = clock.now()
        now_epoch = clock.clock.now()
        agents_after = {aid: (a.state.value, now_epoch - a.since) for aid, a in engine.center.floor.agents.items()}
        floor_calls_after, live_after = len(engine.center.floor.calls), len(sim.all_channels())
        live_detail = [{k: ch.get(k) for k in ("uuid", "direction", "destination_number", "state", "callstate",
                                                "application", "answered", "parked", "bridged_to")}
                       for ch in sim.channels()]
    finally:
        for g in greenlets:
            g.kill()
        events_handled = engine.runtime.events_handled
        engine.stop(hangup_calls=True)
        sim.stop()
    wall, cpu = time.time() - wall0, time.process_time() - cpu0
    return RunData(opts, profile, seeded, db_url, clock, placed, lateness, sim.calls_log(), live_after, live_detail,
                   floor_calls_after, agents_after, samples, schedule, warnings, events_handled, wall, cpu,
                   arrivals_end, drained_at, offsets, nodelay)


def _setup_logging(opts: Options) -> CountingHandler:
    counter = CountingHandler()
    root = logging.getLogger()
    root.setLevel(logging.INFO if opts.log_file else logging.WARNING)
    for h in list(root.handlers):
        if getattr(h, "_daysim", False):
            root.removeHandler(h)
    counter._daysim = True  # type: ignore[attr-defined]
    root.addHandler(counter)
    if opts.log_file:
        fh = logging.FileHandler(opts.log_file, mode="w", encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        fh._daysim = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    return counter

