"""eavesdrop / three_way (capture 05a, observation 29), conference (capture 05b, observation 30), bridge app."""
import json
import uuid as uuidlib

from .callflow import (answered_caller, api, bridged_pair, capsim, cesl, chan_events, gone, mark, sendmsg,  # noqa
                       since)


def _sup(esl, app, target, extra=""):
    s = str(uuidlib.uuid4())
    esl.send("bgapi originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=20%s}user/1002 "
             "&%s(%s)" % (s, extra, app, target))
    esl.wait_event("MEDIA_BUG_START", Unique_ID=target)
    return s


def _mode(sim, uuid):
    return [c for c in sim.channels() if c["uuid"] == uuid][0]["eavesdrop"]


def test_eavesdrop_listen_then_supervisor_hangs_up(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    s = _sup(cesl, "eavesdrop", b)
    ex = cesl.wait_event("CHANNEL_EXECUTE", Unique_ID=s, Application="eavesdrop")
    assert ex.get("Application-Data") == b
    bug = cesl.wait_event("MEDIA_BUG_START", Unique_ID=b)
    assert bug.get("Media-Bug-Function") == "eavesdrop" and bug.get("Media-Bug-Target") == b
    assert bug.get("Other-Leg-Unique-ID") == a
    m = _mode(capsim, s)
    assert m["mode"] == "listen" and set(m["supervisor_hears"]) == {a, b} and m["heard_by"] == []
    n = mark(cesl)
    capsim.hangup(s)
    cesl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=s)
    seq = [(e.name, e.get("Unique-ID")) for e in since(cesl, n)
           if e.name in ("CHANNEL_HANGUP", "MEDIA_BUG_STOP", "CHANNEL_EXECUTE_COMPLETE")]
    assert seq == [("CHANNEL_HANGUP", s), ("MEDIA_BUG_STOP", b), ("CHANNEL_EXECUTE_COMPLETE", s)]
    assert not [e for e in chan_events(cesl, s) if e.name == "CHANNEL_BRIDGE"]
    assert api(cesl, "uuid_exists %s" % a) == "true" and api(cesl, "uuid_exists %s" % b) == "true"


def test_eavesdrop_dtmf_modes_and_target_hangup(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    s = _sup(cesl, "eavesdrop", b, ",eavesdrop_enable_dtmf=true")
    expected = {"2": ("whisper_agent", [b]), "3": ("three_way", [b, a]), "1": ("whisper_caller", [a]),
                "0": ("listen", [])}
    for digit in "2310":
        assert api(cesl, "uuid_recv_dtmf %s %s" % (s, digit)) == "+OK %s received DTMF %s.\n" % (s, digit)
        dtmf = cesl.wait_event("DTMF", Unique_ID=s, DTMF_Digit=digit)
        assert dtmf.get("DTMF-Source") == "APP"
        cesl.wait_for(lambda: _mode(capsim, s)["mode"] == expected[digit][0])
        assert _mode(capsim, s)["heard_by"] == expected[digit][1]
    ext = [c for c in capsim.channels() if c["uuid"] == b][0]
    assert ext["eavesdropped_by"] == {s: "listen"}
    capsim.hangup(a)   # caller hangs up: agent is hung up, the eavesdrop ends with it
    stop = cesl.wait_event("MEDIA_BUG_STOP", Unique_ID=b)
    assert stop.get("Media-Bug-Function") == "eavesdrop"
    done = cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=s, Application="eavesdrop")
    assert done.get("Application-Response") == "_none_"
    cesl.wait_for(lambda: gone(capsim, a, b, s))


def test_whisper_vars_and_three_way(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    s = _sup(cesl, "eavesdrop", b, ",eavesdrop_whisper_aleg=true")
    assert _mode(capsim, s)["mode"] == "whisper_caller"
    assert api(cesl, "uuid_kill %s" % s) == "+OK\n"
    cesl.wait_event("MEDIA_BUG_STOP", Unique_ID=b)
    cesl.wait_for(lambda: gone(capsim, s))
    t = _sup(cesl, "three_way", b)
    cesl.wait_event("CHANNEL_EXECUTE", Unique_ID=t, Application="three_way")
    assert _mode(capsim, t)["mode"] == "three_way" and _mode(capsim, t)["dtmf_control"] is False
    api(cesl, "uuid_recv_dtmf %s 0" % t)
    assert _mode(capsim, t)["mode"] == "three_way"
    capsim.hangup(t)
    cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=t, Application="three_way")


def _conf_events(esl, n, action=None):
    return [e for e in since(esl, n) if e.get("Event-Subclass") == "conference::maintenance"
            and (action is None or e.get("Action") == action)]


def test_conference_via_transfer_both_inline_and_api(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    name = "cc-%s" % a
    assert api(cesl, "conference list") == "+OK No active conferences.\n"
    n = mark(cesl)
    assert api(cesl, "uuid_transfer %s -both 'conference:%s@default' inline" % (b, name)) == "+OK\n"
    cesl.wait_for(lambda: len(_conf_events(cesl, n, "add-member")) == 2)
    evs = _conf_events(cesl, n)
    # capture 05b: the lone first member gets play-file of the (missing) conf-alone.wav; the second one the floor
    assert [e.get("Action") for e in evs][:5] == ["conference-create", "play-file", "add-member", "add-member",
                                                  "floor-change"]
    assert evs[1].get("Error") == "File could not be played"
    evs = [e for e in evs if e.get("Action") in ("conference-create", "add-member")]
    create = evs[0]
    assert create.names()[:2] == ["Event-Subclass", "Event-Name"]
    assert create.names()[14:] == ["Conference-Name", "Conference-Domain", "Conference-Size", "Conference-Ghosts",
                                   "Conference-Profile-Name", "Conference-Unique-ID", "Action"]
    assert create.get("Conference-Size") == "0" and create.get("Conference-Name") == name
    add = evs[1]
    assert add.get("Conference-Size") == "1" and add.names()[20] == "Floor"
    assert add.names()[-13:] == ["Video", "Hear", "See", "Speak", "Talking", "Mute-Detect", "Hold", "Member-ID",
                                 "Member-Type", "Member-Ghost", "Energy-Level", "Current-Energy", "Action"]
    assert not [h for h in add.names() if h.startswith("variable_")]
    assert {e.get("Unique-ID") for e in evs[1:]} == {a, b}
    assert [e.get("Conference-Size") for e in evs[1:]] == ["1", "2"]
    assert [e.name for e in since(cesl, n, a)].count("CHANNEL_UNBRIDGE") == 1
    assert not [e for e in since(cesl, n) if e.name == "CHANNEL_HANGUP"]
    ids = {e.get("Unique-ID"): e.get("Member-ID") for e in evs[1:]}
    s = str(uuidlib.uuid4())
    cesl.send("bgapi originate {origination_uuid=%s}user/1002 &conference(%s@default)" % (s, name))
    cesl.wait_for(lambda: len(_conf_events(cesl, n, "add-member")) == 3)
    lines = api(cesl, "conference %s list" % name).splitlines()
    assert [ln.split(";")[2] for ln in lines] == [s, a, b]   # newest first
    mine = [ln for ln in lines if a in ln][0].split(";")
    assert mine[:2] == [ids[a], capsim.channel(a).name] and mine[3:] == ["张三", "13800138000", "hear|speak|talking",
                                                                        "0", "0", "100"]
    sid = lines[0].split(";")[0]
    listing = api(cesl, "conference list")
    assert listing.startswith("+OK Conference %s (3 members rate: 8000 flags: running|answered|enforce_min|"
                              "dynamic|exit_sound|enter_sound|json_status)\n" % name)
    js = api(cesl, "conference %s json_list" % name)
    assert js.startswith('[{\n\t\t"conference_name":\t"%s",\n' % name) and js.endswith("}]")
    parsed = json.loads(js)
    assert parsed[0]["member_count"] == 3 and [m["uuid"] for m in parsed[0]["members"]] == [s, a, b]
    assert api(cesl, "conference %s mute %s" % (name, sid)) == "+OK mute %s\n" % sid
    mute = cesl.wait_event("CUSTOM", Action="mute-member")
    assert mute.get("Speak") == "false" and mute.get("Member-ID") == sid
    assert [m for m in capsim.conferences()[0]["members"] if m["uuid"] == s][0]["mute"] is True
    assert "hear;" in api(cesl, "conference %s list" % name).splitlines()[0] + ";"
    assert api(cesl, "conference %s unmute %s" % (name, sid)) == "+OK unmute %s\n" % sid
    assert cesl.wait_event("CUSTOM", Action="unmute-member").get("Speak") == "true"
    assert api(cesl, "conference %s mute 999" % name) == "-ERR Non-Existant ID 999\n"
    n = mark(cesl)
    capsim.hangup(s)
    dele = cesl.wait_event("CUSTOM", Action="del-member", Unique_ID=s)
    assert dele.get("Conference-Size") == "2" and dele.get("Hangup-Cause") == "NORMAL_CLEARING"
    order = [(e.name, e.get("Action")) for e in since(cesl, n, s)]
    assert order.index(("CHANNEL_HANGUP", None)) < order.index(("CUSTOM", "del-member")) < \
        order.index(("CHANNEL_EXECUTE_COMPLETE", None))
    assert api(cesl, "conference %s kick %s" % (name, ids[a])) == "+OK kicked %s\n" % ids[a]
    capsim.hangup(b)
    cesl.wait_event("CUSTOM", Action="conference-destroy")
    assert api(cesl, "conference list") == "+OK No active conferences.\n"
    assert capsim.conferences() == []
    cesl.wait_for(lambda: gone(capsim, a, b, s))


def test_bridge_app_success_and_failures(capsim, cesl):
    a = answered_caller(capsim, cesl)
    app = sendmsg(cesl, a, "bridge", "{originate_timeout=20}user/1001")
    br = cesl.wait_event("CHANNEL_BRIDGE", Unique_ID=a)
    b = br.get("Bridge-B-Unique-ID")
    assert br.get("Other-Leg-Unique-ID") == b and br.get("variable_DIALSTATUS") == "SUCCESS"
    assert not [e for e in chan_events(cesl, b) if e.name == "CHANNEL_BRIDGE"]
    cesl.wait_for(lambda: capsim.channel(b).running_state == "CS_EXCHANGE_MEDIA")
    capsim.hangup(b)
    done = cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    unb = cesl.wait_event("CHANNEL_UNBRIDGE", Unique_ID=a)
    assert unb.get("Bridge-B-Unique-ID") == b and done.get("Application") == "bridge"
    assert capsim.channel(a).parked   # back in the park loop (sendmsg bridge on a parked call)
    capsim.set_phone("1001", behaviour="busy")
    app = sendmsg(cesl, a, "bridge", "user/1001")
    done = cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    cesl.wait_for(lambda: capsim.channel(a) is None or not capsim.channel(a).hangup_cause)
    assert done.get("variable_originate_disposition") == "USER_BUSY" or \
        cesl.wait_event("CHANNEL_HANGUP", Unique_ID=a).get("Hangup-Cause") == "USER_BUSY"
    hup = cesl.wait_event("CHANNEL_HANGUP", Unique_ID=a)
    assert hup.get("Hangup-Cause") == "USER_BUSY" and hup.get("variable_DIALSTATUS") == "BUSY"


def test_bridge_app_continue_on_no_answer(capsim, cesl):
    a = answered_caller(capsim, cesl)
    capsim.set_phone("1001", behaviour="no_answer")
    app = sendmsg(cesl, a, "bridge", "{originate_timeout=2}user/1001")
    done = cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    assert done.get("variable_originate_disposition") == "NO_ANSWER"
    assert done.get("variable_DIALSTATUS") == "NOANSWER"
    assert capsim.channel(a) is not None and not capsim.channel(a).hangup_cause
