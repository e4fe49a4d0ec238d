"""Hold music that never runs out, and menus that say when no key came: on the simulator, over real ESL TCP.

FreeSWITCH runs a sendmsg app again and again with `loops: -1` (switch_ivr.c switch_ivr_parse_event) until
uuid_break, a bridge, or a pass under 0.5 s; the engine plays a waiting caller's music that way, so that the music
goes on through an agent's ringing, a return to the queue and an overflow. The simulator records what each channel
heard (SimSwitch.media_timeline), and the tests measure the caller's longest silence while it waits.
"""
from __future__ import annotations

import json
import uuid as uuidlib

import gevent
import pytest
from sqlalchemy import update

from engine.bootstrap import Engine
from engine.config import PROJECT_ROOT
from engine.domain.states import CallOutcome
from engine.store.models import Queue
from engine.store.session import make_engine, make_session_factory, transaction
from tests.e2e.conftest import config_for, demo_switch, seeded_demo, wait_until
from tests.e2e.test_walking_skeleton import record_of, set_not_ready

from .callflow import answered_caller, api, capsim, cesl, chan_events, originate_parked  # noqa: F401 (fixtures)
from .conftest import make_wav


# -- the switch: a sendmsg's loops -------------------------------------------------------------------------------
def loop_playback(esl, uuid, path, loops=-1):
    """sendmsg execute playback with `loops:` and no event-lock, as the engine sends hold music."""
    ev_uuid = str(uuidlib.uuid4())
    headers = [("call-command", "execute"), ("execute-app-name", "playback"), ("execute-app-arg", path),
               ("loops", str(loops)), ("Event-UUID", ev_uuid)]
    assert dict(esl.send("sendmsg %s" % uuid, headers).headers)["Reply-Text"] == "+OK"
    return ev_uuid


def passes(esl, uuid, app_uuid):
    return [e for e in chan_events(esl, uuid) if e.name == "CHANNEL_EXECUTE_COMPLETE"
            and e.get("Application-UUID") == app_uuid]


def test_a_looping_playback_plays_again_with_the_same_app_uuid_until_uuid_break(capsim, cesl):
    moh = make_wav(capsim.sounds_dir + "/moh.wav", 1.0)
    uuid = answered_caller(capsim, cesl)
    app = loop_playback(cesl, uuid, moh)
    cesl.wait_for(lambda: len(passes(cesl, uuid, app)) >= 3, timeout=10)
    # each pass: CHANNEL_EXECUTE, PLAYBACK_START, PLAYBACK_STOP, CHANNEL_EXECUTE_COMPLETE (FILE PLAYED), with the
    # sendmsg's Event-UUID as Application-UUID and current_loop counting the passes
    media = [e for e in chan_events(cesl, uuid) if e.name in ("CHANNEL_EXECUTE", "PLAYBACK_START", "PLAYBACK_STOP",
                                                               "CHANNEL_EXECUTE_COMPLETE")
             and (e.get("Application") == "playback" or e.name.startswith("PLAYBACK"))]
    assert [e.name for e in media[:8]] == ["CHANNEL_EXECUTE", "PLAYBACK_START", "PLAYBACK_STOP",
                                           "CHANNEL_EXECUTE_COMPLETE"] * 2
    done = passes(cesl, uuid, app)
    assert {e.get("Application-Response") for e in done} == {"FILE PLAYED"}
    assert [e.get("variable_current_loop") for e in done[:3]] == ["1", "2", "3"]
    assert {e.get("variable_total_loops") for e in done} == {"-1"}
    # no event-lock: a sendmsg queued meanwhile runs inside the music, at once, not after it
    set_uuid = str(uuidlib.uuid4())
    cesl.send("sendmsg %s" % uuid, [("call-command", "execute"), ("execute-app-name", "set"),
                                     ("execute-app-arg", "cc_mark=1"), ("Event-UUID", set_uuid)])
    cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application_UUID=set_uuid)
    assert api(cesl, "uuid_getvar %s cc_mark" % uuid) == "1"
    assert api(cesl, "uuid_break %s" % uuid) == "+OK\n"
    cesl.wait_event("PRIVATE_COMMAND", Unique_ID=uuid)       # the loop is over: its sendmsg is done
    count = len(passes(cesl, uuid, app))
    gevent.sleep(capsim.real(2.5))
    assert len(passes(cesl, uuid, app)) == count, "uuid_break ends the loop, not only the pass"
    assert api(cesl, "uuid_getvar %s current_loop" % uuid) == "_undef_"


def test_a_looping_playback_of_a_missing_file_ends_after_one_pass(capsim, cesl):
    uuid = answered_caller(capsim, cesl)
    app = loop_playback(cesl, uuid, capsim.sounds_dir + "/nosuch.wav")
    cesl.wait_event("PRIVATE_COMMAND", Unique_ID=uuid)
    gevent.sleep(capsim.real(1.5))
    assert [e.get("Application-Response") for e in passes(cesl, uuid, app)] == ["FILE NOT FOUND"]


def test_a_bridge_ends_the_looping_music_and_the_caller_hears_the_agent(capsim, cesl):
    moh = make_wav(capsim.sounds_dir + "/moh.wav", 1.0)
    uuid = answered_caller(capsim, cesl)
    app = loop_playback(cesl, uuid, moh)
    cesl.wait_for(lambda: len(passes(cesl, uuid, app)) >= 1, timeout=10)
    agent = originate_parked(cesl)
    assert api(cesl, "uuid_bridge %s %s" % (uuid, agent)).startswith("+OK")
    cesl.wait_event("CHANNEL_BRIDGE", Unique_ID=uuid)
    count = len(passes(cesl, uuid, app))
    gevent.sleep(capsim.real(2.5))
    assert len(passes(cesl, uuid, app)) == count
    heard = capsim.media_timeline(uuid)
    assert heard[-1]["kind"] == "bridge" and heard[-1]["what"] == agent and heard[-1]["end"] is None
    assert heard[-2]["kind"] == "playback" and heard[-2]["end"] is not None


def test_endless_playback_is_not_stopped_by_uuid_break_only_by_a_bridge(capsim, cesl):
    moh = make_wav(capsim.sounds_dir + "/moh.wav", 1.0)
    uuid = answered_caller(capsim, cesl)
    assert api(cesl, "uuid_broadcast %s endless_playback::%s aleg" % (uuid, moh)) == "+OK Message sent\n"
    cesl.wait_event("PLAYBACK_START", Unique_ID=uuid)
    api(cesl, "uuid_break %s" % uuid)      # mod_dptools.c endless_playback_function: BREAK plays the file again
    cesl.wait_for(lambda: sum(e.name == "PLAYBACK_START" for e in chan_events(cesl, uuid)) >= 3, timeout=10)
    agent = originate_parked(cesl)
    api(cesl, "uuid_bridge %s %s" % (uuid, agent))
    cesl.wait_event("CHANNEL_BRIDGE", Unique_ID=uuid)
    done = [e for e in chan_events(cesl, uuid) if e.name == "CHANNEL_EXECUTE_COMPLETE"
            and e.get("Application") == "endless_playback"]
    assert len(done) == 1           # one application run, for every pass


# -- the switch: what one try of play_and_get_digits leaves (switch_ivr_read, switch_play_and_get_digits) -----------
def one_try(capsim, cesl, digits, low, high, regex):
    menu = make_wav(capsim.sounds_dir + "/menu.wav", 1.0)
    uuid = capsim.place_call(did="12366", ani="13800138000", digits=[digits], dtmf_delay=0.2)
    cesl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    ev_uuid = str(uuidlib.uuid4())
    arg = f"{low} {high} 1 2000 # {menu} silence_stream://200 cc_digits {regex} 1000"
    cesl.send("sendmsg %s" % uuid, [("call-command", "execute"), ("execute-app-name", "play_and_get_digits"),
                                     ("execute-app-arg", arg), ("Event-UUID", ev_uuid)])
    done = cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application_UUID=ev_uuid)
    silence = [e for e in chan_events(cesl, uuid) if e.name == "PLAYBACK_START"
               and e.get("Playback-File-Path") == "silence_stream://200"]
    valid = done.get("variable_read_result") == "success" and done.get("variable_cc_digits")
    assert len(silence) == (0 if valid else 1)      # the invalid file follows a failed try, whatever went wrong
    return done.get("variable_read_result"), done.get("variable_cc_digits"), done.get("variable_cc_digits_invalid")


@pytest.mark.parametrize("pressed, low, high, regex, left", [
    ("", 1, 1, "^[12]$", ("failure", None, None)),              # nothing: failure, no digits
    ("9", 1, 1, "^[12]$", ("success", None, "9")),              # a key the regex refuses: success, no digits
    ("12", 4, 8, "^\\d+$", ("failure", "12", None)),           # too few: failure, the digits kept
    ("2", 1, 1, "^[12]$", ("success", "2", None)),
])
def test_one_try_tells_no_input_from_a_wrong_key_by_read_result_and_digits(capsim, cesl, pressed, low, high, regex,
                                                                           left):
    assert one_try(capsim, cesl, pressed, low, high, regex) == left


# -- the engine: the caller's silence while it waits --------------------------------------------------------------
@pytest.fixture
def demo_sim():
    switch = demo_switch()
    yield switch
    switch.stop()


@pytest.fixture
def db_url(sqlite_url):
    return seeded_demo(sqlite_url)


@pytest.fixture
def engine(demo_sim, db_url, tmp_path):
    config = config_for(demo_sim.esl_port, db_url, tmp_path)
    eng = Engine(config, directory_reload_s=0.3)
    eng.start()
    wait_until(lambda: eng.switch.connected, 10, "the engine to connect to the switch")
    wait_until(lambda: eng.center.floor.directory_loaded, 10, "the directory")
    yield eng
    eng.stop()


def write(db_url, fn):
    eng = make_engine(db_url)
    try:
        with transaction(make_session_factory(eng)) as session:
            fn(session)
    finally:
        eng.dispose()


def longest_silence(heard, start, end):
    """The longest stretch between start and end in which the channel heard nothing (no playback, no bridge)."""
    longest, covered = 0.0, start
    for h in sorted(heard, key=lambda h: h["start"]):
        if h["start"] > end:
            break
        longest = max(longest, h["start"] - covered)
        covered = max(covered, h["end"] if h["end"] is not None else end)
    return max(longest, end - covered)


def test_a_caller_hears_music_all_the_while_an_agent_rings_it_returns_to_the_queue_and_overflows(
        demo_sim, engine, db_url):
    # etax: only 杨磊 (1006) is ready and his phone rings out (15 s), the call waits again; it overflows to tax
    # policy, whose agents (who lack etax) answer it. The engine's timers run in real seconds: 2 s is 40 s here
    write(db_url, lambda s: s.execute(update(Queue).where(Queue.code == "etax").values(
        overflow_rules=json.dumps([{"after_s": 2, "action": "overflow", "queue": "tax_policy"}]))))
    engine.reload_directory()
    set_not_ready(engine, ["1001", "1007", "1008", "1009"])
    demo_sim.set_phone("1006", behaviour="no_answer")
    uuid = demo_sim.place_call(did="12366", digits="2", talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 40, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED and rec.offers == 2
    assert "queue:etax > overflow:tax_policy" in rec.ivr_path
    heard = demo_sim.media_timeline(uuid)
    music = [h for h in heard if h["kind"] == "playback" and h["what"].endswith("/moh.wav")]
    bridge = next(h for h in heard if h["kind"] == "bridge")
    assert len(music) >= 4, "an 8 s file over a wait of more than 25 s: played again and again"
    assert bridge["start"] - music[0]["start"] > 25
    assert all(a["end"] <= b["start"] + 0.05 for a, b in zip(music, music[1:])), "one loop, never two at once"
    silence = longest_silence(heard, music[0]["start"], bridge["start"])
    assert silence < 1.0, f"the waiting caller heard {silence:.1f} s of silence"


def said_to(sim, uuid):
    """The playbacks a channel heard, by file name (stream URLs whole)."""
    return [h["what"] if "://" in h["what"] else h["what"].rsplit("/", 1)[-1]
            for h in sim.media_timeline(uuid) if h["kind"] == "playback"]


def test_a_caller_who_presses_nothing_hears_no_input_and_the_menu_again_then_the_default(demo_sim, engine, db_url):
    uuid = demo_sim.place_call(did="12366", digits="", talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 60, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED
    assert "menu > no_input > no_input > no_input > key:default > to_policy" in rec.ivr_path
    said = said_to(demo_sim, uuid)
    menu_part = said[:said.index("moh.wav")]
    assert menu_part == (["welcome.wav"] + ["tax_menu.wav", "silence_stream://200", "no_input.wav"] * 2
                         + ["tax_menu.wav", "silence_stream://200"])    # after the last try: the default at once
    assert "invalid.wav" not in said


def test_a_wrong_key_hears_the_invalid_prompt_and_the_next_key_counts(demo_sim, engine, db_url):
    uuid = demo_sim.place_call(did="12366", digits=["9", "2"], talk_time=1.0)
    rec = wait_until(lambda: record_of(db_url, uuid), 60, "the call record")
    assert rec.outcome is CallOutcome.ANSWERED and "menu > invalid_key > key:2 > to_etax" in rec.ivr_path
    said = said_to(demo_sim, uuid)
    assert said[:5] == ["welcome.wav", "tax_menu.wav", "silence_stream://200", "invalid.wav", "tax_menu.wav"]
    assert "no_input.wav" not in said


def test_a_caller_set_aside_for_a_consultation_hears_music_until_the_transfer(demo_sim, engine, db_url):
    from engine.domain.states import AgentState
    from tests.e2e.test_agent_actions import request, result_of
    uuid = demo_sim.place_call(did="12366", digits="2", talk_time=300.0)
    floor = engine.center.floor
    call = wait_until(lambda: floor.calls.get(uuid) if floor.calls.get(uuid) and floor.calls[uuid].answered_at
                      and floor.calls[uuid].phase.value == "connected" else None, 20, "the call to be answered")
    first = floor.agents[call.agent_id]
    second = next(a for a in sorted(floor.agents.values(), key=lambda a: a.employee_no)
                  if a.state is AgentState.READY and a.agent_id != first.agent_id)
    assert result_of(db_url, request(db_url, first.extension, "consult", f"agent:{second.employee_no}")) == "ok"
    consult = wait_until(lambda: call.consult if call.consult and call.consult.answered else None, 20,
                         "the consulted agent to answer")
    set_aside = wait_until(lambda: next((h for h in demo_sim.media_timeline(uuid) if h["kind"] == "bridge"
                                         and h["end"] is not None), None), 10, "the caller to be set aside")
    gevent.sleep(demo_sim.real(20))         # the agents talk for 20 s (the music file lasts 8)
    assert result_of(db_url, request(db_url, first.extension, "consult_transfer")) == "ok"
    back = wait_until(lambda: next((h for h in demo_sim.media_timeline(uuid) if h["kind"] == "bridge"
                                    and h["what"] == consult.leg_uuid), None), 10, "the caller with the second agent")
    heard = demo_sim.media_timeline(uuid)
    music = [h for h in heard if h["kind"] == "playback" and h["what"].endswith("/moh.wav")
             and set_aside["end"] <= h["start"] <= back["start"]]
    assert len(music) >= 3, "an 8 s file over 20 s and more: played again and again"
    silence = longest_silence(heard, set_aside["end"], back["start"])
    assert silence < 1.0, f"the caller set aside heard {silence:.1f} s of silence"
    demo_sim.hangup(uuid)


def test_the_control_api_tells_what_a_leg_heard(tmp_path):
    from engine.fsim import SimSwitch
    from .esl_client import EslClient
    from .test_control_and_greenswitch import http
    sim = SimSwitch(esl_port=0, control_port=0, dialplan_dir=str(PROJECT_ROOT / "dialplans"), time_scale=0.02,
                    sounds_dir=str(tmp_path))
    sim.start()
    try:
        esl = EslClient(sim.esl_port)
        esl.auth()
        esl.send("event plain ALL")
        prompt = make_wav(tmp_path / "prompt.wav", 1.0)
        uuid = answered_caller(sim, esl)
        app = loop_playback(esl, uuid, prompt, loops=1)
        esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application_UUID=app)
        status, heard = http(sim, "GET", f"/calls/{uuid}/media")
        assert status == 200 and [(h["kind"], h["what"]) for h in heard] == [("playback", prompt)]
        assert 0.9 < heard[0]["end"] - heard[0]["start"] < 1.5       # simulated seconds: the file's 1 s
        esl.close()
    finally:
        sim.stop()


def test_a_caller_set_aside_whose_agent_hangs_up_goes_on_to_the_survey_not_to_music_for_ever(demo_sim, engine,
                                                                                              db_url):
    from engine.domain.states import AgentState
    from tests.e2e.test_agent_actions import request, result_of
    uuid = demo_sim.place_call(did="12366", digits=["2", "5"], talk_time=300.0)
    floor = engine.center.floor
    call = wait_until(lambda: floor.calls.get(uuid) if floor.calls.get(uuid) and floor.calls[uuid].answered_at
                      and floor.calls[uuid].phase.value == "connected" else None, 20, "the call to be answered")
    first, first_leg = floor.agents[call.agent_id], call.agent_leg
    second = next(a for a in sorted(floor.agents.values(), key=lambda a: a.employee_no)
                  if a.state is AgentState.READY and a.agent_id != first.agent_id)
    assert result_of(db_url, request(db_url, first.extension, "consult", f"agent:{second.employee_no}")) == "ok"
    wait_until(lambda: call.consult if call.consult and call.consult.answered else None, 20, "the consultation")
    wait_until(lambda: any(h["kind"] == "playback" and h["what"].endswith("/moh.wav")
                           for h in demo_sim.media_timeline(uuid)), 10, "the music")
    gevent.sleep(demo_sim.real(10))
    demo_sim.hangup(first_leg)              # the consulting agent hangs up: the caller is asked for a rating
    rec = wait_until(lambda: record_of(db_url, uuid), 30, "the call record")
    assert "after_call > survey > rated:5" in rec.ivr_path
    said = said_to(demo_sim, uuid)
    assert said.index("survey.wav") > said.index("moh.wav")
