"""The ideal queue on the very callers the twin placed: first come first served, N agents, each caller leaving when
their patience runs out before an agent answers (M/M/N+M on one sample path, no processing time). Pure.

Erlang A is this queue's steady-state mean; on one sample path the two differ by chance (a short stretch of a day
has few busy periods). The twin differs from the ideal queue on the same callers only by what the engine and the
switch add (ringing, event and command latency magnified by the acceleration), so the comparison separates the
engine's fidelity from the sampling noise."""
from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Callable, Iterable


@dataclasses.dataclass(frozen=True)
class Caller:
    at: float                   # arrival, seconds
    patience: float | None      # None: waits for ever
    busy: float                 # what the agent spends on the call: ringing + talk + wrap-up
    ring: float = 0.0           # of which ringing before the answer (the wait runs until the answer)


@dataclasses.dataclass(frozen=True)
class Outcome:
    caller: Caller
    answered: bool
    wait: float                 # to the answer, or to the hang-up


def simulate(callers: Iterable[Caller], agents_at: Callable[[float], int], seed: int = 0) -> list[Outcome]:
    """Serve the callers in arrival order; `agents_at(t)` is the head count at time t. When it drops, idle agents
    leave first, then busy ones chosen at random (nobody knows whose call ends last), each after their call —
    the twin's staffing (engine.twin.run.Staffing) does the same."""
    rng = random.Random(seed)
    free: list[float] = []          # heap of the times the agents on the phones become free
    heads = 0
    out = []
    for c in sorted(callers, key=lambda c: c.at):
        want = agents_at(c.at)
        while heads < want:
            heapq.heappush(free, c.at)
            heads += 1
        if heads > want:
            idle = [f for f in free if f <= c.at]
            busy = [f for f in free if f > c.at]
            rng.shuffle(busy)
            free = (idle + busy)[len(idle) + len(busy) - want:] if len(idle) < heads - want \
                else idle[heads - want:] + busy
            heapq.heapify(free)
            heads = want
        if not free:
            out.append(Outcome(c, False, c.patience or 0.0))
            continue
        start = max(c.at, free[0])
        answer = start + c.ring
        if c.patience is not None and answer > c.at + c.patience:
            out.append(Outcome(c, False, c.patience))
            if start < c.at + c.patience:          # the phone rang, the caller left meanwhile
                heapq.heapreplace(free, c.at + c.patience)
            continue
        heapq.heapreplace(free, start + c.busy)
        out.append(Outcome(c, True, answer - c.at))
    return out
