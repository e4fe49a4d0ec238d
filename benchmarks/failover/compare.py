"""The figures of a failover run: the engine's database against the simulated switch's own record of every caller.

Pure functions on plain values (the switch's GET /calls_log and /channels, dbread.snapshot, what the harness saw at
each kill), so they can be checked on hand-made inputs. A *caller* is an inbound leg of the switch.

  kills                    kills carried out (each followed by a takeover)
  takeover_s_p50 / _max    the SIGKILL to the first command about a call from the new engine's ESL connection
                           (takeover.py)
  calls                    callers the switch had (its calls_log, and any channel still alive at the end)
  calls_without_record     of those, callers with no row in call_records
  calls_counted_twice      callers with more than one call record (a record of the leg of an agent they were
                           consulted about counts as theirs), more than one `arrived` event, more than one `queued`
                           event for the same queue (the scenario's only transfers go to the consulted agent, and
                           it has no overflow: a caller enters a queue once), more than one `ended` event, or
                           served more than once: their own call bridged and callbacks bridged, more than one
                           conversation in all (each its record: a callback is a call record of its own, the
                           customer's leg). A consultation is part of the caller's one conversation: transferred to
                           the consulted agent, or left with them in conference, a caller is still one caller with
                           one record, served once; the consulted agent's leg is no conversation of its own
  queued_callers_lost      callers waiting in a queue at a kill (marked cc_phase=queued, their own hold music or an
                           agent's phone ringing for them) that afterwards were neither bridged to an agent, nor
                           ended by their own hang-up, nor left with a callback they asked for: hung up by the
                           system, still on the switch at the end, or hanging up themselves while the engine's
                           record says they were answered (waiting unserved: left in silence as far as the
                           engine knew)
  queue_order_violations   pairs of callers of the same queue and priority, both bridged, where the one that joined
                           the queue first was bridged more than ORDER_TOLERANCE_S after the other while it still
                           waited unserved: the phone that served it began ringing only after the later caller was
                           bridged, and the later caller joined before that (both waiting at once). A later caller
                           bridged first because its phone happened to answer sooner (a phone already ringing,
                           re-offered) is not a violation. Callers who asked for a callback are left out (their
                           callback keeps their place). A caller bridged again by a consultation (to the consulted
                           agent, or back to their own) counts as bridged when their agent answered (the engine's
                           cc_answered_at mark), not at that later bridge
  agents_needing_login     agents logged in before the first kill that end logged out, or not ready for a reason
                           the system set (system; no_answer, which only a failover can cause here: every phone
                           answers). Consulted agents are agents like any other: a consultation's end puts them
                           back to ready (no wrap-up of their own); agents still busy (reserved, talking, on hold,
                           wrap-up) once the floor has settled are shown in the detail (agents_busy_at_end)
"""
from __future__ import annotations

from collections import Counter, defaultdict

from benchmarks.load.figures import percentile

ORDER_TOLERANCE_S = 0.25        # every phone answers after the same ring: offers of one round bridge together
OWNER_GAP_S = 1.0               # conference: the agent whose leg outlived the other's by this much kept the caller
CALLER_ENDS = ("recv_bye", "recv_cancel")
SYSTEM_REASONS = ("system", "no_answer")
FAULT_OUTCOMES = ("switch_lost", "engine_stopped", "failed")
BUSY_STATES = ("reserved", "talking", "on_hold", "wrap_up")


def callers(calls_log: list[dict], live_after: list[dict]) -> dict[str, dict]:
    """uuid -> the switch's record of each caller (alive ones at the end as they were then)."""
    out = {c["uuid"]: c for c in live_after if c.get("direction") == "inbound"}
    out.update({c["uuid"]: c for c in calls_log if c.get("direction") == "inbound"})
    return out


def consulted_legs(calls_log: list[dict]) -> dict[str, str]:
    """The consulted parties' legs (outbound, marked cc_consult_of): leg uuid -> the caller consulted about."""
    return {leg["uuid"]: leg["variables"]["cc_consult_of"] for leg in calls_log
            if leg.get("direction") == "outbound" and (leg.get("variables") or {}).get("cc_consult_of")}


def counted_twice(records: list[dict], events: list[dict], calls_log: list[dict]) -> dict[str, list[str]]:
    """uuid -> what is there more than once for it: call records (its own, and any of a leg consulted about it),
    `arrived`, `queued` (per queue) or `ended` events, or conversations (its own call bridged to an agent, and the
    callbacks it asked for that were bridged: one request is served once)."""
    out: dict[str, list[str]] = defaultdict(list)
    consulted = consulted_legs(calls_log)
    for uuid, n in Counter(consulted.get(r["call_uuid"], r["call_uuid"]) for r in records).items():
        if n > 1:
            of_legs = sum(1 for r in records if consulted.get(r["call_uuid"]) == uuid)
            out[uuid].append(f"{n} call records" + (f" ({of_legs} of a consulted leg)" if of_legs else ""))
    by_kind = Counter((e["call_uuid"], e["kind"], e["queue_code"] if e["kind"] == "queued" else None)
                      for e in events if e["kind"] in ("arrived", "queued", "ended"))
    for (uuid, kind, queue), n in by_kind.items():
        if n > 1:
            out[uuid].append(f"{n} {kind}" + (f" ({queue})" if queue else ""))
    recorded = {r["call_uuid"] for r in records}
    served: dict[str, list[str]] = defaultdict(list)
    for leg in calls_log:
        origin = (leg.get("variables") or {}).get("cc_callback_of")
        if leg.get("direction") == "inbound" and leg.get("bridged_at"):
            served[leg["uuid"]].append("its call")
        elif leg.get("direction") == "outbound" and origin and leg.get("bridged_at"):
            served[origin].append(f"callback {leg['uuid'][:8]}" + ("" if leg["uuid"] in recorded else " (no record)"))
    for uuid, what in served.items():
        if len(what) > 1:
            out[uuid].append(f"served {len(what)} times: {', '.join(what)}")
    return dict(out)


def fate(caller: dict | None, alive: bool, record: dict | None, asked_callback: bool) -> str:
    """What became of a caller who waited in a queue at a kill: served, abandoned, callback, or why it was lost."""
    if alive:
        return "lost: still on the switch at the end"
    if caller is None:
        return "lost: unknown to the switch"
    if caller.get("bridged_at"):
        return "served"
    if asked_callback:
        return "callback"
    if caller.get("disposition") in CALLER_ENDS:
        if record is not None and record["outcome"] == "answered":
            return "lost: hung up unserved, recorded as answered"
        return "abandoned"
    return f"lost: hung up by the system ({caller.get('hangup_cause')}, record " \
           f"{record['outcome'] if record else 'none'})"


def served_offers(calls_log: list[dict]) -> dict[str, float]:
    """Caller uuid -> when the agent leg that was bridged to it was created (the phone that served it rang)."""
    out: dict[str, float] = {}
    for leg in calls_log:
        caller = (leg.get("variables") or {}).get("cc_call_uuid")
        if leg.get("direction") == "outbound" and caller and leg.get("bridged_at"):
            out[caller] = max(out.get(caller, 0.0), float(leg["created"]))
    return out


def first_bridged(caller: dict, consulted: bool) -> float:
    """When a caller was bridged to the agent who served them: the switch's bridge time, or for a caller that a
    consultation bridged again (to the consulted agent, or back to their own) the engine's mark of the answer."""
    bridged = float(caller["bridged_at"])
    answered = (caller.get("variables") or {}).get("cc_answered_at")
    return min(bridged, float(answered)) if consulted and answered else bridged


def order_violations(seen: dict[str, dict], served: dict[str, float], left_for_callback: set[str],
                     consulted: set[str] = frozenset()) -> list[dict]:
    """Pairs of one queue and priority where the later caller was bridged first while the earlier one still waited
    unserved, no phone ringing for it yet (module doc): {queue, priority, first, later: (uuid, enqueued, bridged)}.
    `consulted`: the callers whose agent consulted someone (first_bridged)."""
    groups: dict[tuple, list[tuple[float, float, str]]] = defaultdict(list)
    for uuid, c in seen.items():
        v = c.get("variables") or {}
        if c.get("bridged_at") and v.get("cc_queue") and v.get("cc_enqueued_at") and uuid not in left_for_callback:
            groups[(v["cc_queue"], str(v.get("cc_priority") or "0"))].append(
                (float(v["cc_enqueued_at"]), first_bridged(c, uuid in consulted), uuid))
    pairs = []
    for (queue, priority), entries in groups.items():
        entries.sort()
        for i, (enq_a, br_a, a) in enumerate(entries):
            rung_a = served.get(a, br_a)
            for enq_b, br_b, b in entries[i + 1:]:
                if enq_b > enq_a and br_b + ORDER_TOLERANCE_S < br_a and enq_b < rung_a and rung_a > br_b:
                    pairs.append({"queue": queue, "priority": priority, "first": (a, enq_a, br_a),
                                  "later": (b, enq_b, br_b)})
    return pairs


def needing_login(logged_in_before: set[str], agents: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    """employee_no -> its state at the end, for agents logged in before the first kill that now need to log in
    again or make themselves ready."""
    out = {}
    for no in sorted(logged_in_before):
        state, reason = agents.get(no, ("logged_out", None))
        if state == "logged_out" or (state == "not_ready" and reason in SYSTEM_REASONS):
            out[no] = state if state == "logged_out" else f"not_ready/{reason}"
    return out


def consultations(calls_log: list[dict], seen: dict[str, dict], records: dict[str, dict],
                  agent_ids: dict[int, str]) -> dict[str, dict]:
    """Caller uuid -> what the switch shows of the last consultation about the caller, and what the record says:
    {how (transferred, conference, back to the caller, not answered, answered but never joined to anyone), by and
    consulted (employee numbers), kept_by (the agent who had the caller at the end, when the switch tells: None for
    a conference that ended all at once), record_agent}."""
    by_time = sorted(calls_log, key=lambda c: float(c.get("created") or 0.0))
    consulted = consulted_legs(by_time)
    last = {consulted[leg["uuid"]]: leg for leg in by_time if leg["uuid"] in consulted}
    served_by = {(leg.get("variables") or {}).get("cc_call_uuid"): leg for leg in by_time
                 if leg.get("direction") == "outbound" and leg.get("bridged_at")}   # the last agent leg bridged
    out = {}
    for uuid, leg in last.items():
        if uuid not in seen:
            continue
        v, record = leg.get("variables") or {}, records.get(uuid)
        how, kept = _consult_end(seen[uuid], leg, served_by.get(uuid))
        out[uuid] = {"how": how, "by": v.get("cc_agent"), "consulted": v.get("cc_consulted"),
                     "kept_by": v.get("cc_agent") if kept == "consulting" else v.get("cc_consulted") if kept else None,
                     "record_agent": agent_ids.get(record["agent_id"]) if record and record["agent_id"] else None}
    return out


def _consult_end(caller: dict, leg: dict, agent_leg: dict | None) -> tuple[str, str | None]:
    """(how a consultation ended on the switch, whose agent kept the caller: consulting, consulted or None)."""
    v = leg.get("variables") or {}
    if not leg.get("answered_at"):
        return "not answered", "consulting"
    if (caller.get("variables") or {}).get("last_bridge_to") == leg["uuid"]:
        return "transferred", "consulted"
    in_conference = "conference" in (leg.get("application"), v.get("last_app"))
    if not leg.get("bridged_at") and not in_conference:
        return "answered, never joined", "consulting"       # the consulted party talked with nobody
    if in_conference:
        ended_agent = float(agent_leg["ended"]) if agent_leg else 0.0
        ended_other = float(leg.get("ended") or 0.0)
        if ended_other - ended_agent >= OWNER_GAP_S:
            return "conference", "consulted"
        return "conference", ("consulting" if ended_agent - ended_other >= OWNER_GAP_S else None)
    return "back to the caller", "consulting"


def figures(calls_log: list[dict], live_after: list[dict], db: dict, queued_at_kills: dict[str, float],
            callback_pressed: dict[str, float], logged_in_before: set[str], takeovers: list[float],
            outages: list[tuple[float, float]], t0: float = 0.0,
            consulting_at_kills: dict[str, str] | None = None) -> tuple[dict, dict]:
    """(the figures of the last line, the detail behind them). `outages`: (kill, takeover) moments, when no engine
    commanded the switch; `t0`: the start of the arrivals (the detail's times are seconds from it);
    `consulting_at_kills`: caller uuid -> the kill and its phase then ("kill 2: conference"), for the callers whose
    agent was consulting or in conference at a kill, or who had just been transferred to the consulted agent."""
    seen = callers(calls_log, live_after)
    alive = {c["uuid"] for c in live_after if c.get("direction") == "inbound"}
    records = {r["call_uuid"]: r for r in db["records"]}
    twice = {u: why for u, why in counted_twice(db["records"], db["events"], calls_log).items() if u in seen}
    asked = set(callback_pressed) | {e["call_uuid"] for e in db["events"] if e["kind"] == "callback_requested"}
    fates = {u: fate(seen.get(u), u in alive, records.get(u), u in asked) for u in queued_at_kills}
    lost = {u: f for u, f in fates.items() if f.startswith("lost")}
    without = sorted(set(seen) - set(records))
    consulted = consultations(calls_log, seen, records, db.get("agent_ids", {}))
    pairs = order_violations(seen, served_offers(calls_log), asked, set(consulted))
    relogin = needing_login(logged_in_before, db["agents"])
    figs = {"kills": len(takeovers), "takeover_s_p50": _round(percentile(takeovers, 50)),
            "takeover_s_max": _round(max(takeovers) if takeovers else None), "calls": len(seen),
            "calls_without_record": len(without), "calls_counted_twice": len(twice),
            "queued_callers_lost": len(lost), "queue_order_violations": len(pairs),
            "agents_needing_login": len(relogin)}
    rel = lambda t: round(t - t0, 2)  # noqa: E731
    detail = {"without_record": _without_record_detail(without, seen, outages),
              "counted_twice": dict(sorted(twice.items())[:10]),
              "queued_at_kills": len(queued_at_kills), "fates_of_queued_at_kills": dict(Counter(
                  f.split(" (")[0] for f in fates.values())),
              "lost": dict(sorted(lost.items())[:10]),
              "order_violations": [f"{p['queue']}/{p['priority']}: {p['first'][0]} enqueued t={rel(p['first'][1])} "
                                   f"bridged t={rel(p['first'][2])}, after {p['later'][0]} enqueued "
                                   f"t={rel(p['later'][1])} bridged t={rel(p['later'][2])}" for p in pairs[:10]],
              "fault_records": _fault_records(records, {c["uuid"]: c for c in calls_log}, outages, rel),
              "agents_needing_login": relogin,
              "agents_busy_at_end": {no: st for no, (st, _r) in sorted(db["agents"].items()) if st in BUSY_STATES},
              "consultations": dict(Counter(c["how"] for c in consulted.values())),
              "consulted_calls_kept_by_another_agent": _kept_wrong(consulted),
              "consulting_at_kills": _consulting_at_kills(consulting_at_kills or {}, seen, live_after, records,
                                                          twice, consulted),
              "record_outcomes": dict(Counter(r["outcome"] for r in db["records"])),
              "callbacks": dict(Counter(st for st, _n in db["callbacks"].values())),
              "callbacks_dialled_more_than_once": _dialled_twice(calls_log),
              "callback_keys_pressed": len(callback_pressed),
              "agent_requests": db["requests"], "not_ready_changes": db["not_ready_changes"],
              "agents_set_aside": db["set_aside"][:10]}
    return figs, detail


def _kept_wrong(consulted: dict[str, dict]) -> dict[str, str]:
    """Consulted calls whose record names another agent than the one the switch shows keeping the caller."""
    return {u: f"{c['how']}: kept by {c['kept_by']} on the switch, the record names {c['record_agent']}"
            for u, c in sorted(consulted.items())
            if c["kept_by"] is not None and c["record_agent"] != c["kept_by"]}


def _consulting_at_kills(at_kills: dict[str, str], seen: dict[str, dict], live_after: list[dict],
                         records: dict[str, dict], twice: dict[str, list[str]], consulted: dict[str, dict]) -> dict:
    """Caller uuid -> what became of each caller a consultation was about at a kill (consulting, in conference,
    transferred): how the consultation ended on the switch and who kept the caller, how the caller's leg ended, the
    record (outcome, agent) and anything counted twice."""
    alive = {c["uuid"] for c in live_after}
    out = {}
    for uuid, when in sorted(at_kills.items(), key=lambda kv: kv[1]):
        caller, record, k = seen.get(uuid) or {}, records.get(uuid), consulted.get(uuid) or {}
        ended = "still alive" if uuid in alive else f"{caller.get('hangup_cause')}/{caller.get('disposition')}"
        recorded = f"{record['outcome']}, agent {k.get('record_agent')}" if record else "none"
        out[uuid] = (f"{when}; then {k.get('how', 'no consulted leg')} (by {k.get('by')}, consulted "
                     f"{k.get('consulted')}, kept by {k.get('kept_by')}); the caller: {ended}; record: {recorded}"
                     + (f"; twice: {', '.join(twice[uuid])}" if uuid in twice else ""))
    return out


def _dialled_twice(calls_log: list[dict]) -> dict[str, str]:
    """Callbacks whose customer was dialled more than once (nobody here leaves a callback unanswered: the outside
    line always answers), with how each dial ended."""
    dials: dict[str, list[str]] = defaultdict(list)
    for leg in sorted(calls_log, key=lambda c: float(c.get("created") or 0.0)):
        origin = (leg.get("variables") or {}).get("cc_callback_of")
        if leg.get("direction") == "outbound" and origin:
            dials[origin].append(f"{leg['uuid'][:8]} {leg.get('hangup_cause')}"
                                 f"{' bridged' if leg.get('bridged_at') else ''}")
    return {origin: ", ".join(d) for origin, d in dials.items() if len(d) > 1}


def _fault_records(records: dict[str, dict], legs: dict[str, dict], outages: list[tuple[float, float]], rel) -> list:
    """Records with a fault outcome (the system cut the call), beside how the switch says the leg ended (a caller's,
    or a called-back customer's)."""
    out = []
    for uuid, r in sorted(records.items()):
        c = legs.get(uuid)
        if r["outcome"] in FAULT_OUTCOMES and c is not None:
            ended = float(c.get("ended") or 0.0)
            out.append(f"{uuid} ({c.get('direction')}{', bridged' if c.get('bridged_at') else ''}): "
                       f"{r['outcome']}/{r['hangup_side']} in the record; the switch: "
                       f"{c.get('hangup_cause')}/{c.get('disposition')} at t={rel(ended)}"
                       + (" while no engine commanded" if any(a <= ended <= b for a, b in outages) else ""))
    return out[:10]


def _without_record_detail(without: list[str], seen: dict[str, dict], outages: list[tuple[float, float]]) -> dict:
    """How the callers with no record ended on the switch (cause/disposition), how many of them ended while no
    engine commanded the switch (between a kill and the takeover), with a few uuids."""
    how = Counter(f"{seen[u].get('hangup_cause')}/{seen[u].get('disposition')}"
                  f"{'/bridged' if seen[u].get('bridged_at') else ''}" for u in without)

    def in_outage(u: str) -> bool:
        ended = float(seen[u].get("ended") or 0.0)
        return any(a <= ended <= b for a, b in outages)
    during = [u for u in without if in_outage(u)]
    return {"by_end": dict(how), "ended_with_no_engine": len(during),
            "uuids": sorted(without, key=lambda u: (u not in during, u))[:10]}


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)
