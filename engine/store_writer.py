"""The store's retry policy: the core's store commands written in a worker thread (so the database never stalls call
control), one transaction per batch (engine.store.batch). A write the database fails is retried with back-off, and
if the database stays away the records are logged in full, never dropped; data the database refuses is written one
command at a time, so only the refused one is left to the log."""
from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable

import gevent
from sqlalchemy.exc import OperationalError

from engine import recording, sealing
from engine.domain.commands import SaveRecording, SaveVoicemail
from engine.store import live
from engine.store.base import utcnow
from engine.store.batch import write_batch
from engine.store.session import transaction

logger = logging.getLogger(__name__)
RETRY_DELAYS = (0.2, 1.0, 3.0, 10.0, 0.0)
PRUNE_EVERY_S = 60          # the live feed's old changes


class StoreWriter:
    """`write(commands)`: the runtime's store executor."""

    def __init__(self, sessions, inspect: Callable = recording.inspect, delays: tuple[float, ...] = RETRY_DELAYS,
                 keys=None):
        self.sessions = sessions
        self.inspect = inspect
        self.delays = delays
        self.keys = keys            # engine.sealing keyring: files closed by the switch are sealed once stored
        self._pruned = dt.datetime.min.replace(tzinfo=dt.timezone.utc)

    def write(self, commands: list) -> None:
        for attempt, delay in enumerate(self.delays):
            try:
                gevent.get_hub().threadpool.apply(self._write, (commands,))
                return
            except OperationalError as exc:   # database down, lock timeout…: retry, then keep the data in the log
                logger.warning("store write failed (attempt %d): %s", attempt + 1, exc)
                gevent.sleep(delay)
            except Exception:                 # the data itself was refused: retrying cannot help
                if len(commands) > 1:
                    for command in commands:
                        self.write([command])
                    return
                logger.exception("store refused a write; record kept in the log only: %r", commands[0])
                return
        logger.error("store unavailable; records kept in the log only: %r", commands)

    def _write(self, commands: list) -> None:
        now = utcnow()
        with transaction(self.sessions) as session:
            write_batch(session, commands, inspect=self.inspect)
            live.publish(session, live.changes_of(commands), now)      # the consoles' live feed, same transaction
            if (now - self._pruned).total_seconds() >= PRUNE_EVERY_S:
                live.prune(session, now)
                self._pruned = now
        if self.keys is not None:
            self._seal(commands)

    def _seal(self, commands: list) -> None:
        """Recordings the switch has closed, and voice messages, encrypted at rest once their facts are stored
        (a file left clear by a crash in between is sealed by `callcenter recordings reseal`)."""
        for command in commands:
            if isinstance(command, SaveRecording) and command.stopped_at is not None:
                path = command.path
            elif isinstance(command, SaveVoicemail):
                path = command.path
            else:
                continue
            try:
                if os.path.isfile(path):
                    sealing.seal(path, self.keys)
            except OSError as exc:
                logger.error("could not encrypt %s, left as the switch wrote it: %s", path, exc)
