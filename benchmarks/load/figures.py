"""The figures of a load run, computed from the simulated switch's own records (GET /calls_log).

Pure functions: no I/O, so they are unit-testable on hand-made logs. Times are epoch seconds (floats carrying
the simulator's microseconds). Definitions (docs in benchmarks/bench_load.py):

* a *caller* is an inbound leg the switch admitted (POST /calls answered 201 with its uuid);
* an *agent leg* is an outbound leg to one of the benchmark's phones (variable ``dialed_user``, else the
  extension in the channel name ``sofia/<profile>/<ext>@host:port``); it is alive from ``created`` to its
  destruction when the log carries ``destroyed`` (CHANNEL_DESTROY), else to ``ended`` (the hang-up);
* a phone is *rung again too early* (a double offer) when a new leg to it is created before its previous leg's hang-up
  is complete: CHANNEL_HANGUP_COMPLETE when the log carries ``hangup_complete`` (the records of a real FreeSWITCH:
  mod_sofia has sent the BYE or answered the phone's BYE by then, in sofia_on_hangup), else its destruction
  (the simulator's records); ``offers_before_previous_leg_destroyed`` counts against CHANNEL_DESTROY always;
* a caller *waits unbridged* from ``created`` until its bridge (``bridged_at``) or its hang-up, whichever is first.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

NAME_EXT = re.compile(r"^sofia/[^/]+/([^@/]+)@")
# hang-up causes of an agent leg that mean "the phone rang out" (the engine sets the agent not-ready for them by
# design, R-ACD-5), so the time to that agent's next offer is not a re-offer gap
RANG_OUT = {"NO_ANSWER", "ALLOTTED_TIMEOUT", "NO_USER_RESPONSE", "PROGRESS_TIMEOUT", "RECOVERY_ON_TIMER_EXPIRE"}
PARTNER_VARS = ("last_bridge_to", "bridge_uuid", "signal_bond", "uuid_bridge")
REAL_DESTROY_LAG_MS = 20.0
# An agent "sits idle" beside a caller who gives up when its phone had been free for longer than the re-offer gap the
# engine is held to (p99 100 ms, issue 11): a phone freed 4 ms before the caller hung up, and about to be rung, is
# the engine reacting, not an agent sitting idle. abandons_at_a_free_instant counts every coincidence (no grace).
IDLE_GRACE_S = 0.1
IDLE_GRACE_LONG_S = 1.0  # the extra figure abandons_with_agent_idle_1s


@dataclass(frozen=True)
class Leg:
    uuid: str
    ext: str
    created: float
    answered: float | None
    ended: float
    cause: str
    bridged: float | None = None
    destroyed: float | None = None
    hangup_complete: float | None = None

    @property
    def gone(self) -> float:
        """When the leg stopped existing on the switch: destroyed if the log says so, else hung up."""
        return self.destroyed or self.ended

    @property
    def hung_up(self) -> float:
        """When the leg's hang-up was complete (CHANNEL_HANGUP_COMPLETE), else its end on the switch."""
        return self.hangup_complete or self.gone


@dataclass(frozen=True)
class Caller:
    uuid: str
    created: float
    bridged: float | None
    ended: float
    cause: str
    disposition: str
    partner: str | None
    answered: float | None = None       # when the engine's answer reached the switch (its first command)

    @property
    def wait_end(self) -> float:
        """When the caller stopped waiting unbridged: the bridge, or the hang-up."""
        return min(self.bridged, self.ended) if self.bridged else self.ended

    @property
    def caller_hung_up(self) -> bool:
        """The caller's side ended the call (BYE or CANCEL received by the switch)."""
        return (self.disposition or "").startswith("recv")


@dataclass
class RunInputs:
    """What the harness hands over after the drain."""

    calls_log: list[dict]
    admitted: set[str]                       # caller uuids the switch accepted
    phones: dict[str, bool]                  # extension -> answers (False: configured never to answer)
    logins: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)   # ext -> [(at, logged in)] sorted
    run_start: float = 0.0                   # the first call's scheduled time
    seconds: float = 1.0
    ring: float = 0.0
    talk: float = 0.0
    cps: float = 0.0
    live_after: list[dict] = field(default_factory=list)   # channels still alive after the drain (stuck)


def _ext_of(ch: dict, phones: dict[str, bool]) -> str | None:
    if ch.get("direction") != "outbound":
        return None
    ext = (ch.get("variables") or {}).get("dialed_user")
    if not ext:
        m = NAME_EXT.match(ch.get("name") or "")
        ext = m.group(1) if m else None
    return ext if ext in phones else None


def legs_and_callers(calls_log: list[dict], admitted: set[str], phones: dict[str, bool]):
    """Split the log into agent legs (by phone) and the benchmark's callers."""
    legs: list[Leg] = []
    callers: list[Caller] = []
    for ch in calls_log:
        ext = _ext_of(ch, phones)
        ended = float(ch.get("ended") or 0.0)
        if ext is not None:
            legs.append(Leg(ch["uuid"], ext, float(ch["created"]), ch.get("answered_at"), ended,
                            ch.get("hangup_cause") or "", ch.get("bridged_at"), ch.get("destroyed"),
                            ch.get("hangup_complete")))
        elif ch.get("direction") == "inbound" and ch.get("uuid") in admitted:
            v = ch.get("variables") or {}
            partner = next((v[k] for k in PARTNER_VARS if v.get(k)), None)
            callers.append(Caller(ch["uuid"], float(ch["created"]), ch.get("bridged_at"), ended,
                                  ch.get("hangup_cause") or "", ch.get("disposition") or "", partner,
                                  ch.get("answered_at")))
    legs.sort(key=lambda l: (l.created, l.uuid))
    callers.sort(key=lambda c: (c.created, c.uuid))
    return legs, callers


class Intervals:
    """How many of a set of [start, end) intervals contain an instant, and the last end before it."""

    def __init__(self, spans):
        self.starts = sorted(s for s, _ in spans)
        self.ends = sorted(e for _, e in spans)

    def alive(self, t: float) -> int:
        return bisect.bisect_right(self.starts, t) - bisect.bisect_right(self.ends, t)

    def last_end(self, t: float) -> float | None:
        i = bisect.bisect_right(self.ends, t)
        return self.ends[i - 1] if i else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100.0 * len(ordered)) - 1))
    return ordered[k]


def _logged_in(logins: dict[str, list[tuple[float, bool]]], ext: str, t: float) -> bool:
    """Logged in at t by the engine's stored state changes (logged in at the start of the run)."""
    changes = logins.get(ext) or []
    i = bisect.bisect_right([at for at, _ in changes], t)
    return changes[i - 1][1] if i else True


def compute(inp: RunInputs) -> dict:
    """Every figure of the run as a JSON-able dict (the keys the brief asks for, then extras)."""
    legs, callers = legs_and_callers(inp.calls_log, inp.admitted, inp.phones)
    has_destroy = any(l.destroyed for l in legs)
    by_phone: dict[str, list[Leg]] = defaultdict(list)
    for leg in legs:
        by_phone[leg.ext].append(leg)
    answering = sorted(e for e, ok in inp.phones.items() if ok)
    phone_spans = {e: Intervals([(l.created, l.gone) for l in by_phone.get(e, [])]) for e in inp.phones}

    # ---- bridged callers and throughput
    bridged = [c for c in callers if c.bridged]
    agent_uuids = {l.uuid for l in legs}
    partner_unknown = sum(1 for c in bridged if c.partner not in agent_uuids)
    first_bridge = min((c.bridged for c in bridged), default=None)
    in_window = sum(1 for c in bridged if first_bridge is not None and c.bridged <= first_bridge + inp.seconds)

    # ---- abandons (caller hung up unbridged) and those with an idle, logged-in, answering phone
    unbridged = [c for c in callers if not c.bridged]
    abandoned = [c for c in unbridged if c.caller_hung_up]
    # ... while a caller waited that no phone rang for (more callers waiting unbridged than agent legs ringing or being bridged, just
    # before the hang-up): a caller who gives up while a phone rings for them, all other waiting callers being rung
    # too, had no idle agent to be offered to (ACD invariant: no ready agent while a call it may serve waits)
    waiting = Intervals([(c.created, c.wait_end) for c in callers])
    # an agent leg serves a waiting caller from its creation to its bridge (ringing, then answered while the engine
    # bridges it: 40-60 ms on a real FreeSWITCH, a few ms on the simulator), or to its end if it is never bridged
    ringing = Intervals([(l.created, min(l.bridged, l.gone) if l.bridged else l.gone) for l in legs])
    at_free_instant = with_idle = with_idle_1s = 0
    for c in abandoned:
        idle = [e for e in answering if phone_spans[e].alive(c.ended) == 0 and _logged_in(inp.logins, e, c.ended)]
        if idle:
            at_free_instant += 1
            before = c.ended - 1e-6
            if waiting.alive(before) <= ringing.alive(before):
                continue
            idle_for = max(c.ended - (phone_spans[e].last_end(c.ended) or inp.run_start) for e in idle)
            with_idle += idle_for >= IDLE_GRACE_S
            with_idle_1s += idle_for >= IDLE_GRACE_LONG_S

    # ---- double offers: a new leg to a phone that still has another leg alive (until its destruction when the
    # log carries it, else until its hang-up); and how soon after the previous leg's hang-up phones are rung again
    double = before_destroy = 0
    after_hangup: list[float] = []
    for e, phone_legs in by_phone.items():
        for i, leg in enumerate(phone_legs):
            if any(prev.hung_up > leg.created for prev in phone_legs[:i]):
                double += 1
            if any(prev.gone > leg.created for prev in phone_legs[:i]):
                before_destroy += 1
            if i:
                after_hangup.append((leg.created - max(p.ended for p in phone_legs[:i])) * 1000.0)

    # ---- re-offer gaps: an agent leg ends while a caller waits unbridged that no phone is ringing for (more
    # callers waiting unbridged than agent legs not yet bridged) -> the next leg to that phone. The extra
    # reoffer_gap_ms_p99_any_waiting counts every leg ending while any caller waits, rung for or not.
    last_wait_end = max((c.wait_end for c in callers), default=None)
    gaps: list[float] = []
    any_waiting_gaps: list[float] = []
    never = 0
    gap_by_cause: dict[str, list[float]] = defaultdict(list)
    for e, phone_legs in by_phone.items():
        creations = [l.created for l in phone_legs]
        for i, leg in enumerate(phone_legs):
            t = leg.ended
            if leg.cause in RANG_OUT or waiting.alive(t) == 0:
                continue
            unserved = waiting.alive(t) > ringing.alive(t)
            # the next leg to this phone, created at or after this one's end (a real FreeSWITCH stamps events on
            # its 20 ms clock: a re-offer in the same tick carries the same time)
            j = max(bisect.bisect_left(creations, t), i + 1)
            if j < len(phone_legs):
                gap = phone_legs[j].created - t
            else:
                gap = max(0.0, (last_wait_end or t) - t)   # censored: a lower bound
            any_waiting_gaps.append(gap * 1000.0)
            if not unserved:
                continue
            if j >= len(phone_legs):
                never += 1
            gaps.append(gap * 1000.0)
            gap_by_cause["answered" if leg.answered else leg.cause or "?"].append(gap * 1000.0)

    def ms(v):
        return None if v is None else round(v, 1)

    answer_ms = [(c.answered - c.created) * 1000.0 for c in callers if c.answered]
    agents = len(inp.phones)
    capacity = len(answering) / (inp.ring + inp.talk) if inp.ring + inp.talk > 0 else None
    causes = Counter(l.cause for l in legs)
    out = {
        "offered_cps": inp.cps,
        "agents": agents,
        "capacity_per_s": None if capacity is None else round(capacity, 3),
        "bridged_per_s": round(in_window / inp.seconds, 3) if inp.seconds else None,
        "abandoned": len(abandoned),
        "abandons_with_idle_agent": with_idle,
        "double_offers": double,
        "reoffer_gap_ms_p50": ms(percentile(gaps, 50)),
        "reoffer_gap_ms_p99": ms(percentile(gaps, 99)),
        # extras
        "admitted": len(callers),
        "bridged": len(bridged),
        "bridged_in_window": in_window,
        "bridged_partner_not_agent": partner_unknown,
        "released_unbridged": len(unbridged) - len(abandoned),
        "abandons_at_a_free_instant": at_free_instant,
        "abandons_with_agent_idle_1s": with_idle_1s,
        "agent_legs": len(legs),
        "answered_by_agents": sum(1 for l in legs if l.answered),
        "ring_timeout": sum(causes[c] for c in RANG_OUT),
        "agent_leg_busy": causes.get("USER_BUSY", 0),
        "agent_leg_causes": dict(sorted(causes.items())),
        "reoffer_gaps": len(gaps),
        "reoffer_never": never,
        "reoffer_gap_ms_max": ms(max(gaps, default=None)),
        "reoffer_gap_ms_p99_any_waiting": ms(percentile(any_waiting_gaps, 99)),
        "reoffer_gap_by_end": {k: {"n": len(v), "p50_ms": ms(percentile(v, 50)), "p99_ms": ms(percentile(v, 99))}
                               for k, v in sorted(gap_by_cause.items())},
        "offers_before_previous_leg_destroyed": before_destroy,
        "reoffer_after_hangup_ms_min": ms(min(after_hangup, default=None)),
        "reoffer_after_hangup_ms_p50": ms(percentile(after_hangup, 50)),
        # on FreeSWITCH a hung-up leg is destroyed up to one 20 ms media frame later (captures 04a/04b/07b:
        # CHANNEL_DESTROY 0-20 ms after CHANNEL_HANGUP); the simulator destroys it at once, so a phone rung this
        # soon after its previous leg's hang-up would be a double offer on the real switch
        "reoffers_within_20ms_of_hangup": sum(1 for g in after_hangup if 0 <= g < REAL_DESTROY_LAG_MS),
        "alive_until": "destroyed" if has_destroy else "hangup",
        "answer_ms_p50": ms(percentile(answer_ms, 50)),        # the caller's channel to the engine's answer
        "answer_ms_p99": ms(percentile(answer_ms, 99)),
        "wait_ms_p50_bridged": ms(percentile([(c.bridged - c.created) * 1000.0 for c in bridged], 50)),
        "wait_ms_p99_bridged": ms(percentile([(c.bridged - c.created) * 1000.0 for c in bridged], 99)),
        "stuck_channels": len(inp.live_after),
    }
    return out
