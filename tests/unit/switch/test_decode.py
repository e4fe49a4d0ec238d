"""Decoding real FreeSWITCH events (from the wire captures) into the core's events, and building commands."""
from engine.domain.events import AppFinished, CallParked, LegBridged, LegHungUp, OriginateResult
from engine.switch.decode import decode
from engine.switch.frames import parse_plain_event
from tests.captures import events


def decoded(name):
    return [d for d in (decode(parse_plain_event(body)) for body in events(name)) if d is not None]


def test_bridge_capture_decodes_into_park_originate_bridge_and_hangups():
    out = decoded("04a_bridge_to_agent")
    parked = [e for e in out if isinstance(e, CallParked)]
    caller, agent = parked[0], parked[1]
    assert (caller.inbound, caller.ani, caller.dnis, caller.caller_name) == (True, "13800138000", "12366", "张三")
    assert agent.inbound is False
    job = next(e for e in out if isinstance(e, OriginateResult))
    assert job.ok and job.leg_uuid == agent.uuid
    bridge = next(e for e in out if isinstance(e, LegBridged))
    assert (bridge.a_uuid, bridge.b_uuid) == (caller.uuid, agent.uuid)
    hangups = [e for e in out if isinstance(e, LegHungUp)]
    # one per leg, from CHANNEL_HANGUP_COMPLETE (the leg is gone, its BYE sent); between two legs the order varies
    assert sorted(h.uuid for h in hangups) == sorted([caller.uuid, agent.uuid])
    assert all(h.cause == "NORMAL_CLEARING" for h in hangups)
    assert caller.at > 1.7e9       # Event-Date-Timestamp (µs) became epoch seconds


def test_busy_and_no_answer_originates_decode_to_their_causes():
    results = [e for e in decoded("04b_agent_busy_and_no_answer") if isinstance(e, OriginateResult)]
    assert [r.cause for r in results if not r.ok][:2] == ["USER_BUSY", "NO_ANSWER"]


def test_menu_results_carry_digits_and_read_result():
    done = [e for e in decoded("03_inbound_call_ivr") if isinstance(e, AppFinished)]
    collects = [e for e in done if e.app == "play_and_get_digits"]
    assert [c.read_result for c in collects] == ["success", "success", "failure"]
    assert done[0].app == "playback" and done[0].response == "FILE PLAYED" and done[0].app_uuid
    assert done[0].played_ms == 2759        # prompt.wav, 2.76 s: how much of it played (one pass of a loop)
    assert all(c.played_ms is None for c in collects)


def test_malformed_events_are_dropped_not_raised():
    assert decode(parse_plain_event(b"Event-Name: CHANNEL_PARK\nCore-UUID: x\n")) is None
    assert decode(parse_plain_event(b"Event-Name: BACKGROUND_JOB\nJob-Command: originate\n")) is None
