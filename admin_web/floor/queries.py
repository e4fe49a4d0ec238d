"""Reads for the floor view: queue status as the engine published it, each agent's figures for today, and who
is listening to, coaching or barging into which agent's call."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_web.timeutil import as_utc
from engine.domain.calllog import CallEventKind
from engine.domain.states import AgentState, CallOutcome
from engine.store.models import (Agent, AgentRequest, AgentStateChange, CallEvent, CallRecord, Queue, QueueHallStatus,
                                 QueueStatus)

# a supervisor's phone joins the agent's call in these modes (takeover hands the call over: nothing to mark)
MONITOR_MODES = ("listen", "whisper", "barge")


@dataclasses.dataclass
class AgentDay:
    """One agent today: state now, calls answered, signed-in time, not-ready time and count."""

    agent_id: int
    employee_no: str
    name: str
    extension: str
    state: str
    reason: str | None
    seconds_in_state: int
    answered_today: int = 0
    logged_in_s: int = 0
    not_ready_s: int = 0
    not_ready_count: int = 0
    monitor: dict | None = None     # {"mode", "by", "at"}: a supervisor joined the agent's current call


@dataclasses.dataclass
class QueueFigures:
    """A queue as the engine last published it, for the halls the viewer may see."""

    queue_code: str
    updated_at: dt.datetime
    waiting: int = 0
    longest_wait_since: dt.datetime | None = None
    agents_ready: int = 0
    agents_busy: int = 0
    agents_logged_in: int = 0


def queue_figures(session: Session) -> list[QueueFigures]:
    """Every published queue, its figures summed over the halls' rows (QueueHallStatus) the session's scope lets
    through (admin_web.scope): a hall's supervisor sees the callers of their halls' numbers and their halls'
    agents; a user of the whole province every hall's. One grouped query, whatever the number of halls."""
    h = QueueHallStatus
    sums = {row.queue_code: row for row in session.execute(
        select(h.queue_code, func.sum(h.waiting).label("waiting"), func.min(h.longest_wait_since).label("since"),
               func.sum(h.agents_ready).label("ready"), func.sum(h.agents_busy).label("busy"),
               func.sum(h.agents_logged_in).label("logged_in")).group_by(h.queue_code))}
    out = []
    for q in session.scalars(select(QueueStatus).order_by(QueueStatus.queue_code)):
        row = sums.get(q.queue_code)
        figures = QueueFigures(q.queue_code, as_utc(q.updated_at))
        if row is not None:
            figures.waiting, figures.agents_ready = int(row.waiting or 0), int(row.ready or 0)
            figures.agents_busy, figures.agents_logged_in = int(row.busy or 0), int(row.logged_in or 0)
            figures.longest_wait_since = as_utc(row.since) if row.since is not None else None
        out.append(figures)
    return out


def queue_rows(session: Session, now: dt.datetime) -> list[dict]:
    """Each queue's name, waiting calls, longest wait (s), agents ready/busy/signed in, and how fresh the data is."""
    names = dict(session.execute(select(Queue.code, Queue.name)).all())
    rows = []
    for q in queue_figures(session):
        since = q.longest_wait_since
        rows.append({"queue": q.queue_code, "name": names.get(q.queue_code) or q.queue_code, "waiting": q.waiting,
                     "longest_wait_s": int((now - since).total_seconds()) if since else 0,
                     "ready": q.agents_ready, "busy": q.agents_busy, "logged_in": q.agents_logged_in,
                     "age_s": int((now - q.updated_at).total_seconds())})
    return rows


def agent_days(session: Session, day_start: dt.datetime, now: dt.datetime) -> list[AgentDay]:
    """Figures since day_start for every active agent: answered calls from the call records, signed-in and
    not-ready time from the state log, summed in the database (a few rows per agent, however long the day):
    each change lasts until the agent's next one (or now). The state before the day's first change began at the
    agent's last change before the day, or, with none, when the agent was created (a state is only ever left
    through a logged change): it counts from the later of that and the start of the day. With no change today,
    the current state counts from the later of its own start (state_since) and the start of the day."""
    agents = session.scalars(select(Agent).where(Agent.active).order_by(Agent.employee_no)).all()
    # the day's calls, bounded on both sides: read through ix_call_records_started_at (open-ended, SQLite would
    # rather walk every call ever recorded in agent order than sort the day's by agent)
    answered = dict(session.execute(
        select(CallRecord.agent_id, func.count()).where(CallRecord.started_at >= day_start,
                                                        CallRecord.started_at <= now,
                                                        CallRecord.outcome == CallOutcome.ANSWERED)
        .group_by(CallRecord.agent_id)).all())
    totals, first, entered = _state_time(session, day_start, now)
    days = []
    for agent in agents:
        since = as_utc(agent.state_since)
        day = AgentDay(agent.id, agent.employee_no, agent.name, agent.extension, agent.state.value,
                       agent.not_ready_reason.value if agent.not_ready_reason else None,
                       int((now - since).total_seconds()), answered.get(agent.id, 0))
        opening = first.get(agent.id)          # (state before the day's first change, when that change came)
        if opening is None:                                                     # no change today
            _add(day, agent.state, (now - max(day_start, since)).total_seconds())
        else:
            began = max(day_start, as_utc(agent.created_at)) if agent.created_at is not None else day_start
            _add(day, opening[0], (as_utc(opening[1]) - began).total_seconds())
        for state, seconds in totals.get(agent.id, {}).items():
            _add(day, state, seconds)
        day.logged_in_s, day.not_ready_s = int(day.logged_in_s), int(day.not_ready_s)   # summed, then whole seconds
        day.not_ready_count = entered.get(agent.id, 0)
        days.append(day)
    monitors = monitored_calls(session, {a.id: a.current_call_uuid for a in agents if a.current_call_uuid and
                                         a.state in (AgentState.TALKING, AgentState.ON_HOLD)})
    for day in days:
        day.monitor = monitors.get(day.agent_id)
    return days


def monitored_calls(session: Session, calls: dict[int, str]) -> dict[int, dict]:
    """{agent: {"mode", "by", "at"}} for the agents of `calls` ({agent: their current call}) whose call a supervisor
    joined (listen, whisper, barge): the latest such request the engine accepted since the agent's part of that
    call began. Two bounded queries: the calls' first state changes (by call), the requests since the earliest."""
    if not calls:
        return {}
    c = AgentStateChange
    began = {(agent_id, uuid): as_utc(at) for agent_id, uuid, at in session.execute(
        select(c.agent_id, c.call_uuid, func.min(c.at)).where(c.call_uuid.in_(sorted(set(calls.values()))),
                                                              c.agent_id.in_(sorted(calls)))
        .group_by(c.agent_id, c.call_uuid))}
    if not began:
        return {}
    r = AgentRequest
    out: dict[int, dict] = {}
    for row in session.scalars(select(r).where(r.requested_at >= min(began.values()), r.agent_id.in_(sorted(calls)),
                                               r.action.in_(MONITOR_MODES), r.result == "ok")
                               .order_by(r.requested_at, r.id)):
        start = began.get((row.agent_id, calls[row.agent_id]))
        if start is not None and as_utc(row.requested_at) >= start:
            out[row.agent_id] = {"mode": row.action, "by": row.actor, "at": as_utc(row.requested_at).isoformat()}
    if out:         # the supervisor's phone left since (the engine logs it: supervision_ended): no longer monitored
        e = CallEvent
        for agent_id, left in session.execute(
                select(e.agent_id, func.max(e.at)).where(e.kind == CallEventKind.SUPERVISION_ENDED.value,
                                                         e.call_uuid.in_(sorted({calls[a] for a in out})),
                                                         e.agent_id.in_(sorted(out)))
                .group_by(e.agent_id)):
            if agent_id in out and as_utc(left) >= dt.datetime.fromisoformat(out[agent_id]["at"]):
                del out[agent_id]
    return out


UNIX_EPOCH_JULIAN_DAY = 2440587.5      # SQLite's julianday() of 1970-01-01T00:00Z


def _state_time(session: Session, day_start: dt.datetime, now: dt.datetime):
    """({agent: {state: seconds}} of the day's changes, {agent: (from_state, at) of its first change},
    {agent: times it went not ready}), each one grouped query over the day's changes."""
    c = AgentStateChange
    epoch = (func.extract("epoch", c.at) if session.get_bind().dialect.name == "postgresql"
             else (func.julianday(c.at) - UNIX_EPOCH_JULIAN_DAY) * 86400.0)
    ordered = select(c.agent_id, c.from_state, c.to_state, c.at, epoch.label("t"),
                     func.lead(epoch).over(partition_by=c.agent_id, order_by=(c.at, c.id)).label("next_t"),
                     func.row_number().over(partition_by=c.agent_id, order_by=(c.at, c.id)).label("n")) \
        .where(c.at >= day_start, c.at <= now).subquery()
    lasted = func.coalesce(ordered.c.next_t, now.timestamp()) - ordered.c.t
    totals: dict[int, dict[AgentState, float]] = {}
    for agent_id, state, seconds in session.execute(
            select(ordered.c.agent_id, ordered.c.to_state, func.sum(lasted))
            .group_by(ordered.c.agent_id, ordered.c.to_state)):
        totals.setdefault(agent_id, {})[state] = float(seconds or 0)
    first = {agent_id: (state, at) for agent_id, state, at in session.execute(
        select(ordered.c.agent_id, ordered.c.from_state, ordered.c.at).where(ordered.c.n == 1))}
    entered = dict(session.execute(
        select(ordered.c.agent_id, func.count()).where(ordered.c.to_state == AgentState.NOT_READY,
                                                       ordered.c.from_state != AgentState.NOT_READY)
        .group_by(ordered.c.agent_id)).all())
    return totals, first, entered


def _add(day: AgentDay, state: AgentState, seconds: float) -> None:
    seconds = max(0.0, float(seconds))
    if state is not AgentState.LOGGED_OUT:
        day.logged_in_s += seconds
    if state is AgentState.NOT_READY:
        day.not_ready_s += seconds
