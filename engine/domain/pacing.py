"""Pacing the engine's own originates against the switch's session limits. Pure: times come from the events.

FreeSWITCH creates a session only while its session-rate token count lasts (switch.conf ``sessions-per-second``,
default 30; ``fsctl sps N``) and below ``max-sessions`` (default 1000): src/switch_core_session.c
``switch_core_session_request_uuid`` decrements the count for every new session, inbound INVITEs included, and
refuses one that brings it to zero or below ("Throttle Error!"); src/switch_time.c refills it once a second. A
refused originate fails at once with mod_sofia's default cause DESTINATION_OUT_OF_ORDER and no channel
(capture 08, README item 36).

A leg originated with ``no_throttle_limits=true`` (src/switch_ivr_originate.c sets SOF_NO_LIMITS) is exempt:
it takes no token and is never refused. The engine dials its agents that way by default: agent legs are bounded
by the logged-in agents (at most one leg each), and callers keep the whole budget. It still never sends more
originates in any one second than the switch's rate allows, so a burst (a shift logging in with calls waiting)
arrives spread out. When agent legs are not exempt (configuration, or a switch that ignores the variable), the
budget is what arriving callers leave of the rate: the limit, minus one (FreeSWITCH lets N-1 through), minus the
inbound sessions of the last second, minus a margin, but never less than a share the engine keeps for itself.

A refusal that is the switch's own (not the phone's) backs off briefly, doubling while refusals repeat, so the
engine never spins against an exhausted token count; the first retry is immediate.
"""
from __future__ import annotations

import collections
import dataclasses

WINDOW_S = 1.0
MARGIN = 2                  # sessions kept back for callers arriving while the engine's INVITEs are in flight
MIN_SHARE = 0.2             # share of the rate the engine keeps for its agents when legs are not exempt
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 1.0
DEFAULT_SPS = 30            # FreeSWITCH's default (src/switch_core.c: runtime.sps_total = 30)


@dataclasses.dataclass
class Pacer:
    """How many originates the engine may send now, from the switch's limits and what it has seen."""

    sessions_per_second: int | None = None      # None until read from the switch
    max_sessions: int | None = None
    exempt: bool = True                         # agent legs carry no_throttle_limits=true
    refused_total: int = 0
    _own: collections.deque = dataclasses.field(default_factory=collections.deque)       # times of own originates
    _inbound: collections.deque = dataclasses.field(default_factory=collections.deque)   # times of inbound sessions
    _refused: collections.deque = dataclasses.field(default_factory=collections.deque)   # times of refusals
    _blocked_until: float = 0.0
    _streak: int = 0
    _now: float = 0.0

    def configure(self, sessions_per_second: int | None, max_sessions: int | None) -> None:
        """The switch's limits as read at connect (None keeps what was known)."""
        if sessions_per_second:
            self.sessions_per_second = sessions_per_second
        if max_sessions:
            self.max_sessions = max_sessions

    def _clock(self, now: float) -> float:
        """Event times come from two clocks (the switch's and the engine's): never let time run backwards."""
        self._now = max(self._now, now)
        return self._now

    def _trim(self, now: float) -> None:
        for times in (self._own, self._inbound):
            while times and times[0] <= now - WINDOW_S:
                times.popleft()

    def budget(self) -> int:
        """Originates the engine may send in any one second."""
        sps = self.sessions_per_second or DEFAULT_SPS
        if self.exempt:
            return max(1, sps)
        usable = sps - 1                                     # sps <= 0 after the decrement is refused
        keep = max(1, int(usable * MIN_SHARE))
        return max(keep, usable - len(self._inbound) - MARGIN)

    def inbound(self, now: float) -> None:
        """An inbound session was created (a caller arrived)."""
        now = self._clock(now)
        self._inbound.append(now)
        self._trim(now)

    def may_originate(self, now: float) -> bool:
        """True when one more originate now stays within the switch's limits."""
        now = self._clock(now)
        if now < self._blocked_until:
            return False
        self._trim(now)
        return len(self._own) < self.budget()

    def next_slot(self, now: float) -> float:
        """When to try again after may_originate said no (seconds from now, > 0)."""
        now = self._clock(now)
        self._trim(now)
        waits = [self._blocked_until - now] if now < self._blocked_until else []
        if len(self._own) >= self.budget() and self._own:
            waits.append(self._own[0] + WINDOW_S - now)
        return max(0.005, max(waits, default=0.005))

    def originated(self, now: float) -> None:
        """The engine sent an originate."""
        now = self._clock(now)
        self._own.append(now)

    def refused(self, now: float) -> None:
        """The switch refused one of the engine's originates for its own reasons: back off (0 s the first time)."""
        now = self._clock(now)
        self.refused_total += 1
        self._refused.append(now)
        delay = 0.0 if self._streak == 0 else min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self._streak - 1))
        self._streak += 1
        self._blocked_until = max(self._blocked_until, now + delay)

    def accepted(self) -> None:
        """The switch created a channel for one of the engine's originates: refusals are over."""
        self._streak = 0

    def refused_since(self, since: float) -> int:
        """Refusals at or after `since`."""
        while self._refused and self._refused[0] < since - 3600:
            self._refused.popleft()
        return sum(1 for t in self._refused if t >= since)

    def last_refused_at(self) -> float | None:
        return self._refused[-1] if self._refused else None
