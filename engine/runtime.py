"""gevent glue: one inbox, one serial loop applying events to the core, and executors for its commands."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent
from gevent.queue import Empty, Queue

from engine.acd.center import CallCenter
from engine.clock import REAL, RealClock
from engine.domain import commands as c
from engine.domain.events import Event, TimerFired

logger = logging.getLogger(__name__)

_STOP = object()


STORE_BATCH_MAX = 500
STORE_COALESCE_S = 0.2      # a batch collects what comes in this long: a transaction per call event would cost
                            # more than every write in it (records still reach the database within ~0.2 s)
STORE_URGENT_S = 0.05       # ...but closes this soon after what a desktop waits to see (an agent's new state, the
                            # answer to a request): the consoles' live feed publishes it with the batch


class Runtime:
    """Serial event loop: events in, core decisions, commands out (switch, timers, store) in order."""

    def __init__(self, center: CallCenter, execute_switch: Callable[[object], None],
                 execute_store: Callable[[list], None], clock: RealClock = REAL,
                 inline_switch: bool = False):
        self.center = center
        #: the core's timers run on it (engine.clock: the wall clock, or the twin's accelerated one)
        self.clock = clock
        self._execute_switch = execute_switch
        self._execute_store = execute_store
        self.inbox: Queue = Queue()
        self._switch_q: Queue = Queue()
        self._store_q: Queue = Queue()
        # loop timers, not greenlets: a call starts and cancels several, and most never fire
        self._timers: dict[str, object] = {}
        self._storing = False
        self._greenlets: list[gevent.Greenlet] = []
        self.events_handled = 0
        self.store_coalesce_s = STORE_COALESCE_S
        #: switch commands run in the loop itself (the executor only writes them: pipelined) rather than in a
        #: greenlet of their own; either way in the order the core gave them
        self.inline_switch = inline_switch

    def post(self, event: Event) -> None:
        """Hand an event to the loop (callable from any greenlet; never blocks)."""
        self.inbox.put(event)

    def start(self) -> None:
        """Start the loop and the executors."""
        self._greenlets = [gevent.spawn(self._loop), gevent.spawn(self._drain, self._switch_q, self._execute_switch),
                           gevent.spawn(self._drain_store)]

    def stop(self, timeout: float = 5.0) -> None:
        """Finish queued work (store writes included), then stop."""
        self.inbox.put(_STOP)
        gevent.joinall(self._greenlets[:1], timeout=timeout)
        for timer in self._timers.values():
            timer.close()  # type: ignore[attr-defined]
        self._timers.clear()
        self._switch_q.put(_STOP)
        self._store_q.put(_STOP)
        gevent.joinall(self._greenlets[1:], timeout=timeout)

    def _loop(self) -> None:
        while True:
            event = self.inbox.get()
            if event is _STOP:
                return
            try:
                commands = self.center.handle(event)
            except Exception:       # the core must never take the engine down: log, keep the calls
                logger.exception("core failed on %r", event)
                continue
            self.events_handled += 1
            for command in commands:
                self._dispatch(command)

    def _dispatch(self, command: object) -> None:
        if isinstance(command, c.StartTimer):
            self._cancel(command.key)
            delay = command.delay
            if command.wall_min:
                delay = max(delay, self.clock.virtual(command.wall_min))
            self._timers[command.key] = self.clock.timer(delay, self._fire, command.key)
        elif isinstance(command, c.CancelTimer):
            self._cancel(command.key)
        elif isinstance(command, c.STORE_COMMANDS):
            self._store_q.put(command)
        elif self.inline_switch:
            try:
                self._execute_switch(command)
            except Exception:
                logger.exception("executing %r failed", command)
        else:
            self._switch_q.put(command)

    def _cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.close()  # type: ignore[attr-defined]

    def _fire(self, key: str) -> None:
        """Runs in the hub's loop: only hands the event to the inbox (never blocks)."""
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.close()  # type: ignore[attr-defined]
        self.post(TimerFired(key, self.clock.now()))

    @staticmethod
    def _drain(queue: Queue, execute: Callable[[object], None]) -> None:
        while True:
            command = queue.get()
            if command is _STOP:
                return
            try:
                execute(command)
            except Exception:
                logger.exception("executing %r failed", command)

    def _drain_store(self) -> None:
        """Store writes in batches: whatever queued up while the last batch was written goes in one transaction
        (a call writes a dozen log entries and records; one commit each would cap the engine's throughput)."""
        while True:
            batch = [self._store_q.get()]
            self._storing = batch[0] is not _STOP          # held in hand counts as not idle
            deadline = self._deadline(batch[0], time.monotonic() + self.store_coalesce_s)
            while len(batch) < STORE_BATCH_MAX and batch[-1] is not _STOP:
                if self._store_q.empty():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        batch.append(self._store_q.get(timeout=left))
                    except Empty:
                        break
                else:
                    batch.append(self._store_q.get_nowait())
                deadline = self._deadline(batch[-1], deadline)
            stop = batch[-1] is _STOP
            commands = [cmd for cmd in batch if cmd is not _STOP]
            if commands:
                self._storing = True
                try:
                    self._execute_store(commands)
                except Exception:
                    logger.exception("storing %d commands failed", len(commands))
                finally:
                    self._storing = False
            if stop:
                return

    def _deadline(self, command, deadline: float) -> float:
        """When the batch closes: sooner once it holds what an agent's desktop is waiting for."""
        if isinstance(command, (c.SaveAgentState, c.SaveRequestResult)):
            return min(deadline, time.monotonic() + min(STORE_URGENT_S, self.store_coalesce_s))
        return deadline

    def idle(self) -> bool:
        """True when nothing is queued anywhere (tests and shutdown use it)."""
        return self.inbox.empty() and self._switch_q.empty() and self._store_q.empty() and not self._storing
