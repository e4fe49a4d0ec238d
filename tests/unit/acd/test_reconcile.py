"""Calls that end while no engine sees them end: named for what cut them (switch_lost, engine_stopped), never a
caller's abandon; closed from FreeSWITCH's own CDRs when it posted one, with exactly one record and the log entries
the engine that held them did not write."""
from engine.domain import commands as c
from engine.domain.calllog import CallEventKind as K
from engine.domain.events import AppFinished, CallTrace, Cdr, CdrsArrived, OriginateResult, Shutdown, SwitchSynced
from engine.domain.states import CallOutcome, HangupSide
from tests.unit.acd.test_center import center, of, to_queue  # noqa: F401  (fixture)


def kinds(out):
    return [e.kind for e in of(out, c.LogCallEvent)]


def queued_without_agents(cc, uuid="caller"):
    """A caller waiting in etax while every agent who could take it is busy elsewhere."""
    for agent_id in (2, 3):
        cc.floor.put_agent(cc.floor.agents[agent_id].__class__(**{**cc.floor.agents[agent_id].__dict__,
                                                                   "active": False}))
    to_queue(cc, "2", uuid)
    assert uuid in cc.floor.waiting


def cdr(uuid="caller", disposition="recv_bye", ended=70.0, **marks):
    return Cdr(uuid, "inbound", "13800138000", "12366", "张三", 1.0, 1.2, ended, "NORMAL_CLEARING", disposition,
               marks)


def test_a_queued_caller_lost_with_the_switch_is_cut_not_abandoned(center):
    queued_without_agents(center)
    out = center.handle(SwitchSynced(frozenset(), 60.0))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.hangup_side) == (CallOutcome.SWITCH_LOST, HangupSide.SYSTEM)
    assert K.CUT in kinds(out) and K.ABANDONED not in kinds(out)


def test_a_queued_caller_who_hung_up_during_the_outage_is_an_abandon_at_the_time_the_cdr_gives(center):
    queued_without_agents(center)
    out = center.handle(SwitchSynced(frozenset(), 60.0, cdrs=(cdr(ended=30.0),)))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.hangup_side, record.ended_at) == (CallOutcome.ABANDONED, HangupSide.CALLER, 30.0)
    abandon = [e for e in of(out, c.LogCallEvent) if e.kind is K.ABANDONED][0]
    assert abandon.wait_s == 30.0 - 8.0       # queued at t=8 by the menu


def test_an_engine_stop_cuts_waiting_callers_as_engine_stopped(center):
    queued_without_agents(center)
    center.handle(Shutdown(hangup=True, force=False, at=20.0))
    out = center.handle(Shutdown(hangup=False, force=True, at=25.0))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.hangup_side) == (CallOutcome.ENGINE_STOPPED, HangupSide.SYSTEM)
    assert K.CUT in kinds(out) and K.ABANDONED not in kinds(out)


def test_a_cdr_closes_a_call_whose_hang_up_the_engine_missed(center):
    queued_without_agents(center)
    out = center.handle(CdrsArrived((cdr(ended=40.0),), {}, 50.0))
    assert of(out, c.SaveCallRecord)[0].outcome is CallOutcome.ABANDONED and not center.floor.calls
    assert c.SaveCdrReconciled("caller", "closed", 50.0) in out


def test_a_caller_that_waited_while_the_engine_was_dead_gets_one_record_and_the_missing_log_entries(center):
    # the engine that held it logged its arrival and its queueing, then died; the caller hung up while queued
    trace = CallTrace(frozenset({K.ARRIVED.value, K.IVR_ENTERED.value, K.QUEUED.value}))
    out = center.handle(CdrsArrived((cdr("orphan", cc_phase="queued", cc_queue="etax",
                                         cc_enqueued_at="8.0"),), {"orphan": trace}, 90.0))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.call_uuid, record.outcome, record.hangup_side) == ("orphan", CallOutcome.ABANDONED,
                                                                      HangupSide.CALLER)
    assert record.enqueued_at == 8.0 and record.queue_id == 2
    assert kinds(out) == [K.ABANDONED, K.ENDED]          # arrived and queued were already logged
    assert of(out, c.LogCallEvent)[0].wait_s == 62.0


def test_a_conversation_that_ended_while_no_engine_was_active_is_answered_by_its_agent(center):
    out = center.handle(CdrsArrived((cdr("talk", "send_bye", 100.0, cc_phase="connected", cc_queue="etax",
                                         cc_enqueued_at="8.0", cc_answered_at="20.0", cc_agent="A3"),),
                                    {"talk": CallTrace(frozenset(), ("/rec/talk.wav",))}, 110.0))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.agent_id, record.answered_at, record.hangup_side) == (
        CallOutcome.ANSWERED, 3, 20.0, HangupSide.AGENT)
    assert kinds(out) == [K.ARRIVED, K.QUEUED, K.ANSWERED, K.TALK_ENDED, K.ENDED]
    talk = [e for e in of(out, c.LogCallEvent) if e.kind is K.TALK_ENDED][0]
    assert talk.duration_s == 80.0
    closed = [r for r in of(out, c.SaveRecording) if r.path == "/rec/talk.wav"][0]
    assert closed.stopped_at == 100.0           # the store completes it from the file: its real length


def test_a_caller_cut_by_the_switch_while_no_engine_was_active_is_engine_stopped(center):
    out = center.handle(CdrsArrived((cdr("cut", "send_bye", cc_phase="queued", cc_queue="etax",
                                         cc_enqueued_at="8.0"),), {}, 90.0))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.hangup_side) == (CallOutcome.ENGINE_STOPPED, HangupSide.SYSTEM)
    assert K.CUT in kinds(out) and K.ABANDONED not in kinds(out)


def test_a_call_too_young_to_be_listed_is_not_taken_as_vanished(center):
    """bench-failover: a caller that arrived 18 ms after the new engine's `show channels` was answered by it, then
    closed as cut by the switch, and left in silence. The core database's rows lag the channels."""
    queued_without_agents(center)
    started = center.floor.calls["caller"].started_at
    out = center.handle(SwitchSynced(frozenset(), started + 0.5, listed_at=started + 0.5))
    assert "caller" in center.floor.calls and not of(out, c.SaveCallRecord)
    out = center.handle(SwitchSynced(frozenset(), started + 60.0, listed_at=started + 60.0))
    assert of(out, c.SaveCallRecord)            # one that old would have been listed: it is gone


def test_a_second_look_takes_over_a_caller_the_first_listing_missed_and_closes_nothing(center):
    """On a real FreeSWITCH a caller parked 5 ms before the kill was not in the new engine's first listing (its
    row not yet in the core database) and was left parked for minutes."""
    from engine.domain.events import LiveChannel
    queued_without_agents(center)
    parked = LiveChannel(uuid="late", inbound=True, ani="139", dnis="12366", caller_name="", created_at=40.0,
                         parked=True, answered=False)
    out = center.handle(SwitchSynced(frozenset({"late"}), 50.0, (parked,), listed_at=49.9, adopt_only=True))
    assert c.Answer("late") in out and "late" in center.floor.calls
    assert "caller" in center.floor.calls and not of(out, c.SaveCallRecord)     # not listed, not closed


def test_a_listing_older_than_a_hang_up_does_not_bring_the_ended_call_back():
    """Day simulation: the re-listing after a connect read each channel's marks one by one while the busy floor
    went on; a conversation that ended meanwhile was in the listing, was taken over as talking after its hang-up
    had been handled, and left its agent talking for good."""
    import itertools
    from engine.acd.center import CallCenter
    from engine.domain.events import DirectoryLoaded, LegHungUp, LiveChannel
    from tests.unit.acd.test_center import FLOW, QUEUES, agent
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    listed = LiveChannel(uuid="over", inbound=True, ani="139", dnis="12366", caller_name="", created_at=1.0,
                         parked=False, answered=True, cc_phase="connected", cc_queue="etax", cc_enqueued_at=8.0,
                         cc_answered_at=20.0, cc_agent="A3")
    cc.handle(LegHungUp("over", "NORMAL_CLEARING", 99.0))       # handled before the (older) listing arrives
    out = cc.handle(SwitchSynced(frozenset({"over"}), 100.0, (listed,), listed_at=98.0, adopt_only=True))
    assert "over" not in cc.floor.calls and not out
    assert cc.floor.agents[3].state.value == "ready"
