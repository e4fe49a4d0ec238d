"""A greenlet a component runs in the background: started, killed at stop (the component's `_run` is its body)."""
from __future__ import annotations

from collections.abc import Callable

import gevent


class Background:
    """Mix-in: `start()` spawns `self._run`, `stop()` kills it."""

    _greenlet: gevent.Greenlet | None = None
    _run: "Callable[[], None]"         # the subclass's loop

    def start(self):
        self._greenlet = gevent.spawn(self._run)
        return self

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
