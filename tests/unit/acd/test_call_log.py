"""The call-event log the core writes: every step of a call, in order, with the figures reports need."""
import itertools

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.calllog import CallEventKind as K
from engine.domain.events import (AgentRequest, CallParked, DirectoryLoaded, LegHeld, LegHungUp, OriginateResult,
                                  TimerFired)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState
from engine.ivr.loader import parse_flow

QUEUE = QueueSpec(1, "policy", "税收政策", {1: 5}, wrap_up_s=10)
FLOW = parse_flow({"name": "f", "start": "q", "nodes": {"q": {"type": "queue", "queue": "policy"}}}, "f.yaml")


def center(trunk_channels=0):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"f": FLOW}, "/p", new_id=lambda: next(ids), trunk_channels=trunk_channels)
    cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY, idle_since=1),
                               Agent(2, "A2", "b", "1002", {1: 5}, state=AgentState.READY, idle_since=2)),
                              (QUEUE,), {"12366": "f"}, 0.0))
    return cc


def log(out):
    return [x for x in out if isinstance(x, c.LogCallEvent)]


def test_a_call_missed_once_answered_held_and_wrapped_up_is_logged_step_by_step():
    cc = center()
    entries = []
    out = cc.handle(CallParked("caller", "13912345678", "12366", "", True, 100.0))
    entries += log(out)
    first = [x for x in out if isinstance(x, c.DialAgent)][0]
    out = cc.handle(OriginateResult(first.job_uuid, False, None, "NO_ANSWER", 120.0))      # A1 does not answer
    entries += log(out)
    second = [x for x in out if isinstance(x, c.DialAgent)][0]
    out = cc.handle(OriginateResult(second.job_uuid, True, second.leg_uuid, "", 124.0))
    entries += log(out)
    entries += log(cc.handle(LegHeld("caller", True, 130.0)))
    entries += log(cc.handle(LegHeld("caller", False, 145.0)))
    entries += log(cc.handle(LegHungUp(second.leg_uuid, "NORMAL_CLEARING", 200.0)))    # the agent hangs up
    entries += log(cc.handle(LegHungUp("caller", "NORMAL_CLEARING", 200.5)))
    entries += log(cc.handle(TimerFired("wrapup:2", 210.0)))

    assert [e.kind for e in entries] == [K.ARRIVED, K.IVR_ENTERED, K.IVR_COMPLETED, K.QUEUED, K.OFFERED, K.NO_ANSWER, K.OFFERED,
                                         K.ANSWERED, K.HELD, K.RETRIEVED, K.TALK_ENDED, K.ENDED, K.WRAP_UP_ENDED]
    by = {e.kind: e for e in entries}
    assert all(e.queued_at == 100.0 for e in entries[3:]) and entries[0].queued_at is None
    assert entries[2].detail == "" and entries[2].private == "q > queue:policy"     # the IVR data: sealed
    assert by[K.NO_ANSWER].agent_id == 1 and by[K.NO_ANSWER].duration_s == 20.0
    assert by[K.NO_ANSWER].detail == "no_answer:NO_ANSWER"
    assert (by[K.ANSWERED].agent_id, by[K.ANSWERED].wait_s, by[K.ANSWERED].duration_s) == (2, 24.0, 4.0)
    assert by[K.RETRIEVED].duration_s == 15.0
    assert (by[K.TALK_ENDED].agent_id, by[K.TALK_ENDED].duration_s) == (2, 76.0)
    assert by[K.ENDED].detail == "answered" and by[K.ENDED].duration_s == 100.5
    assert (by[K.WRAP_UP_ENDED].agent_id, by[K.WRAP_UP_ENDED].duration_s) == (2, 10.0)
    assert by[K.WRAP_UP_ENDED].call_uuid == "caller" and by[K.WRAP_UP_ENDED].queue_code == "policy"
    assert {e.ani for e in entries[:-1]} == {"13912345678"} and {e.dnis for e in entries[:-1]} == {"12366"}


def test_a_caller_who_leaves_while_an_agent_rings_is_an_abandon_while_ringing():
    cc = center()
    cc.handle(CallParked("caller", "139", "12366", "", True, 100.0))
    entries = log(cc.handle(LegHungUp("caller", "NORMAL_CLEARING", 107.0)))
    # the abandon carries the agent whose phone rang; the agent did not fail to answer: no "no answer" entry
    assert [e.kind for e in entries] == [K.ABANDONED, K.ENDED]
    assert entries[0].wait_s == 7.0 and entries[0].detail == "ringing" and entries[0].agent_id == 1
    assert entries[1].detail == "abandoned"


def test_a_transfer_is_logged_and_the_call_enters_the_next_queue_as_a_transferred_request():
    cc = center()
    dial = [x for x in cc.handle(CallParked("caller", "139", "12366", "", True, 100.0)) if isinstance(x, c.DialAgent)][0]
    cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 105.0))
    out = cc.handle(AgentRequest(1, "transfer", None, "A1", 150.0, 1, "queue:policy", "note"))
    assert [(e.kind, e.detail, e.agent_id, e.duration_s) for e in log(out)] == [(K.TRANSFERRED, "queue:policy", 1, 45.0)]
    entries = log(cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", 151.0)))
    queued = [e for e in entries if e.kind is K.QUEUED]
    assert queued and queued[0].detail == "transfer" and queued[0].queued_at == 151.0


def test_all_busy_periods_of_the_trunk_are_logged_with_their_length():
    cc = center(trunk_channels=2)
    assert not [e for e in log(cc.handle(CallParked("one", "139", "12366", "", True, 100.0)))
                if e.kind is K.TRUNK_ALL_BUSY]
    busy = [e for e in log(cc.handle(CallParked("two", "138", "12366", "", True, 101.0))) if e.kind is K.TRUNK_ALL_BUSY]
    assert busy and busy[0].value == 2 and busy[0].detail == "pstn"
    free = [e for e in log(cc.handle(LegHungUp("one", "NORMAL_CLEARING", 131.0))) if e.kind is K.TRUNK_FREE]
    assert free and free[0].duration_s == 30.0


def test_the_end_of_a_wait_after_a_transfer_back_to_a_queue_carries_the_transfers():
    """The answer (or abandon…) of a call's wait after its agent sent it back to a queue says so in `value`, so
    that reports count one caller's call as one request (engine.reports.rollups.REWAIT); the first wait's does not,
    and an offer that is not answered puts the call back at its place with no new `queued` entry."""
    cc = center()
    entries = log(out := cc.handle(CallParked("caller", "139", "12366", "", True, 100.0)))
    first = [x for x in out if isinstance(x, c.DialAgent)][0]
    entries += log(out := cc.handle(OriginateResult(first.job_uuid, False, None, "NO_ANSWER", 110.0)))
    second = [x for x in out if isinstance(x, c.DialAgent)][0]
    entries += log(cc.handle(OriginateResult(second.job_uuid, True, second.leg_uuid, "", 112.0)))
    entries += log(cc.handle(AgentRequest(2, "transfer", None, "A2", 150.0, 1, "queue:policy", "")))
    entries += log(cc.handle(LegHungUp(second.leg_uuid, "NORMAL_CLEARING", 151.0)))
    entries += log(cc.handle(LegHungUp("caller", "NORMAL_CLEARING", 158.0)))     # gives up in the second wait
    assert [(e.detail, e.value) for e in entries if e.kind is K.QUEUED] == [("", 0), ("transfer", 5)]
    ends = [(e.kind, e.value, e.queued_at) for e in entries if e.kind in (K.ANSWERED, K.ABANDONED)]
    assert ends == [(K.ANSWERED, None, 100.0), (K.ABANDONED, 1, 151.0)]
