"""The day's figures and correctness checks, from the engine's database and the simulator's call log.

All durations are reported in simulated seconds: the switch and the engine run on one accelerated clock
(engine.clock), so stored timestamps are simulated epochs of today; engine latency is magnified by 1/time_scale
in them (the figures are conservative).
"""
from __future__ import annotations

import dataclasses
import statistics
from collections import Counter, defaultdict

from sqlalchemy import select

from engine.domain.states import AgentState, CallOutcome
from engine.store.models import Agent, AgentSkill, AgentStateChange, CallOffer, CallRecord, Queue, QueueSkill
from engine.store.repos import to_epoch
from engine.store.session import make_engine, make_session_factory, transaction

from .profile import HALF_HOUR_S, hhmm
from .simulation import RunData

SL_THRESHOLD_S = 20.0       # answered within this many seconds of entering the queue
SHORT_ABANDON_S = 5.0       # abandons sooner than this are left out of the service level
OVERLAP_TOLERANCE_S = 0.0   # wall-clock seconds two offers of one agent may touch without counting


@dataclasses.dataclass
class QueueFigures:
    entered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    timed_out: int = 0
    waits_answered: list = dataclasses.field(default_factory=list)
    waits_all: list = dataclasses.field(default_factory=list)
    abandon_times: list = dataclasses.field(default_factory=list)
    talk: list = dataclasses.field(default_factory=list)

    @property
    def service_level(self) -> float | None:
        base = self.entered - self.short_abandons
        return self.answered_in_sl / base if base else None

    @property
    def asa(self) -> float | None:
        return _mean(self.waits_answered)

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.entered if self.entered else None


@dataclasses.dataclass
class Report:
    figures: dict
    checks: dict                        # name -> count (all must be 0)
    text: str

    @property
    def ok(self) -> bool:
        return not any(self.checks.values())


def _mean(values) -> float | None:
    return statistics.fmean(values) if values else None


def _pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def build(run: RunData) -> Report:
    clock = run.clock
    eng = make_engine(run.database_url)
    with transaction(make_session_factory(eng)) as s:
        records = {r.call_uuid: r for r in s.scalars(select(CallRecord))}
        offers = list(s.scalars(select(CallOffer).order_by(CallOffer.id)))
        changes = list(s.scalars(select(AgentStateChange).order_by(AgentStateChange.id)))
        agent_skills = defaultdict(dict)
        for row in s.scalars(select(AgentSkill)):
            agent_skills[row.agent_id][row.skill_id] = row.level
        queue_ids = {q.code: q.id for q in s.scalars(select(Queue))}
        queue_codes = {v: k for k, v in queue_ids.items()}
        queue_skills = defaultdict(dict)
        for row in s.scalars(select(QueueSkill)):
            queue_skills[row.queue_id][row.skill_id] = row.min_level
        db_agents = {a.id: a for a in s.scalars(select(Agent))}
    eng.dispose()

    def sim(dt) -> float:
        return clock.sim(to_epoch(dt))

    def qualifies(agent_id, queue_id) -> bool:
        have = agent_skills.get(agent_id, {})
        return all(have.get(sk, 0) >= lv for sk, lv in queue_skills.get(queue_id, {}).items())

    # ---------------------------------------------------------------- calls
    placed = run.placed
    outcomes = Counter(r.outcome.value for r in records.values())
    total = QueueFigures()
    per_queue: dict[str, QueueFigures] = defaultdict(QueueFigures)
    per_half: dict[int, dict] = defaultdict(lambda: {"calls": 0, "q": QueueFigures()})
    ivr_s = {"key": [], "none": []}
    outside_choice = 0
    for uuid, caller in placed.items():
        half = int(caller.at // HALF_HOUR_S) * HALF_HOUR_S
        per_half[half]["calls"] += 1
        rec = records.get(uuid)
        if rec is None or rec.enqueued_at is None:
            continue
        chosen = next((p[6:] for p in rec.ivr_path.split(" > ") if p.startswith("queue:")), caller.queue)
        enq = sim(rec.enqueued_at)
        ivr_s["key" if caller.digits else "none"].append(enq - sim(rec.started_at))
        end = sim(rec.answered_at) if rec.answered_at else sim(rec.ended_at)
        wait = end - enq
        for fig in (total, per_queue[chosen], per_half[half]["q"]):
            fig.entered += 1
            fig.waits_all.append(wait)
            if rec.outcome is CallOutcome.ANSWERED:
                fig.answered += 1
                fig.waits_answered.append(wait)
                fig.answered_in_sl += wait <= SL_THRESHOLD_S
                fig.talk.append(sim(rec.ended_at) - sim(rec.answered_at))
            elif rec.outcome is CallOutcome.ABANDONED:
                fig.abandoned += 1
                fig.abandon_times.append(wait)
                fig.short_abandons += wait < SHORT_ABANDON_S
            elif rec.outcome is CallOutcome.TIMED_OUT:
                fig.timed_out += 1
        if rec.outcome is CallOutcome.ANSWERED and rec.queue_id is not None and queue_codes.get(rec.queue_id) != chosen:
            outside_choice += 1

    # ------------------------------------------------------------- wrap-up
    wraps: list[float] = []
    last: dict[int, AgentStateChange] = {}
    for ch in changes:
        prev = last.get(ch.agent_id)
        if prev is not None and prev.to_state is AgentState.WRAP_UP:
            wraps.append(to_epoch(ch.at) - to_epoch(prev.at))     # the shared clock: simulated seconds
        last[ch.agent_id] = ch

    # -------------------------------------------------------------- offers
    results = Counter(o.result for o in offers)
    misrouted_offers = [o for o in offers if o.agent_id is not None and not qualifies(o.agent_id, queue_ids.get(
        o.queue_code))]
    misrouted_calls = [r for r in records.values() if r.outcome is CallOutcome.ANSWERED and r.agent_id is not None
                       and not qualifies(r.agent_id, r.queue_id)]
    # an agent is busy with an offer from the moment it is made until it is settled, or, when answered,
    # until the call ends: two such intervals of one agent must never overlap
    by_agent: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for o in offers:
        start, stop = to_epoch(o.offered_at), to_epoch(o.settled_at)
        if o.result == "answered":
            rec = records.get(o.call_uuid)
            stop = to_epoch(rec.ended_at) if rec is not None else float("inf")
        by_agent[o.agent_id].append((start, stop, o.call_uuid, o.result))
    double_pairs, double_agents, doubles = 0, set(), []
    for agent_id, spans in by_agent.items():
        spans.sort()
        busy_until, busy_with = float("-inf"), None
        for span in spans:
            start, stop = span[0], span[1]
            if start < busy_until - OVERLAP_TOLERANCE_S:
                double_pairs += 1
                double_agents.add(agent_id)
                doubles.append((agent_id, busy_with, span))
            if stop > busy_until:
                busy_until, busy_with = stop, span
    # the same from the phones' side: legs the simulator created towards one extension, overlapping
    legs = defaultdict(list)
    inbound_destroyed = Counter()
    for ch in run.calls_log:
        if ch.get("direction") == "outbound":
            legs[ch.get("destination_number")].append((ch["created"], ch["ended"]))
        elif ch.get("direction") == "inbound":
            inbound_destroyed[ch["uuid"]] += 1
    phone_overlaps = 0
    for spans in legs.values():
        spans.sort()
        busy_until = float("-inf")
        for start, stop in spans:
            if start < busy_until:
                phone_overlaps += 1
            busy_until = max(busy_until, stop)

    # --------------------------------------------------------------- lost
    live_callers = [ch for ch in run.live_detail if ch.get("direction") == "inbound"]
    live_agent_legs = [ch for ch in run.live_detail if ch.get("direction") != "inbound"]
    no_record = [u for u in placed if u not in records]
    not_placed = [u for u in records if u not in placed]
    never_ended = [u for u in placed if inbound_destroyed[u] == 0]
    stuck = {aid: st for aid, st in run.agents_after.items() if st[0] in (AgentState.RESERVED.value,
                                                                           AgentState.TALKING.value)}
    max_wrap = max(t.wrap_up_real for t in run.seeded.timers.values())
    stuck_wrap = {aid: st for aid, st in run.agents_after.items()
                  if st[0] == AgentState.WRAP_UP.value and st[1] > 2 * max_wrap + 1}
    db_stuck = [a.id for a in db_agents.values() if a.state in (AgentState.RESERVED, AgentState.TALKING)]

    # ------------------------------------------------------------- agents
    avail_by_half: dict[int, list[float]] = defaultdict(list)
    occ_by_half: dict[int, list[float]] = defaultdict(list)
    n_agents = len(run.seeded.agents)
    for t, states in run.samples:
        if not run.options.start <= t < run.arrivals_end:
            continue
        not_ready = states.get("not_ready", 0) + states.get("logged_out", 0)
        available = n_agents - not_ready
        working = states.get("talking", 0) + states.get("reserved", 0) + states.get("wrap_up", 0)
        half = int(t // HALF_HOUR_S) * HALF_HOUR_S
        avail_by_half[half].append(available / n_agents)
        if available:
            occ_by_half[half].append(working / available)
    all_avail = [v for vs in avail_by_half.values() for v in vs]
    all_occ = [v for vs in occ_by_half.values() for v in vs]

    checks = {
        "offers to an agent lacking the queue's skill": len(misrouted_offers),
        "answered calls whose agent lacks the queue's skill": len(misrouted_calls),
        "agents offered two calls at once (offer log)": len(double_agents),
        "overlapping legs on one agent phone (simulator)": phone_overlaps,
        "calls placed without exactly one call record": len(no_record),
        "call records for calls never placed": len(not_placed),
        "caller legs still up on the switch after the run": len(set(never_ended) | {c["uuid"] for c in live_callers}),
        "calls still in the engine after the run": run.floor_calls_after,
        "agents left ringing/talking after the run (engine)": len(stuck),
        "agents left ringing/talking after the run (database)": len(db_stuck),
        "agents stuck in wrap-up after the run": len(stuck_wrap),
        "agent legs left up on the switch (phone off-hook)": len(live_agent_legs),
    }
    talk = total.talk
    wrap_mean = _mean(wraps)
    figures = {
        "placed": len(placed), "outcomes": dict(outcomes), "entered_queue": total.entered,
        "answered": total.answered, "abandoned": total.abandoned, "timed_out": total.timed_out,
        "mean_time_to_abandon": _mean(total.abandon_times), "service_level": total.service_level,
        "asa": total.asa, "average_wait": _mean(total.waits_all), "p90_wait_answered": _pct(total.waits_answered, 90),
        "aht": (_mean(talk) or 0) + (wrap_mean or 0) if talk else None, "talk_mean": _mean(talk),
        "wrap_mean": wrap_mean, "abandon_rate": total.abandon_rate,
        "answer_rate": total.answered / total.entered if total.entered else None,
        "offers": len(offers), "offer_results": dict(results),
        "no_answer_share": results.get("no_answer", 0) / len(offers) if offers else None,
        "availability": _mean(all_avail), "occupancy": _mean(all_occ),
        "per_queue": {q: _fig_dict(f) for q, f in sorted(per_queue.items())},
        "ivr_seconds": {k: _mean(v) for k, v in ivr_s.items()}, "answered_outside_choice": outside_choice,
        "double_offer_pairs": double_pairs, "doubles": doubles, "lateness_p99": _pct(run.lateness, 99),
        "lateness_max": max(run.lateness) if run.lateness else None,
    }
    text = _format(run, figures, checks, total, per_queue, per_half, avail_by_half, occ_by_half, misrouted_offers,
                   stuck, db_stuck, no_record, live_agent_legs)
    return Report(figures, checks, text)


def _fig_dict(f: QueueFigures) -> dict:
    return {"entered": f.entered, "answered": f.answered, "abandoned": f.abandoned, "timed_out": f.timed_out,
            "service_level": f.service_level, "asa": f.asa, "average_wait": _mean(f.waits_all),
            "abandon_rate": f.abandon_rate, "talk_mean": _mean(f.talk), "mean_time_to_abandon": _mean(
                f.abandon_times)}


def _s(v, unit=" s", digits=1) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}{unit}"


def _p(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def clock_text(run, ts: float) -> str:
    """A simulated epoch as the run's local time of day, to the millisecond."""
    import datetime as dt
    return dt.datetime.fromtimestamp(ts).strftime("%H:%M:%S.%f")[:-3]


def _format(run, fig, checks, total, per_queue, per_half, avail_by_half, occ_by_half, misrouted, stuck, db_stuck,
            no_record, live_agent_legs) -> str:
    o = run.options
    t = run.seeded.timers
    lines = []
    add = lines.append
    add("=" * 78)
    add(f"12366 working day — {len(run.seeded.agents)} agents simulated, "
        f"{hhmm(o.start)}-{hhmm(o.start + o.hours * 3600)}, "
        f"{'deadline day (x%.1f)' % run.profile.deadline_factor if o.deadline_day else 'normal day'}, "
        f"{run.profile.volume(o.deadline_day) * o.volume_factor:.0f} calls/day profile, seed {o.seed}")
    add(f"time scale {o.time_scale:.5g}: {run.wall_s:.0f} s wall clock ({run.cpu_s:.0f} s CPU) for "
        f"{(run.drained_at - o.start) / 3600:.2f} simulated hours; {run.events_handled} engine events; "
        f"arrivals late by p99 {_s(fig['lateness_p99'])} / max {_s(fig['lateness_max'])} (simulated); "
        f"TCP_NODELAY on simulator sockets: {'yes' if run.nodelay_sockets else 'no'}")
    add("queue timers (the engine's, on the shared clock): " + "; ".join(
        f"{q.code} wrap-up {q.wrap_up_real} s, max wait {q.max_wait_real} s"
        + "".join(f", {a} {d} after {r} s" for _s, r, a, d in q.steps) for q in t.values()))
    add("-" * 78)
    add(f"calls offered (placed, reached the menu)  {fig['placed']:6d}")
    add(f"  entered a queue                          {fig['entered_queue']:6d}")
    add(f"  answered                                 {fig['answered']:6d}   answer rate {_p(fig['answer_rate'])}")
    add(f"  abandoned in queue                       {fig['abandoned']:6d}   abandon rate {_p(fig['abandon_rate'])}, "
        f"mean time to abandon {_s(fig['mean_time_to_abandon'])}")
    add(f"  released at the maximum wait             {fig['timed_out']:6d}")
    others = {k: v for k, v in fig["outcomes"].items() if k not in ("answered", "abandoned", "timed_out")}
    add(f"  other outcomes                           {others or 'none'}")
    add(f"service level {_p(fig['service_level'])}  (answered within {SL_THRESHOLD_S:.0f} s of entering the queue / "
        f"calls entering a queue, abandons within {SHORT_ABANDON_S:.0f} s excluded)")
    add(f"ASA {_s(fig['asa'])}   average wait (all queued calls) {_s(fig['average_wait'])}   "
        f"90th pct wait (answered) {_s(fig['p90_wait_answered'])}")
    add(f"AHT {_s(fig['aht'])}  = talk {_s(fig['talk_mean'])} + wrap-up {_s(fig['wrap_mean'])} (measured)")
    add(f"IVR time to the queue: with a key {_s(fig['ivr_seconds']['key'])}, pressing nothing "
        f"{_s(fig['ivr_seconds']['none'])} (planned {run.ivr_offset['key']:.1f} / {run.ivr_offset['none']:.1f} s)")
    add(f"agents available (not on a break / not ready) {_p(fig['availability'])} of seats on average; "
        f"occupancy of available agents {_p(fig['occupancy'])}")
    add("-" * 78)
    add(f"{'queue (caller choice)':22s} {'entered':>7s} {'answ':>6s} {'aband':>6s} {'SL':>7s} {'ASA':>7s} "
        f"{'wait':>7s} {'talk':>7s} {'abn %':>6s}")
    for q, f in sorted(per_queue.items()):
        add(f"{q:22s} {f.entered:7d} {f.answered:6d} {f.abandoned:6d} {_p(f.service_level):>7s} "
            f"{_s(f.asa, '', 1):>7s} {_s(_mean(f.waits_all), '', 1):>7s} {_s(_mean(f.talk), '', 0):>7s} "
            f"{_p(f.abandon_rate):>6s}")
    if fig["answered_outside_choice"]:
        add(f"  (answered in another queue after an overflow step: {fig['answered_outside_choice']})")
    add("-" * 78)
    add(f"{'half hour':9s} {'calls':>6s} {'answ':>6s} {'SL':>7s} {'ASA':>7s} {'abn %':>6s} {'avail':>6s} "
        f"{'occup':>6s}")
    for half in sorted(per_half):
        h = per_half[half]
        q = h["q"]
        add(f"{hhmm(half):9s} {h['calls']:6d} {q.answered:6d} {_p(q.service_level):>7s} {_s(q.asa, '', 1):>7s} "
            f"{_p(q.abandon_rate):>6s} {_p(_mean(avail_by_half.get(half, []))):>6s} "
            f"{_p(_mean(occ_by_half.get(half, []))):>6s}")
    add("-" * 78)
    res = fig["offer_results"]
    add(f"offers {fig['offers']}: " + ", ".join(f"{k} {v}" for k, v in sorted(res.items(), key=lambda kv: -kv[1])))
    add(f"no-answers {res.get('no_answer', 0)} = {_p(fig['no_answer_share'])} of offers; phones set to ring out: "
        f"{run.schedule.flips}")
    add(f"schedule requests (actor 'schedule'): {run.schedule.requests}")
    add("-" * 78)
    add("correctness checks (all must be 0):")
    for name, n in checks.items():
        add(f"  {name:55s} {n}")
    add(f"  -> R-ACD-6 routing errors: {len(misrouted)} in {fig['offers']} offers "
        f"(requirement: <= 1 in 10,000)")
    for o in misrouted[:5]:
        add(f"     misrouted: call {o.call_uuid} agent {o.agent_id} queue {o.queue_code}")
    for aid, st in list(stuck.items())[:5]:
        add(f"     stuck: agent {aid} {st[0]} for {st[1]:.1f} s")
    for u in no_record[:5]:
        add(f"     no record: {u}")
    for agent_id, before, this in fig.get("doubles", [])[:5]:
        add(f"     two offers at once: agent {agent_id}: call {before[2]} ({before[3]}) busy "
            f"{clock_text(run, before[0])}-{clock_text(run, before[1])}, call {this[2]} ({this[3]}) offered "
            f"{clock_text(run, this[0])}")
    for ch in live_agent_legs[:5]:
        add(f"     agent leg up: extension {ch.get('destination_number')} {ch.get('callstate')} "
            f"application {ch.get('application')} bridged to {ch.get('bridged_to')}")
    add("RESULT: " + ("all checks passed" if not any(checks.values()) else "CHECKS FAILED"))
    if run.warnings.counts:
        add("-" * 78)
        add("engine warnings/errors by kind (count, first example):")
        for shape, n in run.warnings.counts.most_common(8):
            add(f"  {n:6d}  {run.warnings.examples[shape][:150]}")
    add("=" * 78)
    return "\n".join(lines)
