"""engine.store.batch.write_batch writes exactly what the per-command writers write (the STORE_WRITERS loop of
engine.bootstrap, a flush after each command), on SQLite and PostgreSQL: whole batches, any cut of them, one
command at a time, and refused data."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from engine.demo import seed_demo
from engine.domain import commands as c
from engine.domain.agent import AgentStateChanged
from engine.domain.calllog import CallEventKind as K
from engine.domain.states import AgentState as S, CallOutcome, HangupSide, NotReadyReason
from engine.recording import FileFacts
from engine.store import repos
from engine.store.base import Base
from engine.store.batch import write_batch
from engine.store.migrate import upgrade
from engine.store.writers import per_command_writers
from engine.store.models import Agent, AgentRequest, CallRecord, QueueStatus, Recording, TrunkStatus
from engine.store.session import make_engine, make_session_factory, transaction

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc).timestamp()   # 09:00 local
UNKNOWN_AGENT = 9999


def fake_inspect(path: str) -> FileFacts:
    """A stopped recording's file: complete for one path, missing for the others (as when the switch is remote)."""
    if path.endswith("c1.wav"):
        return FileFacts("complete", 480_044, "ab" * 32, 29.998)
    return FileFacts("missing", problem="file not found where the switch wrote it")


def legacy_writers() -> dict:
    """engine.bootstrap.STORE_WRITERS, the per-command path write_batch must agree with (fixed file inspection)."""
    return per_command_writers(fake_inspect)


def legacy_write(session, commands: list) -> None:
    """engine.bootstrap.Engine._write's loop before write_batch."""
    writers = legacy_writers()
    for command in commands:
        writer = writers.get(type(command))
        if writer is None:
            logging.getLogger("legacy").error("no store writer for %r", command)
            continue
        writer(session, command)
        session.flush()


def batch_write(session, commands: list) -> None:
    write_batch(session, commands, writers=legacy_writers(), inspect=fake_inspect)


@dataclasses.dataclass(frozen=True)
class SomethingNew:
    """A store command nobody wrote a writer for."""

    at: float


# --- databases: two identical copies of one seeded database ------------------------------------------------------

def seed(url: str) -> dict:
    eng = make_engine(url)
    factory = make_session_factory(eng)
    with transaction(factory) as s:
        seed_demo(s)
    with transaction(factory) as s:
        agents = list(s.scalars(select(Agent.id).order_by(Agent.id)))[:3]
        queue_id = s.scalar(text("SELECT id FROM queues ORDER BY id LIMIT 1"))
        s.add(CallRecord(call_uuid="stored-call", ani="13800138000", dnis="12366", flow="tax_main", queue_id=queue_id,
                         started_at=repos.to_datetime(T0 - 600), ended_at=repos.to_datetime(T0 - 300),
                         outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER,
                         ivr_path="welcome", offers=1))
        s.add(Recording(path="/rec/stored.wav", call_uuid="stored-call", ani="13800138000", dnis="12366",
                        agent_id=agents[0], started_at=repos.to_datetime(T0 - 500)))
        s.add(QueueStatus(queue_code="tax_policy", waiting=9, agents_ready=1, agents_busy=1, agents_logged_in=2,
                          updated_at=repos.to_datetime(T0 - 2)))
        s.add(TrunkStatus(name="pri-1", channels=30, in_use=3, updated_at=repos.to_datetime(T0 - 2)))
        request = AgentRequest(agent_id=agents[1], action="ready", actor="a1002", requested_at=repos.to_datetime(T0))
        s.add(request)
        s.flush()
        ids = {"agents": agents, "queue_id": queue_id, "request_id": request.id}
    eng.dispose()
    return ids


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_databases(request, tmp_path):
    """(url A, url B, ids): two identical migrated and seeded databases of one kind."""
    if request.param == "sqlite":
        a = tmp_path / "a.db"
        upgrade(f"sqlite:///{a}")
        ids = seed(f"sqlite:///{a}")
        shutil.copyfile(a, tmp_path / "b.db")
        yield f"sqlite:///{a}", f"sqlite:///{tmp_path / 'b.db'}", ids
        return
    server = request.getfixturevalue("pg_server")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    names = [f"cc_batch_{uuid.uuid4().hex[:10]}_{x}" for x in "ab"]
    root = server.rsplit("/", 1)[0]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
    upgrade(f"{root}/{names[0]}")
    ids = seed(f"{root}/{names[0]}")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
    try:
        yield f"{root}/{names[0]}", f"{root}/{names[1]}", ids
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def contents(url: str, ids: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (without the values of surrogate `id` keys: ids=False)."""
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            out = {}
            for name, table in Base.metadata.tables.items():
                if not conn.dialect.has_table(conn, name):
                    continue
                columns = [col for col in table.columns if ids or col.name != "id"]
                out[name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*table.primary_key.columns))]
            return out
    finally:
        eng.dispose()


def run(url: str, writer, batches: list[list]) -> None:
    eng = make_engine(url)
    factory = make_session_factory(eng)
    try:
        for batch in batches:
            with transaction(factory) as session:
                writer(session, batch)
    finally:
        eng.dispose()


def assert_same(url_a: str, url_b: str, ids: bool = True) -> None:
    a, b = contents(url_a, ids), contents(url_b, ids)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


# --- the mixed batch -----------------------------------------------------------------------------------------------

def mixed_batch(ids: dict) -> list:
    a1, a2, a3 = ids["agents"]
    out: list = []

    def log(kind, at, **kw):
        kw.setdefault("ani", "13800138000")
        kw.setdefault("dnis", "12366")
        out.append(c.LogCallEvent(kw.pop("call", "c1"), kind, at, **kw))

    def state(agent, at, frm, to, cause, reason=None, call="c1"):
        out.append(c.SaveAgentState(AgentStateChanged(agent, at, frm, to, reason, cause, "system", call)))

    log(K.ARRIVED, T0, hall_id=1, detail="张三")
    log(K.IVR_ENTERED, T0 + 0.1, detail="tax_main")
    log(K.IVR_COMPLETED, T0 + 8, detail="welcome > menu:1")
    log(K.QUEUED, T0 + 8, queue_code="tax_policy", queued_at=T0 + 8, value=0)
    out.append(c.SaveQueueStatus((c.QueueSnapshot("tax_policy", 1, T0 + 8, 2, 0, 2,
                                                  (c.HallFigures(1, 1, T0 + 8, 1, 0, 1), c.HallFigures(0, 0, None, 1, 0, 1))),
                                  c.QueueSnapshot("etax", 0, None, 1, 0, 1, (c.HallFigures(2, 0, None, 1, 0, 1),))),
                                 T0 + 8.5))
    state(a1, T0 + 9, S.READY, S.RESERVED, "offer from tax_policy")
    log(K.OFFERED, T0 + 9, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1, wait_s=1.0, detail="longest_idle")
    state(UNKNOWN_AGENT, T0 + 9, S.READY, S.RESERVED, "offer from tax_policy")      # not in the database: skipped
    out.append(c.SaveOffer("c1", UNKNOWN_AGENT, "tax_policy", T0 + 9, T0 + 9.5, "failed", "X" * 60, "longest_idle",
                           "gone"))
    state(a1, T0 + 12, S.RESERVED, S.TALKING, "answered")
    out.append(c.SaveRecording("/rec/c1.wav", "c1", "13800138000", "12366", "1001", a1, "1001", "tax_policy",
                               T0 + 12))
    out.append(c.SaveOffer("c1", a1, "tax_policy", T0 + 9, T0 + 12, "answered", "", "longest_idle",
                           "longest idle (45 s)"))
    log(K.ANSWERED, T0 + 12, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1, wait_s=4.0004999,
        duration_s=3.0)
    state(a1, T0 + 20, S.TALKING, S.ON_HOLD, "hold")
    log(K.HELD, T0 + 20, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1)
    state(a1, T0 + 30, S.ON_HOLD, S.TALKING, "retrieved")
    log(K.RETRIEVED, T0 + 30, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1, duration_s=10.0)
    state(a2, T0 + 31, S.READY, S.NOT_READY, "break", NotReadyReason.BREAK, None)
    out.append(c.SaveRequestResult(ids["request_id"], False, "already ready"))
    log(K.OVERFLOWED, T0 + 32, call="c2", queue_code="etax", queued_at=T0 + 2, wait_s=30.0, detail="overflow:tax_policy")
    log(K.TRUNK_ALL_BUSY, T0 + 33, call="", ani="", dnis="", value=30, detail="pri-1")
    out.append(c.SaveTrunkStatus("pri-1", 30, 30, T0 + 33, T0 + 33))
    log(K.TRUNK_FREE, T0 + 40, call="", ani="", dnis="", value=30, duration_s=7.25, detail="pri-1")
    out.append(c.SaveTrunkStatus("pri-1", 30, 29, None, T0 + 40))
    log(K.ABANDONED, T0 + 41, call="c3", queue_code="etax", queued_at=T0 + 35, wait_s=6.0, detail="ringing")
    out.append(c.SaveCallback("c4", "13900139000", "etax", T0 + 10, T0 + 42, "pending"))
    out.append(c.SaveCallback("c4", "13900139000", "etax", T0 + 10, T0 + 50, "done", attempts=1, agent_id=a3,
                              cause="NORMAL_CLEARING"))
    out.append(c.SaveVoicemail("c5", "075512345678", "12366", "etax", T0 + 43, "/vm/c5.wav", 12.5))
    state(a1, T0 + 60, S.TALKING, S.WRAP_UP, "call ended")
    log(K.TALK_ENDED, T0 + 60, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1, duration_s=48.0)
    out.append(c.SaveCallRecord("c1", "13800138000", "12366", "tax_main", ids["queue_id"], a1, "leg-1", T0, T0 + 8,
                                T0 + 12, T0 + 60, CallOutcome.ANSWERED, "NORMAL_CLEARING", HangupSide.CALLER,
                                "welcome > menu:1 > queue:tax_policy", 2))
    out.append(c.SaveCallRecord("c1", "x", "x", None, None, None, None, T0, None, None, T0 + 61, CallOutcome.FAILED,
                                "X", HangupSide.SYSTEM, "", 0))                     # the same call again: left as is
    out.append(c.SaveCallRecord("stored-call", "x", "x", None, None, None, None, T0, None, None, T0 + 61,
                                CallOutcome.FAILED, "X", HangupSide.SYSTEM, "", 0))  # stored already: left as is
    log(K.ENDED, T0 + 60, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1, duration_s=60.0, detail="answered")
    out.append(c.SaveRecording("/rec/c1.wav", "c1", "", "", "", None, "", None, 0.0, stopped_at=T0 + 60.3,
                               record_ms=48_000))                              # started in this batch
    out.append(c.SaveRecording("/rec/stored.wav", "stored-call", "", "", "", None, "", None, 0.0, stopped_at=T0 + 61,
                               record_ms=1))                                   # started in an earlier batch
    out.append(c.SaveRecording("/rec/orphan.wav", "", "", "", "", None, "", None, 0.0, stopped_at=T0 + 62,
                               record_ms=5))                                   # never started by this engine
    out.append(c.SaveRecording("/rec/c6.wav", "c6", "13700137000", "12366", "1003", a3, "1003", "etax", T0 + 62))
    out.append(c.SaveRecording("/rec/c6.wav", "c6", "13700137000", "12366", "1003", a3, "1003", "etax", T0 + 63))
    log(K.SURVEY, T0 + 70, queue_code="tax_policy", queued_at=T0 + 8, agent_id=a1, value=4, detail="satisfied")
    out.append(c.SaveSurveyResult("c1", a1, 4, "tax_policy", T0 + 70))
    out.append(c.SaveSurveyResult("c1", UNKNOWN_AGENT, 5, "tax_policy", T0 + 71))   # a second rating replaces it
    out.append(SomethingNew(T0 + 72))                                                # logged, skipped
    if hasattr(c, "SaveSwitchStatus"):
        out.append(c.SaveSwitchStatus(True, 30, 1000, True, 2, 1, T0 + 50, T0 + 72))
    out.append(c.SaveQueueStatus((c.QueueSnapshot("tax_policy", 0, None, 1, 1, 2, (c.HallFigures(1, 0, None, 1, 1, 2),)),
                                  c.QueueSnapshot("social_fee", 3, T0 + 40, 0, 2, 2,
                                                  (c.HallFigures(1, 2, T0 + 41, 0, 1, 1),
                                                   c.HallFigures(2, 1, T0 + 40, 0, 1, 1)))), T0 + 72.5))
    state(a1, T0 + 90, S.WRAP_UP, S.READY, "wrap-up over", call=None)
    out.append(c.LogCallEvent("c1", K.WRAP_UP_ENDED, T0 + 90, queue_code="tax_policy", agent_id=a1, queued_at=T0 + 8,
                              hall_id=1, duration_s=30.0))
    log(K.DIALED, T0 + 95, call="o1", direction="outbound", agent_id=a2, duration_s=0.0, detail="unanswered")
    log(K.ARRIVED, T0 + 96, call="c7", ani="+86 755 1234 5678 " + "9" * 80, dnis="12345", detail="z" * 300)
    return out


@pytest.mark.parametrize("fallbacks", [True, False], ids=["with-fallback-writers", "grouped-only"])
def test_a_mixed_batch_is_written_exactly_as_command_by_command(two_databases, caplog, fallbacks):
    """With fallbacks, the batch holds a command write_batch has no writer for (SomethingNew: logged, skipped) and
    the switch's status; without, every command is written grouped by table."""
    url_a, url_b, ids = two_databases
    batch = mixed_batch(ids)
    if not fallbacks:
        batch = [cmd for cmd in batch if type(cmd).__name__ not in ("SaveSwitchStatus", "SomethingNew")]
    run(url_a, legacy_write, [batch])
    with caplog.at_level(logging.WARNING):
        run(url_b, batch_write, [batch])
    assert_same(url_a, url_b)
    assert ("no store writer for SomethingNew" in caplog.text) is fallbacks
    assert "recording /rec/orphan.wav stopped but was never started" in caplog.text
    rows = contents(url_b)
    assert len(rows["call_events"]) == sum(isinstance(cmd, c.LogCallEvent) for cmd in batch)
    assert len(rows["report_calls_15m"]) > 5
    assert [r[:3] for r in rows["queue_hall_status"]] == [("social_fee", 1, 2), ("social_fee", 2, 1),
                                                          ("tax_policy", 1, 0)]    # the last publication's halls


def test_any_cut_of_the_batch_and_one_command_at_a_time_write_the_same(two_databases):
    url_a, url_b, ids = two_databases
    batch = mixed_batch(ids)
    rng = random.Random(7)
    cuts, i = [], 0
    while i < len(batch):
        n = rng.randint(1, 9)
        cuts.append(batch[i:i + n])
        i += n
    run(url_a, legacy_write, [[cmd] for cmd in batch])
    run(url_b, batch_write, cuts)
    assert_same(url_a, url_b)
    run(url_a, legacy_write, [[cmd] for cmd in batch])     # the same commands again: duplicates and replacements
    run(url_b, batch_write, [[cmd] for cmd in batch])      # write_batch([command]) for every kind of command
    assert_same(url_a, url_b)


def test_a_refused_row_refuses_the_batch_and_alone_command_by_command(two_databases):
    """As with the per-command writers: the batch fails as a whole (a DBAPIError, so the engine knows the data was
    refused), nothing of it stays, and written one at a time only the refused command is missing."""
    url_a, url_b, ids = two_databases
    batch = mixed_batch(ids)
    bad = c.SaveRecording("/rec/bad.wav", "c9", "1", "2", "", UNKNOWN_AGENT, "", None, T0)   # no such agent (FK)
    batch.insert(len(batch) // 2, bad)
    before = contents(url_b)
    for url, writer in ((url_a, legacy_write), (url_b, batch_write)):
        with pytest.raises(IntegrityError):
            run(url, writer, [batch])
    assert contents(url_b) == before
    for url, writer in ((url_a, legacy_write), (url_b, batch_write)):
        for cmd in batch:
            try:
                run(url, writer, [[cmd]])
            except DBAPIError:
                assert cmd is bad
    assert_same(url_a, url_b, ids=url_a.startswith("sqlite"))
    assert not any(row for row in contents(url_b)["recordings"] if "/rec/bad.wav" in row)


def test_a_value_too_long_for_its_column_fares_as_with_the_orm(two_databases):
    """PostgreSQL refuses a queue code longer than its column (never truncated); SQLite stores it. Both paths alike."""
    url_a, url_b, ids = two_databases
    entry = c.LogCallEvent("c1", K.QUEUED, T0, queue_code="q" * 40, queued_at=T0)
    outcomes = []
    for url, writer in ((url_a, legacy_write), (url_b, batch_write)):
        try:
            run(url, writer, [[entry]])
            outcomes.append("written")
        except DBAPIError as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == ("written" if url_a.startswith("sqlite") else "DataError")
    assert_same(url_a, url_b)



def test_an_entry_marked_unless_logged_is_written_only_where_the_call_has_none_of_its_kind(two_databases):
    """An engine taking over logs `arrived`/`queued` unless the engine that died already did (and the rollups
    count what is written, once)."""
    from engine.domain.calllog import CallEventKind as K
    from engine.domain.commands import LogCallEvent
    from engine.store.models import CallEvent
    url, _other, _ids = two_databases
    first = [LogCallEvent("c1", K.ARRIVED, 1000.0), LogCallEvent("c1", K.QUEUED, 1001.0, queue_code="tax")]
    again = [LogCallEvent("c1", K.ARRIVED, 1000.0, unless_logged=True),
             LogCallEvent("c1", K.QUEUED, 1001.0, queue_code="tax", unless_logged=True),
             LogCallEvent("c2", K.ARRIVED, 1002.0, unless_logged=True),
             LogCallEvent("c2", K.ARRIVED, 1002.0, unless_logged=True)]
    run(url, lambda session, batch: write_batch(session, batch, inspect=fake_inspect), [first, again])
    eng = make_engine(url)
    with eng.connect() as conn:
        rows = sorted(conn.execute(select(CallEvent.call_uuid, CallEvent.kind)))
    eng.dispose()
    assert rows == [("c1", "arrived"), ("c1", "queued"), ("c2", "arrived")]
