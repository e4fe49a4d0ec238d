"""One active engine per database: the lease an engine holds while it controls calls (R-NF-2, issue 12).

* **PostgreSQL**: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own, kept open
  while the engine runs. The server releases it when that connection ends, so an engine that dies, or loses the
  database, loses the lease at once and a standby's next try gets it
  (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS). `held()` checks the connection
  with a `SELECT 1` under a short statement timeout.
* **SQLite** (one host): an exclusive `flock` on `<database file>.engine-lease`, released by the kernel when the
  process ends, whatever the way.

A second engine that cannot take the lease waits as standby (engine.standby) and takes over when it can.
"""
from __future__ import annotations

import fcntl
import logging
import os
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

# one advisory lock key for "the active call-center engine" (any 64-bit value the application owns)
ADVISORY_KEY = 1_236_612_345


class Lease(Protocol):
    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when this engine holds it now."""

    def held(self) -> bool:
        """Whether this engine still holds it (False once lost: stop commanding the switch)."""

    def release(self) -> None:
        """Give it up (a graceful stop); idempotent."""

    def describe(self) -> str:
        """Where the lease lives, for logs."""


class PostgresLease:
    def __init__(self, url: str, key: int = ADVISORY_KEY):
        self.url, self.key = url, key
        self._engine: Engine | None = None
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return self.held()
        try:
            if self._engine is None:
                self._engine = create_engine(self.url, pool_size=1, max_overflow=0,
                                             connect_args={"connect_timeout": 3})
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            logger.warning("lease: database unreachable (%s)", str(exc.orig).strip()[:120])
            return False
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except DBAPIError as exc:
            logger.warning("lease: could not ask for the advisory lock (%s)", str(exc.orig).strip()[:120])
            got = False
        if not got:
            conn.close()
            return False
        conn.execute(text("SET statement_timeout = 2000"))    # held()'s check never waits on a stuck server
        self._conn = conn
        return True

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except DBAPIError as exc:
            logger.error("lease lost: its database connection failed (%s)", str(exc.orig).strip()[:120])
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except DBAPIError:
                pass
        self._drop()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.key} at {self.url.split('@')[-1]}"


class FileLease:
    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        os.makedirs(os.path.dirname(os.path.abspath(self.path)) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def describe(self) -> str:
        return f"file lock {self.path}"


def for_database(url: str) -> Lease:
    """The lease for the engine that uses this database."""
    if url.startswith("postgresql"):
        return PostgresLease(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if not path or path == ":memory:":
            raise ValueError("an in-memory SQLite database has no lease: give the engine a database file")
        return FileLease(os.path.abspath(path) + ".engine-lease")
    raise ValueError(f"no lease for database {url.split(':', 1)[0]}")
