"""Automated follow-up calls on a clock: every POLL_S, while this engine is connected to the switch, the visits due
now are claimed from the store (engine.store.follow_up_calls) and handed to the core as FollowUpsDue, which places
them (engine.acd.followups). No more than the configured number are under way at once (each holds a trunk channel);
a failed read is logged and tried again at the next poll."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent

from engine.background import Background
from engine.domain.events import Event, FollowUpsDue
from engine.store import follow_up_calls
from engine.store.base import utcnow
from engine.store.orders import load_settings
from engine.store.session import transaction

logger = logging.getLogger(__name__)
POLL_S = 15.0


class FollowUpDialler(Background):
    """One greenlet: claim the due visits, post them to the core."""

    def __init__(self, sessions, post: Callable[[Event], None], switch_connected: Callable[[], bool],
                 in_flight: Callable[[], int], poll_s: float = POLL_S):
        self.sessions = sessions
        self.post = post
        self.switch_connected = switch_connected
        self.in_flight = in_flight
        self.poll_s = poll_s

    def _run(self) -> None:
        while True:
            gevent.sleep(self.poll_s)
            if not self.switch_connected():
                continue
            try:
                self.poll()
            except Exception:
                logger.exception("reading the due follow-up visits failed; trying again at the next poll")

    def poll(self) -> int:
        """Claim what is due and may be placed now; how many were handed to the core."""
        due = gevent.get_hub().threadpool.apply(self._claim, (self.in_flight(),))
        if due:
            self.post(FollowUpsDue(tuple(due), time.time()))
        return len(due)

    def _claim(self, under_way: int):
        with transaction(self.sessions) as session:
            settings = load_settings(session)
            room = (settings.calls.at_once if settings.calls else 0) - under_way
            return follow_up_calls.claim_due(session, utcnow(), room)
