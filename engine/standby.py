"""Hot standby: wait for the lease (engine.lease) before taking control, and give control up the moment the lease
is lost. The composition root (engine.cli) wires these around the engine; the engine itself knows nothing of them.

A standby engine takes over by starting as any engine starts: it connects to the switch and lists its channels,
and the core takes over what it finds (bridged calls by their agent legs' marks, waiting callers by theirs,
engine.switch.inventory), so the takeover time is the lease's poll plus a connect and a `show channels`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import gevent
import gevent.event

from engine.lease import Lease

logger = logging.getLogger(__name__)

POLL_S = 0.5            # how often a standby asks for the lease: the takeover time is at most this plus a connect
WATCH_S = 1.0           # how often the active engine checks that the lease is still its own


def _blocking(fn: Callable[[], bool]) -> bool:
    """Database calls of the lease run in the hub's thread pool (psycopg2 is not cooperative)."""
    return gevent.get_hub().threadpool.apply(fn)


def wait_for_lease(lease: Lease, stopping: gevent.event.Event, say: Callable[[str], None]) -> bool:
    """Return True once this engine holds the lease, False if asked to stop first."""
    if _blocking(lease.try_acquire):
        return True
    say(f"standby: another engine is active ({lease.describe()}); taking over when it stops")
    while not stopping.wait(POLL_S):
        if _blocking(lease.try_acquire):
            say("standby: the lease is ours; taking over")
            return True
    return False


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
