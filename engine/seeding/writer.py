"""Bulk writing of generated rows: executemany in large batches on SQLite, COPY on PostgreSQL.

Rows come as tuples in the column order of TABLES, with times as epoch seconds; they are written as the store
writes them (SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, as SQLAlchemy's DateTime does; PostgreSQL:
timestamptz in UTC); the sealed columns' values sealed as their type seals them (engine.store.sealed).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Iterator

from sqlalchemy import Engine

from engine.store.base import Base
from engine.store.sealed import Sealed

# table -> (columns in row order, indexes of the time columns)
TABLES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "call_events": (("at", "call_uuid", "kind", "direction", "ani", "dnis", "hall_id", "queue_code", "agent_id",
                     "queued_at", "wait_s", "duration_s", "value", "detail"), (0, 9)),
    "agent_state_changes": (("agent_id", "at", "from_state", "to_state", "reason", "cause", "actor", "call_uuid"),
                            (1,)),
    "call_records": (("call_uuid", "ani", "dnis", "flow", "queue_id", "agent_id", "agent_leg_uuid", "started_at",
                      "enqueued_at", "answered_at", "ended_at", "outcome", "hangup_cause", "hangup_side", "ivr_path",
                      "offers", "priority", "direction", "transfers"), (7, 8, 9, 10)),
    "survey_results": (("call_uuid", "agent_id", "queue_code", "rating", "rated_at"), (4,)),
    "callbacks": (("call_uuid", "number", "queue_code", "enqueued_at", "requested_at", "status", "attempts",
                   "agent_id", "completed_at", "last_cause"), (3, 4, 8)),
}
EPOCH = dt.date(1970, 1, 1)


class BulkWriter:
    """Buffers nothing itself: `write(table, rows)` sends one batch in one transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._dates: dict[int, str] = {}
        self.written: dict[str, int] = {name: 0 for name in TABLES}

    def _time(self, t: float) -> str:
        ms = int(round(t * 1000))
        whole, frac = divmod(ms, 1000)
        day, sec = divmod(whole, 86400)
        date = self._dates.get(day)
        if date is None:
            date = self._dates[day] = (EPOCH + dt.timedelta(days=day)).isoformat()
        text = f"{date} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{frac * 1000:06d}"
        return text + "+00" if self.postgres else text

    def _convert(self, rows: list, times: tuple[int, ...], sealed: list) -> list:
        fmt = self._time
        out = []
        for row in rows:
            row = list(row)
            for i in times:
                if row[i] is not None:
                    row[i] = fmt(row[i])
            for i, seal in sealed:
                if row[i] is not None:
                    row[i] = seal(row[i])
            out.append(row)
        return out

    def write(self, table: str, rows: list) -> None:
        if not rows:
            return
        columns, times = TABLES[table]
        converted = self._convert(rows, times, _sealers(table, columns))
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.postgres:
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", _copy_text(converted))
            else:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-262144")     # 256 MB
                marks = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", converted)
            raw.commit()
        finally:
            raw.close()
        self.written[table] += len(rows)

    @contextlib.contextmanager
    def indexes_deferred(self) -> Iterator[None]:
        """Drop the secondary indexes of the written tables, load, then build them again (much faster than
        maintaining them row by row); the same Index objects as the models, so the schema ends up identical."""
        import engine.store.models  # noqa: F401  (every table on the metadata)
        indexes = [ix for name in TABLES for ix in Base.metadata.tables[name].indexes]
        with self.engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
        try:
            yield
        finally:
            with self.engine.begin() as conn:
                for index in indexes:
                    index.create(conn)

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table in TABLES:
                cursor.execute(f"ANALYZE {table}")
            raw.commit()
        finally:
            raw.close()


def _sealers(table: str, columns: tuple[str, ...]) -> list:
    """(index, sealing function) of the table's sealed columns."""
    import engine.store.models  # noqa: F401  (every table on the metadata)
    cols = Base.metadata.tables[table].c
    return [(i, lambda v, t=cols[name].type: t.process_bind_param(v, None)) for i, name in enumerate(columns)
            if isinstance(cols[name].type, Sealed)]


def _copy_text(rows: list) -> io.StringIO:
    """PostgreSQL COPY text format: tab-separated, \\N for NULL, backslash escapes."""
    buf = io.StringIO()
    for row in rows:
        fields = []
        for value in row:
            if value is None:
                fields.append("\\N")
            elif isinstance(value, str):
                if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
                    value = (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                             .replace("\r", "\\r"))
                fields.append(value)
            else:
                fields.append(str(value))
        buf.write("\t".join(fields))
        buf.write("\n")
    buf.seek(0)
    return buf
