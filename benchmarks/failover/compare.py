"""The figures of a failover run: the engine's database against the simulated switch's record of every caller.

* calls: caller legs the switch had (its calls_log, inbound).
* calls_without_record: such callers with no call record.
* calls_counted_twice: callers with more than one `arrived`, `queued` or `ended` log entry.
* queued_callers_lost: callers waiting in a queue at a kill (cc_phase=queued on their channel) that were afterwards
  neither bridged to an agent nor ended by their own hang-up (BYE/CANCEL from the caller), or never ended at all.
* queue_order_violations: pairs of callers of the same queue and priority, both offered to an agent, where the one
  that joined the queue first was first offered more than ORDER_TOLERANCE_S after the other (it was still waiting).
* agents_needing_login: agents logged in before the first kill that end logged out or not ready for a system reason.
"""
from __future__ import annotations

import sqlite3
from collections import Counter

ORDER_TOLERANCE_S = 0.010       # offers of one dispatch round leave within milliseconds of each other
CALLER_ENDS = ("recv_bye", "recv_cancel")


def callers(calls_log: list[dict]) -> dict[str, dict]:
    return {c["uuid"]: c for c in calls_log if c.get("direction") == "inbound"}


def first_offers(calls_log: list[dict]) -> dict[str, float]:
    """Caller uuid -> when an agent's phone was first rung for it (agent legs carry cc_call_uuid)."""
    out: dict[str, float] = {}
    for leg in calls_log:
        caller = (leg.get("variables") or {}).get("cc_call_uuid")
        if leg.get("direction") == "outbound" and caller:
            out[caller] = min(out.get(caller, float("inf")), float(leg["created"]))
    return out


def figures(calls_log: list[dict], live_after: list[dict], queued_at_kills: set[str], db_path: str,
            logged_in_before: set[str], takeovers: list[float]) -> dict:
    seen = callers(calls_log)
    alive = {c["uuid"] for c in live_after if c.get("direction") == "inbound"}
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        recorded = {u for (u,) in con.execute("select call_uuid from call_records")}
        kinds = Counter((u, k) for u, k in con.execute(
            "select call_uuid, kind from call_events where kind in ('arrived', 'queued', 'ended')"))
        final = {no: (state, reason) for no, state, reason in con.execute(
            "select employee_no, state, not_ready_reason from agents")}
    finally:
        con.close()
    twice = {u for (u, _k), n in kinds.items() if n > 1}
    lost = set()
    for uuid in queued_at_kills:
        c = seen.get(uuid)
        if uuid in alive or c is None:
            lost.add(uuid)
        elif not c.get("bridged_at") and c.get("disposition") not in CALLER_ENDS:
            lost.add(uuid)
    offers = first_offers(calls_log)
    by_queue: dict[tuple, list[tuple[float, float]]] = {}
    for uuid, c in seen.items():
        v = c.get("variables") or {}
        if uuid in offers and v.get("cc_queue") and v.get("cc_enqueued_at"):
            by_queue.setdefault((v["cc_queue"], v.get("cc_priority", "0")), []).append(
                (float(v["cc_enqueued_at"]), offers[uuid]))
    violations = 0
    for entries in by_queue.values():
        entries.sort()
        for i, (enq_a, off_a) in enumerate(entries):
            for enq_b, off_b in entries[i + 1:]:
                if enq_b > enq_a and off_a > off_b + ORDER_TOLERANCE_S and enq_b < off_b:
                    violations += 1
    relogin = {no for no in logged_in_before
               if final.get(no, ("logged_out", None))[0] == "logged_out"
               or final.get(no) == ("not_ready", "system")}
    ordered = sorted(takeovers)

    def pct(p: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)
    return {"kills": len(takeovers), "takeover_s_p50": pct(50), "takeover_s_max": round(max(ordered), 2) if ordered
            else None, "calls": len(seen), "calls_without_record": len(set(seen) - recorded),
            "calls_counted_twice": len(twice & set(seen)), "queued_callers_lost": len(lost),
            "queue_order_violations": violations, "agents_needing_login": len(relogin),
            "_detail": {"without_record": sorted(set(seen) - recorded)[:10], "twice": sorted(twice)[:10],
                        "lost": sorted(lost)[:10], "relogin": sorted(relogin)}}
