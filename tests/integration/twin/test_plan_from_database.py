"""engine.twin.plan.from_database: the day the twin plays, read from the center's own history as the /wfm/ plan
reads it — the forecast calls per interval (or a past day's actual requests), the AHT, the measured patience, the
queue's wrap-up, and per interval the Erlang A head count for the target (or the one given); its Erlang figures."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.domain.staffing import ServiceLevelTarget, required_agents
from engine.store.batch import write_batch
from engine.store.models import Queue
from engine.store.session import make_engine, make_session_factory, transaction
from engine.twin.plan import NoTwinPlan, TwinPlan, from_database, predict

LOCAL = dt.timezone(dt.timedelta(hours=8))
FIRST, DAYS, TODAY = dt.date(2026, 3, 2), 28, dt.date(2026, 3, 30)
PATIENCE = 12 * 5 + 30.0           # every day: 12 answered calls waited 5 s, one abandoned after 30 s


def _day(day: dt.date) -> list:
    out = []
    for label, n in (("09:00", 8), ("09:15", 4)):
        h, m = map(int, label.split(":"))
        for k in range(n):
            q = dt.datetime.combine(day, dt.time(h, m, k * 60 // n), LOCAL).timestamp()
            uuid, kw = f"{day}-{label}-{k}", {"queue_code": "tax", "hall_id": None, "queued_at": q}
            out += [LogCallEvent(uuid, K.QUEUED, q, **kw),
                    LogCallEvent(uuid, K.ANSWERED, q + 5, agent_id=None, wait_s=5.0, duration_s=2.0, **kw),
                    LogCallEvent(uuid, K.TALK_ENDED, q + 245, wait_s=None, duration_s=240.0, **kw),
                    LogCallEvent(uuid, K.WRAP_UP_ENDED, q + 305, duration_s=60.0, **kw)]
    q = dt.datetime.combine(day, dt.time(9, 30), LOCAL).timestamp()
    kw = {"queue_code": "tax", "hall_id": None, "queued_at": q}
    return out + [LogCallEvent(f"{day}-ab", K.QUEUED, q, **kw),
                  LogCallEvent(f"{day}-ab", K.ABANDONED, q + 30, wait_s=30.0, **kw)]


@pytest.fixture
def session(sqlite_url):
    eng = make_engine(sqlite_url)
    with transaction(make_session_factory(eng)) as s:
        s.add(Queue(code="tax", name="税收政策", wrap_up_s=60))
        s.flush()
        for i in range(DAYS):
            write_batch(s, _day(FIRST + dt.timedelta(days=i)))
        yield s
    eng.dispose()


def test_a_forecast_day_with_the_staffing_erlang_a_requires(session):
    plan = from_database(session, dt.date(2026, 3, 31), "tax", TODAY, level=0.8)
    assert [iv.label for iv in plan.intervals] == ["09:00", "09:15", "09:30"]
    assert [round(iv.calls, 6) for iv in plan.intervals] == [8, 4, 1]
    assert plan.intervals[0].aht == pytest.approx(300.0) and plan.wrap_up_s == 60.0
    assert plan.patience == pytest.approx(PATIENCE) and plan.source == "forecast" and plan.staffing == "required"
    target = ServiceLevelTarget(0.8, 15, "exclude_short", 5)        # the report definitions' T and abandons
    for iv in plan.intervals:
        assert iv.agents == required_agents(iv.calls, iv.aht, target, "A", PATIENCE).agents
        assert predict(plan, iv).sl_a >= 0.8
    assert TwinPlan.from_dict(plan.as_dict()) == plan


def test_a_past_day_replays_its_actual_requests_with_the_agents_given(session):
    plan = from_database(session, dt.date(2026, 3, 20), "tax", TODAY, source="actual", agents=3)
    assert [iv.calls for iv in plan.intervals] == [8.0, 4.0, 1.0] and plan.exact_counts
    assert {iv.agents for iv in plan.intervals} == {3} and plan.staffing == "given"


def test_no_history_is_said(sqlite_url):
    eng = make_engine(sqlite_url)
    with transaction(make_session_factory(eng)) as s, pytest.raises(NoTwinPlan, match="no call history"):
        from_database(s, dt.date(2026, 3, 31), None, TODAY)
    eng.dispose()


def test_the_command_runs_the_forecast_day_through_the_twin(session, sqlite_url, tmp_path, monkeypatch):
    """`callcenter wfm twin`: the plan from the center's database, run, printed next to Erlang A; every placed call
    has its record in the twin's own database (the center's is only read)."""
    import json

    from click.testing import CliRunner

    from engine.cli import cli
    session.commit()
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", sqlite_url)
    out = tmp_path / "twin.json"
    r = CliRunner().invoke(cli, ["wfm", "twin", "--day", "2026-03-31", "--queue", "tax", "--agents", "3",
                                 "--speed", "300", "--json", str(out), "--db", str(tmp_path / "twin.db")])
    assert r.exit_code == 0, r.output
    assert "digital twin 2026-03-31 queue tax" in r.output and "-> OK" in r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [row["start"] for row in data["rows"]] == ["09:00", "09:15", "09:30"]
    assert data["placed"] == data["records"] > 0 and data["missing"] == 0 and data["stray"] == 0
    assert all(row["agents"] == 3 and row["erlang"]["sl_a"] is not None for row in data["rows"])


def test_a_published_schedule_gives_the_agents_at_work(session):
    """Two published shifts on the day (one with its unpaid lunch), a draft one ignored: the twin's head count per
    quarter hour is who is at work by the published schedule, for the agents able to take the queue."""
    from engine.store.models import Agent, AgentSkill, QueueSkill, Skill
    from engine.store.models.schedules import Schedule, ScheduledShift

    def at(hhmm: str) -> dt.datetime:
        h, m = map(int, hhmm.split(":"))
        return dt.datetime.combine(dt.date(2026, 3, 31), dt.time(h, m), LOCAL)

    skill = Skill(code="tax", name="税收")
    session.add(skill)
    session.flush()
    queue = session.scalar(select(Queue).where(Queue.code == "tax"))
    session.add(QueueSkill(queue_id=queue.id, skill_id=skill.id, min_level=1))
    agents = [Agent(employee_no=f"S{i}", name=f"坐席{i}", extension=f"70{i}", skills=[AgentSkill(skill=skill, level=5)])
              for i in range(3)]
    session.add_all(agents)
    session.flush()
    week = dt.date(2026, 3, 30)
    published = Schedule(name="w14", week_start=week, pool="queue", queue_code="tax", status="published")
    draft = Schedule(name="w14 draft", week_start=week, pool="queue", queue_code="tax", status="draft")
    published.shifts = [ScheduledShift(agent_id=agents[0].id, code="A", start_at=at("09:00"), end_at=at("10:00")),
                        ScheduledShift(agent_id=agents[1].id, code="B", start_at=at("09:15"), end_at=at("11:00"),
                                       break_start=at("09:30"), break_end=at("10:00"))]
    draft.shifts = [ScheduledShift(agent_id=agents[2].id, code="C", start_at=at("09:00"), end_at=at("11:00"))]
    session.add_all([published, draft])
    session.flush()
    plan = from_database(session, dt.date(2026, 3, 31), "tax", TODAY, agents="schedule")
    assert plan.staffing == "schedule"
    assert [(iv.label, iv.agents) for iv in plan.intervals] == [("09:00", 1), ("09:15", 2), ("09:30", 1)]
