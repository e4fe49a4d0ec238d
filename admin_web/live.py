"""The live feed, the console's side (issue 14): one listener per console process reads what the engine published
(engine.store.live) and wakes the streams waiting for it. No stream reads the database to find out whether
something changed; a stream reads its own figures only when its topic moved.

* PostgreSQL: the listener LISTENs on callcenter_live on a connection of its own and waits in select(): the
  engine's NOTIFY arrives when the transaction that changed something commits (and the wait ends every half
  second anyway, so a lost connection is noticed and reopened).
* SQLite: the listener reads the table every LIVE_POLL_S (0.05 s), once for all the process's streams.
Either way one query reads every change since the last one it saw.

Topics are (topic, key) pairs: ("agent", "<id>") for one agent, ("call", "<uuid>") for one call, ("agent", "*")
for any agent, ("queue", "") for the queues' status, ("*", "*") for anything. `wait(keys, seen, timeout)` blocks until one of `keys` moved past
what the caller saw.

Figures many viewers share (the floor view, the wallboard) are computed once per tick and scope and handed to
every viewer of that scope in the process (`shared`).
"""
from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy import func, select as sql_select
from sqlalchemy.engine import Engine

from engine.store.live import (AGENT as AGENT_TOPIC, CALL as CALL_TOPIC, CHANNEL,  # noqa: F401  (re-exported)
                               QUEUE as QUEUE_TOPIC)
from engine.store.models import LiveChange

logger = logging.getLogger(__name__)
ANY = ("*", "*")
READ_LIMIT = 5000
LISTEN_WAKE_S = 0.5         # the listener's wait ends this often anyway (a lost connection noticed, a stop obeyed)


class Feed:
    """The process's listener and the streams' meeting point."""

    def __init__(self, engine: Engine, poll_s: float = 0.1):
        self._engine = engine
        self._poll_s = poll_s
        self._cond = threading.Condition()
        self._versions: dict[tuple[str, str], int] = {}
        self._seq: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._shared: dict[tuple, tuple[float, object]] = {}
        self._shared_lock = threading.Lock()
        self.reads = 0                  # database reads of the listener (the streams make none to learn of changes)

    # --- the streams' side ------------------------------------------------------------------------------------
    def versions(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Where these topics stand now (start the listener if it is not running)."""
        self.start()
        with self._cond:
            return {k: self._versions.get(k, 0) for k in keys}

    def wait(self, keys: Iterable[tuple[str, str]], seen: dict[tuple[str, str], int], timeout: float
             ) -> dict[tuple[str, str], int]:
        """Block until one of `keys` moved past `seen` or `timeout` seconds passed; where they stand then."""
        keys = list(keys)
        deadline = time.monotonic() + timeout
        self.start()
        with self._cond:
            while True:
                now = {k: self._versions.get(k, 0) for k in keys}
                left = deadline - time.monotonic()
                if any(now[k] != seen.get(k, 0) for k in keys) or left <= 0:
                    return now
                self._cond.wait(left)

    def shared(self, key: tuple, ttl_s: float, compute: Callable[[], object]) -> object:
        """`compute()`'s result, computed at most once per `ttl_s` for `key` (a view and its scope) in this process,
        whoever asks: many viewers of the same figures cost one computation."""
        now = time.monotonic()
        with self._shared_lock:
            hit = self._shared.get(key)
            if hit is not None and now - hit[0] < ttl_s:
                return hit[1]
        value = compute()
        with self._shared_lock:
            self._shared[key] = (time.monotonic(), value)
        return value

    # --- the listener ------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="live-feed", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop listening (and wait for the listener to let its connection go)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._engine.dialect.name == "postgresql":
                    self._listen()
                else:
                    self._poll()
            except Exception as exc:        # the database away: the streams keep their last state, we retry
                logger.warning("live feed interrupted, reconnecting: %s", exc)
                self._stop.wait(1.0)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._read()
            self._stop.wait(self._poll_s)

    def _listen(self) -> None:
        raw = self._engine.raw_connection()
        try:
            conn = raw.driver_connection
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            self._read()
            while not self._stop.is_set():
                if select.select([conn], [], [], LISTEN_WAKE_S)[0]:
                    conn.poll()
                    conn.notifies.clear()
                if not self._stop.is_set():
                    self._read()
        finally:
            raw.close()

    def _read(self) -> None:
        """Every change since the last one seen, at once: each topic moves on, and the streams are woken."""
        table = LiveChange.__table__
        with self._engine.connect() as conn:
            self.reads += 1
            if self._seq is None:
                self._seq = conn.execute(sql_select(func.coalesce(func.max(table.c.seq), 0))).scalar_one()
                return
            rows = conn.execute(sql_select(table.c.seq, table.c.topic, table.c.key).where(table.c.seq > self._seq)
                                .order_by(table.c.seq).limit(READ_LIMIT)).all()
        if not rows:
            return
        with self._cond:
            for seq, topic, key in rows:
                for moved in ((topic, key), (topic, "*"), ANY):
                    self._versions[moved] = self._versions.get(moved, 0) + 1
                self._seq = seq
            self._cond.notify_all()


def feed() -> Feed:
    """This console process's feed."""
    from flask import current_app
    return current_app.extensions["live_feed"]


def init_app(app) -> None:
    app.extensions["live_feed"] = Feed(app.extensions["db_engine"], float(app.config.get("LIVE_POLL_S", 0.05)))
