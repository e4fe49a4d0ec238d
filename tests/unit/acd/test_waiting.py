"""While waiting: position/EWT announcements, callback keeping its place, voice messages."""
import itertools

from engine.acd.center import CallCenter
from engine.acd.waiting import number_prompts
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import (AgentRequest, AppFinished, CallbacksLoaded, CallParked, DigitPressed,
                                  DirectoryLoaded, LegHungUp, OriginateResult, PendingCallback, Shutdown, TimerFired)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState, CallOutcome
from engine.ivr.loader import parse_flow

QUEUE = QueueSpec(1, "policy", "税收政策", {1: 5}, announce_every_s=30, callback_key="1", voicemail_key="2",
                  wrap_up_s=0)
FLOW = parse_flow({"name": "f", "start": "q", "nodes": {"q": {"type": "queue", "queue": "policy"}}}, "f.yaml")


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def center(state=AgentState.NOT_READY):
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter({"f": FLOW}, "/p", new_id=lambda: next(ids), recordings_dir="/rec")
    cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=state),), (QUEUE,), {"12366": "f"}, 0.0))
    return cc


def test_numbers_are_spoken_in_mandarin_composition():
    assert number_prompts(7) == ["num_7.wav"]
    assert number_prompts(10) == ["num_10.wav"]
    assert number_prompts(13) == ["num_10.wav", "num_3.wav"]
    assert number_prompts(40) == ["num_4.wav", "num_10.wav"]
    assert number_prompts(250) == ["num_many.wav"]


def test_waiting_callers_hear_their_position_and_estimated_wait_then_the_options():
    cc = center()
    cc.handle(AgentRequest(1, "ready", None, "x", 0.0))
    cc.handle(AgentRequest(1, "not_ready", "meal", "x", 0.1))       # staffed (logged in) but on a break
    for n, uuid in enumerate(("a", "b", "c")):
        out = cc.handle(CallParked(uuid, "139", "12366", "", True, float(n)))
    assert c.StartTimer("announce:c", 30.0) in out
    out = cc.handle(TimerFired("announce:c", 32.0))
    sources = [p.source.rsplit("/", 1)[1] for p in of(out, c.Play)]
    assert sources[:3] == ["queue_position_before.wav", "num_2.wav", "queue_position_after.wav"]
    assert sources[3:] == ["queue_ewt_before.wav", "num_10.wav", "num_5.wav", "queue_ewt_minutes.wav",
                           "queue_options.wav"]   # 3rd in line x 300 s default AHT, nobody staffed: 15 min
    assert of(out, c.StopMedia) and c.StartTimer("announce:c", 30.0) in out


def test_callback_key_keeps_the_callers_place_and_dials_them_back_through_an_agent():
    cc = center()
    cc.handle(CallParked("a", "13800138000", "12366", "张三", True, 100.0))
    out = cc.handle(DigitPressed("a", "1", 130.0))
    saved = of(out, c.SaveCallback)[0]
    assert (saved.call_uuid, saved.number, saved.enqueued_at, saved.status) == ("a", "13800138000", 100.0, "pending")
    assert of(out, c.Play)[-1].source == "/p/callback_confirmed.wav"
    cc.handle(AppFinished("a", "playback", cc.floor.calls["a"].pending_app, "FILE PLAYED", None, None, 135.0))
    record = of(cc.handle(LegHungUp("a", "NORMAL_CLEARING", 135.1)), c.SaveCallRecord)[0]
    assert record.outcome is CallOutcome.CALLBACK
    (virtual,) = cc.floor.calls.values()
    assert virtual.callback_of == "a" and virtual.enqueued_at == 100.0 and virtual.uuid in cc.floor.waiting
    # an agent frees up: the agent is rung first, then the customer, then they are bridged
    dial = of(cc.handle(AgentRequest(1, "ready", None, "A1", 200.0)), c.DialAgent)[0]
    assert dial.caller_id_number == "13800138000"
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 205.0))
    customer = of(out, c.DialCustomer)[0]
    assert (customer.number, customer.leg_uuid, customer.caller_id_number) == ("13800138000", virtual.uuid, "12366")
    assert not of(out, c.Bridge)
    out = cc.handle(OriginateResult(customer.job_uuid, True, virtual.uuid, "", 215.0))
    assert of(out, c.Bridge) == [c.Bridge(virtual.uuid, dial.leg_uuid)]
    out = cc.handle(LegHungUp(virtual.uuid, "NORMAL_CLEARING", 400.0))
    assert of(out, c.SaveCallback)[0].status == "done"
    assert of(out, c.SaveCallRecord)[0].outcome is CallOutcome.ANSWERED


def test_an_unreachable_customer_frees_the_agent_and_the_callback_is_retried_then_given_up():
    cc = center(AgentState.READY)
    cc.handle(CallbacksLoaded((PendingCallback("orig", "139", "12366", "policy", 50.0, 0, 2),), 60.0))
    (virtual,) = cc.floor.calls.values()
    job = next(iter(virtual.ringing))
    leg = virtual.ringing[job]
    out = cc.handle(OriginateResult(job, True, leg, "", 61.0))
    customer = of(out, c.DialCustomer)[0]
    out = cc.handle(OriginateResult(customer.job_uuid, False, None, "NO_ANSWER", 100.0))
    saved = of(out, c.SaveCallback)[0]
    assert (saved.status, saved.attempts, saved.cause) == ("failed", 3, "NO_ANSWER")      # third attempt
    assert c.Hangup(leg, "NORMAL_CLEARING") in out and of(out, c.SaveCallRecord)[0].outcome is CallOutcome.FAILED
    assert cc.floor.agents[1].state is AgentState.READY and not cc.floor.calls


def test_voicemail_key_records_a_message_and_stores_it():
    cc = center()
    cc.handle(CallParked("a", "139", "12366", "", True, 1_800_000_000.0))
    out = cc.handle(DigitPressed("a", "2", 1_800_000_010.0))
    rec = of(out, c.Record)[0]
    assert rec.path == "/rec/voicemail/20270115/a.wav" and rec.max_s == 120
    out = cc.handle(AppFinished("a", "record", rec.app_uuid, "_none_", None, None, 1_800_000_040.0, record_ms=29500))
    vm = of(out, c.SaveVoicemail)[0]
    assert (vm.call_uuid, vm.path, vm.duration_s) == ("a", rec.path, 29.5)
    bye = of(out, c.Play)[0]
    assert bye.source == "/p/voicemail_saved.wav"
    assert cc.handle(AppFinished("a", "playback", bye.app_uuid, "FILE PLAYED", None, None, 1_800_000_045.0)) == [
        c.Hangup("a", "NORMAL_CLEARING")]
    assert of(cc.handle(LegHungUp("a", "NORMAL_CLEARING", 1_800_000_045.1)), c.SaveCallRecord)[0].outcome is \
        CallOutcome.VOICEMAIL


def test_other_keys_while_waiting_change_nothing_and_pending_callbacks_survive_shutdown():
    cc = center()
    cc.handle(CallParked("a", "139", "12366", "", True, 1.0))
    assert cc.handle(DigitPressed("a", "9", 2.0)) == []
    cc.handle(CallbacksLoaded((PendingCallback("orig", "139", "12366", "policy", 0.5, 0, 0),), 3.0))
    out = cc.handle(Shutdown(hangup=False, force=True, at=9.0))
    records = of(out, c.SaveCallRecord)
    assert [r.call_uuid for r in records] == ["a"] and not of(out, c.SaveCallback)
