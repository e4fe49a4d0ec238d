"""Schedules (排班): shift templates, 7×24 rotations, a week's schedule generated to cover the planned requirement,
and adherence and attendance (出勤率) measured from the agents' states. Pure: stdlib only, no I/O, no clock.

A week is 7 × 96 quarter-hour slots; a shift is placed in minutes from the week's local Monday 00:00. The
generator is a greedy set cover: it repeatedly adds the (day, template) shift that covers the most still-uncovered
agent-intervals, given to the fitting agent with the fewest hours so far, until no shift covers anything more.
Every shift it adds keeps the rules (`Rules`): one shift per agent and day and never two overlapping, at least
`min_rest_minutes` between two shifts, at most the agent's weekly paid hours, at least `min_days_off` days off.
Definitions and the algorithm: docs/schedules.md.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from engine.domain.states import AgentState, NotReadyReason

SLOT_MINUTES = 15
DAY_MINUTES = 1440
WEEK_DAYS = 7
SLOTS_PER_DAY = DAY_MINUTES // SLOT_MINUTES
WEEK_SLOTS = WEEK_DAYS * SLOTS_PER_DAY
OFF = None                      # a rotation's day off (休)


@dataclasses.dataclass(frozen=True)
class ShiftTemplate:
    """A shift (班次) as configured: start (local minutes after midnight), length, breaks, the weekdays it runs."""

    code: str
    name: str
    start_minute: int
    length_minutes: int
    unpaid_break_minutes: int = 0           # a meal break (用餐), not worked and not paid
    paid_break_minutes: int = 0             # short rests within the shift (paid; allowed when adherence is measured)
    break_after_minutes: int | None = None  # the unpaid break starts this long after the shift's start; None: middle
    weekdays: frozenset[int] = frozenset(range(7))      # 0 = Monday … 6 = Sunday

    def __post_init__(self) -> None:
        for name in ("start_minute", "length_minutes", "unpaid_break_minutes"):
            if getattr(self, name) % SLOT_MINUTES:
                raise ValueError(f"{name} must be a multiple of {SLOT_MINUTES} minutes")
        if not 0 <= self.start_minute < DAY_MINUTES or not SLOT_MINUTES <= self.length_minutes <= DAY_MINUTES:
            raise ValueError("a shift starts within its day and lasts 15 minutes to 24 hours")
        if not 0 <= self.unpaid_break_minutes < self.length_minutes or self.paid_break_minutes < 0:
            raise ValueError("breaks must be shorter than the shift")
        if self.break_offset() + self.unpaid_break_minutes > self.length_minutes:
            raise ValueError("the unpaid break must end within the shift")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("a shift runs on at least one weekday (0-6)")

    @property
    def paid_minutes(self) -> int:
        return self.length_minutes - self.unpaid_break_minutes

    def break_offset(self) -> int:
        """Minutes from the start to the unpaid break (the middle, on a quarter hour, unless configured)."""
        if self.break_after_minutes is not None:
            return self.break_after_minutes
        middle = (self.length_minutes - self.unpaid_break_minutes) // 2
        return middle - middle % SLOT_MINUTES

    def place(self, agent: int, day: int) -> "Shift":
        """This template worked by `agent` on day `day` of the week (0 = Monday)."""
        start = day * DAY_MINUTES + self.start_minute
        if not self.unpaid_break_minutes:
            return Shift(agent, start, start + self.length_minutes, self.code, None, None, self.paid_break_minutes)
        b = start + self.break_offset()
        return Shift(agent, start, start + self.length_minutes, self.code, b, b + self.unpaid_break_minutes,
                     self.paid_break_minutes)


@dataclasses.dataclass(frozen=True)
class Shift:
    """One agent's shift, in minutes from the week's Monday 00:00 (may run past the week's end)."""

    agent: int
    start: int
    end: int
    template: str
    break_start: int | None = None
    break_end: int | None = None
    paid_break_minutes: int = 0

    @property
    def day(self) -> int:
        return self.start // DAY_MINUTES

    @property
    def paid_minutes(self) -> int:
        return self.end - self.start - ((self.break_end - self.break_start) if self.break_start is not None else 0)

    def working(self) -> list[tuple[int, int]]:
        """The scheduled working windows: the shift less its unpaid break."""
        if self.break_start is None:
            return [(self.start, self.end)]
        return [(a, b) for a, b in ((self.start, self.break_start), (self.break_end, self.end)) if b > a]

    def slots(self, horizon: int = WEEK_SLOTS) -> list[int]:
        """The week's quarter-hour slots this shift staffs."""
        return [s for a, b in self.working() for s in range(a // SLOT_MINUTES, b // SLOT_MINUTES) if 0 <= s < horizon]


@dataclasses.dataclass(frozen=True)
class Rotation:
    """A cycle of shifts for teams taking turns, e.g. 四班三运转 (4 teams, 3 shifts: 夜夜早早中中休休): team k is
    `k × len(pattern) / teams` days ahead of team 0, which is at the pattern's first day on `anchor`."""

    name: str
    pattern: tuple[str | None, ...]         # template code for each day of the cycle; OFF (None): day off
    teams: int
    anchor: dt.date

    def __post_init__(self) -> None:
        if not self.pattern or not 1 <= self.teams <= len(self.pattern):
            raise ValueError("a rotation has a pattern and between 1 and len(pattern) teams")

    def template_for(self, team: int, day: dt.date) -> str | None:
        """The template code `team` works on `day` (None: off)."""
        step = len(self.pattern) // self.teams
        return self.pattern[((day - self.anchor).days + (team % self.teams) * step) % len(self.pattern)]


def four_team_three_shift(night: str, early: str, middle: str, anchor: dt.date) -> Rotation:
    """四班三运转: each team works 2 nights, 2 early and 2 middle shifts, then 2 days off; every day one team is
    on each shift and one is off. Nights first (00:00-08:00), so each change of shift is forward, with ≥ 16 h rest."""
    return Rotation("四班三运转", (night, night, early, early, middle, middle, OFF, OFF), 4, anchor)


@dataclasses.dataclass(frozen=True)
class AgentSpec:
    """An agent the generator may give shifts to, and their limits."""

    id: int
    week_limit_minutes: int = 40 * 60
    days_off: frozenset[int] = frozenset()      # days of the week (0-6) the agent cannot work (leave, requests)
    team: int | None = None                     # rotation team; None: by their order among the agents
    booked: tuple[Shift, ...] = ()              # shifts fixed elsewhere (another schedule, last week's end): they
    #                                             count for the rules but are not this schedule's


@dataclasses.dataclass(frozen=True)
class Rules:
    """What every generated schedule keeps."""

    min_rest_minutes: int = 11 * 60             # between the end of a shift and the start of the next
    min_days_off: int = 1                       # per week (劳动法 第三十八条: at least one day of rest a week)
    over_weight: float = 0.0                    # a shift is added while covered − over_weight × overstaffed > 0


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Required and scheduled agents per quarter-hour slot of the week."""

    required: tuple[int, ...]
    scheduled: tuple[int, ...]

    @property
    def under(self) -> tuple[int, ...]:
        return tuple(max(0, r - s) for r, s in zip(self.required, self.scheduled))

    @property
    def over(self) -> tuple[int, ...]:
        return tuple(max(0, s - r) for r, s in zip(self.required, self.scheduled))

    @property
    def under_hours(self) -> float:
        return sum(self.under) * SLOT_MINUTES / 60

    @property
    def over_hours(self) -> float:
        return sum(self.over) * SLOT_MINUTES / 60

    @property
    def covered_share(self) -> float | None:
        """Σ min(required, scheduled) / Σ required (None: nothing required)."""
        need = sum(self.required)
        return sum(min(r, s) for r, s in zip(self.required, self.scheduled)) / need if need else None


@dataclasses.dataclass(frozen=True)
class Generated:
    shifts: tuple[Shift, ...]
    coverage: Coverage


def coverage_of(shifts: Iterable[Shift], required: Sequence[int]) -> Coverage:
    """The agents each slot gets from `shifts` against `required`."""
    scheduled = [0] * len(required)
    for shift in shifts:
        for s in shift.slots(len(required)):
            scheduled[s] += 1
    return Coverage(tuple(required), tuple(scheduled))


def breach(shift: Shift, agent: AgentSpec, theirs: Sequence[Shift], rules: Rules) -> str | None:
    """Why `shift` may not be added to the agent's shifts `theirs` (booked ones included), or None if it may."""
    if shift.day in agent.days_off:
        return "day_off"
    for other in theirs:
        if other.day == shift.day or (other.start < shift.end and shift.start < other.end):
            return "double_booked"
        gap = shift.start - other.end if other.start < shift.start else other.start - shift.end
        if gap < rules.min_rest_minutes:
            return "rest"
    in_week = [o for o in theirs if 0 <= o.day < WEEK_DAYS]
    if sum(o.paid_minutes for o in in_week) + shift.paid_minutes > agent.week_limit_minutes:
        return "week_hours"
    if WEEK_DAYS - len({o.day for o in in_week} | {shift.day}) < rules.min_days_off:
        return "days_off"
    return None


def generate(required: Sequence[int], templates: Sequence[ShiftTemplate], agents: Sequence[AgentSpec],
             week_start: dt.date, rules: Rules = Rules(), rotation: Rotation | None = None) -> Generated:
    """A week's shifts covering `required` (agents per slot, WEEK_SLOTS of them) as closely as the agents and the
    rules allow (greedy; see the module docstring). With a rotation, an agent works only their team's shift."""
    if len(required) != WEEK_SLOTS:
        raise ValueError(f"the requirement has {WEEK_SLOTS} quarter-hour slots")
    if week_start.weekday() != 0:
        raise ValueError("a schedule's week starts on a Monday")
    by_code = {t.code: t for t in templates}
    need = list(required)
    team = {a.id: a.team if a.team is not None else n for n, a in enumerate(agents)}
    theirs: dict[int, list[Shift]] = {a.id: list(a.booked) for a in agents}
    mine: dict[int, int] = {a.id: 0 for a in agents}        # paid minutes given by this schedule (fairness)
    candidates = [(day, t) for day in range(WEEK_DAYS) for t in templates
                  if (week_start + dt.timedelta(days=day)).weekday() in t.weekdays]
    shifts: list[Shift] = []
    while True:
        ranked = []
        for day, t in candidates:
            slots = t.place(0, day).slots()
            covered = sum(1 for s in slots if need[s] > 0)
            gain = covered - rules.over_weight * (len(slots) - covered)
            if covered and gain > 0:
                ranked.append((-gain, len(slots) - covered, day, t.code))
        added = None
        for _g, _o, day, code in sorted(ranked):
            date = week_start + dt.timedelta(days=day)
            able = [a for a in agents
                    if (rotation is None or rotation.template_for(team[a.id], date) == code)
                    and breach(by_code[code].place(a.id, day), a, theirs[a.id], rules) is None]
            if able:
                agent = min(able, key=lambda a: (mine[a.id], len(theirs[a.id]), a.id))
                added = by_code[code].place(agent.id, day)
                break
        if added is None:
            return Generated(tuple(sorted(shifts, key=lambda s: (s.start, s.agent))), coverage_of(shifts, required))
        shifts.append(added)
        theirs[added.agent].append(added)
        mine[added.agent] += added.paid_minutes
        for s in added.slots():
            need[s] -= 1


# --- adherence and attendance -----------------------------------------------------------------------------------

#: states in which a scheduled agent is working (on the phones or on a call's work)
WORKING_STATES = frozenset({AgentState.READY, AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD,
                            AgentState.WRAP_UP})
WORKING_REASONS = frozenset({NotReadyReason.AFTER_CALL_WORK})       # 示忙 for after-call work is work
BREAK_REASONS = frozenset({NotReadyReason.BREAK, NotReadyReason.MEAL})  # adherent up to the shift's paid breaks


@dataclasses.dataclass(frozen=True)
class StateSpan:
    """An agent in one state from `start` to `end`."""

    start: dt.datetime
    end: dt.datetime
    state: AgentState
    reason: NotReadyReason | None = None

    @property
    def signed_in(self) -> bool:
        return self.state is not AgentState.LOGGED_OUT


def spans(before: tuple[AgentState, NotReadyReason | None], changes: Sequence[tuple[dt.datetime, AgentState,
          NotReadyReason | None]], start: dt.datetime, end: dt.datetime) -> list[StateSpan]:
    """The agent's states over [start, end), from the state they were in at `start` and their changes after it
    (in time order)."""
    out, (state, reason), at = [], before, start
    for when, new, why in changes:
        if when >= end:
            break
        if when > at:
            out.append(StateSpan(at, when, state, reason))
            at = when
        state, reason = new, why
    if end > at:
        out.append(StateSpan(at, end, state, reason))
    return out


@dataclasses.dataclass(frozen=True)
class ShiftTimes:
    """A scheduled shift in real time."""

    start: dt.datetime
    end: dt.datetime
    break_start: dt.datetime | None = None
    break_end: dt.datetime | None = None
    paid_break_minutes: int = 0

    def working(self) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.break_start is None or self.break_end is None:
            return [(self.start, self.end)]
        return [(a, b) for a, b in ((self.start, self.break_start), (self.break_end, self.end)) if b > a]


@dataclasses.dataclass(frozen=True)
class AttendanceRules:
    grace_minutes: int = 5                  # later than this after the start: late (迟到); before the end: 早退
    absent_after_minutes: int = 30          # later (or earlier) than this: the shift was not attended (缺勤)


UPCOMING, PENDING, ON_TIME, LATE, LEFT_EARLY, LATE_AND_EARLY, ABSENT = (
    "upcoming", "pending", "on_time", "late", "left_early", "late_and_early", "absent")


@dataclasses.dataclass(frozen=True)
class ShiftResult:
    status: str
    scheduled_s: float                      # the shift's working time (less the unpaid break)
    adherent_s: float                       # of which working (or on an allowed break)
    late_s: float = 0.0
    early_s: float = 0.0

    @property
    def attended(self) -> bool | None:
        """Counted in 出勤率: None while the shift is not over."""
        return None if self.status in (UPCOMING, PENDING) else self.status != ABSENT

    @property
    def adherence(self) -> float | None:
        return self.adherent_s / self.scheduled_s if self.scheduled_s else None


def _overlap(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


def measure(shift: ShiftTimes, states: Sequence[StateSpan], now: dt.datetime,
            rules: AttendanceRules = AttendanceRules()) -> ShiftResult:
    """Adherence and attendance of one shift from the agent's states over it (at least [start, min(end, now)))."""
    windows = shift.working()
    scheduled = sum((b - a).total_seconds() for a, b in windows)
    if now <= shift.start:
        return ShiftResult(UPCOMING, scheduled, 0.0)
    working = breaks = 0.0
    for span in states:
        inside = sum(_overlap(span.start, min(span.end, now), a, b) for a, b in windows)
        if span.state in WORKING_STATES or span.reason in WORKING_REASONS:
            working += inside
        elif span.state is AgentState.NOT_READY and span.reason in BREAK_REASONS:
            breaks += inside
    adherent = working + min(breaks, shift.paid_break_minutes * 60.0)
    present = [s for s in states if s.signed_in and s.end > shift.start and s.start < shift.end]
    if now < shift.end:
        return ShiftResult(PENDING, scheduled, adherent)
    if not present:
        return ShiftResult(ABSENT, scheduled, adherent)
    late = max(0.0, (present[0].start - shift.start).total_seconds())
    early = max(0.0, (shift.end - present[-1].end).total_seconds())
    grace, absent = rules.grace_minutes * 60, rules.absent_after_minutes * 60
    if late > absent or early > absent:
        status = ABSENT
    else:
        status = {(False, False): ON_TIME, (True, False): LATE, (False, True): LEFT_EARLY,
                  (True, True): LATE_AND_EARLY}[(late > grace, early > grace)]
    return ShiftResult(status, scheduled, adherent, late, early)


@dataclasses.dataclass(frozen=True)
class Summary:
    shifts: int                             # shifts over (counted)
    attended: int
    late: int
    left_early: int
    absent: int
    scheduled_s: float
    adherent_s: float

    @property
    def attendance_rate(self) -> float | None:
        """出勤率, %: attended shifts / scheduled shifts that are over (None: none)."""
        return 100.0 * self.attended / self.shifts if self.shifts else None

    @property
    def adherence(self) -> float | None:
        """Adherence, %: adherent time / scheduled working time of the shifts that are over."""
        return 100.0 * self.adherent_s / self.scheduled_s if self.scheduled_s else None


def summarize(results: Iterable[ShiftResult]) -> Summary:
    """Totals over the shifts that are over (upcoming and running shifts are left out)."""
    done = [r for r in results if r.attended is not None]
    return Summary(len(done), sum(1 for r in done if r.attended),
                   sum(1 for r in done if r.status in (LATE, LATE_AND_EARLY)),
                   sum(1 for r in done if r.status in (LEFT_EARLY, LATE_AND_EARLY)),
                   sum(1 for r in done if r.status == ABSENT),
                   sum(r.scheduled_s for r in done), sum(r.adherent_s for r in done))
