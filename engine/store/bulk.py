"""Many rows of one table in one statement, without per-row work in SQLAlchemy: for the store writer's batches.

SQLAlchemy's executemany costs tens of microseconds per row in Python (parameter processing, and on PostgreSQL
rewriting the statement into a multi-row VALUES list), and each statement sent to PostgreSQL is a round trip.
Here each statement's SQL is built once per dialect, table and columns; values are converted by the very bind
processors SQLAlchemy would apply (the columns' types: datetimes to SQLite's text form, enums to their values),
then handed to the driver through Connection.exec_driver_sql, so errors are SQLAlchemy's (OperationalError,
IntegrityError, DataError, ...) exactly as with ORM writes:

* SQLite: one prepared statement, run for every row (DBAPI executemany, a loop in C);
* PostgreSQL: one statement for all rows, sent as one JSON text (an array of rows, each an array of values)
  that the server takes apart (json_array_elements; each value cast to the column's base type: integers,
  float8 parsed from Python's exact repr, timestamptz from isoformat with microseconds; strings are assigned
  as text, so one too long for its column is refused as by a plain INSERT, never truncated). One parameter
  instead of one per value: adapting thousands of values was most of psycopg2's time. The statements of a
  `Script` go to the server together, in one round trip.

Rows keep their order (PostgreSQL: WITH ORDINALITY … ORDER BY), so ids are assigned in the order given.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Enum, Float, Integer, Numeric, SmallInteger, String, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

_PLANS: dict[tuple, tuple[str, list]] = {}
_MAX_PLANS = 2000           # statements differ by their columns (rollups: the columns a batch touches)
# how a conflicting row's column is updated: replaced by the new value, added to, or the greater of both
_SET_SQL = {
    "sqlite": {"set": "{c} = excluded.{c}", "add": "{c} = {t}.{c} + excluded.{c}",
               "max": "{c} = max({t}.{c}, excluded.{c})"},
    "postgresql": {"set": "{c} = EXCLUDED.{c}", "add": "{c} = {t}.{c} + EXCLUDED.{c}",
                   "max": "{c} = GREATEST({t}.{c}, EXCLUDED.{c})"},
}


class Script:
    """Writes in order on one connection: run at once on SQLite, sent together by `run` on PostgreSQL."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.dialect = conn.dialect.name
        if self.dialect not in _SET_SQL:
            # the configuration refuses any other database kind (engine.config: database.url)
            raise ValueError(f"bulk writes are for {' and '.join(_SET_SQL)}, not {self.dialect}")
        self._sql: list[str] = []
        self._params: dict[str, str] = {}

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[Sequence], *,
               conflict: Sequence[str] = (), on_conflict: dict[str, str] | None = None) -> None:
        """INSERT `rows` (values in `columns` order) into `table`; with `conflict` (the key columns), a row whose
        key exists updates it instead, column by column as `on_conflict` says ("set", "add" or "max")."""
        if not rows:
            return
        key = ("insert", self.dialect, table.name, tuple(columns), tuple(conflict),
               tuple(sorted((on_conflict or {}).items())))
        plan = _PLANS.get(key)
        if plan is None:
            plan = _remember(key, _insert_plan(self.conn, table, columns, conflict, on_conflict or {}))
        self._add(plan, rows)

    def update(self, table: Table, key: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        """UPDATE `table` SET `columns` WHERE `key` = …, for each row given as (key value, *column values); keys
        must be distinct."""
        if not rows:
            return
        plan_key = ("update", self.dialect, table.name, key, tuple(columns))
        plan = _PLANS.get(plan_key)
        if plan is None:
            plan = _remember(plan_key, _update_plan(self.conn, table, key, columns))
        self._add(plan, rows)

    def delete_all(self, table: Table) -> None:
        """DELETE every row of `table` (a publication that replaces them all)."""
        sql = f"DELETE FROM {table.name}"
        if self.dialect == "sqlite":
            self.conn.exec_driver_sql(sql)
            return
        self._sql.append(sql)

    def run(self) -> None:
        """Send what is waiting (PostgreSQL: every statement in one round trip)."""
        if self._sql:
            sql, params = ";\n".join(self._sql), self._params
            self._sql, self._params = [], {}
            self.conn.exec_driver_sql(sql, params)

    def _add(self, plan: tuple[str, list], rows: Sequence[Sequence]) -> None:
        sql, converters = plan
        if converters:                  # column by column: the loops over rows run in C (zip), or are one comprehension
            columns = list(zip(*rows))
            for i, convert in converters:
                columns[i] = convert(columns[i])
            rows = list(zip(*columns))
        if self.dialect == "sqlite":
            _driver_execute(self.conn, sql, rows, many=True)
            return
        name = f"r{len(self._sql)}"
        self._sql.append(sql.replace("%(rows)s", f"%({name})s"))
        self._params[name] = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def existing(conn: Connection, lookups: Sequence[tuple[Table, str, Iterable]]) -> list[set]:
    """For each (table, column, values): which of the values the column holds (PostgreSQL: one query for all)."""
    wanted = [sorted(set(values), key=repr) for _, _, values in lookups]
    found: list[set] = [set() for _ in lookups]
    parts = [(i, table, column) for i, (table, column, _) in enumerate(lookups) if wanted[i]]
    if not parts:
        return found
    q = conn.dialect.identifier_preparer.quote
    if conn.dialect.name != "postgresql":     # in process: one small query each, with a plain IN list
        for i, table, column in parts:
            sql = f"SELECT {q(column)} FROM {q(table.name)} WHERE {q(column)} IN ({', '.join('?' * len(wanted[i]))})"
            found[i] = {row[0] for row in _driver_execute(conn, sql, tuple(wanted[i]), many=False)}
        return found
    sql = " UNION ALL ".join(f"SELECT {i}, {q(c)}::text FROM {q(t.name)} WHERE {q(c)} = ANY(%(p{i})s)"
                             for i, t, c in parts)                       # one round trip
    as_text = {i: {str(v): v for v in wanted[i]} for i, _, _ in parts}   # the values come back as text
    for i, value in conn.exec_driver_sql(sql, {f"p{i}": wanted[i] for i, _, _ in parts}):
        found[i].add(as_text[i].get(value, value))
    return found


def _driver_execute(conn: Connection, sql: str, params, *, many: bool):
    """SQLite: run a statement on the connection's sqlite3 connection itself (DBAPI executemany for `many`, else
    execute, returning the rows): SQLite runs it in process, in less time than SQLAlchemy's execution context
    around it takes. Same transaction (the driver begins it before the first write, as under SQLAlchemy; a
    connection outside any transaction begins one, as SQLAlchemy's autobegin would), and the driver's errors are
    raised as SQLAlchemy raises them (IntegrityError, OperationalError, ... wrapping the driver's)."""
    if not conn.in_transaction():
        conn.begin()
    driver = conn.connection.driver_connection
    try:
        if many:
            driver.executemany(sql, params)
            return None
        return driver.execute(sql, params).fetchall()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error,
                                  hide_parameters=conn.engine.hide_parameters, dialect=conn.dialect,
                                  ismulti=many) from exc


# --- plans: SQL text and value converters, per dialect and statement ---------------------------------------------

def _remember(key: tuple, plan: tuple[str, list]) -> tuple[str, list]:
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = plan
    return plan


def _processors(conn: Connection, table: Table, columns: Sequence[str]) -> list:
    """SQLite: (index, converter) of the columns whose type converts values; a converter takes a column's values
    and returns them converted, as the type's bind processor converts each."""
    dialect = conn.dialect
    procs = []
    for i, name in enumerate(columns):
        impl = table.c[name].type.dialect_impl(dialect)
        proc = impl.bind_processor(dialect)
        if proc is not None:
            procs.append((i, _sqlite_datetime(impl, proc) or _enum_lookup(impl, proc) or _each(proc)))
    return procs


def _each(proc):
    return lambda values: list(map(proc, values))


_DATETIME = dt.datetime
_SQLITE_DATETIME_FORMAT = ("%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
                           ".%(microsecond)06d")
_SAMPLE_DATETIMES = (dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc),
                     dt.datetime(999, 12, 31, 23, 59, 59, 999999), dt.datetime(2026, 11, 5, 7, 8, 9, 10))


def _sqlite_datetime(impl, proc):
    """SQLite's DateTime with its default storage format: a datetime's text is its isoformat with microseconds,
    without the UTC offset (what the bind processor writes, the fields as they are), in a tenth of the time; other
    values go through the processor."""
    if getattr(impl, "_storage_format", None) != _SQLITE_DATETIME_FORMAT:
        return None
    if any(proc(v) != v.isoformat(" ", "microseconds")[:26] for v in _SAMPLE_DATETIMES):
        return None

    def convert(values):
        return [v.isoformat(" ", "microseconds")[:26] if v.__class__ is _DATETIME else proc(v) for v in values]
    return convert


def _enum_lookup(impl, proc):
    """An Enum's stored value looked up (members and valid strings, as the bind processor looks them up); other
    values go through the processor (which refuses them, or passes them on)."""
    lookup = getattr(impl, "_valid_lookup", None)
    if not isinstance(impl, Enum) or not isinstance(lookup, dict):
        return None
    try:
        lookup = {key: proc(key) for key in lookup}
    except Exception:       # noqa: BLE001 - not a plain lookup: convert value by value
        return None

    def convert(values):
        return [lookup[v] if v in lookup else proc(v) for v in values]
    return convert


def _pg_cast(column) -> str:
    """How a JSON text value becomes the column's value in PostgreSQL ("" for strings: assigned as text)."""
    t = column.type
    if isinstance(t, TypeDecorator):      # e.g. a sealed column (engine.store.sealed): stored as its base type
        t = t.impl_instance
    if isinstance(t, BigInteger):
        return "::int8"
    if isinstance(t, (SmallInteger, Integer)):
        return "::int4"
    if isinstance(t, Float):
        return "::float8"
    if isinstance(t, Numeric):
        return "::numeric"
    if isinstance(t, DateTime):
        return "::timestamptz" if t.timezone else "::timestamp"
    if isinstance(t, Date):
        return "::date"
    if isinstance(t, Boolean):
        return "::bool"
    if isinstance(t, String):       # String, Text, non-native Enum
        return ""
    raise TypeError(f"{column.table.name}.{column.name}: no bulk conversion for {t!r}")


def _pg_converters(conn: Connection, table: Table, columns: Sequence[str]) -> list:
    """PostgreSQL: (index, converter) of the columns whose Python values JSON cannot carry as they are."""
    dialect = conn.dialect
    out = []
    for i, name in enumerate(columns):
        t = table.c[name].type
        proc = t.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(t, (DateTime, Date)):
            out.append((i, _isoformats if proc is None else _each(lambda v, p=proc: _iso(p(v)))))
        elif isinstance(t, Float):
            out.append((i, _each(_float if proc is None else (lambda v, p=proc: _float(p(v))))))
        elif proc is not None:
            out.append((i, _enum_lookup(t.dialect_impl(dialect), proc) or _each(proc)))
    return out


def _isoformats(values):
    return [v.isoformat() if v.__class__ is _DATETIME else _iso(v) for v in values]


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _float(value):
    """Finite floats go as JSON numbers (repr: exact); NaN and infinities as the text float8 reads."""
    if value is None or math.isfinite(value):
        return value
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


def _insert_plan(conn: Connection, table: Table, columns: Sequence[str], conflict: Sequence[str],
                 on_conflict: dict[str, str]) -> tuple[str, list]:
    dialect = conn.dialect.name
    q = conn.dialect.identifier_preparer.quote
    t = q(table.name)
    cols = ", ".join(q(c) for c in columns)
    if dialect == "postgresql":
        values = ", ".join(f"(v->>{i}){_pg_cast(table.c[c])}" for i, c in enumerate(columns))
        sql = (f"INSERT INTO {t} ({cols}) SELECT {values} FROM json_array_elements(%(rows)s::json) WITH ORDINALITY "
               f"AS e(v, ord_) ORDER BY ord_")
        procs = _pg_converters(conn, table, columns)
    else:
        sql = f"INSERT INTO {t} ({cols}) VALUES ({', '.join('?' * len(columns))})"
        procs = _processors(conn, table, columns)
    if conflict:
        sets = ", ".join(_SET_SQL[dialect][how].format(c=q(c), t=t) for c, how in on_conflict.items())
        sql += f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO " + (f"UPDATE SET {sets}" if sets
                                                                            else "NOTHING")
    return sql, procs


def _update_plan(conn: Connection, table: Table, key: str, columns: Sequence[str]) -> tuple[str, list]:
    dialect = conn.dialect.name
    q = conn.dialect.identifier_preparer.quote
    t = q(table.name)
    all_columns = (key, *columns)
    if dialect == "postgresql":
        sets = ", ".join(f"{q(c)} = (v->>{i + 1}){_pg_cast(table.c[c])}" for i, c in enumerate(columns))
        sql = (f"UPDATE {t} SET {sets} FROM json_array_elements(%(rows)s::json) AS e(v) "
               f"WHERE {t}.{q(key)} = (v->>0){_pg_cast(table.c[key])}")
        return sql, _pg_converters(conn, table, all_columns)
    sets = ", ".join(f"{q(c)} = ?{i + 2}" for i, c in enumerate(columns))     # parameters in row order: key first
    return f"UPDATE {t} SET {sets} WHERE {q(key)} = ?1", _processors(conn, table, all_columns)
