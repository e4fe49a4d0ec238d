"""What the engine reads on a clock: console requests every REQUEST_POLL_S (ready, not ready, force logout…), the
switch's load and limits every LIMITS_REFRESH_S, and every DIRECTORY_RELOAD_S the published status, the directory
and the flow files. A failed read keeps the previous configuration and is tried again next time."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent

from engine.background import Background

from engine.domain.events import Event, PublishStatus

logger = logging.getLogger(__name__)
DIRECTORY_RELOAD_S = 2.0
REQUEST_POLL_S = 0.1       # a 示闲 pressed reaches the ACD within this (one indexed read when none waits)
LIMITS_REFRESH_S = 2.0      # `status`: the console shows the switch's load, and `fsctl sps N` changes its rate live


class Poller(Background):
    """One greenlet running the clocked reads; each step is a callable the composition root hands in."""

    def __init__(self, post: Callable[[Event], None], take_requests: Callable[[], list], read_limits: Callable[[], None],
                 switch_connected: Callable[[], bool], reload_directory: Callable[[], None],
                 reload_flows: Callable[[], object], directory_reload_s: float = DIRECTORY_RELOAD_S,
                 now: Callable[[], float] = time.time):
        self.post = post
        self.take_requests = take_requests
        self.read_limits = read_limits
        self.switch_connected = switch_connected
        self.reload_directory = reload_directory
        self.reload_flows = reload_flows
        self.directory_reload_s = directory_reload_s
        #: the time stamped on the status it publishes (the engine's clock); the reads themselves run on the wall
        #: clock: they are I/O, their cadence decides no call
        self.now = now

    def _run(self) -> None:
        next_reload = time.time() + self.directory_reload_s
        next_limits = time.time() + LIMITS_REFRESH_S
        while True:
            gevent.sleep(REQUEST_POLL_S)
            try:
                for request in gevent.get_hub().threadpool.apply(self.take_requests):
                    self.post(request)
                if time.time() >= next_limits and self.switch_connected():
                    next_limits = time.time() + LIMITS_REFRESH_S
                    self.read_limits()
                if time.time() >= next_reload:
                    next_reload = time.time() + self.directory_reload_s
                    self.post(PublishStatus(self.now()))
                    self.reload_directory()
                    self.reload_flows()
            except Exception:
                logger.exception("reading the database failed; keeping the previous configuration")
