"""Agent statistics (R-RPT-3): logged-in time, not-ready / idle / rest / ready-idle counts, totals, averages
and maxima, handled calls, handling and talk time, transfers, occupancy, utilization, satisfaction.

State time comes from agent_state_changes: closed days from the daily rollup (report_agent_day), today and
days not folded yet live from the log. Episodes are split at local midnight, so an agent logged in across
midnight has the part before it on one day and the rest on the next; each day's piece counts once (count,
maximum) in the interval it starts in, and its time is spread over the intervals it covers.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.states import AgentState
from engine.reports import rollups
from engine.reports.definitions import Definitions
from engine.reports.figures import add_sums, avg_s, call_figures, empty_sums, pct
from engine.reports.periods import DAY_S, INTERVAL_S, day_start, period_of
from engine.reports.queries import dimension_map, sums_by, uses_daily_table
from engine.store.base import utcnow
from engine.store.models import AgentStateChange
from engine.store.models.reports import ReportAgentDay

HANDLING = (AgentState.RESERVED.value, AgentState.TALKING.value, AgentState.ON_HOLD.value, AgentState.WRAP_UP.value)
CALL_ARRIVED = (AgentState.RESERVED.value, AgentState.TALKING.value)   # a ready period ended by a call
StateKey = tuple[str, str, str]     # state, reason, ended_into


def _utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def _step(grain: str) -> int:
    return INTERVAL_S if grain == "interval" else 3600


def _add_piece(acc: dict, key: tuple, length: int, count: int) -> None:
    cell = acc.setdefault(key, [0, 0, 0])
    cell[0] += length
    cell[1] += count
    if count:
        cell[2] = max(cell[2], length)


def state_sums(session: Session, start: int, end: int, grain: str, now: dt.datetime | None = None
               ) -> dict[tuple[int, int], dict[StateKey, list[int]]]:
    """{(period start, agent): {(state, reason, ended_into): [ms, pieces, longest piece ms]}} over [start, end)."""
    now_ts = int((now or utcnow()).timestamp())
    out: dict[tuple[int, int], dict[StateKey, list[int]]] = defaultdict(dict)
    folded = rollups._folded_until(session) or day_start(start)
    if uses_daily_table(start, end, grain):
        live_from = max(start, min(end, folded))
        t = ReportAgentDay
        for row in session.scalars(select(t).where(t.day >= start, t.day < live_from)):
            p_start = period_of(row.day, grain)[0] if grain != "range" else start
            cell = out[(p_start, row.agent_id)].setdefault((row.state, row.reason, row.ended_into), [0, 0, 0])
            cell[0] += row.seconds_ms
            cell[1] += row.episodes
            cell[2] = max(cell[2], row.max_ms)
        live_start = live_from
    else:
        live_start = day_start(start)
    live_end = min(end, now_ts)
    if live_start >= live_end:
        return out
    horizon = min(now_ts, day_start(end - 1) + DAY_S)    # whole day pieces, so maxima match the daily rollup
    by_agent = rollups.load_changes(session, _utc(live_start), _utc(horizon))
    sub_day = grain in ("interval", "hour")
    for changes in by_agent.values():
        for piece in rollups.state_pieces(changes, live_start * 1000, horizon * 1000):
            key = (piece.state, piece.reason, piece.ended_into)
            p0 = piece.start_ms // 1000
            if not sub_day:
                if not start <= p0 < end:
                    continue
                p_start = period_of(p0, grain)[0] if grain != "range" else start
                length = min(piece.end_ms, end * 1000) - piece.start_ms
                _add_piece(out[(p_start, piece.agent_id)], key, length, 1)
                continue
            step = _step(grain)
            t = piece.start_ms
            while t < piece.end_ms:
                bucket = (t // 1000 // step) * step
                seg_end = min(piece.end_ms, (bucket + step) * 1000)
                if start <= bucket < end:
                    counted = 1 if t == piece.start_ms else 0
                    cell = out[(bucket, piece.agent_id)].setdefault(key, [0, 0, 0])
                    cell[0] += seg_end - t
                    cell[1] += counted
                    if counted:
                        cell[2] = max(cell[2], piece.end_ms - piece.start_ms)
                t = seg_end
    return out


@dataclasses.dataclass(frozen=True)
class Stat:
    """Count, total, average and maximum of one kind of period (seconds)."""

    count: int
    total_s: float
    avg_s: float | None
    max_s: float


def _stat(cells: list[list[int]]) -> Stat:
    count = sum(c[1] for c in cells)
    total = sum(c[0] for c in cells)
    return Stat(count, total / 1000.0, avg_s(total, count), max((c[2] for c in cells), default=0) / 1000.0)


def state_figures(cells: dict[StateKey, list[int]], d: Definitions) -> dict:
    """Agent state figures from one agent-period's cells."""
    def pick(test) -> list[list[int]]:
        return [v for k, v in cells.items() if test(*k)]
    logged_in = sum(v[0] for v in cells.values())
    handling = sum(v[0] for k, v in cells.items() if k[0] in HANDLING)
    ready = sum(v[0] for k, v in cells.items() if k[0] == AgentState.READY.value)
    nr = _stat(pick(lambda s, r, e: s == AgentState.NOT_READY.value))
    rest = _stat(pick(lambda s, r, e: s == AgentState.NOT_READY.value and r in d.rest_reasons))
    idle = _stat(pick(lambda s, r, e: s == AgentState.READY.value))
    ready_idle = _stat(pick(lambda s, r, e: s == AgentState.READY.value and e in CALL_ARRIVED))
    return {
        "logged_in_s": logged_in / 1000.0,
        **{f"not_ready_{f}": v for f, v in dataclasses.asdict(nr).items()},
        **{f"rest_{f}": v for f, v in dataclasses.asdict(rest).items()},
        **{f"idle_{f}": v for f, v in dataclasses.asdict(idle).items()},
        **{f"ready_idle_{f}": v for f, v in dataclasses.asdict(ready_idle).items()},
        "handling_state_s": handling / 1000.0,
        "occupancy": pct(handling, handling + ready),
        "utilization": pct(handling, logged_in),
    }


AGENT_CALL_FIGURES = ("offered", "no_answer", "answered", "abandoned_ringing", "talks", "talk_s", "holds", "hold_s",
                      "wrapups", "wrap_s", "handle_s", "aht_s", "transfers", "transfer_s", "rated", "satisfied",
                      "satisfaction_rate", "rating_rate", "dialed", "dialed_talk_s")


def agent_report(session: Session, start: int, end: int, grain: str, dimension: str, d: Definitions,
                 now: dt.datetime | None = None) -> list[dict]:
    """Per period × agent (or group): call figures handled by the agent and state figures."""
    if dimension not in ("agent", "group"):
        raise ValueError("agent statistics are per agent or per group")
    rollups.refresh(session, now)
    calls = sums_by(session, start, end, grain, "agent", by_agent=True)
    states = state_sums(session, start, end, grain, now)
    mapping, labels = dimension_map(session, dimension)
    agent_labels = dimension_map(session, "agent")[1]
    call_acc: dict[tuple[int, str], dict] = {}
    state_acc: dict[tuple[int, str], dict[StateKey, list[int]]] = defaultdict(dict)
    for (bucket, agent), sums in calls.items():
        if agent == "0":
            continue
        p_start = period_of(bucket, grain)[0] if grain != "range" else start
        for key in (mapping.get(agent, []) if dimension == "group" else [agent]):
            add_sums(call_acc.setdefault((p_start, key), empty_sums()), sums)
    for (p_start, agent_id), cells in states.items():
        for key in (mapping.get(str(agent_id), []) if dimension == "group" else [str(agent_id)]):
            acc = state_acc[(p_start, key)]
            for k, v in cells.items():
                cell = acc.setdefault(k, [0, 0, 0])
                cell[0] += v[0]
                cell[1] += v[1]
                cell[2] = max(cell[2], v[2])
    rows = []
    for p_start, key in sorted(set(call_acc) | set(state_acc)):
        figures = call_figures(call_acc.get((p_start, key), empty_sums()), d)
        label = (labels if dimension == "group" else agent_labels).get(key, key)
        rows.append({"period_start": p_start, "period": period_of(p_start, grain)[1] if grain != "range" else "",
                     "key": key, "label": label, **{f: figures[f] for f in AGENT_CALL_FIGURES},
                     **state_figures(state_acc.get((p_start, key), {}), d)})
    rows.sort(key=lambda r: (r["period_start"], r["label"]))
    return rows


def first_change_at(session: Session) -> dt.datetime | None:
    """When the agent state log starts."""
    return session.scalar(select(func.min(AgentStateChange.at)))
