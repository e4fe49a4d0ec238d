"""Rollups: sums of the raw logs that reports read, exactly equal to recomputing them from the logs.

* Call-event sums (report_calls_15m, report_calls_day, report_caller_region_day) are updated in the same
  transaction as each appended log entry (`apply_entry`, called by engine.store.calllog.append; or, for a
  whole batch of entries, `Increments`, used by engine.store.batch.write_batch), so they are never stale,
  including the interval in progress.
* Agent state time per day (report_agent_day) is folded for closed local days by `refresh` (reports call
  it before reading); today is always computed live from agent_state_changes (see engine.reports.agents).
* `rebuild(session, start=None, end=None)` recomputes everything in a range from the raw logs (after a bulk
  import, or to repair); `verify` compares the stored rollups with a recomputation.

What each column counts is one table, `COLUMN_SPECS`, evaluated both in Python (incremental) and as SQL
(rebuild), so the two paths cannot disagree. Durations are integer milliseconds: floor(seconds·1000 + ½).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import compress
from typing import NamedTuple

from sqlalchemy import BigInteger, and_, case, cast, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from engine.domain.calllog import CallEventKind as K
from engine.domain.states import AgentState
from engine.reports.periods import DAY_S, INTERVAL_S, TZ_OFFSET_S, day_start, epoch, interval_start
from engine.reports.regions import caller_area
from engine.store import bulk
from engine.store.base import utcnow
from engine.store.models import AgentStateChange, CallEvent
from engine.store.models.reports import (CALL_MAXES_MS, SHORT_ABANDON_THRESHOLDS, SL_THRESHOLDS, ReportAgentDay,
                                         ReportCalls15m, ReportCallsDay, ReportCallerRegionDay, ReportSetting)

LEFT_QUEUE = (K.ANSWERED, K.ABANDONED, K.CALLBACK_REQUESTED, K.VOICEMAIL, K.RELEASED)   # a wait that ended
TRUNK_KINDS = (K.TRUNK_ALL_BUSY, K.TRUNK_FREE)
OVERFLOW_PREFIX = "overflow:"
FOLDED_UNTIL = "agent_days_folded_until"

# A call an agent sends back to a queue (a blind transfer to a queue or to a named agent, a failed transfer to a
# number) waits again: its `queued` entry has detail TRANSFERRED_BACK and the entry that ends that wait (answered,
# abandoned, callback, voice message, released, cut) carries in `value` how many times the call had been
# transferred (engine.acd.calllog). Such a wait is not a new request: those entries are summed in rollup rows of
# their own, keyed by the sentinel REWAIT in the `trunk` key column (a call entry's trunk is "" otherwise), which
# the reports add per queue, skill, agent and group but leave out of totals, periods, halls and directions
# (engine.reports.queries), so that one caller's call is one request in the answer rate, the waits and the
# service level. A call offered again after an agent did not answer keeps its place and its single `queued` entry.
TRANSFERRED_BACK = "transfer"
REWAIT = "~transfer"
WAIT_ENDS = (*LEFT_QUEUE, K.CUT)
_WAIT_END_VALUES = frozenset(k.value for k in WAIT_ENDS)
_QUEUED = K.QUEUED.value


def is_rewait(entry) -> bool:
    """Whether a log entry is part of a call's wait after a transfer back to a queue (see REWAIT)."""
    kind = entry.kind
    if kind == _QUEUED:
        return entry.detail == TRANSFERRED_BACK
    return kind in _WAIT_END_VALUES and (entry.value or 0) > 0


def rewait_sql():
    """is_rewait as an SQL condition on call_events."""
    e = CallEvent
    return or_(and_(e.kind == _QUEUED, e.detail == TRANSFERRED_BACK),
               and_(e.kind.in_(sorted(_WAIT_END_VALUES)), func.coalesce(e.value, 0) > 0))


@dataclasses.dataclass(frozen=True)
class ColumnSpec:
    """Column `name` adds `value` (1, "wait" ms or "duration" ms) for entries of `kinds` meeting `when`."""

    name: str
    kinds: tuple[K, ...]
    value: int | str = 1
    when: tuple | None = None      # ("wait_le", s) | ("detail_eq", text) | ("duration_gt", 0) | ("value_eq", n)
    agg: str = "sum"               # or "max"


COLUMN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("arrived", (K.ARRIVED,)),
    ColumnSpec("ivr_entered", (K.IVR_ENTERED,)),
    ColumnSpec("queued", (K.QUEUED,)),
    ColumnSpec("overflowed", (K.OVERFLOWED,)),
    ColumnSpec("offered", (K.OFFERED,)),
    ColumnSpec("no_answer", (K.NO_ANSWER,)),
    ColumnSpec("answered", (K.ANSWERED,)),
    *(ColumnSpec(f"ans_le_{t}", (K.ANSWERED,), when=("wait_le", t)) for t in SL_THRESHOLDS),
    ColumnSpec("abandoned", (K.ABANDONED,)),
    ColumnSpec("abandoned_ringing", (K.ABANDONED,), when=("detail_eq", "ringing")),
    *(ColumnSpec(f"abn_le_{s}", (K.ABANDONED,), when=("wait_le", s)) for s in SHORT_ABANDON_THRESHOLDS),
    ColumnSpec("callbacks", (K.CALLBACK_REQUESTED,)),
    ColumnSpec("voicemails", (K.VOICEMAIL,)),
    ColumnSpec("released", (K.RELEASED,)),
    ColumnSpec("cut", (K.CUT,)),
    ColumnSpec("waited", LEFT_QUEUE),
    ColumnSpec("holds", (K.HELD,)),
    ColumnSpec("talks", (K.TALK_ENDED,)),
    ColumnSpec("wrapups", (K.WRAP_UP_ENDED,)),
    ColumnSpec("transfers", (K.TRANSFERRED,)),
    ColumnSpec("dialed", (K.DIALED,)),
    ColumnSpec("dialed_answered", (K.DIALED,), when=("duration_gt", 0)),
    ColumnSpec("ended", (K.ENDED,)),
    ColumnSpec("trunk_busy", (K.TRUNK_ALL_BUSY,)),
    ColumnSpec("trunk_freed", (K.TRUNK_FREE,)),
    *(ColumnSpec(f"r{digit}", (K.SURVEY,), when=("value_eq", digit)) for digit in range(10)),
    ColumnSpec("answered_wait_ms", (K.ANSWERED,), "wait"),
    ColumnSpec("abandoned_wait_ms", (K.ABANDONED,), "wait"),
    ColumnSpec("waited_ms", LEFT_QUEUE, "wait"),
    ColumnSpec("ring_ms", (K.ANSWERED,), "duration"),
    ColumnSpec("hold_ms", (K.RETRIEVED,), "duration"),
    ColumnSpec("talk_ms", (K.TALK_ENDED,), "duration"),
    ColumnSpec("wrap_ms", (K.WRAP_UP_ENDED,), "duration"),
    ColumnSpec("transfer_ms", (K.TRANSFERRED,), "duration"),
    ColumnSpec("dialed_talk_ms", (K.DIALED,), "duration"),
    ColumnSpec("trunk_busy_ms", (K.TRUNK_FREE,), "duration"),
    ColumnSpec("max_wait_ms", LEFT_QUEUE, "wait", agg="max"),
    ColumnSpec("trunk_busy_max_ms", (K.TRUNK_FREE,), "duration", agg="max"),
)
_SPECS_BY_KIND: dict[str, list[ColumnSpec]] = defaultdict(list)
for _spec in COLUMN_SPECS:
    for _kind in _spec.kinds:
        _SPECS_BY_KIND[_kind.value].append(_spec)
KEY_COLUMNS = ("direction", "queue_code", "hall_id", "agent_id", "trunk")
MAX_COLUMNS = frozenset(CALL_MAXES_MS)
_TRUNK_VALUES = frozenset(k.value for k in TRUNK_KINDS)
_ARRIVED, _OVERFLOWED = K.ARRIVED.value, K.OVERFLOWED.value


# --- one entry's contribution (Python) ---------------------------------------------------------------------

def ms(seconds: float | None) -> int:
    """Seconds → integer milliseconds, as the SQL path computes it (0 for missing or negative values)."""
    if seconds is None or seconds <= 0:
        return 0
    return int(math.floor(seconds * 1000 + 0.5))


def basis_ts(entry) -> float:
    """The time an entry is attributed to: when its call entered the queue, else its own time."""
    return epoch(entry.queued_at if entry.queued_at is not None else entry.at)


def _holds(spec: ColumnSpec, entry) -> bool:
    if spec.when is None:
        return True
    test, arg = spec.when
    if test == "wait_le":
        return (entry.wait_s or 0.0) <= arg
    if test == "detail_eq":
        return entry.detail == arg
    if test == "duration_gt":
        return (entry.duration_s or 0.0) > arg
    if test == "value_eq":
        return entry.value == arg
    raise ValueError(test)


def apply_entry(session: Session, entry: CallEvent) -> None:
    """Add one appended log entry to the call rollups (same transaction as the insert)."""
    increments = Increments()
    increments.add(entry)
    increments.apply(session)


VALUE_COLUMNS = tuple(dict.fromkeys([*(s.name for s in COLUMN_SPECS), "overflow_in"]))   # what entries can add to
_N_VALUES = len(VALUE_COLUMNS)
_COLUMN_INDEX = {name: i for i, name in enumerate(VALUE_COLUMNS)}
_MAX_INDEXES = tuple(_COLUMN_INDEX[name] for name in VALUE_COLUMNS if name in MAX_COLUMNS)
_OVERFLOW_IN = _COLUMN_INDEX["overflow_in"]
_SOURCES = {1: 0, "wait": 1, "duration": 2}          # ColumnSpec.value → index in (1, wait ms, duration ms)


class _KindPlan(NamedTuple):
    """What the entries of one kind add to their rollup row, from COLUMN_SPECS worked out once per kind: the
    columns (indexes in VALUE_COLUMNS) every entry adds to, by what it adds, and the specs with a `when`, tested
    entry by entry (_holds). Same sums as the SQL recomputation (`rebuild`, `verify`)."""

    always: bool                            # a spec without `when`: every entry of the kind writes its row
    ones: tuple[int, ...]                   # + 1
    wait_sums: tuple[int, ...]              # + ms(wait_s)
    duration_sums: tuple[int, ...]          # + ms(duration_s)
    maxes: tuple[tuple[int, int], ...]      # (column, source): the greater of the column and (1, wait, duration)[source]
    tested: tuple[tuple[Callable, int, int, bool], ...]   # (test(entry), column, source, is a max)
    needs_wait: bool
    needs_duration: bool


def _kind_plan(specs: Iterable[ColumnSpec]) -> _KindPlan:
    ones, wait_sums, duration_sums, maxes, tested = [], [], [], [], []
    for spec in specs:
        column, source = _COLUMN_INDEX[spec.name], _SOURCES[spec.value]
        if spec.when is not None:
            tested.append((lambda entry, spec=spec: _holds(spec, entry), column, source, spec.agg == "max"))
        elif spec.agg == "max":
            maxes.append((column, source))
        else:
            (ones, wait_sums, duration_sums)[source].append(column)
    sources = {_SOURCES[s.value] for s in specs}
    return _KindPlan(len(tested) < len(specs), tuple(ones), tuple(wait_sums), tuple(duration_sums), tuple(maxes),
                     tuple(tested), 1 in sources, 2 in sources)


_KIND_PLANS: dict[str, _KindPlan] = {kind: _kind_plan(specs) for kind, specs in _SPECS_BY_KIND.items()}


class Increments:
    """What a run of appended log entries adds to the call rollups, summed per rollup row in Python; `apply`
    then writes each touched row once (one upsert statement per table). The result is the same as applying
    the entries one by one: counts and sums add up, maxima take the maximum, in any order.

    Each entry's part is worked out from its kind's _KindPlan, into one list of VALUE_COLUMNS values per
    (15-minute interval, key); the daily rows are those lists summed per day when the statements are built (an
    interval lies within one local day: both are multiples of 15 minutes from the epoch)."""

    __slots__ = ("rows", "regions")

    def __init__(self) -> None:
        self.rows: dict[tuple, list[int]] = {}       # (interval, day, *KEY_COLUMNS) -> values in VALUE_COLUMNS order
        self.regions: dict[tuple, int] = {}

    def add(self, entry) -> None:
        """Add one entry (a CallEvent, or anything with its attributes: kind, at, queued_at, ani, ...)."""
        kind = entry.kind
        plan = _KIND_PLANS.get(kind)
        held = ()
        if plan is not None and plan.tested:
            held = [t for t in plan.tested if t[0](entry)]
        overflow = kind == _OVERFLOWED and (entry.detail or "").startswith(OVERFLOW_PREFIX)
        if (plan is not None and (plan.always or held)) or overflow:
            ts = basis_ts(entry)
            interval, day = interval_start(ts), day_start(ts)
            direction, hall_id, agent_id = entry.direction or "inbound", entry.hall_id or 0, entry.agent_id or 0
            rows = self.rows
            if plan is not None and (plan.always or held):
                if kind in _TRUNK_VALUES:
                    trunk = (entry.detail or "")[:32]
                else:
                    trunk = REWAIT if is_rewait(entry) else ""
                key = (interval, day, direction, entry.queue_code or "", hall_id, agent_id, trunk)
                acc = rows.get(key)
                if acc is None:
                    acc = rows[key] = [0] * _N_VALUES
                for i in plan.ones:
                    acc[i] += 1
                wait = ms(entry.wait_s) if plan.needs_wait else 0
                duration = ms(entry.duration_s) if plan.needs_duration else 0
                for i in plan.wait_sums:
                    acc[i] += wait
                for i in plan.duration_sums:
                    acc[i] += duration
                if plan.maxes or held:
                    values = (1, wait, duration)
                    for i, source in plan.maxes:
                        if values[source] > acc[i]:
                            acc[i] = values[source]
                    for _, i, source, is_max in held:
                        if not is_max:
                            acc[i] += values[source]
                        elif values[source] > acc[i]:
                            acc[i] = values[source]
            if overflow:
                target = entry.detail[len(OVERFLOW_PREFIX):][:32]
                key = (interval, day, direction, target, hall_id, agent_id, "")
                acc = rows.get(key)
                if acc is None:
                    acc = rows[key] = [0] * _N_VALUES
                acc[_OVERFLOW_IN] += 1
        if kind == _ARRIVED and (entry.direction or "inbound") == "inbound":
            province, city = caller_area(entry.ani)
            region = (day_start(epoch(entry.at)), entry.hall_id or 0, province, city)
            self.regions[region] = self.regions.get(region, 0) + 1

    def apply(self, session: Session) -> None:
        """Upsert every touched rollup row, in the session's transaction."""
        self.apply_to(session.connection())

    def apply_to(self, target) -> None:
        """Upsert every touched rollup row: one statement per table (engine.store.bulk), rows in key order (so
        that concurrent writers lock rows alike); every value column on SQLite (one statement text, which SQLite
        keeps prepared), on PostgreSQL the columns some row adds to (the others add 0: a column left out of the
        statement is set to its default 0 in a new row and kept in a stored one, as adding 0 or taking the
        greater of it and 0 keeps it). `target`: a Connection, or a bulk.Script the statements join."""
        script = target if isinstance(target, bulk.Script) else bulk.Script(target)
        if self.rows:
            intervals = {(k[0], *k[2:]): v for k, v in self.rows.items()}
            for table, bucket, rows in ((ReportCalls15m.__table__, "bucket", intervals),
                                        (ReportCallsDay.__table__, "day", _days(self.rows))):
                keys = sorted(rows)
                if script.dialect == "sqlite":
                    names = VALUE_COLUMNS
                    values = [(*key, *rows[key]) for key in keys]
                else:                            # the server parses each statement anyway: send less
                    used = [any(column) for column in zip(*rows.values())]
                    names = tuple(compress(VALUE_COLUMNS, used))
                    values = [(*key, *compress(rows[key], used)) for key in keys]
                script.insert(table, (bucket, *KEY_COLUMNS, *names), values, conflict=(bucket, *KEY_COLUMNS),
                              on_conflict={name: _HOW[name] for name in names})
        if self.regions:
            script.insert(ReportCallerRegionDay.__table__, ("day", "hall_id", "province", "city", "calls"),
                          [(*k, self.regions[k]) for k in sorted(self.regions)],
                          conflict=("day", "hall_id", "province", "city"), on_conflict={"calls": "add"})
        if script is not target:
            script.run()


_HOW = {name: "max" if name in MAX_COLUMNS else "add" for name in VALUE_COLUMNS}


def _days(rows: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """Interval rows {(interval, day, *key): values} summed per (day, *key) (maxima: the greatest)."""
    days: dict[tuple, list[int]] = {}
    for key, values in rows.items():
        day_key = key[1:]
        acc = days.get(day_key)
        if acc is None:
            days[day_key] = values          # not changed below: a second interval of the day makes a new list
            continue
        summed = list(map(operator.add, acc, values))
        for i in _MAX_INDEXES:
            summed[i] = max(acc[i], values[i])
        days[day_key] = summed
    return days


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session):
    if _dialect(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _greatest(session: Session, a, b):
    return func.greatest(a, b) if _dialect(session) == "postgresql" else func.max(a, b)


def _upsert(session: Session, table, keys: dict, deltas: dict[str, int]) -> None:
    stmt = _insert(session)(table).values(**keys, **deltas)
    set_ = {name: (_greatest(session, table.c[name], stmt.excluded[name]) if name in MAX_COLUMNS
                   else table.c[name] + stmt.excluded[name]) for name in deltas}
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=set_))


# --- the same sums in SQL (rebuild) --------------------------------------------------------------------------

def _epoch_sql(session: Session, column):
    if _dialect(session) == "postgresql":
        return func.extract("epoch", column)
    return cast(func.strftime("%s", column), BigInteger)


def _floor_div(session: Session, expr, step: int, offset: int = 0):
    """floor((expr + offset) / step) * step − offset, as an integer, in each dialect."""
    if _dialect(session) == "postgresql":
        return cast(func.floor((expr + offset) / step) * step - offset, BigInteger)
    quotient = (expr + offset).self_group().op("/", precedence=8)(step)   # SQLite: integer ÷ integer
    return quotient.self_group() * step - offset


def _ms_sql(session: Session, column):
    positive = func.coalesce(column, 0.0) > 0
    if _dialect(session) == "postgresql":
        value = cast(func.floor(column * 1000 + 0.5), BigInteger)
    else:
        value = cast(column * 1000 + 0.5, BigInteger)   # truncation = floor for positive values
    return case((positive, value), else_=0)


def _condition_sql(spec: ColumnSpec):
    e = CallEvent
    kinds = e.kind.in_([k.value for k in spec.kinds])
    if spec.when is None:
        return kinds
    test, arg = spec.when
    extra = {"wait_le": lambda: func.coalesce(e.wait_s, 0.0) <= arg,
             "detail_eq": lambda: e.detail == arg,
             "duration_gt": lambda: func.coalesce(e.duration_s, 0.0) > arg,
             "value_eq": lambda: e.value == arg}[test]()
    return and_(kinds, extra)


def _aggregates_sql(session: Session) -> list:
    e = CallEvent
    cols = []
    for spec in COLUMN_SPECS:
        if spec.value == 1:
            value = literal(1)
        else:
            value = _ms_sql(session, e.wait_s if spec.value == "wait" else e.duration_s)
        expr = case((_condition_sql(spec), value), else_=0)
        cols.append((func.max(expr) if spec.agg == "max" else func.sum(expr)).label(spec.name))
    return cols


def _basis_sql():
    return func.coalesce(CallEvent.queued_at, CallEvent.at)


def _key_sql():
    e = CallEvent
    trunk = case((e.kind.in_([k.value for k in TRUNK_KINDS]), func.substr(e.detail, 1, 32)),
                 (rewait_sql(), literal(REWAIT)), else_="")
    return [e.direction.label("direction"), func.coalesce(e.queue_code, "").label("queue_code"),
            func.coalesce(e.hall_id, 0).label("hall_id"), func.coalesce(e.agent_id, 0).label("agent_id"),
            trunk.label("trunk")]


def _range_filter(column, start: dt.datetime | None, end: dt.datetime | None) -> list:
    conds = []
    if start is not None:
        conds.append(column >= start)
    if end is not None:
        conds.append(column < end)
    return conds


def recompute_calls(session: Session, table, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """SELECT of the rollup rows of `table` (15-minute or day) recomputed from the raw log, as a statement."""
    basis = _epoch_sql(session, _basis_sql())
    if table is ReportCalls15m.__table__:
        bucket = _floor_div(session, basis, INTERVAL_S).label("bucket")
    else:
        bucket = _floor_div(session, basis, DAY_S, TZ_OFFSET_S).label("day")
    keys = _key_sql()
    return (select(bucket, *keys, *_aggregates_sql(session))
            .where(*_range_filter(_basis_sql(), start, end))
            .group_by(bucket, *keys))


def _recompute_overflow_in(session: Session, table, start, end):
    e = CallEvent
    basis = _epoch_sql(session, _basis_sql())
    if table is ReportCalls15m.__table__:
        bucket = _floor_div(session, basis, INTERVAL_S).label("bucket")
    else:
        bucket = _floor_div(session, basis, DAY_S, TZ_OFFSET_S).label("day")
    target = func.substr(e.detail, len(OVERFLOW_PREFIX) + 1, 32).label("queue_code")
    keys = [e.direction.label("direction"), target, func.coalesce(e.hall_id, 0).label("hall_id"),
            func.coalesce(e.agent_id, 0).label("agent_id")]
    return (select(bucket, *keys, func.count().label("overflow_in"))
            .where(e.kind == K.OVERFLOWED.value, e.detail.like(OVERFLOW_PREFIX + "%"),
                   *_range_filter(_basis_sql(), start, end))
            .group_by(bucket, *keys))


# --- rebuild ---------------------------------------------------------------------------------------------------

def _day_bounds(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Widen a range to whole local days (the daily tables are rebuilt day by day)."""
    def to_dt(ts: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc)
    s = to_dt(day_start(epoch(start))) if start is not None else None
    e = None
    if end is not None:
        ts = epoch(end)
        e = to_dt(ts if day_start(ts) == ts else day_start(ts) + DAY_S)
    return s, e


def rebuild(session: Session, start: dt.datetime | None = None, end: dt.datetime | None = None,
            now: dt.datetime | None = None) -> None:
    """Recompute every rollup for [start, end) (widened to local days; everything when both are None) from
    the raw logs, replacing what was there. Commits."""
    start, end = _day_bounds(start, end)
    rebuild_calls(session, start, end)
    rebuild_regions(session, start, end)
    rebuild_agent_days(session, start, end, now)
    session.commit()


def _bucket_range(column, start, end) -> list:
    conds = []
    if start is not None:
        conds.append(column >= int(epoch(start)))
    if end is not None:
        conds.append(column < int(epoch(end)))
    return conds


def rebuild_calls(session: Session, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """The call-event sums of [start, end) (day-aligned), recomputed with INSERT … SELECT."""
    for model, bucket in ((ReportCalls15m, "bucket"), (ReportCallsDay, "day")):
        table = model.__table__
        session.execute(delete(table).where(*_bucket_range(table.c[bucket], start, end)))
        query = recompute_calls(session, table, start, end)
        names = [bucket, *KEY_COLUMNS, *(s.name for s in COLUMN_SPECS)]
        session.execute(table.insert().from_select(names, query))
        for row in session.execute(_recompute_overflow_in(session, table, start, end)).mappings():
            keys = {bucket: row[bucket], "direction": row["direction"], "queue_code": row["queue_code"],
                    "hall_id": row["hall_id"], "agent_id": row["agent_id"], "trunk": ""}
            _upsert(session, table, keys, {"overflow_in": row["overflow_in"]})


def rebuild_regions(session: Session, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Caller regions of [start, end) recomputed from the arrivals (grouped by number in SQL first)."""
    table = ReportCallerRegionDay.__table__
    session.execute(delete(table).where(*_bucket_range(table.c.day, start, end)))
    e = CallEvent
    day = _floor_div(session, _epoch_sql(session, e.at), DAY_S, TZ_OFFSET_S).label("day")
    query = (select(day, func.coalesce(e.hall_id, 0).label("hall_id"), e.ani, func.count().label("n"))
             .where(e.kind == K.ARRIVED.value, e.direction == "inbound", *_range_filter(e.at, start, end))
             .group_by(day, func.coalesce(e.hall_id, 0), e.ani))
    sums: dict[tuple, int] = defaultdict(int)
    for row in session.execute(query).yield_per(20_000):
        province, city = caller_area(row.ani)
        sums[(int(row.day), row.hall_id, province, city)] += row.n
    _bulk_insert(session, table, [{"day": k[0], "hall_id": k[1], "province": k[2], "city": k[3], "calls": n}
                                  for k, n in sums.items()])


def _bulk_insert(session: Session, table, rows: list[dict], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        session.execute(table.insert(), rows[i:i + chunk])


# --- agent state time per day ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StatePiece:
    """Part of one agent state episode within one local day (episodes are split at local midnight)."""

    agent_id: int
    state: str
    reason: str
    ended_into: str        # for ready: the state that followed when the episode ended within this day, else ""
    start_ms: int
    end_ms: int


def _epoch_ms(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return (value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)


def state_pieces(changes: Iterable[AgentStateChange], start_ms: int, end_ms: int) -> Iterable[StatePiece]:
    """Day pieces of every logged-in episode in [start_ms, end_ms), from one agent's changes in (at, id) order.

    `changes` must start with the agent's last change at or before start (if any). An episode ends at the next
    change, or at end_ms (now, for today). `start_ms` must be a local midnight."""
    seq = list(changes)
    for i, change in enumerate(seq):
        state = change.to_state.value if isinstance(change.to_state, AgentState) else str(change.to_state)
        if state == AgentState.LOGGED_OUT.value:
            continue
        reason = ""
        if state == AgentState.NOT_READY.value and change.reason is not None:
            reason = getattr(change.reason, "value", str(change.reason))
        nxt = seq[i + 1] if i + 1 < len(seq) else None
        begin = max(_epoch_ms(change.at), start_ms)
        finish = min(_epoch_ms(nxt.at), end_ms) if nxt is not None else end_ms
        following = ""
        if nxt is not None and state == AgentState.READY.value:
            following = nxt.to_state.value if isinstance(nxt.to_state, AgentState) else str(nxt.to_state)
        nxt_ms = _epoch_ms(nxt.at) if nxt is not None else None
        t = begin
        while t < finish:
            day_end = (day_start(t / 1000) + DAY_S) * 1000
            piece_end = min(finish, day_end)
            ended = following if nxt_ms is not None and nxt_ms == piece_end and piece_end < day_end else ""
            yield StatePiece(change.agent_id, state, reason, ended, t, piece_end)
            t = piece_end


# Statements that maintain derived data for every hall carry this option: a console session scoped to some halls
# (admin_web.scope) must not narrow what they read, whoever's request triggers them.
EVERY_HALL = {"unscoped": True}


def load_changes(session: Session, start: dt.datetime, end: dt.datetime,
                 agent_ids: Iterable[int] | None = None, every_hall: bool = False) -> dict[int, list[AgentStateChange]]:
    """Each agent's changes in [start, end), preceded by its last change before start, in (at, id) order
    (`every_hall`: whatever the session's scope, to fold them into the rollup)."""
    options = EVERY_HALL if every_hall else {}
    c = AgentStateChange
    ranked = (select(c.id, func.row_number().over(partition_by=c.agent_id, order_by=(c.at.desc(), c.id.desc()))
                     .label("rn")).where(c.at < start))
    if agent_ids is not None:
        ranked = ranked.where(c.agent_id.in_(list(agent_ids)))
    ranked_sq = ranked.subquery()
    prior = select(c).join(ranked_sq, ranked_sq.c.id == c.id).where(ranked_sq.c.rn == 1)
    inside = select(c).where(c.at >= start, c.at < end)
    if agent_ids is not None:
        inside = inside.where(c.agent_id.in_(list(agent_ids)))
    by_agent: dict[int, list[AgentStateChange]] = defaultdict(list)
    for change in session.scalars(prior.execution_options(**options)):
        by_agent[change.agent_id].append(change)
    for change in session.scalars(inside.order_by(c.agent_id, c.at, c.id).execution_options(yield_per=20_000,
                                                                                            **options)):
        by_agent[change.agent_id].append(change)
    return by_agent


def fold_days(by_agent: dict[int, list[AgentStateChange]], start_ms: int, end_ms: int) -> dict[tuple, list[int]]:
    """{(day, agent, state, reason, ended_into): [ms, episodes, max_ms]} over [start_ms, end_ms)."""
    sums: dict[tuple, list[int]] = {}
    for changes in by_agent.values():
        for piece in state_pieces(changes, start_ms, end_ms):
            key = (day_start(piece.start_ms / 1000), piece.agent_id, piece.state, piece.reason, piece.ended_into)
            length = piece.end_ms - piece.start_ms
            acc = sums.setdefault(key, [0, 0, 0])
            acc[0] += length
            acc[1] += 1
            acc[2] = max(acc[2], length)
    return sums


def rebuild_agent_days(session: Session, start: dt.datetime | None, end: dt.datetime | None,
                       now: dt.datetime | None = None) -> None:
    """Agent state time of the closed days in [start, end) recomputed; marks them folded."""
    today = day_start(epoch(now or utcnow()))
    first = start
    if first is None:
        earliest = session.scalar(select(func.min(AgentStateChange.at)).execution_options(**EVERY_HALL))
        first = _utc(day_start(epoch(earliest))) if earliest is not None else _utc(today)
    stop = min(int(epoch(end)), today) if end is not None else today
    folded = _folded_until(session)
    _replace_agent_days(session, int(epoch(first)), stop)
    if end is None and (start is None or (folded is not None and folded >= int(epoch(first)))):
        _set_folded_until(session, today, folded)


def _replace_agent_days(session: Session, first: int, stop: int) -> None:
    """Delete, then fold again, the agent days in [first, stop)."""
    table = ReportAgentDay.__table__
    session.execute(delete(table).where(table.c.day >= first, table.c.day < stop))
    if first < stop:
        by_agent = load_changes(session, _utc(first), _utc(stop), every_hall=True)
        _insert_agent_days(session, fold_days(by_agent, first * 1000, stop * 1000))


def _insert_agent_days(session: Session, sums: dict[tuple, list[int]]) -> None:
    rows = [{"day": k[0], "agent_id": k[1], "state": k[2], "reason": k[3], "ended_into": k[4],
             "seconds_ms": v[0], "episodes": v[1], "max_ms": v[2]} for k, v in sums.items()]
    _bulk_insert(session, ReportAgentDay.__table__, rows)


def _utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def _folded_until(session: Session) -> int | None:
    row = session.get(ReportSetting, FOLDED_UNTIL, populate_existing=True)
    return int(row.value) if row is not None and row.value else None


def _set_folded_until(session: Session, value: int, old: int | None) -> bool:
    """Move the folded-until mark from `old` to `value`; False when another refresh moved it first."""
    table = ReportSetting.__table__
    if old is None and session.get(ReportSetting, FOLDED_UNTIL) is None:
        session.add(ReportSetting(name=FOLDED_UNTIL, value=str(value), updated_at=utcnow()))
        session.flush()
        return True
    result = session.execute(update(table).where(table.c.name == FOLDED_UNTIL,
                                                 table.c.value == ("" if old is None else str(old)))
                             .values(value=str(value), updated_at=utcnow()))
    return result.rowcount == 1


def refresh(session: Session, now: dt.datetime | None = None) -> None:
    """Fold the agent state time of local days closed since the last refresh (reports call this first). Commits.

    Call sums need no refresh: they are updated with every appended entry."""
    today = day_start(epoch(now or utcnow()))
    folded = _folded_until(session)
    if folded is not None and folded >= today:
        return
    if folded is None:
        earliest = session.scalar(select(func.min(AgentStateChange.at)).execution_options(**EVERY_HALL))
        folded_from = day_start(epoch(earliest)) if earliest is not None else today
    else:
        folded_from = folded
    if not _set_folded_until(session, today, folded):
        session.rollback()                  # another request is folding the same days
        return
    _replace_agent_days(session, folded_from, today)
    session.commit()


# --- verification -------------------------------------------------------------------------------------------

def stored_call_rows(session: Session, model) -> dict[tuple, dict[str, int]]:
    """Every stored row of a call rollup table, keyed, without all-zero rows."""
    table = model.__table__
    bucket = "bucket" if model is ReportCalls15m else "day"
    names = [s.name for s in COLUMN_SPECS] + ["overflow_in"]
    out = {}
    for row in session.execute(select(table)).mappings():
        values = {n: int(row[n]) for n in names}
        if any(values.values()):
            out[(int(row[bucket]), *(row[k] for k in KEY_COLUMNS))] = values
    return out


def verify(session: Session, now: dt.datetime | None = None) -> list[str]:
    """Differences between the stored rollups and a recomputation from the raw logs (empty when equal)."""
    stored = {m: stored_call_rows(session, m) for m in (ReportCalls15m, ReportCallsDay)}
    stored_days = {(r.day, r.agent_id, r.state, r.reason, r.ended_into): [r.seconds_ms, r.episodes, r.max_ms]
                   for r in session.scalars(select(ReportAgentDay))}
    folded = _folded_until(session)
    stored_regions = {(r.day, r.hall_id, r.province, r.city): r.calls for r in session.scalars(
        select(ReportCallerRegionDay))}
    nested = session.begin_nested()
    try:
        rebuild_calls(session, None, None)
        rebuild_regions(session, None, None)
        fresh = {m: stored_call_rows(session, m) for m in (ReportCalls15m, ReportCallsDay)}
        fresh_regions = {(r.day, r.hall_id, r.province, r.city): r.calls for r in session.scalars(
            select(ReportCallerRegionDay).execution_options(populate_existing=True))}
    finally:
        nested.rollback()
    problems = []
    for model in (ReportCalls15m, ReportCallsDay):
        for key in sorted(set(stored[model]) | set(fresh[model]), key=repr):
            if stored[model].get(key) != fresh[model].get(key):
                problems.append(f"{model.__tablename__} {key}: stored {stored[model].get(key)} "
                                f"recomputed {fresh[model].get(key)}")
    if stored_regions != fresh_regions:
        problems.append(f"report_caller_region_day: stored {stored_regions} recomputed {fresh_regions}")
    if folded is not None:
        earliest = session.scalar(select(func.min(AgentStateChange.at)))
        if earliest is not None and day_start(epoch(earliest)) < folded:
            first = day_start(epoch(earliest))
            expect = fold_days(load_changes(session, _utc(first), _utc(folded)), first * 1000, folded * 1000)
            if {k: list(v) for k, v in stored_days.items()} != expect:
                problems.append(f"report_agent_day: stored {stored_days} recomputed {expect}")
    return problems
