"""Call flows over real TCP: park, sendmsg apps, originate, uuid_bridge, hang-up (captures 03, 04a-c)."""
import json
import time
import uuid as uuidlib

import gevent


def chan_events(esl, uuid, skip=("API",)):
    return [e for e in esl.events if e.get("Unique-ID") == uuid and e.name not in skip]


def sendmsg(esl, uuid, app, arg=None, lock=False, ev_uuid=None):
    headers = [("call-command", "execute"), ("execute-app-name", app)]
    if arg is not None:
        headers.append(("execute-app-arg", arg))
    if lock:
        headers.append(("event-lock", "true"))
    ev_uuid = ev_uuid or str(uuidlib.uuid4())
    headers.append(("Event-UUID", ev_uuid))
    r = esl.send("sendmsg %s" % uuid, headers)
    assert dict(r.headers)["Reply-Text"] == "+OK"
    return ev_uuid


def parked_call(sim, esl, **kw):
    uuid = sim.place_call(did="12366", ani="13800138000", caller_name="张三", **kw)
    esl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    return uuid


def answered_call(sim, esl, **kw):
    uuid = parked_call(sim, esl, **kw)
    app_uuid = sendmsg(esl, uuid, "answer")
    esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application_UUID=app_uuid)
    return uuid


def test_inbound_call_reaches_park_in_capture_order(sim, esl):
    uuid = parked_call(sim, esl)
    seq = [(e.name, e.get("Channel-State"), e.get("Application")) for e in chan_events(esl, uuid)]
    assert seq == [
        ("CHANNEL_STATE", "CS_NEW", None), ("CHANNEL_STATE", "CS_INIT", None), ("CHANNEL_CREATE", "CS_INIT", None),
        ("CHANNEL_CALLSTATE", "CS_ROUTING", None), ("CHANNEL_STATE", "CS_ROUTING", None),
        ("CHANNEL_STATE", "CS_EXECUTE", None),
        ("CHANNEL_EXECUTE", "CS_EXECUTE", "set"), ("CHANNEL_EXECUTE_COMPLETE", "CS_EXECUTE", "set"),
        ("CHANNEL_EXECUTE", "CS_EXECUTE", "set"), ("CHANNEL_EXECUTE_COMPLETE", "CS_EXECUTE", "set"),
        ("CHANNEL_EXECUTE", "CS_EXECUTE", "park"), ("CHANNEL_PARK", "CS_EXECUTE", None)]
    park = esl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    assert park.get("Answer-State") == "ringing"
    assert park.get("Channel-Name") == "sofia/internal/13800138000@127.0.0.1:5070"
    assert park.get("Caller-Caller-ID-Name") == "张三" and park.get("Caller-Context") == "public"
    assert park.get("variable_cc_did") == "12366" and park.get("variable_park_after_bridge") == "true"
    assert "Channel-Name: sofia/internal/13800138000%40127.0.0.1%3A5070\n" in park.body
    assert "Caller-Caller-ID-Name: %E5%BC%A0%E4%B8%89\n" in park.body


def test_no_route_hangs_up(sim, esl):
    uuid = sim.place_call(did="abc", ani="1000")
    ev = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    assert ev.all("Hangup-Cause") == ["NO_ROUTE_DESTINATION", "NO_ROUTE_DESTINATION"]
    assert "CHANNEL_EXECUTE" not in [e.name for e in chan_events(esl, uuid)]


def test_answer_then_playback(sim, esl, sounds):
    uuid = parked_call(sim, esl)
    ans = sendmsg(esl, uuid, "answer")
    esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=ans)
    pb = sendmsg(esl, uuid, "playback", sounds["prompt"], lock=True)
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=pb)
    assert done.get("Application-Response") == "FILE PLAYED"
    names = [e.name for e in chan_events(esl, uuid)]
    i = names.index("CHANNEL_EXECUTE", names.index("CHANNEL_PARK") + 1)
    assert names[i:i + 5] == ["CHANNEL_EXECUTE", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_CALLSTATE", "CHANNEL_ANSWER",
                              "CHANNEL_CALLSTATE"]
    assert names[-5:] == ["CHANNEL_EXECUTE", "PLAYBACK_START", "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE",
                          "PRIVATE_COMMAND"]
    stop = esl.wait_event("PLAYBACK_STOP", Unique_ID=uuid)
    assert stop.get("Playback-Status") == "done" and stop.get("Playback-File-Path") == sounds["prompt"]
    priv = esl.events[-1]
    assert priv.names()[:7] == ["Command", "call-command", "execute-app-name", "execute-app-arg", "event-lock",
                                "Event-UUID", "Event-Name"]
    missing = sendmsg(esl, uuid, "playback", "/nonexistent/x.wav")
    ev = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=missing)
    assert ev.get("Application-Response") == "FILE NOT FOUND"
    assert len([e for e in chan_events(esl, uuid) if e.name == "PLAYBACK_START"]) == 1


def pgd_arg(sounds, var):
    return "1 1 3 3000 # %s %s %s \\d" % (sounds["menu"], sounds["invalid"], var)


def test_play_and_get_digits_success_with_recv_dtmf(sim, esl, sounds):
    uuid = answered_call(sim, esl)
    app = sendmsg(esl, uuid, "play_and_get_digits", pgd_arg(sounds, "ivr_choice"))
    esl.wait_event("PLAYBACK_START", Unique_ID=uuid)
    r = esl.send("api uuid_recv_dtmf %s 2" % uuid)
    assert r.body == "+OK %s received DTMF 2.\n" % uuid
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    assert done.get("Application-Response") == "_none_"
    assert done.get("variable_ivr_choice") == "2" and done.get("variable_read_result") == "success"
    dtmf = esl.wait_event("DTMF", Unique_ID=uuid)
    assert (dtmf.get("DTMF-Digit"), dtmf.get("DTMF-Duration"), dtmf.get("DTMF-Source")) == ("2", "2000", "APP")
    assert not any(n.startswith("variable_") for n in dtmf.names())
    assert esl.send("api uuid_getvar %s ivr_choice" % uuid).body == "2"


def test_play_and_get_digits_invalid_then_valid_from_caller_script(sim, esl, sounds):
    uuid = answered_call(sim, esl, digits="*3", dtmf_delay=0.3)
    app = sendmsg(esl, uuid, "play_and_get_digits", pgd_arg(sounds, "choice2"))
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    assert done.get("variable_choice2") == "3" and done.get("variable_choice2_invalid") == "*"
    paths = [e.get("Playback-File-Path") for e in chan_events(esl, uuid) if e.name == "PLAYBACK_START"]
    assert paths == [sounds["menu"], sounds["invalid"], sounds["menu"]]
    digits = [e for e in chan_events(esl, uuid) if e.name == "DTMF"]
    assert [(d.get("DTMF-Digit"), d.get("DTMF-Source"), d.get("DTMF-Duration")) for d in digits] == \
        [("*", "RTP", "2240"), ("3", "RTP", "2240")]


def test_play_and_get_digits_no_input_fails(sim, esl, sounds):
    uuid = answered_call(sim, esl)
    app = sendmsg(esl, uuid, "play_and_get_digits", pgd_arg(sounds, "choice3"))
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app, timeout=20)
    assert done.get("variable_read_result") == "failure" and done.get("variable_choice3") is None
    starts = [e.get("Playback-File-Path") for e in chan_events(esl, uuid) if e.name == "PLAYBACK_START"]
    assert starts == [sounds["menu"], sounds["invalid"]] * 3
    assert esl.send("api uuid_getvar %s choice3" % uuid).body == "_undef_"


def test_unknown_app_hangs_up(sim, esl):
    uuid = parked_call(sim, esl)
    sendmsg(esl, uuid, "no_such_app")
    ev = esl.wait_event("CHANNEL_HANGUP", Unique_ID=uuid)
    assert ev.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER"
    assert not [e for e in chan_events(esl, uuid) if e.get("Application") == "no_such_app"]


def test_variables_and_kill(sim, esl):
    uuid = parked_call(sim, esl)
    assert esl.send("api uuid_setvar %s cc_skill tax" % uuid).body == "+OK\n"
    assert esl.send("api uuid_getvar %s cc_skill" % uuid).body == "tax"
    assert esl.send("api uuid_setvar_multi %s cc_a=1;cc_b=two words" % uuid).body == "+OK\n"
    assert esl.send("api uuid_getvar %s cc_b" % uuid).body == "two words"
    assert esl.send("api uuid_setvar %s cc_skill" % uuid).body == "+OK\n"
    assert esl.send("api uuid_getvar %s cc_skill" % uuid).body == "_undef_"
    assert esl.send("api uuid_exists %s" % uuid).body == "true"
    gevent.sleep(sim.sqldb_lag_s)                   # its row in the core database (switch_core_sqldb.c)
    rows = json.loads(esl.send("api show channels as json").body)
    assert rows["row_count"] == 1 and rows["rows"][0]["uuid"] == uuid
    assert all(isinstance(v, str) for v in rows["rows"][0].values())
    assert rows["rows"][0]["application"] == "park" and rows["rows"][0]["callstate"] == "RINGING"
    assert esl.send("api uuid_kill %s" % uuid).body == "+OK\n"
    esl.wait_event("CHANNEL_DESTROY", Unique_ID=uuid)
    names = [e.name for e in chan_events(esl, uuid)]
    tail = names[names.index("CHANNEL_HANGUP"):]
    assert tail == ["CHANNEL_HANGUP", "CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE",
                    "CHANNEL_CALLSTATE", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY",
                    "CHANNEL_STATE"]
    hc = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    assert hc.all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    assert hc.get("variable_hangup_cause_q850") == "16" and hc.get("variable_billsec") == "0"
    # the core database drops the row a little after the channel (switch_core_sqldb.c's queue): listed for a
    # moment as a ghost whose variables are gone, then not at all
    ghost = json.loads(esl.send("api show channels as json").body)
    assert ghost["row_count"] == 1 and esl.send("api uuid_getvar %s cc_a" % uuid).body.startswith(
        "-ERR No such channel")
    gevent.sleep(sim.sqldb_lag_s)
    assert esl.send("api show channels as json").body == '{"row_count": 0}\n'


def test_a_new_channel_is_listed_only_once_the_core_database_has_its_row(sim, esl):
    """Seen on a real FreeSWITCH 1.11: parked calls appeared in `show channels` 54-159 ms after their
    CHANNEL_PARK; an engine taking over that listed the channels at that moment never saw such a caller."""
    uuid = parked_call(sim, esl)
    created = sim.channel(uuid).created_us / 1e6
    before = time.time() - created
    listed = uuid in [r["uuid"] for r in json.loads(esl.send("api show channels as json").body).get("rows", [])]
    after = time.time() - created
    assert after >= sim.sqldb_lag_s or not listed       # not yet there at once after its park
    assert before < sim.sqldb_lag_s or listed
    assert before < sim.sqldb_lag_s, "the park event came late: this test says nothing"
    gevent.sleep(sim.sqldb_lag_s)
    assert uuid in [r["uuid"] for r in json.loads(esl.send("api show channels as json").body)["rows"]]


def test_originate_failures(sim, esl):
    sim.add_phone("1001", register=False)
    assert esl.send("api originate user/1001 &park()").body == "-ERR USER_NOT_REGISTERED\n"
    assert esl.send("api originate user/9999 &park()").body == "-ERR SUBSCRIBER_ABSENT\n"
    assert esl.send("api originate error/user_busy &park()").body == "-ERR USER_BUSY\n"
    assert not [e for e in esl.events if e.name and e.name.startswith("CHANNEL_")]
    sim.register("1001")
    sim.set_phone("1001", behaviour="busy")
    assert esl.send("api originate user/1001 &park()").body == "-ERR USER_BUSY\n"
    hc = esl.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hc.get("variable_sip_hangup_disposition") == "recv_refuse" and hc.get("variable_sip_term_status") == "486"
    sim.set_phone("1001", behaviour="reject")
    assert esl.send("api originate user/1001 &park()").body == "-ERR CALL_REJECTED\n"
    sim.set_phone("1001", behaviour="no_answer")
    u = str(uuidlib.uuid4())
    r = esl.send("bgapi originate {origination_uuid=%s,originate_timeout=5}user/1001 &park()" % u)
    job = dict(r.headers)["Job-UUID"]
    bg = esl.wait_event("BACKGROUND_JOB", Job_UUID=job)
    assert bg.ev_body == "-ERR NO_ANSWER\n"
    hc = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=u)
    assert hc.get("variable_sip_hangup_disposition") == "send_cancel"
    assert hc.get("variable_hangup_cause_q850") == "19"


def test_originate_success_agent_leg_events(sim, esl):
    sim.add_phone("1001", answer_delay=1.0)
    u = str(uuidlib.uuid4())
    r = esl.send("api originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=20}user/1001 &park()"
                 % u)
    assert r.body == "+OK %s\n" % u
    esl.wait_event("CHANNEL_PARK", Unique_ID=u)
    seq = [e.name for e in chan_events(esl, u) if e.name not in ("CHANNEL_STATE", "CHANNEL_CALLSTATE")]
    assert seq == ["CHANNEL_OUTGOING", "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_PROGRESS", "CHANNEL_ANSWER",
                   "CHANNEL_OUTGOING", "CHANNEL_EXECUTE", "CHANNEL_PARK"]
    park = esl.wait_event("CHANNEL_PARK", Unique_ID=u)
    assert park.get("Channel-Name") == "sofia/internal/1001@127.0.0.1:5071"
    assert park.get("Call-Direction") == "outbound" and park.get("variable_ignore_early_media") == "true"
    assert park.get("Caller-Caller-ID-Name") == "Outbound Call" and park.get("Caller-Caller-ID-Number") == "1001"
    # the api reply came before every event of the leg (api blocks event delivery)
    assert esl.frames.index(r) < esl.frames.index(esl.wait_event("CHANNEL_OUTGOING", Unique_ID=u))


def bridge_setup(sim, esl, park_after_bridge=False, talk_time=None):
    sim.add_phone("1001", answer_delay=0.5, talk_time=talk_time)
    caller = answered_call(sim, esl)
    if not park_after_bridge:
        esl.send("api uuid_setvar %s park_after_bridge" % caller)
    agent = str(uuidlib.uuid4())
    esl.send("bgapi originate {origination_uuid=%s}user/1001 &park()" % agent)
    esl.wait_event("CHANNEL_PARK", Unique_ID=agent)
    assert esl.send("api uuid_bridge %s %s" % (caller, agent)).body == "+OK %s\n" % agent
    br = esl.wait_event("CHANNEL_BRIDGE")
    assert br.get("Unique-ID") == caller
    assert (br.get("Bridge-A-Unique-ID"), br.get("Bridge-B-Unique-ID")) == (caller, agent)
    assert br.get("Other-Leg-Unique-ID") == agent and br.get("Other-Type") == "originatee"
    return caller, agent


def test_uuid_bridge_and_caller_hangs_up(sim, esl):
    caller, agent = bridge_setup(sim, esl)
    assert len([e for e in esl.events if e.name == "CHANNEL_BRIDGE"]) == 1
    for u in (caller, agent):
        names = [(e.name, e.get("Application")) for e in chan_events(esl, u)]
        assert ("CHANNEL_UNPARK", None) in names and ("CHANNEL_EXECUTE", "uuid_bridge") in names
    assert esl.send("api uuid_getvar %s bridge_uuid" % caller).body == agent
    sim.hangup(caller)
    ag = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent)
    assert ag.get("Hangup-Cause") == "NORMAL_CLEARING"
    assert ag.get("variable_sip_hangup_disposition") == "send_bye"
    esl.wait_event("CHANNEL_UNBRIDGE", Unique_ID=caller)
    c = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=caller)
    assert c.get("variable_sip_hangup_disposition") == "recv_bye"


def test_agent_hangs_up_with_park_after_bridge(sim, esl):
    caller, agent = bridge_setup(sim, esl, park_after_bridge=True, talk_time=15)
    esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent)
    esl.wait_event("CHANNEL_PARK", Unique_ID=caller, Channel_State="CS_PARK")
    names = [e.name for e in chan_events(esl, caller)]
    assert names[-3:] == ["CHANNEL_UNBRIDGE", "CHANNEL_STATE", "CHANNEL_PARK"]
    assert esl.send("api uuid_exists %s" % caller).body == "true"
    assert esl.send("api uuid_getvar %s last_bridge_hangup_cause" % caller).body == "NORMAL_CLEARING"
    sim.hangup(caller)
    esl.wait_event("CHANNEL_DESTROY", Unique_ID=caller)
    tail = [e.name for e in chan_events(esl, caller)]
    tail = tail[tail.index("CHANNEL_HANGUP"):]
    assert tail[:2] == ["CHANNEL_HANGUP", "CHANNEL_UNPARK"] and "CHANNEL_EXECUTE_COMPLETE" not in tail


def test_playback_cut_by_bridge_and_uuid_break(sim, esl, sounds):
    uuid = answered_call(sim, esl)
    app = sendmsg(esl, uuid, "playback", "local_stream://moh")
    esl.wait_event("PLAYBACK_START", Unique_ID=uuid)
    assert esl.send("api uuid_break %s" % uuid).body == "+OK\n"
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    assert done.get("Application-Response") == "FILE PLAYED"
    assert esl.wait_event("PLAYBACK_STOP", Unique_ID=uuid).get("Playback-Status") == "break"
    sim.add_phone("1001", answer_delay=0.1)
    agent = str(uuidlib.uuid4())
    esl.send("api originate {origination_uuid=%s}user/1001 &park()" % agent)
    app2 = sendmsg(esl, uuid, "playback", "local_stream://moh")
    esl.wait_event("PLAYBACK_START", Unique_ID=uuid, Playback_File_Path="local_stream://moh")
    esl.wait_for(lambda: len([e for e in chan_events(esl, uuid) if e.name == "PLAYBACK_START"]) == 2)
    esl.send("api uuid_bridge %s %s" % (uuid, agent))
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app2)
    assert done.get("Application-Response") == "PLAYBACK ERROR"
    esl.wait_event("CHANNEL_BRIDGE", Unique_ID=uuid)


def test_caller_patience_abandons(sim, esl):
    uuid = sim.place_call(did="12366", ani="1000", patience=2)
    ev = esl.wait_event("CHANNEL_HANGUP", Unique_ID=uuid)
    assert ev.get("Hangup-Cause") == "ORIGINATOR_CANCEL"
    log = sim.calls_log()
    esl.wait_for(lambda: sim.calls_log())
    assert sim.calls_log()[0]["hangup_cause"] == "ORIGINATOR_CANCEL" or log == []


def test_registration_events(sim, esl):
    sim.add_phone("1002", register=False)
    sim.register("1002")
    reg = esl.wait_event("CUSTOM", Event_Subclass="sofia::register")
    assert reg.names()[:2] == ["Event-Subclass", "Event-Name"]
    assert reg.get("from-user") == "1002" and reg.get("status") == "Registered(UDP)"
    assert "Event-Subclass: sofia%3A%3Aregister\n" in reg.body
    assert esl.send("api sofia_contact 1002@127.0.0.1").body == "sofia/internal/sip:1002@127.0.0.1:5071"
    assert "Total items returned: 1" in esl.send("api sofia status profile internal reg").body
    sim.unregister("1002")
    un = esl.wait_event("CUSTOM", Event_Subclass="sofia::unregister")
    assert un.get("expires") == "0"
    assert esl.send("api sofia_contact internal/1002@127.0.0.1").body == "error/user_not_registered"
