"""Hot standby: wait for the lease (engine.lease) before taking control, and give control up the moment the lease
is lost. The composition root (engine.cli) wires these around the engine; the engine itself knows nothing of them.

A standby engine takes over by starting as any engine starts: it connects to the switch and lists its channels,
and the core takes over what it finds (bridged calls by their agent legs' marks, waiting callers by theirs,
engine.switch.inventory), so the takeover time is the lease's poll plus a connect and a `show channels`.

While it waits, a standby holds a connection of its own to the switch, logged in and subscribed to HEARTBEAT only,
sending nothing else (idle_switch_connection, opened once the lease is found taken): its heartbeat row says whether
it reaches the switch. An active engine that has lost the switch for SWITCH_LOSS_S while a standby reaches it hands
over (SwitchLoss): it stops commanding, releases the lease, and waits as standby itself.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent
import gevent.event

from engine.lease import Lease
from engine.switch.connection import EslConnection

logger = logging.getLogger(__name__)

SWITCH_LOSS_S = 2.0     # an active engine without the switch this long hands over to a standby that reaches it
HANDOVER_BACKOFF_S = 3.0    # … and leaves the lease to it that long before asking for it again
POLL_S = 0.5            # how often a standby asks for the lease: the takeover time is at most this plus a connect
WATCH_S = 1.0           # how often the active engine checks that the lease is still its own


def _blocking(fn: Callable[[], bool]) -> bool:
    """Database calls of the lease run in the hub's thread pool (psycopg2 is not cooperative)."""
    return gevent.get_hub().threadpool.apply(fn)


def wait_for_lease(lease: Lease, stopping: gevent.event.Event, say: Callable[[str], None],
                   while_waiting: Callable[[], Callable[[], None]] | None = None) -> bool:
    """Return True once this engine holds the lease, False if asked to stop first. `while_waiting` starts what a
    waiting standby holds (its idle_switch_connection) and returns how to stop it: it is called only when the lease
    is not free at once, so an engine that is active from the start (`callcenter run` with the simulated switch it
    starts only then) makes no connection before the switch is there."""
    if _blocking(lease.try_acquire):
        return True
    say(f"standby: another engine is active ({lease.describe()}); taking over when it stops")
    stop_waiting = while_waiting() if while_waiting is not None else None
    try:
        while not stopping.wait(POLL_S):
            if _blocking(lease.try_acquire):
                say("standby: the lease is ours; taking over")
                return True
        return False
    finally:
        if stop_waiting is not None:
            stop_waiting()


def watch(lease: Lease, on_lost: Callable[[], None]) -> gevent.Greenlet:
    """Check the lease every WATCH_S; call on_lost once (and stop watching) when it is no longer ours."""
    def loop() -> None:
        while True:
            gevent.sleep(WATCH_S)
            if not _blocking(lease.held):
                logger.critical("lease lost (%s): this engine stops commanding the switch", lease.describe())
                on_lost()
                return
    return gevent.spawn(loop)


def idle_switch_connection(config) -> EslConnection:
    """A standby's own connection to the switch: logged in, HEARTBEAT events only, no command ever sent on it."""
    conn = EslConnection(config.esl_host, config.esl_port, config.esl_password, events=("HEARTBEAT",),
                         on_event=lambda _event: None, command_timeout=config.esl_command_timeout)
    conn.start()
    return conn


class SwitchLoss:
    """The active engine's check, once a second, of whether it should hand over: its switch connection has been
    down for SWITCH_LOSS_S and a standby reported (within the last seconds) that it reaches the switch."""

    def __init__(self, connected: Callable[[], bool], standby_reaching: Callable[[], str | None],
                 clock: Callable[[], float] = time.monotonic):
        self.connected, self.standby_reaching, self.clock = connected, standby_reaching, clock
        self.down_since: float | None = None

    def hand_over_to(self) -> str | None:
        """The standby to hand over to, now; None to go on."""
        if self.connected():
            self.down_since = None
            return None
        now = self.clock()
        if self.down_since is None:
            self.down_since = now
        if now - self.down_since < SWITCH_LOSS_S:
            return None
        name = self.standby_reaching()
        if name is not None:
            logger.critical("the switch has been unreachable for %.0f s, standby %s reaches it: handing over",
                            now - self.down_since, name)
        return name
