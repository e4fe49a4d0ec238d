"""Waiting calls: priority with aging, overflow steps, and the order agents take calls in. Pure."""
from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterator, Mapping

OVERFLOW_ACTIONS = ("widen", "overflow", "announce")


@dataclasses.dataclass(frozen=True)
class OverflowStep:
    """After a call has waited `after_s`: widen the skills it needs, move it to another queue, or play a prompt."""

    after_s: int
    action: str
    skills: Mapping[int, int] | None = None     # widen: the new requirement (skill id -> minimum level)
    queue: str | None = None                    # overflow: the queue the call moves to (keeping its wait)
    prompt: str | None = None                   # announce: e.g. the "all agents are busy" prompt


def wait_key(enqueued_at: float, priority: int, priority_step_s: int) -> float:
    """Sort key of a waiting call: earlier is served first.

    Each priority point counts as priority_step_s seconds of extra waiting, so a VIP call goes ahead of
    ordinary calls, but an ordinary call that has waited longer than (difference in priority x step)
    is never overtaken: low-priority calls cannot starve beyond that bound."""
    return enqueued_at - priority * priority_step_s


class WaitingList:
    """Waiting calls in service order (a sorted list keyed by wait_key; ties by arrival sequence)."""

    def __init__(self) -> None:
        self._items: list[tuple[float, int, str]] = []
        self._keys: dict[str, tuple[float, int, str]] = {}
        self._seq = 0

    @property
    def version(self) -> int:
        """Changes whenever a call is added (or re-added): the dispatch point's cue to look again."""
        return self._seq

    def add(self, call_uuid: str, key: float) -> None:
        """Insert (or re-insert) a call."""
        self.remove(call_uuid)
        self._seq += 1
        item = (key, self._seq, call_uuid)
        bisect.insort(self._items, item)
        self._keys[call_uuid] = item

    def remove(self, call_uuid: str) -> None:
        """Take a call out (offered, gone); no-op when absent."""
        item = self._keys.pop(call_uuid, None)
        if item is not None:
            index = bisect.bisect_left(self._items, item)
            del self._items[index]

    def __iter__(self) -> Iterator[str]:
        return iter([uuid for _, _, uuid in self._items])

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, call_uuid: object) -> bool:
        return call_uuid in self._keys

    def position(self, call_uuid: str, queue_members: set[str] | None = None) -> int:
        """1-based position of a call among all waiting calls (or among those of one queue)."""
        pos = 0
        for _, _, uuid in self._items:
            if queue_members is None or uuid in queue_members:
                pos += 1
            if uuid == call_uuid:
                return pos
        return 0
