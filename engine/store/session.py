"""Database engine and sessions from a URL; SQLite gets foreign keys, WAL and a busy timeout."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine; for SQLite, create the file's folder and enable FK enforcement."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Foreign keys on (off by default in SQLite), WAL so the engine and the console can share the file, and
    synchronous=NORMAL, SQLite's setting for WAL (https://www.sqlite.org/pragma.html#pragma_synchronous): a commit
    no longer waits for an fsync of its own (the WAL is synced at each checkpoint); the database stays consistent
    after a crash or power loss, which can lose only the last transactions before a power loss, not a crash of
    the engine."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory; callers own the session's lifecycle (`with factory.begin() as s:`)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with factory.begin() as session:
        yield session


def unreachable(url: str) -> str | None:
    """None when the database server at `url` answers within 3 s, else why not (for a skip or a message)."""
    try:
        eng = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with eng.connect() as conn:
                conn.execute(text("select 1"))
        finally:
            eng.dispose()
        return None
    except OperationalError as exc:
        return f"no PostgreSQL server answers at {url.split('@')[-1]} ({str(exc.orig).strip()[:80]})"
