"""Writing a batch of the core's store commands (one transaction) with a handful of statements.

`write_batch(session, commands)` writes exactly what calling the per-command writers one after the other
(engine.store.calllog.append, engine.store.repos.save_*) with a flush after each writes, in the order given:

* log entries: one INSERT statement for all of them (engine.store.bulk; ids in command order), and the report
  rollups summed in Python for the whole batch, then one upsert statement per rollup table, touching each rollup
  row once (engine.reports.rollups.Increments);
* agent state changes: one INSERT of every change, one UPDATE setting each touched agent to its last state;
  changes of agents the database does not have are skipped, as save_agent_state skips them;
* offers, call records (once per call: a record already stored, or earlier in the batch, is left as it is),
  recordings (created at start, completed from the file at stop, also when both are in the batch), queue and
  trunk status (the last publication in the batch wins): one or two statements each;
* what exists is looked up once per batch, in one query (agents by id, call records by call, recordings by
  path); on PostgreSQL every write of the batch then goes to the server in one round trip.

Commands of the same table keep their order; different tables do not depend on each other (agents are only read,
for existence, and no store command creates or deletes one), so the result is the same as the per-command path.
Rare commands (callback progress, voice messages, ratings, console request results) go through their per-command
writer (engine.store.writers) in place. A command type this module does not batch is written by `writers[type]`
after everything before it is written (then flushed), so that writer sees what the per-command path would have
shown it; with no writer it is logged and skipped. Stopped recordings' files are read (size, checksum, duration)
before anything of the batch is written, so no write lock is held while a file is hashed.

Any error (a refused row) propagates; the caller's transaction is rolled back, and the engine then writes the
commands one at a time (`write_batch(session, [command])`), as it did with the per-command writers.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.commands import (LogCallEvent, SaveAgentState, SaveCallback, SaveCallRecord, SaveCdrReconciled, SaveOffer,
                                    SaveQueueStatus, SaveRecording, SaveRequestResult, SaveSurveyResult,
                                    SaveSwitchStatus, SaveTrunkStatus, SaveVoicemail, SaveFollowUpResult)
from engine.reports.rollups import Increments
from engine.store import bulk, repos, switch_status
from engine.store.calllog import EVENT_COLUMNS, entry_row
from engine.store.models import (Agent, AgentStateChange, CallEvent, CallOffer, CallRecord, QueueHallStatus,
                                 QueueStatus, Recording, TrunkStatus)
from engine.store.models.switch import SwitchStatus
from engine.store.repos import to_datetime
from engine.store.writers import per_command_writers

logger = logging.getLogger(__name__)

Writer = Callable[[Session, object], None]

# written through their per-command writer, in place: they touch tables nothing else in a batch writes, and read
# agents only to see whether one exists
_IN_PLACE = frozenset({SaveRequestResult, SaveCallback, SaveVoicemail, SaveSurveyResult, SaveCdrReconciled,
                       SaveFollowUpResult})
_RECORDING_COLUMNS = (*repos.RECORDING_START_COLUMNS, *repos.RECORDING_STOP_COLUMNS)
_RECORDING_NEW = (None, None, "recording", None, None, None, "")    # RECORDING_STOP_COLUMNS of a new row


def write_batch(session: Session, commands: Iterable[object], *, writers: Mapping[type, Writer] | None = None,
                inspect: Callable[[str], object] | None = None) -> None:
    """Write `commands` in order, in the session's transaction (see the module's docstring).

    `inspect`: what reads a stopped recording's file (engine.recording.inspect by default); `writers`: the
    per-command writers, for the kinds not batched here (engine.store.writers.per_command_writers by default)."""
    if inspect is None:
        from engine.recording import inspect
    commands = list(commands)
    files = {cmd.path: inspect(cmd.path) for cmd in commands
             if type(cmd) is SaveRecording and cmd.stopped_at is not None}
    if writers is None:
        writers = per_command_writers(inspect)
    pending = _Pending(session, files)
    for command in commands:
        kind = type(command)
        add = pending.adders.get(kind)
        if add is not None:
            add(command)
            continue
        writer = writers.get(kind)
        if writer is None:
            logger.error("no store writer for %r", command)
            continue
        if kind not in _IN_PLACE:
            pending.write()                   # an unknown writer sees everything before it, as it did
        writer(session, command)
        session.flush()
    pending.write()


class _Pending:
    """The batch's commands handled here, by table, in order; `write` writes and forgets them."""

    def __init__(self, session: Session, files: Mapping[str, object]):
        self.session = session
        self.files = files                    # stopped recordings' file facts, by path
        self.entries: list[LogCallEvent] = []
        self.states: list[SaveAgentState] = []
        self.offers: list[SaveOffer] = []
        self.records: list[SaveCallRecord] = []
        self.recordings: list[SaveRecording] = []
        self.statuses: list[SaveQueueStatus] = []
        self.trunks: list[SaveTrunkStatus] = []
        self.switches: list[SaveSwitchStatus] = []
        self.adders: dict[type, Callable[[object], None]] = {
            LogCallEvent: self.entries.append, SaveAgentState: self.states.append, SaveOffer: self.offers.append,
            SaveCallRecord: self.records.append, SaveRecording: self.recordings.append,
            SaveQueueStatus: self.statuses.append, SaveTrunkStatus: self.trunks.append,
            SaveSwitchStatus: self.switches.append,
        }

    def write(self) -> None:
        if not (self.entries or self.states or self.offers or self.records or self.recordings or self.statuses
                or self.trunks or self.switches):
            return
        self.session.flush()                  # anything the ORM writers left pending goes first
        conn = self.session.connection()
        agents, records, recordings = bulk.existing(conn, (
            (Agent.__table__, "id", [cmd.change.agent_id for cmd in self.states] + [o.agent_id for o in self.offers]),
            (CallRecord.__table__, "call_uuid", [rec.call_uuid for rec in self.records]),
            (Recording.__table__, "path", [rec.path for rec in self.recordings])))
        script = bulk.Script(conn)
        if any(entry.unless_logged for entry in self.entries):
            self.entries[:] = _not_yet_logged(conn, self.entries)
        if self.entries:
            _write_entries(script, self.entries)
        if self.states:
            _write_states(script, self.states, agents)
        if self.offers:
            _write_offers(script, self.offers, agents)
        if self.records:
            _write_records(script, self.records, records)
        if self.recordings:
            _write_recordings(script, self.recordings, recordings, self.files)
        if self.statuses:
            _write_queue_status(script, self.statuses)
        if self.trunks:
            _write_trunk_status(script, self.trunks)
        if self.switches:
            _write_switch_status(script, self.switches)
        script.run()
        for pending in (self.entries, self.states, self.offers, self.records, self.recordings, self.statuses,
                        self.trunks, self.switches):
            pending.clear()


# --- one function per table ------------------------------------------------------------------------------------

_QUEUE_STATUS_COLUMNS = ("queue_code", "waiting", "longest_wait_since", "agents_ready", "agents_busy",
                         "agents_logged_in", "updated_at")
_QUEUE_HALL_STATUS_COLUMNS = ("queue_code", "hall_id", "waiting", "longest_wait_since", "agents_ready",
                              "agents_busy", "agents_logged_in")
_TRUNK_STATUS_COLUMNS = ("name", "channels", "in_use", "all_busy_since", "updated_at")


def _not_yet_logged(conn, entries: list[LogCallEvent]) -> list[LogCallEvent]:
    """The entries to write: those marked unless_logged only when their call has no entry of that kind."""
    wanted = {(e.call_uuid, e.kind.value) for e in entries if e.unless_logged}
    uuids = sorted({uuid for uuid, _kind in wanted})
    have = set(conn.execute(select(CallEvent.call_uuid, CallEvent.kind).where(CallEvent.call_uuid.in_(uuids))))
    out, seen = [], set()
    for entry in entries:
        key = (entry.call_uuid, entry.kind.value)
        if entry.unless_logged and (key in have or key in seen):
            continue
        seen.add(key)
        out.append(entry)
    return out


def _write_entries(script: bulk.Script, entries: list[LogCallEvent]) -> None:
    rows = [entry_row(entry) for entry in entries]
    script.insert(CallEvent.__table__, EVENT_COLUMNS, rows)
    increments = Increments()
    for row in rows:
        increments.add(row)
    increments.apply_to(script)


def _write_states(script: bulk.Script, states: list[SaveAgentState], agents: set[int]) -> None:
    rows, current = [], {}
    for cmd in states:
        change = cmd.change
        if change.agent_id not in agents:
            continue
        rows.append(repos.state_change_row(change))
        current[change.agent_id] = (change.agent_id, *repos.agent_state_row(change))
    if rows:
        script.update(Agent.__table__, "id", repos.AGENT_STATE_COLUMNS, [current[k] for k in sorted(current)])
        script.insert(AgentStateChange.__table__, repos.STATE_COLUMNS, rows)


def _write_offers(script: bulk.Script, offers: list[SaveOffer], agents: set[int]) -> None:
    script.insert(CallOffer.__table__, repos.OFFER_COLUMNS, [repos.offer_row(o, o.agent_id in agents) for o in offers])


def _write_records(script: bulk.Script, records: list[SaveCallRecord], stored: set[str]) -> None:
    seen = set(stored)
    rows = []
    for rec in records:
        if rec.call_uuid in seen:
            continue
        seen.add(rec.call_uuid)
        rows.append(repos.call_record_row(rec))
    script.insert(CallRecord.__table__, repos.RECORD_COLUMNS, rows)


def _write_recordings(script: bulk.Script, recordings: list[SaveRecording], stored: set[str],
                      files: Mapping[str, object]) -> None:
    """As repos.save_recording, command after command: a row is created by the first command of its path (unless
    stored already), completed from the file by a stop."""
    table = Recording.__table__
    new: dict[str, list] = {}             # path -> the row to insert (in order of creation)
    changed: dict[str, tuple] = {}        # path -> what a stop sets on a stored row
    start = len(repos.RECORDING_START_COLUMNS)
    for rec in recordings:
        row = new.get(rec.path)
        if row is None and rec.path not in stored:
            if rec.stopped_at is not None and not rec.call_uuid:
                logger.warning("recording %s stopped but was never started by this engine", rec.path)
            row = new[rec.path] = [*repos.recording_start_row(rec), *_RECORDING_NEW]
        if rec.stopped_at is None:
            continue
        stop = repos.recording_stop_row(rec, files[rec.path])
        if row is None:
            changed[rec.path] = stop
        else:
            row[start:] = stop
    script.insert(table, _RECORDING_COLUMNS, [tuple(row) for row in new.values()])
    script.update(table, "path", repos.RECORDING_STOP_COLUMNS, [(path, *stop) for path, stop in changed.items()])


_REPLACE_QUEUE_STATUS = {c: "set" for c in _QUEUE_STATUS_COLUMNS[1:]}
_REPLACE_TRUNK_STATUS = {c: "set" for c in _TRUNK_STATUS_COLUMNS[1:]}


def _write_queue_status(script: bulk.Script, statuses: list[SaveQueueStatus]) -> None:
    """Insert or replace each queue's row (the ORM writer's get-or-create, then every column set): the last
    publication in the batch wins."""
    rows: dict[str, tuple] = {}
    for status in statuses:
        at = to_datetime(status.at)
        for snap in status.queues:
            rows[snap.queue_code] = (snap.queue_code, snap.waiting, to_datetime(snap.longest_wait_since),
                                     snap.agents_ready, snap.agents_busy, snap.agents_logged_in, at)
    script.insert(QueueStatus.__table__, _QUEUE_STATUS_COLUMNS, [rows[k] for k in sorted(rows)],
                conflict=("queue_code",), on_conflict=_REPLACE_QUEUE_STATUS)
    last = statuses[-1]         # the halls' figures of the last publication replace every earlier one
    script.delete_all(QueueHallStatus.__table__)
    script.insert(QueueHallStatus.__table__, _QUEUE_HALL_STATUS_COLUMNS,
                  [(snap.queue_code, h.hall_id, h.waiting, to_datetime(h.longest_wait_since), h.agents_ready,
                    h.agents_busy, h.agents_logged_in) for snap in last.queues for h in snap.halls])


def _write_trunk_status(script: bulk.Script, trunks: list[SaveTrunkStatus]) -> None:
    rows = {t.name: (t.name, t.channels, t.in_use, to_datetime(t.all_busy_since), to_datetime(t.at)) for t in trunks}
    script.insert(TrunkStatus.__table__, _TRUNK_STATUS_COLUMNS, [rows[k] for k in sorted(rows)],
                conflict=("name",), on_conflict=_REPLACE_TRUNK_STATUS)


_REPLACE_SWITCH_STATUS = {c: "set" for c in switch_status.COLUMNS[1:]}


def _write_switch_status(script: bulk.Script, statuses: list[SaveSwitchStatus]) -> None:
    """Insert or replace the switch's row, as engine.store.switch_status.save_switch_status (get-or-create, then
    every column set): the last publication in the batch wins."""
    script.insert(SwitchStatus.__table__, switch_status.COLUMNS, [switch_status.switch_status_row(statuses[-1])],
                  conflict=("name",), on_conflict=_REPLACE_SWITCH_STATUS)
