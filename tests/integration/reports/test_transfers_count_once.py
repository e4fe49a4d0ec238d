"""One caller's call is one request: an agent sending the caller back to a queue, or a phone that was not
answered, makes no new request in the answer rate, the average wait or the service level — from the log the
engine's core writes, through the store's rollups, to the report and the scorecard (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from pytest import approx

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import AgentRequest, CallParked, DirectoryLoaded, LegHungUp, OriginateResult
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState
from engine.ivr.loader import parse_flow
from engine.reports import rollups
from engine.reports.definitions import Definitions
from engine.reports.drill import calls_behind
from engine.reports.periods import day_range
from engine.reports.queries import call_report
from engine.store.calllog import append
from engine.store.session import make_engine, make_session_factory

LOCAL = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL).timestamp()
DAY = day_range(dt.date(2026, 3, 2), dt.date(2026, 3, 2))
D = Definitions()
QUEUES = (QueueSpec(1, "policy", "税收政策", {1: 5}, wrap_up_s=0), QueueSpec(2, "etax", "电子税务局", {2: 5}, wrap_up_s=0))
FLOW = parse_flow({"name": "f", "start": "q", "nodes": {"q": {"type": "queue", "queue": "policy"}}}, "f.yaml")


def _log(out):
    return [x for x in out if isinstance(x, c.LogCallEvent)]


def _dial(out):
    return [x for x in out if isinstance(x, c.DialAgent)][0]


def engine_log() -> list[c.LogCallEvent]:
    """Two callers, as the core logs them.

    c1: queued in policy, agent 1 answers after 4 s, sends the caller to etax (blind transfer to a queue); agent 2
        does not answer there (the call goes back to its place), agent 3 answers 15 s after the transfer.
    c2: queued in policy, agent 1 answers after 2 s, sends the caller to etax; nobody takes it there and the caller
        hangs up after 30 s."""
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"f": FLOW}, "/p", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY, idle_since=1),
                               Agent(2, "A2", "b", "1002", {2: 5}, state=AgentState.READY, idle_since=2),
                               Agent(3, "A3", "c", "1003", {2: 5}, state=AgentState.READY, idle_since=3)),
                              QUEUES, {"12366": "f"}, 0.0))
    entries = _log(out := cc.handle(CallParked("c1", "13900000001", "12366", "", True, T0)))
    first = _dial(out)
    entries += _log(cc.handle(OriginateResult(first.job_uuid, True, first.leg_uuid, "", T0 + 4)))
    entries += _log(cc.handle(AgentRequest(1, "transfer", None, "A1", T0 + 60, 1, "queue:etax", "")))
    entries += _log(out := cc.handle(LegHungUp(first.leg_uuid, "NORMAL_CLEARING", T0 + 61)))
    unanswered = _dial(out)
    entries += _log(out := cc.handle(OriginateResult(unanswered.job_uuid, False, None, "NO_ANSWER", T0 + 71)))
    taken = _dial(out)
    assert taken.extension == "1003"
    entries += _log(cc.handle(OriginateResult(taken.job_uuid, True, taken.leg_uuid, "", T0 + 76)))
    entries += _log(cc.handle(LegHungUp("c1", "NORMAL_CLEARING", T0 + 200)))

    entries += _log(out := cc.handle(CallParked("c2", "13900000002", "12366", "", True, T0 + 300)))
    first = _dial(out)
    entries += _log(cc.handle(OriginateResult(first.job_uuid, True, first.leg_uuid, "", T0 + 302)))
    entries += _log(cc.handle(AgentRequest(1, "transfer", None, "A1", T0 + 350, 2, "queue:etax", "")))
    # in etax nobody is free: agent 2 is not ready since the missed call, agent 3's phone is not hung up yet
    entries += _log(cc.handle(LegHungUp(first.leg_uuid, "NORMAL_CLEARING", T0 + 351)))
    entries += _log(cc.handle(LegHungUp("c2", "NORMAL_CLEARING", T0 + 381)))
    return entries


@pytest.fixture
def session(database_url):
    engine = make_engine(database_url)
    with make_session_factory(engine)() as s:
        for entry in engine_log():
            append(s, entry)
            s.commit()
        yield s
    engine.dispose()


def test_the_engine_logs_one_request_per_caller_and_marks_the_waits_after_a_transfer():
    entries = engine_log()
    queued = [(e.call_uuid, e.detail) for e in entries if e.kind.value == "queued"]
    assert queued == [("c1", ""), ("c1", "transfer"), ("c2", ""), ("c2", "transfer")]   # none for the unanswered ring
    ends = [(e.call_uuid, e.kind.value, e.value) for e in entries if e.kind.value in ("answered", "abandoned")]
    assert ends == [("c1", "answered", None), ("c1", "answered", 1), ("c2", "answered", None),
                    ("c2", "abandoned", 1)]


def test_totals_count_each_caller_once(session):
    f = call_report(session, *DAY, "day", "all", D).total.figures
    assert (f["requests"], f["rewaits"], f["answered"], f["abandoned"]) == (2, 2, 2, 0)
    assert f["answer_rate"] == approx(100.0)            # not 3 answered of 4 "requests" (75 %)
    assert f["waited"] == 2 and f["avg_wait_s"] == approx((4 + 2) / 2)   # the first waits: 4 s and 2 s
    assert f["answered_within"] == 2 and f["service_level"] == approx(100.0)
    assert f["abandon_rate"] == approx(0.0) and f["offered"] == 4 and f["no_answer"] == 1
    assert f["transfers"] == 2 and f["talks"] == 3
    hours = call_report(session, *DAY, "hour", "all", D).rows
    assert sum(r.figures["requests"] for r in hours) == 2 and sum(r.figures["answered"] for r in hours) == 2


def test_per_queue_and_agent_the_wait_after_the_transfer_counts(session):
    queues = {r.key: r.figures for r in call_report(session, *DAY, "day", "queue", D).rows}
    assert (queues["policy"]["requests"], queues["policy"]["answered"]) == (2, 2)
    etax = queues["etax"]
    assert (etax["requests"], etax["rewaits"], etax["answered"], etax["abandoned"]) == (2, 2, 1, 1)
    assert etax["avg_wait_s"] == approx((15 + 30) / 2)
    agents = {r.key: r.figures for r in call_report(session, *DAY, "day", "agent", D).rows}
    assert agents["1"]["answered"] == 2 and agents["3"]["answered"] == 1 and agents["2"]["no_answer"] == 1
    # the total of a per-queue report is still the centre's: one request per caller
    total = call_report(session, *DAY, "day", "queue", D).total.figures
    assert (total["requests"], total["answered"], total["answer_rate"]) == (2, 2, approx(100.0))


def test_the_calls_behind_the_figures_match_and_rollups_equal_the_log(session):
    total, entries = calls_behind(session, "requests", *DAY, D)
    assert total == 2 and {e.detail for e in entries} == {""}
    total, entries = calls_behind(session, "answered", *DAY, D, where={"queue": "etax"})
    assert total == 1 and entries[0].call_uuid == "c1"
    assert calls_behind(session, "rewaits", *DAY, D)[0] == 2
    assert rollups.verify(session) == []
    rollups.rebuild(session)
    assert call_report(session, *DAY, "day", "all", D).total.figures["requests"] == 2
