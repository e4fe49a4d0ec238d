"""Reads for the wallboard: agents by state, queues as the engine published them, service level of the last
15 and 60 minutes from the call-event log, today's answered and abandoned calls, trunk groups, the switch, and the
alerts.

Service level on the wallboard (the report definitions of engine.reports.definitions, T and S configurable):
over the calls whose wait *ended* in the window (answered or abandoned entries written in it),
    SL = answered within T / base, where base is
         answered + abandoned                    (abandons included)
         answered                                (abandons excluded)
         answered + abandoned - abandoned within S   (short abandons excluded, the default).
"Today" counts the calls that entered a queue since local midnight (the reports' attribution rule). As in the
reports' totals, a call an agent sent back to a queue is no new request: its second wait is left out of both
(engine.reports.rollups.REWAIT).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import case, func, not_, select
from sqlalchemy.orm import Session

from admin_web.floor.queries import queue_figures
from admin_web.timeutil import as_utc
from engine.domain.calllog import CallEventKind
from engine.domain.states import AgentState
from engine.reports.definitions import ABANDONS_EXCLUDE, ABANDONS_INCLUDE, Definitions
from engine.reports.rollups import rewait_sql
from engine.store.models import Agent, CallEvent, Queue, SwitchStatus, TrunkStatus
from engine.store.switch_status import SWITCH_NAME

STATE_ORDER = (AgentState.READY, AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD, AgentState.WRAP_UP,
               AgentState.NOT_READY)
STALE_AFTER_S = 30          # queue/trunk/switch status older than this: the engine is not publishing
REFUSED_RECENT_S = 15 * 60  # the engine counts the switch's refusals of the last 15 minutes


@dataclasses.dataclass
class ServiceLevel:
    """One window's service level and the counts behind it."""

    minutes: int
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    base: int = 0
    percent: float | None = None


def agent_states(session: Session) -> tuple[dict[AgentState, int], dict[str, int]]:
    """Active agents per state, and the not-ready ones per reason."""
    states: dict[AgentState, int] = {s: 0 for s in (*STATE_ORDER, AgentState.LOGGED_OUT)}
    reasons: dict[str, int] = {}
    rows = session.execute(select(Agent.state, Agent.not_ready_reason, func.count())
                           .where(Agent.active).group_by(Agent.state, Agent.not_ready_reason))
    for state, reason, n in rows:
        states[state] = states.get(state, 0) + n
        if state is AgentState.NOT_READY:
            key = reason.value if reason is not None else ""
            reasons[key] = reasons.get(key, 0) + n
    return states, reasons


def queues(session: Session, now: dt.datetime) -> list[dict]:
    """Each queue's waiting calls and longest wait (s), as the engine last published them."""
    names = dict(session.execute(select(Queue.code, Queue.name)).all())
    out = []
    for q in queue_figures(session):      # the halls the viewer may see (admin_web.scope)
        since = q.longest_wait_since if q.longest_wait_since and q.waiting else None
        out.append({"queue": q.queue_code, "name": names.get(q.queue_code, q.queue_code), "waiting": q.waiting,
                    "longest_wait_s": max(0, int((now - since).total_seconds())) if since else 0,
                    "ready": q.agents_ready, "busy": q.agents_busy, "logged_in": q.agents_logged_in,
                    "stale": (now - q.updated_at).total_seconds() > STALE_AFTER_S})
    return out


def trunks(session: Session, now: dt.datetime) -> list[dict]:
    """Each trunk group's channels in use, and since when all have been busy."""
    out = []
    for t in session.scalars(select(TrunkStatus).order_by(TrunkStatus.name)):
        full = t.channels > 0 and t.in_use >= t.channels
        since = as_utc(t.all_busy_since) if t.all_busy_since else None
        out.append({"name": t.name, "channels": t.channels, "in_use": t.in_use,
                    "all_busy": bool(full or since), "all_busy_since": since.isoformat() if since else None,
                    "all_busy_s": max(0, int((now - since).total_seconds())) if since else 0,
                    "stale": (now - as_utc(t.updated_at)).total_seconds() > STALE_AFTER_S})
    return out


def switch(session: Session, now: dt.datetime) -> dict | None:
    """The switch as the engine last published it (None before the engine ever did): connected, its limits, and
    the engine's originates it refused (since the engine started, and in the last 15 minutes)."""
    row = session.get(SwitchStatus, SWITCH_NAME)
    if row is None:
        return None
    last = as_utc(row.last_refused_at) if row.last_refused_at else None
    return {"connected": row.connected, "sessions_per_second": row.sessions_per_second,
            "max_sessions": row.max_sessions, "exempt": row.exempt, "refused_total": row.refused_total,
            "refused_recent": row.refused_recent, "last_refused_at": last.isoformat() if last else None,
            "stale": (now - as_utc(row.updated_at)).total_seconds() > STALE_AFTER_S}


def service_level(session: Session, now: dt.datetime, minutes: int, d: Definitions) -> ServiceLevel:
    """The service level of the calls whose wait ended in the last `minutes` (see the module docstring)."""
    e = CallEvent
    t, s = float(d.service_level_s), float(d.short_abandon_s)
    answered, abandoned = CallEventKind.ANSWERED.value, CallEventKind.ABANDONED.value
    row = session.execute(select(
        func.count(case((e.kind == answered, 1))),
        func.count(case(((e.kind == answered) & (e.wait_s <= t), 1))),
        func.count(case((e.kind == abandoned, 1))),
        func.count(case(((e.kind == abandoned) & (e.wait_s <= s), 1))),
    ).where(e.at >= now - dt.timedelta(minutes=minutes), e.at <= now, e.kind.in_((answered, abandoned)),
            not_(rewait_sql()))).one()
    sl = ServiceLevel(minutes, *(int(v or 0) for v in row))
    if d.abandons_in_service_level == ABANDONS_INCLUDE:
        sl.base = sl.answered + sl.abandoned
    elif d.abandons_in_service_level == ABANDONS_EXCLUDE:
        sl.base = sl.answered
    else:
        sl.base = sl.answered + sl.abandoned - sl.abandoned_short
    sl.percent = round(100.0 * sl.answered_within / sl.base, 1) if sl.base > 0 else None
    return sl


def today(session: Session, day_start: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """Requests, answered and abandoned calls among those that entered a queue today."""
    e = CallEvent
    kinds = (CallEventKind.QUEUED.value, CallEventKind.ANSWERED.value, CallEventKind.ABANDONED.value)
    counts = dict(session.execute(select(e.kind, func.count()).where(e.queued_at >= day_start, e.queued_at <= now,
                                                                      e.kind.in_(kinds), not_(rewait_sql()))
                                  .group_by(e.kind)).all())
    return {"requests": counts.get("queued", 0), "answered": counts.get("answered", 0),
            "abandoned": counts.get("abandoned", 0)}
