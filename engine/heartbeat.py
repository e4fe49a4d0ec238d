"""Each engine process says what it is, every second: `active` (holds the lease, commands the switch) or `standby`
(waits for the lease), since when; `stopped` when it ends gracefully. The console reads these rows
(admin_web/system) and raises an alert within a few seconds when no active engine has reported.

Written from a worker thread on its own database connection, so a busy hub or a slow store cannot hold it back,
and a database that is away only costs a logged warning."""
from __future__ import annotations

import logging
import os
import socket
import time

import gevent
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine as Database

from engine.background import Background
from engine.store.models import EngineNode
from engine.store.repos import to_datetime
from engine.store.session import make_engine

logger = logging.getLogger(__name__)
BEAT_S = 1.0


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat(Background):
    """Reports this process's role every BEAT_S until stopped."""

    def __init__(self, database_url: str, role: str = "standby", beat_s: float = BEAT_S):
        self.db: Database = make_engine(database_url)
        self.name = node_name()
        self.role = role
        self.since = time.time()
        self.beat_s = beat_s


    def become(self, role: str) -> None:
        """A new role from now (reported at once)."""
        if role != self.role:
            self.role, self.since = role, time.time()
            self.beat()

    def stop(self) -> None:
        """Report `stopped` and stop beating."""
        super().stop()
        self.role, self.since = "stopped", time.time()
        self.beat()
        self.db.dispose()

    def _run(self) -> None:
        while True:
            self.beat()
            gevent.sleep(self.beat_s)

    def beat(self) -> None:
        try:
            gevent.get_hub().threadpool.apply(self._write, (time.time(),))
        except Exception as exc:        # the database is away: the console shows the engine as not reporting
            logger.warning("engine heartbeat not written: %s", exc)

    def _write(self, now: float) -> None:
        values = {"name": self.name, "role": self.role, "since": to_datetime(self.since),
                  "heartbeat_at": to_datetime(now)}
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(EngineNode).values(**values)
        statement = insert.on_conflict_do_update(index_elements=["name"],
                                                 set_={k: v for k, v in values.items() if k != "name"})
        with self.db.begin() as conn:
            conn.execute(statement)
            if self.role == "active":       # the lease says no other engine is: one that died says so no more
                conn.execute(update(EngineNode).where(EngineNode.role == "active", EngineNode.name != self.name)
                             .values(role="lost"))
