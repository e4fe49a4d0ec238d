"""CPU and wall time the store writer spends per answered call, on SQLite and on PostgreSQL.

The goal this serves: the controller spends at most 10 ms of CPU per answered call at 20 calls/s, everything
included; the store's share should stay well under 3 ms.

1. Builds the store commands the core emits for answered calls (engine/acd: arrival, IVR, queue, an offer that
   is answered, talk with a hold for some of the calls, hang-up, wrap-up; some calls first ring an agent who does
   not answer), for calls arriving at `--rate` per second, interleaved in time as they are on a busy floor, plus
   the queue (and trunk) status the engine publishes every two seconds. Per answered call that is about
   10 LogCallEvent, 5 SaveAgentState, 1–2 SaveOffer, 1 SaveCallRecord and 2 SaveRecording (start and stop; the
   file does not exist here, as when the switch is remote); every 2 s a SaveQueueStatus (3 queues), a
   SaveTrunkStatus and a SaveSwitchStatus.
2. Cuts that stream into batches as engine.runtime does: what queued up while the previous batch was written,
   at most 500. Fixed windows (`--window-ms`: the commands of that much traffic per batch; 10 ms is about one
   event's commands per batch, the worst case), and a live run in real time at `--rate`, where each batch is
   what arrived while the previous one was being written, so each path gets the batch sizes it would get.
3. Writes the batches, one transaction each, through today's per-command path (the STORE_WRITERS loop of
   engine.bootstrap, flush after each command) and through engine.store.batch.write_batch, each into its own
   identical copy of a database that already holds `--existing-calls` calls of history (seeded with
   engine.seeding.year: about 10 log rows per call), and prints CPU (time.process_time: this process only, so
   on PostgreSQL the server's own work is not in it) and wall time per call. With --compare the two copies are
   compared table by table afterwards (they must be identical).

Run: ``.venv/bin/python benchmarks/bench_store.py [--calls 2000] [--existing-calls 30000] [--only sqlite|postgresql]
[--window-ms 10 100 1000] [--no-live] [--compare]``. Databases go to a temporary folder and to PostgreSQL databases `bench_store_*`
(127.0.0.1:5432, trust auth; created and dropped; skipped with a message when no server answers).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine import recording  # noqa: E402
from engine.domain import commands as c  # noqa: E402
from engine.domain.agent import AgentStateChanged  # noqa: E402
from engine.domain.calllog import CallEventKind as K  # noqa: E402
from engine.domain.states import AgentState as S, CallOutcome, HangupSide, NotReadyReason  # noqa: E402

from engine.store.migrate import upgrade  # noqa: E402
from engine.store.session import make_engine, make_session_factory, transaction, unreachable  # noqa: E402
from engine.store.writers import per_command_writers  # noqa: E402

PG_ADMIN_URL = os.environ.get("CALLCENTER_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
PG_PREFIX = "bench_store"
BATCH_MAX = 500                     # engine.runtime.STORE_BATCH_MAX
PUBLISH_EVERY_S = 2.0               # engine.polling.DIRECTORY_RELOAD_S: PublishStatus → SaveQueueStatus
QUEUES = ("tax_policy", "etax", "social_fee")

# the per-command path (engine.store.writers, as engine.bootstrap wires it)
LEGACY_WRITERS = per_command_writers(recording.inspect)


def legacy_write(session: Session, commands: list) -> None:
    for command in commands:
        writer = LEGACY_WRITERS.get(type(command))
        if writer is None:
            continue
        writer(session, command)
        session.flush()


def batch_write(session: Session, commands: list) -> None:
    from engine.store.batch import write_batch
    write_batch(session, commands, inspect=recording.inspect)   # as engine.bootstrap wires it


# --- the commands of answered calls ----------------------------------------------------------------------------

class Stream:
    """Store commands with the time the core emits them (ties keep the order they were added)."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, object]] = []

    def add(self, at: float, command: object) -> None:
        self.items.append((at, len(self.items), command))

    def ordered(self) -> list[tuple[float, object]]:
        return [(at, cmd) for at, _, cmd in sorted(self.items)]


def build_stream(calls: int, rate: float, agents: list[tuple[int, str]], queue_ids: dict[str, int], start: float,
                 seed: int, hold_share: float, no_answer_share: float, trunk: bool) -> tuple[list, float]:
    """Commands of `calls` answered calls arriving at `rate`/s, and every status publication meanwhile, in the
    order the core emits them; and the time from which the floor is in a steady state (the longest call has
    passed: from then on every window holds the mix of a floor that has been busy for a while).

    Durations are shortened (IVR 3-10 s, talk 10-40 s, wrap-up 3-10 s) so that the steady state comes soon;
    what a batch holds in the steady state does not depend on them (rate × commands per call per second)."""
    rng = random.Random(seed)
    out = Stream()
    turn = 0
    longest = 0.0
    for n in range(calls):
        t0 = start + n / rate + rng.uniform(0, 0.5 / rate)
        uid = str(uuid.UUID(int=rng.getrandbits(128)))
        ani = rng.choice(("138", "139", "135", "186", "0755", "020")) + "".join(rng.choice("0123456789")
                                                                               for _ in range(8))
        queue = rng.choice(QUEUES)
        hall = 1 if rng.random() < 0.5 else None

        def log(kind, at, queued_at=None, agent_id=None, **kw):
            out.add(at, c.LogCallEvent(uid, kind, at, queue_code=queue if queued_at else None, agent_id=agent_id,
                                       queued_at=queued_at, ani=ani, dnis="12366", hall_id=hall, **kw))

        def state(agent_id, at, frm, to, cause, reason=None, call=uid):
            out.add(at, c.SaveAgentState(AgentStateChanged(agent_id, at, frm, to, reason, cause, "system", call)))

        log(K.ARRIVED, t0, detail="")
        log(K.IVR_ENTERED, t0 + 0.02, detail="tax_main")
        tq = t0 + rng.uniform(3, 10)
        log(K.IVR_COMPLETED, tq, detail="welcome > menu:1")
        log(K.QUEUED, tq, queued_at=tq, value=0)
        t = tq + min(15.0, rng.expovariate(1 / 3.0))
        offers = 0
        while True:
            turn += 1
            agent_id, employee_no = agents[turn % len(agents)]
            offers += 1
            state(agent_id, t, S.READY, S.RESERVED, f"offer from {queue}")
            log(K.OFFERED, t, tq, agent_id, wait_s=t - tq, detail="longest_idle")
            if offers == 1 and rng.random() < no_answer_share:
                t_na = t + 5.0
                state(agent_id, t_na, S.RESERVED, S.NOT_READY, "NO_ANSWER", NotReadyReason.NO_ANSWER, None)
                out.add(t_na, c.SaveOffer(uid, agent_id, queue, t, t_na, "no_answer", "NO_ANSWER", "longest_idle",
                                          "longest idle (312 s)"))
                log(K.NO_ANSWER, t_na, tq, agent_id, duration_s=5.0, detail="no_answer:NO_ANSWER")
                t = t_na
                continue
            break
        ta = t + rng.uniform(1, 4)
        state(agent_id, ta, S.RESERVED, S.TALKING, "answered")
        path = f"/var/lib/freeswitch/recordings/{dt.datetime.fromtimestamp(ta).strftime('%Y%m%d')}/{uid}.wav"
        out.add(ta, c.SaveRecording(path, uid, ani, "12366", str(3001 + agent_id), agent_id, employee_no, queue, ta))
        out.add(ta, c.SaveOffer(uid, agent_id, queue, t, ta, "answered", "", "longest_idle", "longest idle (45 s)"))
        log(K.ANSWERED, ta, tq, agent_id, wait_s=ta - tq, duration_s=ta - t)
        talk = rng.uniform(10, 40)
        if rng.random() < hold_share:
            th = ta + talk * 0.4
            state(agent_id, th, S.TALKING, S.ON_HOLD, "hold")
            log(K.HELD, th, tq, agent_id)
            tr = th + rng.uniform(2, 8)
            state(agent_id, tr, S.ON_HOLD, S.TALKING, "retrieved")
            log(K.RETRIEVED, tr, tq, agent_id, duration_s=tr - th)
            talk += tr - th
        te = ta + talk
        state(agent_id, te, S.TALKING, S.WRAP_UP, "call ended")
        log(K.TALK_ENDED, te, tq, agent_id, duration_s=te - ta)
        out.add(te, c.SaveCallRecord(uid, ani, "12366", "tax_main", queue_ids[queue], agent_id, str(uuid.uuid4()), t0,
                                     tq, ta, te, CallOutcome.ANSWERED, "NORMAL_CLEARING", HangupSide.CALLER,
                                     "welcome > menu:1 > queue:" + queue, offers))
        log(K.ENDED, te, tq, agent_id, duration_s=te - t0, detail="answered")
        out.add(te + 0.3, c.SaveRecording(path, uid, "", "", "", None, "", None, 0.0, stopped_at=te + 0.3,
                                          record_ms=int(talk * 1000)))
        tw = te + rng.uniform(3, 10)
        state(agent_id, tw, S.WRAP_UP, S.READY, "wrap-up over", call=None)
        out.add(tw, c.LogCallEvent(uid, K.WRAP_UP_ENDED, tw, queue_code=queue, agent_id=agent_id, queued_at=tq,
                                   hall_id=hall, duration_s=tw - te))
        longest = max(longest, tw - t0)
    at = start
    end = start + calls / rate
    while at < end:
        snaps = tuple(c.QueueSnapshot(q, rng.randint(0, 12), at - rng.uniform(0, 60), rng.randint(0, 10),
                                      rng.randint(10, 40), rng.randint(20, 50)) for q in QUEUES)
        out.add(at, c.SaveQueueStatus(snaps, at))
        if hasattr(c, "SaveSwitchStatus") and c.SaveSwitchStatus in LEGACY_WRITERS:
            out.add(at, c.SaveSwitchStatus(True, 30, 1000, True, 0, 0, None, at))
        if trunk:
            out.add(at, c.SaveTrunkStatus("pri-1", 150, rng.randint(50, 150), None, at))
        at += PUBLISH_EVERY_S
    return [(at, cmd) for at, cmd in out.ordered() if at < end], start + longest


def cut_batches(stream: list[tuple[float, object]], window_s: float, limit: int = BATCH_MAX) -> list[tuple[float, list]]:
    """What the store writer finds queued each time it looks: the commands of one window, at most `limit`;
    each batch with the time of its first command."""
    batches: list[tuple[float, list]] = []
    current: list = []
    first = edge = None
    for at, cmd in stream:
        if edge is None or at >= edge or len(current) >= limit:
            if current:
                batches.append((first, current))
            current, first = [], at
            edge = (at // window_s + 1) * window_s
        current.append(cmd)
    if current:
        batches.append((first, current))
    return batches


# --- databases -------------------------------------------------------------------------------------------------

def prepare_base(url: str, existing_calls: int, agents_n: int) -> tuple[list[tuple[int, str]], dict[str, int]]:
    """Migrate, seed `existing_calls` calls of history (engine.seeding.year) or just the center, return agents."""
    upgrade(url)
    if existing_calls:
        from engine.seeding.year import YearOptions, seed_year
        days = max(5, existing_calls // 4000)
        seed_year(url, YearOptions(calls=existing_calls, agents=agents_n,
                                   start=dt.date.today() - dt.timedelta(days=days * 7 // 5 + 7), days=days * 7 // 5),
                  progress=lambda msg: print("   ", msg, flush=True))
    eng = make_engine(url)
    try:
        with Session(eng) as session:
            from engine.seeding.center import ensure_center
            plan = ensure_center(session, agents_n, random.Random("bench-store"))
            session.commit()
            from engine.store.models import Agent
            agents = [(a.id, a.employee_no) for a in session.scalars(select(Agent).order_by(Agent.id))]
            return agents, dict(plan.queue_ids)
    finally:
        eng.dispose()


def row_counts(url: str) -> dict[str, int]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                    for name in ("call_events", "agent_state_changes", "call_records", "report_calls_15m")}
    finally:
        eng.dispose()


class SqliteCopies:
    def __init__(self, folder: str):
        self.folder = folder
        self.base = os.path.join(folder, "base.sqlite")
        self.base_url = f"sqlite:///{self.base}"

    def copy(self, name: str) -> str:
        path = os.path.join(self.folder, f"{name}.sqlite")
        shutil.copyfile(self.base, path)
        return f"sqlite:///{path}"

    def close(self) -> None:
        pass


class PgCopies:
    def __init__(self, admin_url: str):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.root = admin_url.rsplit("/", 1)[0]
        self.names: list[str] = []
        suffix = uuid.uuid4().hex[:6]
        self.prefix = f"{PG_PREFIX}_{suffix}"
        self.base_url = self._create(f"{self.prefix}_base")

    def _create(self, name: str, template: str | None = None) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        self.names.append(name)
        return f"{self.root}/{name}"

    def copy(self, name: str) -> str:
        return self._create(f"{self.prefix}_{name}", f"{self.prefix}_base")

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.names):
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.admin.dispose()


def timed_run(url: str, writer, warmup: list[list], batches: list[list]) -> tuple[float, float, list[float]]:
    """(cpu s, wall s, per-batch cpu) of writing `batches` one transaction each (after the warm-up batches,
    written the same way but not timed: the floor filling up)."""
    eng = make_engine(url)
    factory = make_session_factory(eng)
    try:
        for batch in warmup:
            with transaction(factory) as session:
                writer(session, batch)
        per_batch = []
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for batch in batches:
            b0 = time.process_time()
            with transaction(factory) as session:
                writer(session, batch)
            per_batch.append(time.process_time() - b0)
        return time.process_time() - cpu0, time.perf_counter() - wall0, per_batch
    finally:
        eng.dispose()


def live_run(url: str, writer, stream: list[tuple[float, object]], steady: float, linger_s: float = 0.0,
             limit: int = BATCH_MAX) -> tuple[float, float, list[int], float]:
    """The store writer as engine.runtime drives it, in real time: each batch is what arrived (at the stream's
    rate) while the previous one was being written, at most `limit`; when nothing is waiting, the next command
    alone (with the others of its event). With `linger_s`, a batch is taken no sooner than that after the
    previous one was taken (what a writer that waits a little before each transaction would do). Returns (cpu s,
    wall s, batch sizes) of the batches from the steady state on, and how far the writer fell behind (s)."""
    eng = make_engine(url)
    factory = make_session_factory(eng)
    cpu = wall = 0.0
    sizes: list[int] = []
    try:
        i, n, clock, taken = 0, len(stream), stream[0][0], -1e18
        while i < n:
            clock = max(clock, stream[i][0])          # idle until the next command comes
            if clock < taken + linger_s:
                clock = taken + linger_s              # linger: let more queue up
            taken = clock
            j = i
            while j < n and j - i < limit and stream[j][0] <= clock:
                j += 1
            batch = [cmd for _, cmd in stream[i:j]]
            c0, w0 = time.process_time(), time.perf_counter()
            with transaction(factory) as session:
                writer(session, batch)
            spent = time.perf_counter() - w0
            if stream[i][0] >= steady:
                cpu += time.process_time() - c0
                wall += spent
                sizes.append(len(batch))
            clock += spent
            i = j
        return cpu, wall, sizes, max(0.0, clock - stream[-1][0])
    finally:
        eng.dispose()


def table_contents(url: str) -> dict[str, list]:
    """Every row of every table the store writer writes, in primary-key order."""
    from engine.store.base import Base
    import engine.store.models  # noqa: F401
    names = ("call_events", "agent_state_changes", "agents", "call_records", "call_offers", "recordings",
             "queue_status", "trunk_status", "switch_status", "report_calls_15m", "report_calls_day",
             "report_caller_region_day")
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            out = {}
            for name in names:
                table = Base.metadata.tables.get(name)
                if table is None:
                    continue
                out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
            return out
    finally:
        eng.dispose()


def compare(urls: dict[str, str]) -> None:
    if len(urls) < 2:
        return
    contents = {path: table_contents(url) for path, url in urls.items()}
    first, *others = list(contents)
    for other in others:
        diff = [t for t in contents[first] if contents[first][t] != contents[other][t]]
        print(f"    {first} vs {other}: " + ("identical tables" if not diff else f"DIFFERENT: {', '.join(diff)}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000,
                        help="answered calls timed per path (after rate × 100 s of calls filling the floor)")
    parser.add_argument("--existing-calls", type=int, default=30000,
                        help="calls of history seeded first (about 10 log rows each); 0 for an empty database")
    parser.add_argument("--agents", type=int, default=124)
    parser.add_argument("--rate", type=float, default=20.0, help="calls per second")
    parser.add_argument("--window-ms", type=float, nargs="*", default=[10.0, 100.0, 1000.0],
                        help="fixed batching window(s): the commands of that much traffic per batch")
    parser.add_argument("--no-live", action="store_true",
                        help="skip the live runs (each batch: what arrived while the previous one was written)")
    parser.add_argument("--linger-ms", type=float, nargs="+", default=[0.0, 100.0],
                        help="live runs: the writer takes a batch no sooner than this after the previous one "
                             "(0: engine.runtime today)")
    parser.add_argument("--hold-share", type=float, default=0.5)
    parser.add_argument("--no-answer-share", type=float, default=0.1)
    parser.add_argument("--paths", nargs="+", default=["legacy", "write_batch"], choices=["legacy", "write_batch"])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--compare", action="store_true", help="check that every path wrote identical tables")
    args = parser.parse_args()
    writers = {"legacy": legacy_write, "write_batch": batch_write}

    kinds = [k for k in ("sqlite", "postgresql") if args.only in (None, k)]
    folder = tempfile.mkdtemp(prefix="bench_store_")
    try:
        for kind in kinds:
            if kind == "postgresql":
                reason = unreachable(PG_ADMIN_URL)
                if reason:
                    print(f"postgresql: skipped: {reason}")
                    continue
                copies = PgCopies(PG_ADMIN_URL)
            else:
                copies = SqliteCopies(folder)
            try:
                print(f"{kind}: preparing a database with {args.existing_calls:,} calls of history", flush=True)
                t0 = time.perf_counter()
                agents, queue_ids = prepare_base(copies.base_url, args.existing_calls, args.agents)
                print(f"    ready in {time.perf_counter() - t0:.0f} s: {row_counts(copies.base_url)}", flush=True)
                start = time.time() - 3600
                ramp = int(args.rate * 100)          # calls that fill the floor before the timed steady state
                stream, steady = build_stream(ramp + args.calls, args.rate, agents, queue_ids, start, 2,
                                              args.hold_share, args.no_answer_share, True)
                measured_calls = args.rate * (start + (ramp + args.calls) / args.rate - steady)
                for window in args.window_ms:
                    cut = cut_batches(stream, window / 1000)
                    warm_batches = [b for at, b in cut if at < steady]
                    batches = [b for at, b in cut if at >= steady]
                    counts: dict[str, int] = {}
                    for batch in batches:
                        for cmd in batch:
                            counts[type(cmd).__name__] = counts.get(type(cmd).__name__, 0) + 1
                    sizes = [len(b) for b in batches]
                    print(f"  window {window:g} ms: {len(batches)} batches timed (after {len(warm_batches)} filling "
                          f"the floor), {statistics.mean(sizes):.1f} commands each on average (max {max(sizes)}), "
                          f"{measured_calls:.0f} calls' worth")
                    print("    commands per call: " + ", ".join(f"{k} {v / measured_calls:.2f}"
                                                            for k, v in sorted(counts.items())))
                    urls = {}
                    for path in args.paths:
                        url = copies.copy(f"{path}_{int(window)}")
                        urls[path] = url
                        cpu, wall, per_batch = timed_run(url, writers[path], warm_batches, batches)
                        print(f"    {path:12s} CPU {1000 * cpu / measured_calls:7.3f} ms/call   wall "
                              f"{1000 * wall / measured_calls:7.3f} ms/call   (batch CPU median "
                              f"{1000 * statistics.median(per_batch):.2f} ms)", flush=True)
                    if args.compare:
                        compare(urls)
                for linger in ([] if args.no_live else args.linger_ms):
                    in_steady = sum(1 for at, _ in stream if at >= steady)
                    per_call = in_steady / measured_calls
                    print(f"  live at {args.rate:g} calls/s, linger {linger:g} ms: each batch is what arrived while "
                          "the previous one was written" + (f", at least {linger:g} ms after it" if linger else ""))
                    urls = {}
                    for path in args.paths:
                        url = urls[path] = copies.copy(f"{path}_live{int(linger)}")
                        cpu, wall, sizes, behind = live_run(url, writers[path], stream, steady, linger / 1000)
                        calls = sum(sizes) / per_call
                        print(f"    {path:12s} CPU {1000 * cpu / calls:7.3f} ms/call   wall {1000 * wall / calls:7.3f} "
                              f"ms/call   batches of {statistics.mean(sizes):.1f} commands on average (median "
                              f"{statistics.median(sizes):g}, max {max(sizes)})" + (
                                  f"   FELL BEHIND by {behind:.0f} s" if behind > 1 else ""), flush=True)
                    if args.compare:
                        compare(urls)
            finally:
                copies.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
