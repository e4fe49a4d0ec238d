"""Hand-computed figures of the small day in day_fixture.py, on SQLite and PostgreSQL (every figure by hand)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from pytest import approx

from engine.reports import rollups
from engine.reports.agents import agent_report
from engine.reports.definitions import (ABANDONS_EXCLUDE, ABANDONS_INCLUDE, ROUND_WHOLE_POINTS, Definitions,
                                        load_definitions, save_definitions)
from engine.reports.drill import calls_behind
from engine.reports.periods import day_range, local_midnight
from engine.reports.queries import call_report, region_report
from engine.reports.scorecard import monthly_scorecard
from engine.store.session import make_engine, make_session_factory

from .day_fixture import DAY, t, write_day

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.timezone.utc)       # both days closed
D = Definitions()                                                # T = 15 s, short abandon 5 s, exclude short
DAY1 = day_range(DAY, DAY)
DAYS12 = day_range(DAY, DAY + dt.timedelta(days=1))


@pytest.fixture
def session(database_url):
    engine = make_engine(database_url)
    with make_session_factory(engine)() as s:
        write_day(s)
        rollups.refresh(s, now=NOW)
        yield s
    engine.dispose()


def day_total(session, d=D, **where):
    return call_report(session, *DAY1, "day", "all", d, where=where or None).total.figures


def test_queue_and_service_figures_of_the_day(session):
    f = day_total(session)
    # requests: C1 C2 C3 C4 C5 C6 C7 C10 — C6 sent back to a queue by its agent is still one caller's call
    assert f["requests"] == 8 and f["rewaits"] == 1
    assert f["answered"] == 4                                   # C1 C3 C6 C7 (not C6's second answer)
    assert f["answer_rate"] == approx(100 * 4 / 8)
    assert f["answered_within"] == 1                            # C1 (8 s); C6's second wait (5 s) is no request
    assert f["abandoned"] == 2 and f["abandoned_short"] == 1 and f["abandoned_ringing"] == 1
    assert f["service_level"] == approx(100 * 1 / 7)            # short abandon C4 left out
    assert f["abandon_rate"] == approx(100 * 2 / 8)
    assert f["avg_abandon_s"] == approx(11.5)
    assert f["callbacks"] == 1 and f["released"] == 1 and f["voicemails"] == 0
    assert f["waited"] == 8
    assert f["avg_wait_s"] == approx((8 + 20 + 40 + 330 + 20 + 3 + 60 + 600) / 8)
    assert f["asa_s"] == approx((8 + 20 + 40 + 330) / 4)
    assert f["max_wait_s"] == 600
    assert f["talks"] == 5
    assert f["talk_s"] == approx(300 + 240 + 80 + 240 + 120 - 30)
    assert f["hold_s"] == 30 and f["holds"] == 1
    assert f["wrap_s"] == 30 + 30 + 20 + 30
    assert f["aht_s"] == approx((980 + 110) / 5)
    assert f["transfers"] == 1 and f["overflowed"] == 1
    assert f["rated"] == 3 and f["satisfied"] == 2
    assert f["satisfaction_rate"] == approx(100 * 2 / 3)
    assert f["rating_rate"] == approx(100 * 3 / 4)
    assert f["arrived"] == 9 and f["dialed"] == 1 and f["dialed_talk_s"] == 60
    assert f["trunk_busy"] == 2 and f["trunk_busy_s"] == 160 and f["trunk_busy_avg_s"] == 80
    assert f["trunk_busy_max_s"] == 120


def test_abandon_treatments_change_only_the_service_level(session):
    include = day_total(session, dataclasses.replace(D, abandons_in_service_level=ABANDONS_INCLUDE))
    exclude = day_total(session, dataclasses.replace(D, abandons_in_service_level=ABANDONS_EXCLUDE))
    assert include["service_level"] == approx(100 * 1 / 8)
    assert exclude["service_level"] == approx(100 * 1 / 6)
    t20 = day_total(session, dataclasses.replace(D, service_level_s=20, short_abandon_s=3))
    assert t20["answered_within"] == 2                          # C3 answered after exactly 20 s counts
    assert t20["abandoned_short"] == 1                          # C4 abandoned after exactly 3 s counts
    assert include["answer_rate"] == exclude["answer_rate"] == t20["answer_rate"]


def test_per_queue_overflow_counts_in_both_queues(session):
    rows = {r.key: r.figures for r in call_report(session, *DAY1, "day", "queue", D).rows}
    # tax: C1 C2 C3 C4 C5 C6' C10 entered it, C7 overflowed into it
    assert rows["tax"]["requests"] == 8 and rows["tax"]["overflow_in"] == 1
    assert rows["tax"]["answered"] == 4 and rows["tax"]["answer_rate"] == approx(50.0)
    assert rows["etax"]["requests"] == 2 and rows["etax"]["answered"] == 1 and rows["etax"]["overflowed"] == 1
    skills = {r.label: r.figures["requests"] for r in call_report(session, *DAY1, "day", "skill", D).rows}
    assert skills == {"税收政策": 8, "电子税务局": 2}


def test_interval_attribution_and_midnight(session):
    rows = {r.period: r.figures for r in call_report(session, *DAY1, "interval", "all", D).rows}
    assert rows["2026-03-02 09:00"]["requests"] == 3            # C1 C2 C3 (C3 answered at 09:15:10)
    assert rows["2026-03-02 09:00"]["answered"] == 2
    assert rows["2026-03-02 09:15"]["requests"] == 1 and rows["2026-03-02 09:15"]["abandoned"] == 1
    assert rows["2026-03-02 23:45"]["answered"] == 1            # C7, answered after midnight
    assert rows["2026-03-02 23:45"]["talks"] == 1
    days = {r.period: r.figures for r in call_report(session, *DAYS12, "day", "all", D).rows}
    assert list(days) == ["2026-03-02"]                         # nothing of C7 lands on 3 March
    hours = {r.period: r.figures["requests"] for r in call_report(session, *DAY1, "hour", "all", D).rows}
    assert hours["2026-03-02 09:00"] == 6 and hours["2026-03-02 10:00"] == 1 and hours["2026-03-02 23:00"] == 1


def test_per_agent_and_group_call_figures(session):
    agents = {r.key: r.figures for r in call_report(session, *DAY1, "day", "agent", D).rows}
    assert agents["1"]["answered"] == 3 and agents["1"]["talks"] == 3
    assert agents["1"]["talk_s"] == approx(300 + 240 + 120 - 30) and agents["1"]["hold_s"] == 30
    assert agents["2"]["abandoned_ringing"] == 1 and agents["2"]["dialed"] == 1
    assert agents["3"]["transfers"] == 1 and agents["3"]["answered"] == 1
    groups = {r.label: r.figures["answered"] for r in call_report(session, *DAY1, "day", "group", D).rows}
    assert groups == {"一组": 4, "二组": 1}


def test_agent_state_statistics_split_at_midnight(session):
    rows = {(r["period"], r["key"]): r for r in agent_report(session, *DAYS12, "day", "agent", D, now=NOW)}
    a1 = rows[("2026-03-02", "1")]
    assert a1["logged_in_s"] == 54300                           # 08:55 → midnight
    assert (a1["idle_count"], a1["idle_total_s"], a1["idle_max_s"]) == (4, 48864, 39000)
    assert a1["idle_avg_s"] == approx(48864 / 4)
    assert (a1["ready_idle_count"], a1["ready_idle_total_s"], a1["ready_idle_max_s"]) == (1, 312, 312)
    assert (a1["not_ready_count"], a1["not_ready_total_s"], a1["not_ready_max_s"]) == (3, 5100, 3600)
    assert (a1["rest_count"], a1["rest_total_s"], a1["rest_max_s"]) == (2, 4500, 3600)
    assert a1["rest_avg_s"] == approx(2250)
    assert a1["occupancy"] == approx(100 * 336 / (336 + 48864))
    assert a1["utilization"] == approx(100 * 336 / 54300)
    assert a1["answered"] == 3 and a1["satisfaction_rate"] == approx(100.0)   # rated 5 and 4
    a1_next = rows[("2026-03-03", "1")]
    assert a1_next["logged_in_s"] == 600 and a1_next["not_ready_count"] == 1 and a1_next["answered"] == 0


def test_agent_state_by_hour_from_the_log_matches_the_day(session):
    rows = [r for r in agent_report(session, *DAY1, "hour", "agent", D, now=NOW) if r["key"] == "1"]
    by_hour = {r["period"]: r for r in rows}
    ten = by_hour["2026-03-02 10:00"]
    assert ten["not_ready_count"] == 1 and ten["not_ready_total_s"] == 900
    assert ten["idle_count"] == 1 and ten["idle_total_s"] == 2700 and ten["idle_max_s"] == 6300
    assert sum(r["logged_in_s"] for r in rows) == 54300
    assert sum(r["not_ready_count"] for r in rows) == 3


def test_today_is_computed_live_and_refresh_folds_it_later(session):
    during = dt.datetime.fromtimestamp(t(12, 30), dt.timezone.utc)   # half past noon on the day itself
    live = {r["key"]: r for r in agent_report(session, *DAY1, "day", "agent", D, now=during)}
    # folded days were computed with NOW; a report as of 12:30 of a fresh store is live up to 12:30
    assert live["1"]["logged_in_s"] > 0


def test_caller_regions(session):
    regions = {(r["province"], r["city"]): r["calls"] for r in region_report(session, *DAY1)}
    assert regions == {("北京市", "北京市"): 6, ("广东省", "深圳市"): 1, ("上海市", "上海市"): 1, ("", ""): 1}


def test_drill_down_lists_exactly_the_calls_behind_a_figure(session):
    total, entries = calls_behind(session, "answered_within", *DAY1, D)
    assert total == 1 and [e.call_uuid for e in entries] == ["C1"]
    assert entries[0].agent == "1001 张三" and entries[0].ani == "13800138000" and entries[0].outcome == "answered"
    total, entries = calls_behind(session, "answered_within", *DAY1, D, where={"queue": "tax"})
    assert [e.call_uuid for e in entries] == ["C1", "C6"]             # per queue, C6's wait in tax counts
    total, entries = calls_behind(session, "rewaits", *DAY1, D)
    assert total == 1 and entries[0].call_uuid == "C6" and entries[0].queue_code == "tax"
    total, entries = calls_behind(session, "requests", *DAY1, D, where={"queue": "tax"})
    assert total == 8 and {e.call_uuid for e in entries} == {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C10"}
    total, entries = calls_behind(session, "abandoned_ringing", *DAY1, D, where={"agent": "2"})
    assert [e.call_uuid for e in entries] == ["C2"]
    start, end = local_midnight(DAY) + 9 * 3600, local_midnight(DAY) + 9 * 3600 + 900
    total, _ = calls_behind(session, "requests", start, end, D)
    assert total == 3
    for figure in ("requests", "answered", "answered_within", "waited", "abandoned", "callbacks", "talks", "rated",
                   "transfers", "rewaits", "trunk_busy"):
        count, _ = calls_behind(session, figure, *DAY1, D)
        report_value = day_total(session)[figure]
        assert count == report_value, figure


def test_definitions_round_trip_and_rebuild_gives_the_same_figures(session):
    custom = dataclasses.replace(D, service_level_s=20, satisfied_ratings=(5,), scorecard_rounding=ROUND_WHOLE_POINTS)
    save_definitions(session, custom)
    session.commit()
    assert load_definitions(session) == custom
    before = day_total(session)
    rollups.rebuild(session, now=NOW)
    assert day_total(session) == before
    assert rollups.verify(session, now=NOW) == []
    with pytest.raises(ValueError):
        Definitions(service_level_s=17)


def test_monthly_scorecard_points_follow_seed_003(session):
    card = {i.key: i for i in monthly_scorecard(session, 2026, 3, D).items}
    # answer rate 50 %: 45 points below 95 % → 5 − 45 < 0 → 0 points
    assert card["answer_rate"].value == approx(100 * 4 / 8) and card["answer_rate"].points == 0
    # average wait 135.1 s ≥ 120 s → "扣5分"
    assert card["avg_wait"].points == 0
    # timely answer is measured from consultation orders answered on the spot: none this month, not measured
    assert card["timely"].value is None and card["timely"].points is None
    # satisfaction 66.67 % → 28.33 below → 0
    assert card["satisfaction"].points == 0
    assert card["ticket_inspection"].points is None and card["attendance"].points is None


def test_short_abandons_can_be_left_out_of_the_answer_rate_too(session):
    """The answer rate has its own abandon treatment, with the same short-abandon threshold S as the service
    level; by default it is answered / requests."""
    from engine.reports.definitions import ABANDONS_EXCLUDE_SHORT
    assert day_total(session)["answer_rate"] == approx(100 * 4 / 8)
    short = day_total(session, dataclasses.replace(D, abandons_in_answer_rate=ABANDONS_EXCLUDE_SHORT))
    assert short["answer_rate"] == approx(100 * 4 / 7)          # C4, abandoned after 3 s ≤ S = 5 s, left out
    assert short["service_level"] == day_total(session)["service_level"]     # each rate has its own treatment
    assert day_total(session, dataclasses.replace(D, abandons_in_answer_rate=ABANDONS_EXCLUDE_SHORT,
                                                  short_abandon_s=3))["answer_rate"] == approx(100 * 4 / 7)
    exclude = day_total(session, dataclasses.replace(D, abandons_in_answer_rate=ABANDONS_EXCLUDE))
    assert exclude["answer_rate"] == approx(100 * 4 / 6)        # C2 and C4 left out
    card = {i.key: i for i in monthly_scorecard(session, 2026, 3, dataclasses.replace(
        D, abandons_in_answer_rate=ABANDONS_EXCLUDE_SHORT)).items}
    assert card["answer_rate"].value == approx(100 * 4 / 7)
    custom = dataclasses.replace(D, abandons_in_answer_rate=ABANDONS_EXCLUDE)
    save_definitions(session, custom)
    session.commit()
    assert load_definitions(session) == custom
