"""Every reported figure, derived from rollup sums under the center's definitions (docs/reports.md).

A figure is either a count or sum read straight from the log sums, or a ratio of two of them. The formulas
here are the definitions: the documentation and the report pages quote `FORMULAS`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.reports.definitions import ABANDONS_EXCLUDE, ABANDONS_INCLUDE, Definitions
from engine.store.models.reports import CALL_COUNTS, CALL_MAXES_MS, CALL_SUMS_MS

SUM_NAMES = CALL_COUNTS + CALL_SUMS_MS
MAX_NAMES = CALL_MAXES_MS
# Not a rollup column: the `queued` entries of waits after a transfer back to a queue (engine.reports.rollups.REWAIT),
# counted while the reports fold those rows in or leave them out (engine.reports.queries.fold_rewaits).
REWAITS = "rewaits"

FORMULAS = {
    "requests": "queued entries; a call an agent sent back to a queue counts once (per queue: + calls overflowed "
                "or sent back into it)",
    "rewaits": "calls an agent sent back to a queue (queued again): no new requests; their second wait counts per "
               "queue, skill, agent and group, not in totals",
    "answered": "answered entries",
    "answer_rate": "answered / (requests, less abandons per the treatment chosen for the answer rate)",
    "answered_within": "answered with wait ≤ T",
    "service_level": "answered within T / (requests, less abandons per the treatment chosen, less callers cut off "
                     "by a fault)",
    "cut": "callers cut off while queued by a switch failure or an engine stop (never counted as abandoned)",
    "abandoned": "abandoned entries (the caller hung up while queued or while an agent's phone rang)",
    "abandoned_short": "abandoned with wait ≤ S",
    "abandoned_ringing": "abandoned while an agent's phone rang",
    "abandon_rate": "abandoned / requests",
    "avg_abandon_s": "total wait of abandoned calls / abandoned",
    "avg_wait_s": "total wait of calls that left the queue (answered, abandoned, callback, voice message, "
                  "released) / their number",
    "asa_s": "total wait of answered calls / answered",
    "max_wait_s": "longest wait of a call that left the queue",
    "talk_s": "conversation time (talk_ended durations) less hold time",
    "hold_s": "hold time (retrieved durations)",
    "wrap_s": "after-call work (wrap_up_ended durations)",
    "handle_s": "talk + hold + wrap-up",
    "aht_s": "(talk + hold + wrap-up) / conversations ended",
    "satisfaction_rate": "satisfied ratings / valid ratings",
    "rating_rate": "valid ratings / answered",
    "occupancy": "handling time (ringing, talking, on hold, wrap-up) / (handling time + ready time)",
    "utilization": "handling time / logged-in time",
}


def empty_sums() -> dict[str, int]:
    """All rollup sums at zero."""
    return {name: 0 for name in (*SUM_NAMES, *MAX_NAMES, REWAITS)}


def add_sums(into: dict[str, int], other: Mapping[str, int]) -> dict[str, int]:
    """Merge `other` into `into`: sums add, maxima take the larger."""
    for name, value in other.items():
        if name in MAX_NAMES:
            into[name] = max(into.get(name, 0), int(value or 0))
        else:
            into[name] = into.get(name, 0) + int(value or 0)
    return into


def merged(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The merge of many sums."""
    out = empty_sums()
    for row in rows:
        add_sums(out, row)
    return out


def pct(part: float, whole: float) -> float | None:
    """Percentage, None when the whole is zero."""
    return None if not whole else 100.0 * part / whole


def avg_s(total_ms: float, n: float) -> float | None:
    """Average seconds, None when nothing was counted."""
    return None if not n else total_ms / n / 1000.0


def call_figures(s: Mapping[str, int], d: Definitions, per_queue: bool = False) -> dict[str, float | int | None]:
    """Named figures from merged call sums. per_queue: a queue's requests include calls overflowed into it."""
    requests = s["queued"] + (s["overflow_in"] if per_queue else 0)
    answered, abandoned = s["answered"], s["abandoned"]
    within = s[f"ans_le_{d.service_level_s}"]
    short = s[f"abn_le_{d.short_abandon_s}"]

    def less_abandons(treatment: str) -> int:
        if treatment == ABANDONS_INCLUDE:
            return requests
        if treatment == ABANDONS_EXCLUDE:
            return requests - abandoned
        return requests - short

    sl_base = less_abandons(d.abandons_in_service_level)
    sl_base -= s["cut"]         # a fault of the system is not the center's service to that caller
    ar_base = less_abandons(d.abandons_in_answer_rate)
    rated = sum(s[f"r{v}"] for v in d.valid_ratings)
    satisfied = sum(s[f"r{v}"] for v in d.satisfied_ratings)
    talk_ms = max(0, s["talk_ms"] - s["hold_ms"])
    return {
        "arrived": s["arrived"], "ivr_entered": s["ivr_entered"],
        "requests": requests, "queued": s["queued"], "overflow_in": s["overflow_in"], "overflowed": s["overflowed"],
        "rewaits": s.get(REWAITS, 0),
        "offered": s["offered"], "no_answer": s["no_answer"],
        "answered": answered, "answer_rate": pct(answered, ar_base),
        "answered_within": within, "service_level": pct(within, sl_base),
        "abandoned": abandoned, "abandoned_short": short, "abandoned_ringing": s["abandoned_ringing"],
        "abandon_rate": pct(abandoned, requests), "avg_abandon_s": avg_s(s["abandoned_wait_ms"], abandoned),
        "callbacks": s["callbacks"], "voicemails": s["voicemails"], "released": s["released"],
        "cut": s["cut"],
        "waited": s["waited"], "queue_time_s": s["waited_ms"] / 1000.0,
        "avg_wait_s": avg_s(s["waited_ms"], s["waited"]), "asa_s": avg_s(s["answered_wait_ms"], answered),
        "max_wait_s": s["max_wait_ms"] / 1000.0,
        "talks": s["talks"], "talk_s": talk_ms / 1000.0, "holds": s["holds"], "hold_s": s["hold_ms"] / 1000.0,
        "wrapups": s["wrapups"], "wrap_s": s["wrap_ms"] / 1000.0,
        "handle_s": (s["talk_ms"] + s["wrap_ms"]) / 1000.0, "aht_s": avg_s(s["talk_ms"] + s["wrap_ms"], s["talks"]),
        "transfers": s["transfers"], "transfer_s": s["transfer_ms"] / 1000.0,
        "rated": rated, "satisfied": satisfied, "satisfaction_rate": pct(satisfied, rated),
        "rating_rate": pct(rated, answered),
        "dialed": s["dialed"], "dialed_answered": s["dialed_answered"], "dialed_talk_s": s["dialed_talk_ms"] / 1000.0,
        "ended": s["ended"],
        "trunk_busy": s["trunk_busy"], "trunk_freed": s["trunk_freed"], "trunk_busy_s": s["trunk_busy_ms"] / 1000.0,
        "trunk_busy_avg_s": avg_s(s["trunk_busy_ms"], s["trunk_freed"]),
        "trunk_busy_max_s": s["trunk_busy_max_ms"] / 1000.0,
    }
