"""Each engine process says what it is, every second: `active` (holds the lease, commands the switch) or `standby`
(waits for the lease), since when, and whether its own connection to the switch is up; `stopped` when it ends
gracefully. The console reads these rows
(admin_web/system) and raises an alert within a few seconds when no active engine has reported.

Written from a worker thread on its own database connection, so a busy hub or a slow store cannot hold it back,
and a database that is away only costs a logged warning."""
from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

import gevent
from sqlalchemy import select, update
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
        self.switch_probe: Callable[[], bool] | None = None     # whether this process's switch connection is up


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
        probe = self.switch_probe
        values = {"name": self.name, "role": self.role, "since": to_datetime(self.since),
                  "heartbeat_at": to_datetime(now), "switch_connected": probe() if probe is not None else None}
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(EngineNode).values(**values)
        statement = insert.on_conflict_do_update(index_elements=["name"],
                                                 set_={k: v for k, v in values.items() if k != "name"})
        with self.db.begin() as conn:
            conn.execute(statement)
            if self.role == "active":       # the lease says no other engine is: one that died says so no more
                conn.execute(update(EngineNode).where(EngineNode.role == "active", EngineNode.name != self.name)
                             .values(role="lost"))

    def standby_reaching_switch(self, within_s: float = 3.0) -> str | None:
        """The name of a standby engine that reported, within the last seconds, that it reaches the switch."""
        def read() -> str | None:
            with self.db.connect() as conn:
                return conn.execute(select(EngineNode.name).where(
                    EngineNode.role == "standby", EngineNode.switch_connected.is_(True), EngineNode.name != self.name,
                    EngineNode.heartbeat_at >= to_datetime(time.time() - within_s)).limit(1)).scalar()
        try:
            return gevent.get_hub().threadpool.apply(read)
        except Exception as exc:
            logger.warning("could not read the other engines' status: %s", exc)
            return None
