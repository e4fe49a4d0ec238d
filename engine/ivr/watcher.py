"""Flow files watched for changes: a change reloads every flow without a restart (calls in progress keep the
version they began with); a file that fails validation keeps its last valid version and is reported."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from engine.domain.events import Event, FlowsLoaded
from engine.ivr.loader import load_flows

logger = logging.getLogger(__name__)


class FlowWatcher:
    """`check(queues)`: reload when a file was added, changed or removed; the flows go to the core."""

    def __init__(self, flows_dir: Path, prompts_dir: Path, post: Callable[[Event], None], errors: dict):
        self.flows_dir = flows_dir
        self.prompts_dir = prompts_dir
        self.post = post
        self.errors = errors                    # the flow files refused at the last load, with their problems
        self._stamp = self.stamp()

    def stamp(self) -> tuple:
        """Names, sizes and modification times of the flow files."""
        files = sorted(self.flows_dir.glob("*.yaml"))
        return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())

    def check(self, queues: list[str] | None) -> bool:
        stamp = self.stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        flows, errors = load_flows(self.flows_dir, self.prompts_dir, queues)
        self.errors = errors
        logger.info("flows reloaded: %d valid, %d rejected", len(flows), len(errors))
        self.post(FlowsLoaded(flows, {k: tuple(v) for k, v in errors.items()}, time.time()))
        return True
