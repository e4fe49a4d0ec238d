"""The call center core, event by event: what it decides for a call's whole life, with no I/O."""
import itertools

import pytest

from engine.acd import ivr_runner
from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.call import CallPhase
from engine.domain.events import (AgentRequest, AppFinished, CallParked, DirectoryLoaded, LegHungUp, OriginateResult, Shutdown,
                                  SwitchSynced, TimerFired)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason
from engine.ivr.loader import parse_flow

FLOW = parse_flow({"name": "tax_main", "start": "welcome", "nodes": {
    "welcome": {"type": "play", "prompt": "welcome.wav", "next": "menu"},
    "menu": {"type": "menu", "prompt": "menu.wav", "invalid_prompt": "invalid.wav",
             "choices": {"1": "q_policy", "2": "q_etax"}, "default": "q_policy"},
    "q_policy": {"type": "queue", "queue": "tax_policy"},
    "q_etax": {"type": "queue", "queue": "etax"}}}, "tax_main.yaml")
QUEUES = (QueueSpec(1, "tax_policy", "税收政策", {1: 1}, ring_timeout_s=15, wrap_up_s=5),
          QueueSpec(2, "etax", "电子税务局", {2: 3}, ring_timeout_s=15, wrap_up_s=0))


def agent(i, skills, state=AgentState.READY, idle=0.0):
    return Agent(i, f"A{i}", f"agent{i}", str(1000 + i), skills, state=state, idle_since=idle)


@pytest.fixture
def center():
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(1, {1: 5}, idle=10), agent(2, {1: 5, 2: 4}, idle=5), agent(3, {2: 9}, idle=1)),
                              QUEUES, {"12366": "tax_main"}, 0.0))
    return cc


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def to_queue(cc, digit="2", uuid="caller"):
    """Drive a caller from arrival through the welcome prompt and the menu."""
    out = cc.handle(CallParked(uuid, "13800138000", "12366", "张三", True, 1.0))
    assert of(out, c.Answer) == [c.Answer(uuid)]
    play = of(out, c.Play)[0]
    assert play.source == "/prompts/welcome.wav"
    out = cc.handle(AppFinished(uuid, "playback", play.app_uuid, "FILE PLAYED", None, None, 4.0))
    menu = of(out, c.Collect)[0]
    # one try at a time: the engine itself says whether no key came or a wrong one (engine.acd.ivr_runner)
    assert (menu.prompt, menu.invalid_prompt, menu.tries, menu.regex) == ("/prompts/menu.wav",
                                                                         ivr_runner.ONE_TRY_SILENCE, 1, "^[12]$")
    return cc.handle(AppFinished(uuid, "play_and_get_digits", menu.app_uuid, "_none_", digit, "success", 8.0))


def test_a_call_goes_from_ivr_to_the_longest_idle_skilled_agent_and_is_recorded(center):
    out = to_queue(center, "2")
    dial = of(out, c.DialAgent)[0]
    assert dial.extension == "1003"          # agent 1 lacks etax; 2 and 3 qualify, 3 has been idle since t=1
    assert of(out, c.Play)[0].source == "local_stream://moh"
    assert center.floor.agents[3].state is AgentState.RESERVED
    out = center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 12.0))
    assert of(out, c.Bridge) == [c.Bridge("caller", dial.leg_uuid)]
    assert center.floor.agents[3].state is AgentState.TALKING
    out = center.handle(LegHungUp("caller", "NORMAL_CLEARING", 100.0))
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.hangup_side, record.agent_id, record.offers) == (
        CallOutcome.ANSWERED, HangupSide.CALLER, 3, 1)
    assert (record.started_at, record.enqueued_at, record.answered_at, record.ended_at) == (1.0, 8.0, 12.0, 100.0)
    assert record.ivr_path == "welcome > menu > key:2 > q_etax > queue:etax"
    # etax has no wrap-up time: ready in the same event (free once its own leg is gone), no timer to wait for
    assert center.floor.agents[3].state is AgentState.READY
    assert not [t for t in of(out, c.StartTimer) if t.key.startswith("wrapup:")]


def test_unanswered_offer_sets_not_ready_no_answer_and_offers_the_next_agent_at_once(center):
    first = of(to_queue(center, "1"), c.DialAgent)[0]
    assert first.extension == "1002"        # idle since t=5, longer than agent 1 (t=10)
    out = center.handle(OriginateResult(first.job_uuid, False, None, "NO_ANSWER", 30.0))
    assert center.floor.agents[2].state is AgentState.NOT_READY
    assert center.floor.agents[2].reason is NotReadyReason.NO_ANSWER
    change = of(out, c.SaveAgentState)[0].change
    assert (change.to_state, change.reason, change.cause) == (AgentState.NOT_READY, NotReadyReason.NO_ANSWER,
                                                              "NO_ANSWER")
    second = of(out, c.DialAgent)[0]
    assert second.extension == "1001" and center.floor.calls["caller"].enqueued_at == 8.0


def test_caller_hanging_up_while_agent_rings_stops_the_ringing_and_frees_the_agent(center):
    dial = of(to_queue(center, "1"), c.DialAgent)[0]
    out = center.handle(LegHungUp("caller", "NORMAL_CLEARING", 20.0))
    assert c.Hangup(dial.leg_uuid, "ORIGINATOR_CANCEL") in out
    assert center.floor.agents[2].state is AgentState.READY
    assert of(out, c.SaveCallRecord)[0].outcome is CallOutcome.ABANDONED
    # ready, but not rung again while the cancelled leg may still be on the switch
    assert not center.floor.is_free(2)
    # the late result of the cancelled originate changes nothing and leaves no phone off-hook
    late = center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 21.0))
    assert c.Hangup(dial.leg_uuid, "ORIGINATOR_CANCEL") in late
    assert not of(late, c.DialAgent) and not of(late, c.SaveCallRecord) and not of(late, c.SaveAgentState)
    center.handle(LegHungUp(dial.leg_uuid, "ORIGINATOR_CANCEL", 21.1))
    assert center.floor.is_free(2)


def test_agent_hanging_up_first_releases_the_caller_and_records_the_agent_side(center):
    dial = of(to_queue(center, "1"), c.DialAgent)[0]
    center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 12.0))
    out = center.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", 50.0))
    assert c.Hangup("caller", "NORMAL_CLEARING") in out
    record = of(center.handle(LegHungUp("caller", "NORMAL_CLEARING", 50.1)), c.SaveCallRecord)[0]
    assert record.hangup_side is HangupSide.AGENT and record.outcome is CallOutcome.ANSWERED


def test_unknown_number_gets_a_spoken_fallback_then_hangup_and_a_record(center):
    out = center.handle(CallParked("x", "13900000000", "99999", "", True, 1.0))
    play = of(out, c.Play)[0]
    assert play.source.endswith("unknown_number.wav")
    out = center.handle(AppFinished("x", "playback", play.app_uuid, "FILE PLAYED", None, None, 5.0))
    assert out == [c.Hangup("x", "UNALLOCATED_NUMBER")]
    record = of(center.handle(LegHungUp("x", "UNALLOCATED_NUMBER", 5.1)), c.SaveCallRecord)[0]
    assert record.outcome is CallOutcome.NO_ROUTE and record.hangup_side is HangupSide.SYSTEM


def test_no_input_in_the_menu_takes_the_default(center):
    center.handle(CallParked("c", "1", "12366", "", True, 1.0))
    play_uuid = center.floor.calls["c"].pending_app
    menu = of(center.handle(AppFinished("c", "playback", play_uuid, "FILE PLAYED", None, None, 2.0)), c.Collect)[0]
    for attempt in (1, 2):      # no key: "no input" and the menu again (3 tries by default)
        out = center.handle(AppFinished("c", "play_and_get_digits", menu.app_uuid, "_none_", None, "failure",
                                        10.0 * attempt))
        assert [p.source for p in of(out, c.Play)] == ["/prompts/no_input.wav"] and not of(out, c.DialAgent)
        menu = of(out, c.Collect)[0]
        assert menu.prompt == "/prompts/menu.wav"
    out = center.handle(AppFinished("c", "play_and_get_digits", menu.app_uuid, "_none_", None, "failure", 30.0))
    assert of(out, c.DialAgent)[0].extension == "1002" and not of(out, c.Collect)
    assert [p.source for p in of(out, c.Play)] == ["local_stream://moh"]    # the default at once, then music
    assert center.floor.calls["c"].ivr_path[-7:] == ["menu", "no_input", "no_input", "no_input", "key:default",
                                                     "q_policy", "queue:tax_policy"]


def test_no_agent_ready_keeps_the_call_waiting_until_one_becomes_ready(center):
    for i in (1, 2):
        center.handle(AgentRequest(i, "not_ready", "meal", "supervisor", 0.5))
    out = to_queue(center, "1")
    assert not of(out, c.DialAgent) and center.floor.calls["caller"].phase.value == "queued"
    out = center.handle(AgentRequest(2, "ready", None, "A2", 30.0))
    assert of(out, c.DialAgent)[0].extension == "1002"


def test_a_stale_media_completion_is_ignored_and_an_agent_is_never_offered_two_calls(center):
    center.handle(CallParked("a", "1", "12366", "", True, 1.0))
    assert center.handle(AppFinished("a", "playback", "not-ours", "FILE PLAYED", None, None, 2.0)) == []
    dials = of(to_queue(center, "2", "b") + to_queue(center, "2", "c"), c.DialAgent)
    assert sorted(d.extension for d in dials) == ["1002", "1003"]


def test_restart_reconciliation_frees_agents_stuck_on_calls_that_no_longer_exist():
    cc = CallCenter({}, "/p", new_id=lambda: "x")
    cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {}, state=AgentState.TALKING, call_uuid="gone"),
                               Agent(2, "A2", "b", "1002", {}, state=AgentState.RESERVED, call_uuid="gone2")),
                              (), {}, 0.0))
    out = cc.handle(SwitchSynced(frozenset(), 10.0))
    assert cc.floor.agents[1].state is AgentState.READY and cc.floor.agents[2].state is AgentState.READY
    assert all(ch.change.cause.startswith("reconciled") for ch in of(out, c.SaveAgentState))


def test_calls_that_vanished_while_disconnected_get_a_record(center):
    dial = of(to_queue(center, "1"), c.DialAgent)[0]
    center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 12.0))
    out = center.handle(SwitchSynced(frozenset(), 60.0))
    record = of(out, c.SaveCallRecord)[0]
    # answered, then cut by the switch (no CDR tells otherwise): still an answered call, ended by the system
    assert (record.hangup_cause, record.outcome, record.hangup_side) == ("SWITCH_LOST", CallOutcome.ANSWERED,
                                                                          HangupSide.SYSTEM)
    assert center.floor.agents[2].state is not AgentState.TALKING and not center.floor.calls


def test_shutdown_hangs_calls_up_then_closes_what_is_left_with_records(center):
    dial = of(to_queue(center, "1"), c.DialAgent)[0]
    center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 12.0))
    out = center.handle(Shutdown(hangup=True, force=False, at=20.0))
    assert c.Hangup("caller", "SYSTEM_SHUTDOWN") in out and c.Hangup(dial.leg_uuid, "SYSTEM_SHUTDOWN") in out
    out = center.handle(Shutdown(hangup=False, force=True, at=25.0))
    record = of(out, c.SaveCallRecord)[0]
    assert record.hangup_cause == "SYSTEM_SHUTDOWN" and record.hangup_side is HangupSide.SYSTEM
    assert not center.floor.calls and center.floor.agents[2].state is AgentState.WRAP_UP


def test_hold_music_that_ends_at_once_is_retried_later_not_in_a_loop(center):
    for i in (1, 2):
        center.handle(AgentRequest(i, "not_ready", "meal", "supervisor", 0.5))
    to_queue(center, "1")
    call = center.floor.calls["caller"]
    out = center.handle(AppFinished("caller", "playback", call.pending_app, "FILE NOT FOUND", None, None,
                                    call.media_started_at + 0.01))
    assert not of(out, c.Play) and of(out, c.StartTimer)[0].key == "moh:caller"
    out = center.handle(TimerFired("moh:caller", 20.0))
    assert of(out, c.Play)[0].source == "local_stream://moh" and of(out, c.Play)[0].loop
    music = call.pending_app
    out = center.handle(AppFinished("caller", "playback", music, "FILE PLAYED", None, None, 40.0))
    assert out == [] and call.pending_app == music      # a 20 s pass: the switch plays it again itself
    out = center.handle(AppFinished("caller", "playback", music, "FILE PLAYED", None, None, 40.1))
    assert of(out, c.StartTimer)[0].key == "moh:caller"  # a pass of 0.1 s ends the switch's loop: later again


def test_hold_music_passes_are_judged_by_what_they_played_and_a_retry_stops_what_may_still_play(center):
    for i in (1, 2):
        center.handle(AgentRequest(i, "not_ready", "meal", "supervisor", 0.5))
    to_queue(center, "1")
    call = center.floor.calls["caller"]
    music = call.pending_app
    done = call.media_started_at + 0.4       # a fast switch (time-scaled simulator): 8 s played in 0.4 s
    assert center.handle(AppFinished("caller", "playback", music, "FILE PLAYED", None, None, done,
                                     played_ms=8000)) == []
    out = center.handle(AppFinished("caller", "playback", music, "FILE PLAYED", None, None, done + 30,
                                    played_ms=0))   # an empty file: the switch's loop is over
    assert of(out, c.StartTimer)[0].key == "moh:caller" and call.pending_app is None
    out = center.handle(TimerFired("moh:caller", done + 35))
    assert [type(x) for x in out[:2]] == [c.StopMedia, c.Play] and out[1].loop


def test_a_missing_prompt_or_a_failed_media_command_moves_the_flow_on_and_is_counted(center):
    from engine.domain.events import CommandFailed
    out = center.handle(CallParked("m", "1", "12366", "", True, 1.0))
    play = of(out, c.Play)[0]
    out = center.handle(AppFinished("m", "playback", play.app_uuid, "FILE NOT FOUND", None, None, 1.1))
    assert of(out, c.Collect) and "prompt_missing:welcome" in center.floor.calls["m"].ivr_path
    out = center.handle(CommandFailed("collect", "m", "-ERR something", 1.2))
    assert of(out, c.DialAgent)             # the menu's default, at once
    assert "switch_error:collect" in center.floor.calls["m"].ivr_path


def _connected(cc):
    dial = of(to_queue(cc, "2"), c.DialAgent)[0]
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 12.0))
    start = of(out, c.StartRecording)[0]
    assert [r.stopped_at for r in of(out, c.SaveRecording)] == [None]      # the metadata, stored at the start
    return dial, start


def test_a_recording_the_switch_never_closed_is_closed_from_its_file_after_the_call(center):
    """The caller hung up as the call was connected: the record_session queued to its leg never ran, so no
    RECORD_STOP comes. 5 s after the call's end the recording is completed anyway (the store finds no file and
    marks it missing) instead of staying 'recording' for ever."""
    from engine.acd.effects import RECORDING_STOP_GRACE_S
    _, start = _connected(center)
    out = center.handle(LegHungUp("caller", "NORMAL_CLEARING", 12.02))
    timer = next(t for t in of(out, c.StartTimer) if t.key.startswith("recstop:"))
    assert (timer.key, timer.delay) == (f"recstop:{start.path}", RECORDING_STOP_GRACE_S)
    out = center.handle(TimerFired(timer.key, 17.02))
    stop = of(out, c.SaveRecording)
    assert [(r.path, r.call_uuid, r.stopped_at, r.record_ms) for r in stop] == [(start.path, "caller", 17.02, None)]
    assert center.floor.open_recordings == {}
    assert not of(center.handle(TimerFired(timer.key, 18.0)), c.SaveRecording)     # closed once


def test_a_recording_the_switch_closed_needs_no_closing_after_the_call(center):
    from engine.domain.events import RecordingStopped
    _, start = _connected(center)
    out = center.handle(RecordingStopped("caller", start.path, 30000, "hangup", 42.0))
    assert [(r.stopped_at, r.record_ms) for r in of(out, c.SaveRecording)] == [(42.0, 30000)]
    assert c.CancelTimer(f"recstop:{start.path}") in out
    out = center.handle(LegHungUp("caller", "NORMAL_CLEARING", 42.0))
    assert not [t for t in of(out, c.StartTimer) if t.key.startswith("recstop:")]
    assert not of(center.handle(TimerFired(f"recstop:{start.path}", 47.0)), c.SaveRecording)


def test_a_queued_caller_carries_its_place_in_the_queue_on_its_own_channel(center):
    out = to_queue(center, "2")
    marks = [x for x in of(out, c.SetLegVars) if x.uuid == "caller"]
    assert marks and marks[-1].variables == {"cc_phase": "queued", "cc_queue": "etax", "cc_enqueued_at": "8.000000",
                                             "cc_priority": "0", "cc_step": "0", "cc_flow": "tax_main", "cc_after": "",
                                             "cc_path": "welcome%20%3E%20menu%20%3E%20key%3A2%20%3E%20q_etax%20%3E%20"
                                                        "queue%3Aetax"}


def _waiting(uuid, queue, enqueued_at, parked=False, priority=0, created=1.0):
    from engine.domain.events import LiveChannel
    return LiveChannel(uuid=uuid, inbound=True, ani="139", dnis="12366", caller_name="", created_at=created,
                       parked=parked, answered=True, cc_phase="queued", cc_queue=queue, cc_enqueued_at=enqueued_at,
                       cc_priority=priority)


def test_after_a_restart_waiting_callers_keep_their_place_and_wait_and_are_not_counted_again():
    """A new engine finds two callers waiting in etax (marks on their channels, capture 09): the earlier one is
    offered first, to the agent free now; neither is logged as arriving or queued again, nor sent to the IVR."""
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}, state=AgentState.NOT_READY),), QUEUES, {"12366": "tax_main"}, 0.0))
    later, earlier = _waiting("later", "etax", 950.0), _waiting("earlier", "etax", 900.0, parked=True)
    out = cc.handle(SwitchSynced(frozenset({"later", "earlier"}), 1000.0, (later, earlier)))
    calls = cc.floor.calls
    assert (calls["earlier"].phase, calls["earlier"].enqueued_at, calls["later"].enqueued_at) == (
        CallPhase.QUEUED, 900.0, 950.0)
    # logged again only where the engine that died had not (the store writes an entry marked unless_logged only
    # when the call has none of that kind yet)
    assert all(e.unless_logged for e in of(out, c.LogCallEvent))
    assert sorted((e.call_uuid, e.kind.value) for e in of(out, c.LogCallEvent)) == [
        ("earlier", "arrived"), ("earlier", "queued"), ("later", "arrived"), ("later", "queued")]
    assert not of(out, c.Answer) and not of(out, c.Collect)
    assert c.StopMedia("later") in out and c.StopMedia("earlier") not in out       # "earlier" was back in park
    assert sorted(p.uuid for p in of(out, c.Play)) == ["earlier", "later"]           # hold music, not the IVR
    out = cc.handle(AgentRequest(3, "ready", None, "A3", 1001.0, 1))
    dial = of(out, c.DialAgent)[0]
    assert dial.variables["cc_call_uuid"] == "earlier"
    out = cc.handle(LegHungUp("later", "NORMAL_CLEARING", 1010.0))       # gives up: its wait counts from 950
    record = of(out, c.SaveCallRecord)[0]
    assert (record.outcome, record.enqueued_at, record.started_at) == (CallOutcome.ABANDONED, 950.0, 1.0)
    assert "adopted after restart" in record.ivr_path


def test_an_adopted_caller_times_out_at_its_original_maximum_wait():
    ids = (f"id{n}" for n in itertools.count())
    queues = (QueueSpec(2, "etax", "电子税务局", {2: 3}, ring_timeout_s=15, max_wait_s=300),)
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((), queues, {"12366": "tax_main"}, 0.0))
    out = cc.handle(SwitchSynced(frozenset({"w"}), 1000.0, (_waiting("w", "etax", 800.0),)))
    assert c.StartTimer("maxwait:w", 100.0) in out                  # 300 s from 800, not from the restart


def test_ghost_rows_are_left_out_and_waiting_marks_are_read_back():
    """engine.switch.inventory on capture 09's shapes: a ghost row (uuid_getvar: -ERR No such channel!) is not a
    live channel; a queued caller's marks come back typed."""
    import json as _json

    from engine.switch.inventory import list_channels
    rows = [{"uuid": "ghost", "direction": "inbound", "name": "sofia/internal/lt360@127.0.0.1:5170",
             "application": "playback", "callstate": "ACTIVE", "created_epoch": "1796150544", "dest": "95002"},
            {"uuid": "q", "direction": "inbound", "name": "loopback/95009-b", "application": "playback",
             "application_data": "silence_stream://-1", "callstate": "ACTIVE", "created_epoch": "1796152035",
             "dest": "95009", "cid_num": "0000000000"}]
    marks = {"cc_phase": "queued", "cc_queue": "tax_policy", "cc_enqueued_at": "1796150000.25", "cc_priority": "0"}

    def api(line):
        if line == "show channels as json":
            return _json.dumps({"row_count": 2, "rows": rows})
        _, uuid, name = line.split()
        if uuid == "ghost":
            return "-ERR No such channel!\n"
        return marks.get(name, "_undef_")
    (ch,) = list_channels(api)
    assert (ch.uuid, ch.parked, ch.answered, ch.cc_phase, ch.cc_queue, ch.cc_enqueued_at, ch.cc_priority,
            ch.cc_step) == ("q", False, True, "queued", "tax_policy", 1796150000.25, 0, 0)


def test_an_agent_an_earlier_engine_set_aside_for_its_phone_is_checked_again_after_a_restart():
    """Restored not ready (system) from the database: the checks of the engine that set it aside died with it."""
    cc = CallCenter({}, "/p", new_id=lambda: "x")
    out = cc.handle(DirectoryLoaded((agent(1, {1: 5}, state=AgentState.NOT_READY),
                                     Agent(2, "A2", "b", "1002", {1: 5}, state=AgentState.NOT_READY,
                                           reason=NotReadyReason.SYSTEM)), QUEUES, {}, 0.0))
    assert [t.key for t in of(out, c.StartTimer) if t.key.startswith("recheck:")] == ["recheck:2"]
    out = cc.handle(TimerFired("recheck:2", 5.0))
    assert of(out, c.ProbePhone)[0].extension == "1002"


@pytest.mark.parametrize("stored_call", [None, "w"])
def test_after_a_restart_a_phone_still_ringing_for_a_waiting_caller_is_cancelled_then_rung_again(stored_call):
    """The dead engine's offer still rings (no answer yet): its originate result went to that engine, so the leg is
    cancelled; the caller is back in its place, and the phone is rung again by this engine once that leg is gone.
    (bench-failover: an agent stored as reserved for that very caller was left reserved for good.)"""
    import dataclasses as dc
    from engine.domain.events import LiveChannel
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((dc.replace(agent(3, {2: 9}, state=AgentState.RESERVED), call_uuid=stored_call),),
                              QUEUES, {"12366": "tax_main"}, 0.0))
    ringing = LiveChannel(uuid="leg", inbound=False, ani="139", dnis="1003", caller_name="", created_at=990.0,
                          parked=False, answered=False, cc_call_uuid="w", cc_agent="A3", cc_queue="etax")
    out = cc.handle(SwitchSynced(frozenset({"w", "leg"}), 1000.0, (_waiting("w", "etax", 900.0), ringing)))
    assert c.Hangup("leg", "ORIGINATOR_CANCEL") in out and not of(out, c.DialAgent)
    assert cc.floor.calls["w"].phase is CallPhase.QUEUED and cc.floor.agents[3].state is AgentState.READY
    out = cc.handle(LegHungUp("leg", "ORIGINATOR_CANCEL", 1000.1))
    assert of(out, c.DialAgent)[0].variables["cc_call_uuid"] == "w"


def test_after_a_restart_a_caller_whose_conversation_was_over_is_released_and_recorded_once_as_answered():
    """Parked after its agent hung up (park_after_bridge: the survey or the release) when the engine died: marked
    connected, so the next engine neither queues it nor runs the IVR again; it is released and recorded."""
    from engine.domain.events import LiveChannel
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    after = LiveChannel(uuid="done", inbound=True, ani="139", dnis="12366", caller_name="", created_at=1.0,
                        parked=True, answered=True, cc_phase="connected", cc_queue="etax", cc_enqueued_at=8.0,
                        cc_answered_at=20.0, cc_agent="A3")
    out = cc.handle(SwitchSynced(frozenset({"done"}), 1000.0, (after,)))
    assert c.Hangup("done", "NORMAL_CLEARING") in out
    assert not of(out, c.DialAgent) and not of(out, c.Play) and not of(out, c.Collect)
    record = of(cc.handle(LegHungUp("done", "NORMAL_CLEARING", 1000.1)), c.SaveCallRecord)[0]
    assert (record.outcome, record.agent_id, record.enqueued_at, record.answered_at) == (
        CallOutcome.ANSWERED, 3, 8.0, 20.0)


def test_an_answered_caller_is_marked_connected_on_its_channel(center):
    dial = of(to_queue(center, "2"), c.DialAgent)[0]
    out = center.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 12.0))
    marks = [x.variables for x in of(out, c.SetLegVars) if x.uuid == "caller"]
    assert marks == [{"cc_phase": "connected", "cc_answered_at": "12.000000", "cc_agent": "A3"}]


def test_a_caller_in_the_ivr_carries_its_flow_node_and_keys_on_its_own_channel(center):
    out = center.handle(CallParked("caller", "13800138000", "12366", "张三", True, 1.0))
    mark, done = [x for x in of(out, c.SetLegVars) if x.uuid == "caller"]
    play = of(out, c.Play)[0]
    assert (mark.variables["cc_phase"], mark.variables["cc_flow"], mark.variables["cc_node"],
            mark.variables["cc_media"]) == ("ivr", "tax_main", "welcome", play.app_uuid)
    assert done.variables == {"cc_done": play.app_uuid}        # set by the switch once the prompt has ended
    assert mark.in_channel and done.in_channel and out.index(mark) < out.index(play) < out.index(done)


def _in_menu(application, parked=False):
    from engine.domain.events import LiveChannel
    return LiveChannel(uuid="m", inbound=True, ani="139", dnis="12366", caller_name="", created_at=5.0,
                       parked=parked, answered=True, cc_phase="ivr", cc_flow="tax_main", cc_node="menu",
                       cc_data="lang=zh", cc_path="welcome%20%3E%20menu", application=application)


def test_after_a_restart_a_caller_back_in_park_between_nodes_hears_its_node_again():
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    out = cc.handle(SwitchSynced(frozenset({"m"}), 100.0, (_in_menu("park", parked=True),)))
    assert c.StopMedia("m") not in out and of(out, c.Collect)[0].prompt == "/prompts/menu.wav"
    assert all(e.unless_logged for e in of(out, c.LogCallEvent)) and not of(out, c.Answer)   # not counted again
    assert cc.floor.calls["m"].ivr_path == ["welcome", "adopted after restart", "menu"]


def test_after_a_restart_a_caller_in_a_menu_keeps_it_and_the_key_it_presses_counts():
    """The menu the previous engine started runs on (a break would leave its digit collection swallowing the key,
    seen on a real FreeSWITCH): its result moves the call on, in the engine that took over."""
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    out = cc.handle(SwitchSynced(frozenset({"m"}), 100.0, (_in_menu("play_and_get_digits"),)))
    call = cc.floor.calls["m"]
    assert c.StopMedia("m") not in out and not of(out, c.Collect) and not of(out, c.Play)
    assert all(e.unless_logged for e in of(out, c.LogCallEvent)) and not of(out, c.Answer)   # not counted again
    assert call.variables == {"lang": "zh"} and call.ivr_path == ["welcome", "adopted after restart", "menu"]
    assert not of(cc.handle(AppFinished("m", "multiset", "other", "", None, None, 101.0)), c.DialAgent)
    out = cc.handle(AppFinished("m", "play_and_get_digits", "the-previous-engines", "_none_", "2", "success", 104.0))
    assert of(out, c.DialAgent)[0].extension == "1003"          # the menu goes on as before: etax, agent 3
    record = of(cc.handle(LegHungUp("m", "NORMAL_CLEARING", 110.0)), c.SaveCallRecord)[0]
    assert record.started_at == 5.0 and "welcome > adopted after restart > menu" in record.ivr_path


def test_after_a_restart_a_conversation_on_hold_has_its_agent_on_hold():
    from engine.domain.events import LiveChannel
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: "x")
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    caller = LiveChannel(uuid="h", inbound=True, ani="139", dnis="12366", caller_name="", created_at=5.0,
                         parked=False, answered=True, cc_phase="connected", cc_queue="etax", cc_enqueued_at=8.0,
                         cc_answered_at=20.0, cc_agent="A3", held=True)
    leg = LiveChannel(uuid="leg", inbound=False, ani="139", dnis="1003", caller_name="", created_at=19.0,
                      parked=False, answered=True, cc_call_uuid="h", cc_agent="A3", cc_queue="etax")
    cc.handle(SwitchSynced(frozenset({"h", "leg"}), 100.0, (caller, leg)))
    assert cc.floor.agents[3].state is AgentState.ON_HOLD and cc.floor.agents[3].call_uuid == "h"


def test_after_a_restart_an_agent_who_answered_just_before_it_is_connected_to_the_waiting_caller():
    """The previous engine died between the agent's answer and the bridge: the caller is still queued (its marks),
    the agent's answered leg parked. The new engine bridges them, once, with the caller's original wait."""
    from engine.domain.events import LiveChannel
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: "x")
    cc.handle(DirectoryLoaded((agent(3, {2: 9}, state=AgentState.RESERVED),), QUEUES, {"12366": "tax_main"}, 0.0))
    caller = _waiting("w", "etax", 900.0)
    leg = LiveChannel(uuid="leg", inbound=False, ani="139", dnis="1003", caller_name="", created_at=990.0,
                      parked=True, answered=True, cc_call_uuid="w", cc_agent="A3", cc_queue="etax")
    out = cc.handle(SwitchSynced(frozenset({"w", "leg"}), 1000.0, (caller, leg)))
    assert c.Bridge("w", "leg") in out and of(out, c.StartRecording)
    assert cc.floor.agents[3].state is AgentState.TALKING and cc.floor.calls["w"].phase is CallPhase.CONNECTED
    answered = [e for e in of(out, c.LogCallEvent) if e.kind.value == "answered"]
    assert len(answered) == 1 and answered[0].wait_s == 100.0
    assert not of(out, c.DialAgent) and not of(out, c.Hangup)


def test_a_waiting_caller_taken_over_keeps_its_flow_what_follows_its_conversation_and_its_path():
    import dataclasses as dc
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}, state=AgentState.NOT_READY),), QUEUES, {"12366": "tax_main"}, 0.0))
    waiting = dc.replace(_waiting("w", "etax", 900.0), cc_flow="tax_main", cc_after="menu",
                         cc_path="welcome%20%3E%20menu%20%3E%20key%3A2")
    cc.handle(SwitchSynced(frozenset({"w"}), 1000.0, (waiting,)))
    call = cc.floor.calls["w"]
    assert (call.flow, call.after_call, call.flow_def) == ("tax_main", "menu", FLOW)
    assert call.ivr_path == ["welcome", "menu", "key:2", "adopted after restart"]


def test_after_a_restart_a_caller_leaving_for_a_callback_is_let_go_not_queued_again():
    """Seen in bench-failover: a caller who had asked for a callback (hearing its confirmation) was queued again by
    the engine that took over and served twice. Its channel now says it is leaving, and why."""
    import dataclasses as dc
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    leaving = dc.replace(_waiting("cb", "etax", 900.0), cc_phase="leaving", cc_outcome="callback",
                         application="playback")
    out = cc.handle(SwitchSynced(frozenset({"cb"}), 1000.0, (leaving,)))
    assert not of(out, c.DialAgent) and not of(out, c.Play) and "cb" not in cc.floor.waiting
    out = cc.handle(AppFinished("cb", "playback", "previous", "FILE PLAYED", None, None, 1003.0))
    assert of(out, c.Hangup) == [c.Hangup("cb", "NORMAL_CLEARING")]
    out = cc.handle(LegHungUp("cb", "NORMAL_CLEARING", 1003.1))
    assert of(out, c.SaveCallRecord)[0].outcome is CallOutcome.CALLBACK
    assert not [e for e in of(out, c.LogCallEvent) if e.kind.value == "abandoned"]


def test_a_caller_released_by_its_queue_says_so_on_its_channel(center):
    import dataclasses as dc
    from engine.acd.effects import release
    for agent_id in (2, 3):         # nobody free for etax: the caller waits with hold music
        center.floor.put_agent(dc.replace(center.floor.agents[agent_id], active=False))
    to_queue(center, "2")
    assert "caller" in center.floor.waiting
    out: list = []
    release(center.floor, center.floor.calls["caller"], CallOutcome.CALLBACK, "callback_ok.wav", out, 20.0)
    mark = of(out, c.SetLegVars)[0]
    assert mark.variables["cc_phase"] == "leaving" and mark.variables["cc_outcome"] == "callback" and mark.in_channel
    assert mark.variables["cc_media"] == of(out, c.Play)[0].app_uuid
    # after the break: `uuid_break all` flushes what is queued on the channel (bench-failover: a caller whose mark
    # was flushed was queued again by the engine that took over, and served twice)
    assert out.index(c.StopMedia("caller")) < out.index(mark)



def test_after_a_restart_a_menu_that_ended_while_no_engine_listened_goes_on_with_its_key():
    """Seen on a real FreeSWITCH: a caller pressed 2 33 ms after the kill, the menu ended before the standby
    connected, and `show channels` still named play_and_get_digits: the caller waited in silence. The switch now
    marks the media's end itself (cc_done), with the key in cc_digits."""
    import dataclasses as dc
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}),), QUEUES, {"12366": "tax_main"}, 0.0))
    ended = dc.replace(_in_menu("play_and_get_digits"), cc_media="m1", cc_done="m1", cc_digits="2")
    out = cc.handle(SwitchSynced(frozenset({"m"}), 100.0, (ended,)))
    assert of(out, c.DialAgent)[0].extension == "1003"          # on to etax at once
    assert "key:2" in cc.floor.calls["m"].ivr_path


def test_a_caller_adopted_while_waiting_after_a_transfer_keeps_its_wait_marked_as_such():
    """Its path says an agent sent it back to the queue: the answer of that wait carries the transfers, so that the
    reports do not count the caller twice (engine.reports.rollups.REWAIT)."""
    import dataclasses
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"tax_main": FLOW}, "/prompts", new_id=lambda: next(ids))
    cc.handle(DirectoryLoaded((agent(3, {2: 9}, state=AgentState.NOT_READY),), QUEUES, {"12366": "tax_main"}, 0.0))
    waiting = dataclasses.replace(_waiting("w", "etax", 950.0),
                                  cc_path="welcome%20%3E%20queue%3Apolicy%20%3E%20transfer%3Aqueue%3Aetax%3Aby%20A1")
    cc.handle(SwitchSynced(frozenset({"w"}), 1000.0, (waiting,)))
    assert cc.floor.calls["w"].transfers == 1
    out = cc.handle(LegHungUp("w", "NORMAL_CLEARING", 1010.0))
    assert [(e.kind.value, e.value) for e in of(out, c.LogCallEvent) if e.kind.value == "abandoned"] == [
        ("abandoned", 1)]
