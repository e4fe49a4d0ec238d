"""Schedules (engine.domain.scheduling): templates and rotations, the generator's coverage and rules (with a
hypothesis property over random weeks), and adherence and attendance from agent states."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from engine.domain.scheduling import (
    ABSENT, LATE, LATE_AND_EARLY, LEFT_EARLY, ON_TIME, PENDING, UPCOMING, WEEK_DAYS, WEEK_SLOTS, AgentSpec,
    AttendanceRules, Rotation, Rules, Shift, ShiftTemplate, ShiftTimes, StateSpan, coverage_of, four_team_three_shift,
    generate, measure, spans, summarize)
from engine.domain.states import AgentState as S, NotReadyReason as R

MONDAY = dt.date(2026, 12, 7)
NIGHT, EARLY, MIDDLE = (ShiftTemplate("夜", "夜班", 0, 480), ShiftTemplate("早", "早班", 480, 480),
                        ShiftTemplate("中", "中班", 960, 480))
DAY = ShiftTemplate("白", "白班", 540, 540, unpaid_break_minutes=60, weekdays=frozenset(range(5)))


def requirement(per_hour) -> list[int]:
    """A week's requirement from a function (weekday, hour) -> agents."""
    return [per_hour(s // 96, (s % 96) // 4) for s in range(WEEK_SLOTS)]


def by_agent(shifts):
    out = {}
    for s in shifts:
        out.setdefault(s.agent, []).append(s)
    return out


# --- templates and rotations -------------------------------------------------------------------------------------

def test_a_template_is_placed_on_its_day_with_the_unpaid_break_in_the_middle():
    s = DAY.place(7, 2)                                 # Wednesday 09:00-18:00, 1 h unpaid
    assert (s.start, s.end) == (2 * 1440 + 540, 2 * 1440 + 1080)
    assert (s.break_start, s.break_end) == (2 * 1440 + 780, 2 * 1440 + 840)     # 13:00-14:00
    assert s.paid_minutes == 480 and len(s.slots()) == 32
    assert DAY.paid_minutes == 480


@pytest.mark.parametrize("kwargs", [dict(start_minute=10), dict(length_minutes=0), dict(unpaid_break_minutes=480),
                                    dict(weekdays=frozenset()), dict(break_after_minutes=450, unpaid_break_minutes=60)])
def test_a_template_that_cannot_be_worked_is_refused(kwargs):
    base = dict(code="x", name="x", start_minute=480, length_minutes=480)
    with pytest.raises(ValueError):
        ShiftTemplate(**{**base, **kwargs})


def test_four_teams_three_shifts_put_one_team_on_each_shift_every_day_and_rest_16_hours():
    rot = four_team_three_shift("夜", "早", "中", MONDAY)
    for n in range(16):
        day = MONDAY + dt.timedelta(days=n)
        assert sorted(str(rot.template_for(team, day)) for team in range(4)) == sorted(["夜", "早", "中", "None"])
    starts = {"夜": 0, "早": 480, "中": 960}
    for team in range(4):
        worked = [(n * 1440 + starts[c], n * 1440 + starts[c] + 480) for n in range(24)
                  if (c := rot.template_for(team, MONDAY + dt.timedelta(days=n)))]
        assert min(b[0] - a[1] for a, b in zip(worked, worked[1:])) >= 16 * 60


# --- the generator -----------------------------------------------------------------------------------------------

def test_office_hours_are_covered_exactly_by_day_shifts():
    req = requirement(lambda d, h: 2 if d < 5 and (9 <= h < 13 or 14 <= h < 18) else 0)
    g = generate(req, [DAY], [AgentSpec(i) for i in range(3)], MONDAY)
    assert len(g.shifts) == 10
    assert g.coverage.scheduled == tuple(req) and g.coverage.under_hours == 0 and g.coverage.over_hours == 0
    assert g.coverage.covered_share == 1.0
    assert sorted(len(v) for v in by_agent(g.shifts).values()) == [3, 3, 4]   # the hours are spread


def test_the_rest_rule_keeps_a_middle_shift_from_being_followed_by_an_early_one():
    req = requirement(lambda d, h: 1 if (d == 0 and h >= 16) or (d == 1 and 8 <= h < 16) else 0)
    g = generate(req, [EARLY, MIDDLE], [AgentSpec(1)], MONDAY, Rules(min_rest_minutes=11 * 60))
    assert [(s.template, s.day) for s in g.shifts] in ([("中", 0)], [("早", 1)])
    assert g.coverage.under_hours == 8
    g = generate(req, [EARLY, MIDDLE], [AgentSpec(1)], MONDAY, Rules(min_rest_minutes=8 * 60))
    assert len(g.shifts) == 2 and g.coverage.under_hours == 0


def test_weekly_hours_days_off_and_leave_limit_an_agent():
    req = requirement(lambda d, h: 1 if 8 <= h < 16 else 0)
    g = generate(req, [EARLY], [AgentSpec(1, week_limit_minutes=24 * 60)], MONDAY)
    assert len(g.shifts) == 3 and g.coverage.under_hours == 4 * 8
    g = generate(req, [EARLY], [AgentSpec(1, week_limit_minutes=60 * 60)], MONDAY, Rules(min_days_off=2))
    assert len(g.shifts) == 5
    g = generate(req, [EARLY], [AgentSpec(1, days_off=frozenset({0, 1}))], MONDAY)
    assert {s.day for s in g.shifts} == {2, 3, 4, 5, 6}


def test_shifts_booked_elsewhere_are_never_overlapped_and_their_rest_is_kept():
    last_week = Shift(1, -480, 0, "夜")                 # Sunday 16:00-24:00 of the week before
    req = requirement(lambda d, h: 1 if d == 0 and h < 8 else 0)
    g = generate(req, [NIGHT], [AgentSpec(1, booked=(last_week,))], MONDAY)
    assert g.shifts == () and g.coverage.under_hours == 8
    g = generate(req, [NIGHT], [AgentSpec(1, booked=(last_week,)), AgentSpec(2)], MONDAY)
    assert [s.agent for s in g.shifts] == [2]


def test_too_few_agents_leave_the_gap_reported_per_interval():
    req = requirement(lambda d, h: 3 if 8 <= h < 16 else 0)
    g = generate(req, [EARLY], [AgentSpec(i) for i in range(2)], MONDAY)
    assert g.coverage.under == tuple(max(0, r - s) for r, s in zip(req, g.coverage.scheduled))
    assert sum(g.coverage.under) == sum(req) - sum(g.coverage.scheduled) and g.coverage.under_hours > 0


def test_seed_004_a_49_person_team_covers_7x24_in_four_team_three_shift_rotation():
    # seed 004: 7×24 service by a team of at least 49; day 12, evening 8, night 4 agents on the phones
    req = requirement(lambda d, h: 12 if 8 <= h < 16 else (8 if h >= 16 else 4))
    rot = four_team_three_shift("夜", "早", "中", MONDAY)
    agents = [AgentSpec(i, week_limit_minutes=48 * 60) for i in range(49)]     # 综合计算工时
    g = generate(req, [NIGHT, EARLY, MIDDLE], agents, MONDAY, Rules(), rot)
    assert g.coverage.under_hours == 0 and g.coverage.over_hours == 0
    team = {a.id: n for n, a in enumerate(agents)}
    for s in g.shifts:
        assert rot.template_for(team[s.agent], MONDAY + dt.timedelta(days=s.day)) == s.template


def _check(g, req, agents, rules):
    """Every rule the generator promises, checked from the shifts alone."""
    spec = {a.id: a for a in agents}
    for agent, theirs in by_agent(g.shifts).items():
        a = spec[agent]
        all_ = sorted(theirs + list(a.booked), key=lambda s: s.start)
        assert len({s.day for s in theirs}) == len(theirs), "two shifts on one day"
        for x, y in zip(all_, all_[1:]):
            assert y.start >= x.end, "overlapping shifts"
            assert y.start - x.end >= rules.min_rest_minutes, "rest rule broken"
        week = [s for s in all_ if 0 <= s.day < WEEK_DAYS]
        assert sum(s.paid_minutes for s in week) <= a.week_limit_minutes
        assert WEEK_DAYS - len({s.day for s in week}) >= rules.min_days_off
        assert not {s.day for s in theirs} & a.days_off
    scheduled = [0] * WEEK_SLOTS
    for s in g.shifts:
        for a, b in s.working():
            for m in range(a, b, 15):
                if 0 <= m // 15 < WEEK_SLOTS:
                    scheduled[m // 15] += 1
    assert list(g.coverage.scheduled) == scheduled
    assert all(r - s == u - o for r, s, u, o in zip(req, scheduled, g.coverage.under, g.coverage.over))
    assert all(u >= 0 and o >= 0 and min(u, o) == 0 for u, o in zip(g.coverage.under, g.coverage.over))


templates_st = st.lists(st.builds(
    lambda code, start, length, brk: ShiftTemplate(code, code, start * 15, length * 15,
                                                   min(brk, length - 1) * 15 if length > 8 else 0),
    st.sampled_from("ABCDEF"), st.integers(0, 95), st.integers(16, 48), st.integers(0, 4)),
    min_size=1, max_size=4, unique_by=lambda t: t.code)


@settings(max_examples=60, deadline=None)
@given(templates=templates_st,
       levels=st.lists(st.integers(0, 5), min_size=24, max_size=24),
       limits=st.lists(st.tuples(st.integers(8, 56), st.frozensets(st.integers(0, 6), max_size=3)), min_size=1,
                       max_size=8),
       rest=st.integers(0, 16), days_off=st.integers(0, 3), rotate=st.booleans(),
       booked=st.integers(-600, 10080))
def test_generated_schedules_keep_every_rule_and_report_coverage_consistently(templates, levels, limits, rest,
                                                                             days_off, rotate, booked):
    req = requirement(lambda d, h: levels[h] if (d + h) % 5 else max(0, levels[h] - 2))
    agents = [AgentSpec(i, hours * 60, off, booked=(Shift(i, booked, booked + 480, "X"),) if i == 0 else ())
              for i, (hours, off) in enumerate(limits)]
    rules = Rules(rest * 60, days_off)
    rotation = Rotation("r", tuple(t.code for t in templates) + (None,), min(2, len(templates) + 1), MONDAY) \
        if rotate else None
    g = generate(req, templates, agents, MONDAY, rules, rotation)
    _check(g, req, agents, rules)
    if rotation is not None:
        for s in g.shifts:
            assert rotation.template_for(s.agent, MONDAY + dt.timedelta(days=s.day)) == s.template
    assert coverage_of(g.shifts, req) == g.coverage


# --- adherence and attendance -----------------------------------------------------------------------------------

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)          # 09:00 local
SHIFT = ShiftTimes(T0, T0 + dt.timedelta(hours=9), T0 + dt.timedelta(hours=4), T0 + dt.timedelta(hours=5), 15)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def timeline(*changes, before=(S.LOGGED_OUT, None)):
    return spans(before, [(at(m), s, r) for m, s, r in changes], at(-60), at(600))


def test_adherence_counts_working_states_and_the_paid_break_allowance():
    states = timeline((3, S.READY, None), (60, S.TALKING, None), (70, S.WRAP_UP, None), (72, S.READY, None),
                      (120, S.NOT_READY, R.BREAK), (145, S.READY, None),           # 25 min break, 15 allowed
                      (200, S.NOT_READY, R.MEETING), (210, S.NOT_READY, R.AFTER_CALL_WORK), (220, S.READY, None),
                      (240, S.LOGGED_OUT, None), (300, S.READY, None), (540, S.LOGGED_OUT, None))
    r = measure(SHIFT, states, at(600))
    scheduled = 8 * 3600
    # working: 3-240 less the break (25) and the meeting (10) = 202 min; after lunch 300-540 = 240 min; +15 allowed
    assert r.scheduled_s == scheduled and r.adherent_s == (202 + 240 + 15) * 60
    assert r.status == ON_TIME and r.late_s == 180 and r.attended is True
    assert r.adherence == pytest.approx(457 / 480)


@pytest.mark.parametrize("login, logout, status", [(0, 540, ON_TIME), (10, 540, LATE), (0, 530, LEFT_EARLY),
                                                   (10, 530, LATE_AND_EARLY), (31, 540, ABSENT), (0, 505, ABSENT)])
def test_lateness_and_early_leave_past_the_thresholds(login, logout, status):
    states = timeline((login, S.READY, None), (logout, S.LOGGED_OUT, None))
    assert measure(SHIFT, states, at(600), AttendanceRules(5, 30)).status == status


def test_a_shift_never_signed_into_is_absent_and_one_not_over_is_not_counted():
    assert measure(SHIFT, timeline(), at(600)).status == ABSENT
    assert measure(SHIFT, timeline((0, S.READY, None)), at(120)).status == PENDING
    assert measure(SHIFT, timeline(), at(-1)).status == UPCOMING
    # signed in since before the shift (the last change was yesterday): on time
    assert measure(SHIFT, timeline(before=(S.READY, None)), at(600)).status == ON_TIME


def test_the_summary_gives_the_attendance_rate_over_shifts_that_are_over():
    done = [measure(SHIFT, timeline((0, S.READY, None), (540, S.LOGGED_OUT, None)), at(600)) for _ in range(49)]
    done.append(measure(SHIFT, timeline(), at(600)))
    pending = measure(SHIFT, timeline((0, S.READY, None)), at(100))
    s = summarize(done + [pending])
    assert (s.shifts, s.attended, s.absent) == (50, 49, 1)
    assert s.attendance_rate == pytest.approx(98.0)
    assert s.adherence == pytest.approx(100 * 49 / 50)


def test_spans_follow_the_changes_within_the_window():
    got = spans((S.READY, None), [(at(10), S.TALKING, None), (at(20), S.READY, None)], at(0), at(30))
    assert [(p.start, p.end, p.state) for p in got] == [(at(0), at(10), S.READY), (at(10), at(20), S.TALKING),
                                                         (at(20), at(30), S.READY)]
    assert isinstance(got[0], StateSpan)
