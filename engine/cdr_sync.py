"""The active engine's CDR reconciliation loop: every few seconds, the switch's CDRs (engine.store.cdrs) that
still have no call record a while after they arrived go to the core (CdrsArrived), which closes their calls.

A CDR settles SETTLE_S first: the engine's own hang-up handling writes the record within a fraction of a second
of the CHANNEL_HANGUP_COMPLETE that comes just before the CDR, so only calls it really missed are left. A CDR
handed to the core is not handed again for RETRY_S (its SaveCdrReconciled may still be in the store's queue).
Reconciled CDRs are kept KEEP_DAYS, then pruned."""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

import gevent

from engine.background import Background

from engine.domain.events import CdrsArrived, Event
from engine.store import cdrs
from engine.store.session import transaction

logger = logging.getLogger(__name__)
POLL_S = 2.0
SETTLE_S = 5.0
RETRY_S = 60.0
KEEP_DAYS = 7
PRUNE_EVERY_S = 3600.0


class CdrSync(Background):
    """Polls the CDRs in a worker thread and posts what needs closing to the core."""

    def __init__(self, sessions, post: Callable[[Event], None], poll_s: float = POLL_S, settle_s: float = SETTLE_S):
        self.sessions = sessions
        self.post = post
        self.poll_s = poll_s
        self.settle_s = settle_s
        self._handed: dict[str, float] = {}      # uuid -> when handed to the core
        self._pruned_at = 0.0

    def _run(self) -> None:
        while True:
            gevent.sleep(self.poll_s)
            try:
                self.poll_once()
            except Exception:
                logger.exception("reading the switch's CDRs failed; trying again")

    def poll_once(self, now: float | None = None) -> int:
        """One round: returns how many CDRs were handed to the core."""
        now = time.time() if now is None else now
        found, traces = gevent.get_hub().threadpool.apply(self._read, (now,))
        self._handed = {u: t for u, t in self._handed.items() if now - t < RETRY_S}
        fresh = tuple(cdr for cdr in found if cdr.uuid not in self._handed)
        if fresh:
            for cdr in fresh:
                self._handed[cdr.uuid] = now
            logger.info("%d call(s) ended with no record: closing them from the switch's CDRs", len(fresh))
            self.post(CdrsArrived(fresh, {c.uuid: traces[c.uuid] for c in fresh}, now))
        return len(fresh)

    def _read(self, now: float):
        with transaction(self.sessions) as session:
            if now - self._pruned_at > PRUNE_EVERY_S:
                self._pruned_at = now
                cdrs.prune(session, dt.datetime.fromtimestamp(now, dt.timezone.utc) - dt.timedelta(days=KEEP_DAYS))
            return cdrs.unreconciled(session, now - self.settle_s, now)


def recent_cdrs(sessions, since: float):
    """CDRs received since an instant (blocking: call from a worker thread)."""
    with transaction(sessions) as session:
        return tuple(cdrs.recent(session, since))
