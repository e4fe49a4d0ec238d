"""What the schedule pages show, built from the store: the week's requirement from the planning page's plan, the
agents × days grid, the required-vs-scheduled chart, and adherence and attendance per agent and day."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web.wfm.planning import Inputs, NoPlan, plan
from engine.domain import scheduling as sch
from engine.reports.definitions import Definitions
from engine.reports.periods import LOCAL
from engine.store import schedules as store
from engine.store.models import Agent
from engine.store.models.schedules import Schedule, ScheduledShift

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")   # the grid's column heads (data, not UI text)


def week_requirement(session: Session, week_start: dt.date, inputs: Inputs, today: dt.date,
                     d: Definitions) -> list[int]:
    """Scheduled head count (required agents grossed up for shrinkage) per quarter hour of the week, each day
    planned as on the planning page; NoPlan (with the day) when a day cannot be planned."""
    out: list[int] = []
    for n in range(sch.WEEK_DAYS):
        day = week_start + dt.timedelta(days=n)
        try:
            p = plan(session, dataclasses.replace(inputs, day=day), today, d)
        except NoPlan as exc:
            raise NoPlan(_("%(day)s: %(reason)s", day=day.isoformat(), reason=str(exc))) from exc
        out += [r.scheduled for r in p.rows]
    return out


def local_hm(value: dt.datetime) -> str:
    return store.aware(value).astimezone(LOCAL).strftime("%H:%M")


@dataclasses.dataclass(frozen=True)
class GridRow:
    agent: Agent
    cells: list[list[ScheduledShift]]      # per day of the week, the shifts starting that day
    hours: float                           # paid hours of the week


def grid(session: Session, schedule: Schedule) -> list[GridRow]:
    """Agents × days: each agent of the schedule with their shifts day by day."""
    by_agent: dict[int, list[list[ScheduledShift]]] = defaultdict(lambda: [[] for _d in range(sch.WEEK_DAYS)])
    hours: dict[int, float] = defaultdict(float)
    for s in schedule.shifts:
        day = store.minute_of(schedule.week_start, s.start_at) // sch.DAY_MINUTES
        if 0 <= day < sch.WEEK_DAYS:
            by_agent[s.agent_id][day].append(s)
        hours[s.agent_id] += store.to_domain(s, schedule.week_start).paid_minutes / 60
    agents = session.scalars(select(Agent).where(Agent.id.in_(list(by_agent))).order_by(Agent.employee_no))
    return [GridRow(a, by_agent[a.id], hours[a.id]) for a in agents]


def slot_label(slot: int) -> str:
    day, q = divmod(slot, sch.SLOTS_PER_DAY)
    return f"{WEEKDAYS[day]} {q * 15 // 60:02d}:{q * 15 % 60:02d}"


def coverage_chart(c: sch.Coverage) -> dict:
    """Required vs scheduled agents per quarter hour of the week (drawn by static/js/schedules.js)."""
    return {"categories": [slot_label(s) for s in range(len(c.required))],
            "series": [{"name": _("Required agents (with shrinkage)"), "type": "line", "step": "end",
                        "data": list(c.required)},
                       {"name": _("Scheduled agents"), "type": "line", "step": "end", "data": list(c.scheduled)},
                       {"name": _("Under-covered"), "type": "bar", "data": [-u for u in c.under]}],
            "axes": [_("Number of agents")]}


def gaps(c: sch.Coverage) -> list[tuple[str, str, int]]:
    """Runs of under-covered quarter hours: (from, to, largest shortfall)."""
    out, run = [], None
    for s, u in enumerate(list(c.under) + [0]):
        if u and run is None:
            run = [s, u]
        elif u and run is not None:
            run[1] = max(run[1], u)
        elif not u and run is not None:
            out.append((slot_label(run[0]), slot_label(s) if s < len(c.under) else _("end of week"), run[1]))
            run = None
    return out


def status_label(status: str) -> str:
    return {sch.UPCOMING: _("upcoming"), sch.PENDING: _("in progress"), sch.ON_TIME: _("on time"),
            sch.LATE: _("late"), sch.LEFT_EARLY: _("left early"), sch.LATE_AND_EARLY: _("late and left early"),
            sch.ABSENT: _("absent")}[status]


@dataclasses.dataclass(frozen=True)
class AgentWeek:
    agent: Agent
    days: list[list[tuple[ScheduledShift, sch.ShiftResult]]]
    summary: sch.Summary


def adherence_week(session: Session, week_start: dt.date, now: dt.datetime,
                   group_id: int | None = None) -> tuple[list[AgentWeek], sch.Summary, dict]:
    """Each scheduled agent's shifts of the week (published schedules) with adherence and attendance; the totals;
    the chart: adherence and 出勤率 per day."""
    start = store.week_origin(week_start)
    shifts = store.published_shifts(session, start, start + dt.timedelta(days=7))
    agents = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_({s.agent_id for s in shifts})))}
    if group_id is not None:
        agents = {k: a for k, a in agents.items() if a.group_id == group_id}
    results = store.measured(session, [s for s in shifts if s.agent_id in agents], now)
    per: dict[int, list[list]] = defaultdict(lambda: [[] for _d in range(sch.WEEK_DAYS)])
    by_day: list[list[sch.ShiftResult]] = [[] for _d in range(sch.WEEK_DAYS)]
    for s, r in results:
        day = store.minute_of(week_start, s.start_at) // sch.DAY_MINUTES
        per[s.agent_id][day].append((s, r))
        by_day[day].append(r)
    rows = [AgentWeek(agents[k], per[k], sch.summarize(r for cell in per[k] for _s, r in cell))
            for k in sorted(per, key=lambda k: agents[k].employee_no)]
    days = [sch.summarize(rs) for rs in by_day]
    r1 = lambda v: None if v is None else round(v, 1)  # noqa: E731
    chart = {"categories": [f"{WEEKDAYS[n]} {(week_start + dt.timedelta(days=n)).strftime('%m-%d')}"
                            for n in range(sch.WEEK_DAYS)],
             "series": [{"name": _("Adherence (%)"), "type": "bar", "data": [r1(d.adherence) for d in days]},
                        {"name": _("Attendance rate (%)"), "type": "line", "data": [r1(d.attendance_rate)
                                                                                    for d in days]}],
             "axes": ["%"]}
    return rows, sch.summarize(r for _s, r in results), chart
