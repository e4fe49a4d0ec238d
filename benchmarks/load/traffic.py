"""Callers at a constant rate, evenly spaced (as SIPp -r does), placed through POST /calls.

A pacing thread hands each call to a small pool of workers, each with its own keep-alive connection, at its
due time t0 + i / cps; placing 40 calls/s over HTTP is then far from the bottleneck (a POST takes ~1-3 ms).
Lateness (sent - due) is recorded so that a harness too slow to keep the rate is visible in the figures.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time

from .control import Control


@dataclasses.dataclass
class Placed:
    index: int
    due: float
    sent: float = 0.0
    status: int = 0             # 201 admitted, 503 refused by the switch, 0 failed to send
    uuid: str | None = None
    error: str = ""


class Traffic:
    """Place `count` calls at `cps` from `t0` (epoch seconds); `body(i)` builds the POST /calls body."""

    def __init__(self, host: str, port: int, count: int, cps: float, t0: float, body, workers: int = 8):
        self.host, self.port, self.count, self.cps, self.t0, self.body = host, port, count, cps, t0, body
        self.workers = max(1, workers)
        self.placed: list[Placed] = [Placed(i, t0 + i / cps) for i in range(count)]
        self._jobs: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> "Traffic":
        for _ in range(self.workers):
            t = threading.Thread(target=self._worker, daemon=True)
            t.start()
            self._threads.append(t)
        pacer = threading.Thread(target=self._pace, daemon=True)
        pacer.start()
        self._threads.append(pacer)
        return self

    def _pace(self) -> None:
        for p in self.placed:
            delay = p.due - time.time()
            if delay > 0:
                time.sleep(delay)
            self._jobs.put(p)
        for _ in range(self.workers):
            self._jobs.put(None)

    def _worker(self) -> None:
        ctl = Control(self.host, self.port, timeout=15.0)
        try:
            while True:
                p = self._jobs.get()
                if p is None:
                    break
                p.sent = time.time()
                try:
                    status, out = ctl.request("POST", "/calls", self.body(p.index))
                    p.status = status
                    if status in (200, 201) and isinstance(out, dict):
                        p.uuid = out.get("uuid")
                    elif status != 503:
                        p.error = str(out)[:200]
                except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                    p.error = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            ctl.close()

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.time() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.time()))
        return all(not t.is_alive() for t in self._threads)

    # ---------------------------------------------------------------- results
    def sent(self) -> int:
        return sum(1 for p in self.placed if p.sent)

    def admitted(self) -> list[Placed]:
        return [p for p in self.placed if p.uuid]

    def refused(self) -> int:
        return sum(1 for p in self.placed if p.status == 503)

    def failed(self) -> list[Placed]:
        return [p for p in self.placed if p.sent and not p.uuid and p.status != 503]

    def lateness_ms(self) -> list[float]:
        return [(p.sent - p.due) * 1000.0 for p in self.placed if p.sent]
