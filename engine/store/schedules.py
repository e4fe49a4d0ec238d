"""Schedules in the database (engine.store.models.schedules) to and from engine.domain.scheduling: the agents of a
pool, the shifts they are already booked for, saving a generated week, publishing it, and each published shift's
adherence and attendance from agent_state_changes.

Times: a schedule's week is local (engine.reports.periods.LOCAL, UTC+8); shifts are stored as instants."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain import scheduling as sch
from engine.domain.states import AgentState
from engine.reports.periods import LOCAL
from engine.store.models import Agent, AgentSkill, AgentStateChange, Queue, QueueSkill
from engine.store.models.schedules import Rotation, Schedule, ScheduledShift, ShiftTemplate

UTC = dt.timezone.utc
PUBLISHED = "published"
DRAFT = "draft"


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive UTC datetimes back; make them aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def week_origin(week_start: dt.date) -> dt.datetime:
    """The instant of the week's local Monday 00:00."""
    return dt.datetime.combine(week_start, dt.time(), LOCAL)


def at_minute(week_start: dt.date, minute: int) -> dt.datetime:
    return (week_origin(week_start) + dt.timedelta(minutes=minute)).astimezone(UTC)


def minute_of(week_start: dt.date, when: dt.datetime) -> int:
    return int((aware(when) - week_origin(week_start)).total_seconds() // 60)


def weekdays_of(mask: int) -> frozenset[int]:
    return frozenset(d for d in range(7) if mask >> d & 1)


def mask_of(days: Iterable[int]) -> int:
    return sum(1 << d for d in set(days))


def template_spec(t: ShiftTemplate) -> sch.ShiftTemplate:
    return sch.ShiftTemplate(t.code, t.name, t.start_minute, t.length_minutes, t.unpaid_break_minutes,
                             t.paid_break_minutes, t.break_after_minutes, weekdays_of(t.weekdays))


def rotation_spec(r: Rotation, templates: dict[int, ShiftTemplate]) -> sch.Rotation:
    """The rotation with its template ids as codes (a template no longer there: a day off)."""
    return sch.Rotation(r.name, tuple(templates[i].code if i in templates else sch.OFF for i in r.pattern),
                        r.teams, r.anchor)


def pool_agents(session: Session, pool: str, *, hall_id: int | None = None, group_id: int | None = None,
                queue_code: str | None = None) -> list[Agent]:
    """The active agents of a hall, of a team, or able to take a queue (every skill it needs at its level)."""
    q = select(Agent).where(Agent.active.is_(True))
    if pool == "hall":
        q = q.where(Agent.hall_id == hall_id)
    elif pool == "group":
        q = q.where(Agent.group_id == group_id)
    else:
        queue = session.scalar(select(Queue).where(Queue.code == queue_code))
        if queue is None:
            return []
        for skill_id, level in session.execute(select(QueueSkill.skill_id, QueueSkill.min_level)
                                               .where(QueueSkill.queue_id == queue.id)):
            q = q.where(Agent.id.in_(select(AgentSkill.agent_id).where(AgentSkill.skill_id == skill_id,
                                                                       AgentSkill.level >= level)))
    return list(session.scalars(q.order_by(Agent.position, Agent.employee_no)))


def to_domain(row: ScheduledShift, week_start: dt.date) -> sch.Shift:
    m = lambda v: None if v is None else minute_of(week_start, v)  # noqa: E731
    return sch.Shift(row.agent_id, m(row.start_at), m(row.end_at), row.code, m(row.break_start), m(row.break_end),
                     row.paid_break_minutes)


def booked(session: Session, agent_ids: Sequence[int], week_start: dt.date,
           except_schedule: int | None = None) -> dict[int, list[sch.Shift]]:
    """Published shifts of these agents from a day before the week to a day after it (other schedules, last week's
    end): the generator keeps its rules against them."""
    a, b = week_origin(week_start) - dt.timedelta(days=1), week_origin(week_start) + dt.timedelta(days=8)
    q = (select(ScheduledShift).join(Schedule).where(Schedule.status == PUBLISHED,
                                                     ScheduledShift.agent_id.in_(list(agent_ids)),
                                                     ScheduledShift.end_at > a, ScheduledShift.start_at < b))
    if except_schedule is not None:
        q = q.where(Schedule.id != except_schedule)
    out: dict[int, list[sch.Shift]] = defaultdict(list)
    for row in session.scalars(q):
        out[row.agent_id].append(to_domain(row, week_start))
    return out


def save(session: Session, schedule: Schedule, generated: sch.Generated, templates: dict[str, ShiftTemplate]) -> None:
    """Replace the schedule's shifts with the generated ones."""
    schedule.shifts.clear()
    session.flush()
    w = schedule.week_start
    for s in generated.shifts:
        schedule.shifts.append(ScheduledShift(
            agent_id=s.agent, template_id=templates[s.template].id, code=s.template, start_at=at_minute(w, s.start),
            end_at=at_minute(w, s.end), break_start=None if s.break_start is None else at_minute(w, s.break_start),
            break_end=None if s.break_end is None else at_minute(w, s.break_end),
            paid_break_minutes=s.paid_break_minutes))
    schedule.required = list(generated.coverage.required)


def coverage(schedule: Schedule) -> sch.Coverage:
    """Required and scheduled agents per quarter hour of the schedule's week."""
    required = list(schedule.required) or [0] * sch.WEEK_SLOTS
    return sch.coverage_of((to_domain(s, schedule.week_start) for s in schedule.shifts), required)


@dataclasses.dataclass(frozen=True)
class Clash:
    agent_id: int
    schedule_id: int
    start: dt.datetime


def clashes(session: Session, schedule: Schedule) -> list[Clash]:
    """Shifts of another published schedule overlapping this one's, agent by agent (publishing would double-book)."""
    out = []
    for s in schedule.shifts:
        other = session.scalar(select(ScheduledShift).join(Schedule).where(
            Schedule.status == PUBLISHED, Schedule.id != schedule.id, ScheduledShift.agent_id == s.agent_id,
            ScheduledShift.start_at < s.end_at, ScheduledShift.end_at > s.start_at).limit(1))
        if other is not None:
            out.append(Clash(s.agent_id, other.schedule_id, aware(s.start_at)))
    return out


def published_shifts(session: Session, start: dt.datetime, end: dt.datetime,
                     agent_ids: Sequence[int] | None = None) -> list[ScheduledShift]:
    """Published shifts starting in [start, end), in time order."""
    q = (select(ScheduledShift).join(Schedule)
         .where(Schedule.status == PUBLISHED, ScheduledShift.start_at >= start, ScheduledShift.start_at < end))
    if agent_ids is not None:
        q = q.where(ScheduledShift.agent_id.in_(list(agent_ids)))
    return list(session.scalars(q.order_by(ScheduledShift.start_at, ScheduledShift.agent_id)))


def shift_times(row: ScheduledShift) -> sch.ShiftTimes:
    opt = lambda v: None if v is None else aware(v)  # noqa: E731
    return sch.ShiftTimes(aware(row.start_at), aware(row.end_at), opt(row.break_start), opt(row.break_end),
                          row.paid_break_minutes)


def state_spans(session: Session, agent_id: int, start: dt.datetime, end: dt.datetime) -> list[sch.StateSpan]:
    """The agent's states over [start, end) from agent_state_changes (logged out before their first change)."""
    last = session.execute(select(AgentStateChange.to_state, AgentStateChange.reason)
                           .where(AgentStateChange.agent_id == agent_id, AgentStateChange.at < start)
                           .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc()).limit(1)).first()
    changes = session.execute(select(AgentStateChange.at, AgentStateChange.to_state, AgentStateChange.reason)
                              .where(AgentStateChange.agent_id == agent_id, AgentStateChange.at >= start,
                                     AgentStateChange.at < end)
                              .order_by(AgentStateChange.at, AgentStateChange.id)).all()
    before = (last[0], last[1]) if last else (AgentState.LOGGED_OUT, None)
    return sch.spans(before, [(aware(at), s, r) for at, s, r in changes], start, end)


def measured(session: Session, shifts: Sequence[ScheduledShift], now: dt.datetime,
             rules: sch.AttendanceRules = sch.AttendanceRules()) -> list[tuple[ScheduledShift, sch.ShiftResult]]:
    """Each shift with its adherence and attendance, from the agent's states over it (one read per agent)."""
    by_agent: dict[int, list[ScheduledShift]] = defaultdict(list)
    for s in shifts:
        by_agent[s.agent_id].append(s)
    results: dict[int, sch.ShiftResult] = {}
    for agent_id, theirs in by_agent.items():
        a = min(aware(s.start_at) for s in theirs)
        b = max(aware(s.end_at) for s in theirs)
        timeline = state_spans(session, agent_id, a, b)
        for s in theirs:
            t = shift_times(s)
            results[s.id] = sch.measure(t, [p for p in timeline if p.end > t.start and p.start < t.end], now, rules)
    return [(s, results[s.id]) for s in shifts]


def attendance_between(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime,
                       rules: sch.AttendanceRules = sch.AttendanceRules()) -> sch.Summary:
    """出勤率 and adherence of the published shifts starting in [start, end) that are over by `now`."""
    shifts = [s for s in published_shifts(session, start, end) if aware(s.end_at) <= now]
    return sch.summarize(r for _s, r in measured(session, shifts, now, rules))

