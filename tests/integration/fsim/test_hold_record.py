"""uuid_hold, uuid_broadcast, record_session / uuid_record against capture 03 (observations 12, 21, 22)."""
import os
import wave

from .callflow import (answered_caller, api, bridged_pair, capsim, cesl, chan_events, mark, sendmsg,  # noqa
                       since)
from .conftest import make_wav


def test_hold_off_toggle_and_quirks(capsim, cesl):
    a = answered_caller(capsim, cesl)
    n = mark(cesl)
    assert api(cesl, "uuid_hold %s" % a) == "+OK Success\n"
    hold = cesl.wait_event("CHANNEL_HOLD", Unique_ID=a)
    evs = [e for e in since(cesl, n, a) if e.name != "PRESENCE_IN"]
    assert [e.name for e in evs][:2] == ["CHANNEL_CALLSTATE", "CHANNEL_HOLD"]
    assert evs[0].get("Channel-Call-State") == "HELD" and evs[0].get("Original-Channel-Call-State") == "ACTIVE"
    assert hold.get("Channel-Call-State") == "HELD" and hold.get("Event-Calling-Function") == "switch_ivr_hold"
    assert hold.get("variable_uuid") == a
    assert api(cesl, "uuid_hold %s" % a) == "-ERR Operation failed\n"
    n = mark(cesl)
    assert api(cesl, "uuid_hold off %s" % a) == "+OK Success\n"
    cesl.wait_for(lambda: [e.get("Channel-Call-State") for e in since(cesl, n, a)
                           if e.name == "CHANNEL_CALLSTATE"] == ["UNHELD", "ACTIVE"])
    unhold = cesl.wait_event("CHANNEL_UNHOLD", Unique_ID=a)
    assert unhold.get("Channel-Call-State") == "UNHELD"
    assert [e.name for e in since(cesl, n, a)] == ["CHANNEL_CALLSTATE", "CHANNEL_UNHOLD", "CHANNEL_CALLSTATE"]
    assert api(cesl, "uuid_hold off %s" % a) == "-ERR Operation failed\n"
    assert api(cesl, "uuid_hold toggle %s" % a) == "+OK Success\n"
    assert capsim.channel(a).callstate == "HELD"
    assert api(cesl, "uuid_hold toggle %s" % a) == "+OK Success\n"
    cesl.wait_for(lambda: capsim.channel(a).callstate == "ACTIVE")
    assert api(cesl, "uuid_hold 00000000-0000-0000-0000-000000000000") == "+OK Success\n"
    # parked and unbridged: no playback events even with hold_music (observation 21)
    assert not [e for e in chan_events(cesl, a) if e.name.startswith("PLAYBACK")]


def test_hold_plays_hold_music_to_the_partner_until_unhold(capsim, cesl, sounds):
    a, b = bridged_pair(capsim, cesl)
    api(cesl, "uuid_setvar %s hold_music %s" % (b, make_wav(os.path.join(sounds["dir"], "moh.wav"), 20)))
    assert api(cesl, "uuid_hold %s" % b) == "+OK Success\n"
    cesl.wait_event("PLAYBACK_START", Unique_ID=a)
    assert api(cesl, "uuid_hold off %s" % b) == "+OK Success\n"
    stop = cesl.wait_event("PLAYBACK_STOP", Unique_ID=a)
    assert stop.get("Playback-Status") == "break"
    cesl.wait_event("CHANNEL_UNHOLD", Unique_ID=b)


def test_uuid_broadcast_command_private_command_quirk(capsim, cesl, sounds):
    a = answered_caller(capsim, cesl)
    n = mark(cesl)
    assert api(cesl, "uuid_broadcast %s %s aleg" % (a, sounds["prompt"])) == "+OK Message sent\n"
    # the first Event-Name of the frame is COMMAND (a client keyed on the first header sees COMMAND)
    cesl.wait_event("COMMAND", Unique_ID=a)
    evs = since(cesl, n, a)
    assert [e.name for e in evs] == ["CHANNEL_EXECUTE", "PLAYBACK_START", "PLAYBACK_STOP",
                                     "CHANNEL_EXECUTE_COMPLETE", "COMMAND"]
    assert evs[3].get("Application-Response") == "FILE PLAYED"
    priv = evs[4]
    hdrs = priv.names()
    assert hdrs[0] == "Event-Name" and priv.all("Event-Name") == ["COMMAND", "PRIVATE_COMMAND"]
    assert hdrs[1:13] == ["Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname", "FreeSWITCH-IPv4",
                          "FreeSWITCH-IPv6", "Event-Date-Local", "Event-Date-GMT", "Event-Date-Timestamp",
                          "Event-Calling-File", "Event-Calling-Function", "Event-Calling-Line-Number",
                          "Event-Sequence"]
    assert priv.all("Event-Calling-Function") == ["switch_ivr_broadcast", "switch_ivr_parse_next_event"]
    assert hdrs[13:19] == ["call-command", "execute-app-name", "execute-app-arg", "event-lock", "lead-frames",
                           "Event-Name"]
    assert priv.get("execute-app-arg") == sounds["prompt"] and priv.get("lead-frames") == "5"
    seqs = [int(s) for s in priv.all("Event-Sequence")]
    assert seqs[0] < seqs[1]
    assert not [h for h in hdrs if h.startswith("variable_")]
    assert api(cesl, "uuid_broadcast nosuch %s" % sounds["prompt"]) == "-ERR invalid uuid\n"


def test_record_session_stereo_until_hangup(capsim, cesl, sounds):
    a = answered_caller(capsim, cesl)
    path = os.path.join(sounds["dir"], "rec", "sub", "rec_%s.wav" % a)
    sendmsg(cesl, a, "set", "RECORD_STEREO=true")
    n = mark(cesl)
    app = sendmsg(cesl, a, "record_session", path)
    cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    cesl.wait_for(lambda: since(cesl, n, a)[-1].name == "PRIVATE_COMMAND"
                  and since(cesl, n, a)[-1].get("execute-app-name") == "record_session")
    evs = since(cesl, n, a)
    first = [e.get("Application-UUID") for e in evs].index(app)
    assert [e.name for e in evs[first:]] == ["CHANNEL_EXECUTE", "RECORD_START", "MEDIA_BUG_START",
                                             "CHANNEL_EXECUTE_COMPLETE", "PRIVATE_COMMAND"]
    start = cesl.wait_event("RECORD_START", Unique_ID=a)
    assert start.names()[-1] == "Record-File-Path" and start.get("Record-File-Path") == path
    assert start.get("variable_RECORD_STEREO") == "true"
    bug = cesl.wait_event("MEDIA_BUG_START", Unique_ID=a)
    assert bug.names()[13:15] == ["Media-Bug-Function", "Media-Bug-Target"]
    assert bug.get("Media-Bug-Function") == "session_record" and bug.get("Media-Bug-Target") == path
    # a second start of the same path is a silent success (no second bug)
    assert api(cesl, "uuid_record %s start %s" % (a, path)) == "+OK Success\n"
    capsim.sleep(2)
    n = mark(cesl)
    capsim.hangup(a)
    cesl.wait_event("CHANNEL_DESTROY", Unique_ID=a)
    seq = [(e.name, e.get("Channel-State")) for e in since(cesl, n, a) if e.name != "PRESENCE_IN"]
    i = seq.index(("CHANNEL_STATE", "CS_HANGUP"))
    assert seq[i + 1:i + 4] == [("RECORD_STOP", "CS_HANGUP"), ("MEDIA_BUG_STOP", "CS_HANGUP"),
                                ("CHANNEL_CALLSTATE", "CS_HANGUP")]
    assert [n_ for n_, _ in seq].count("RECORD_START") == 0 and [n_ for n_, _ in seq].count("RECORD_STOP") == 1
    stop = cesl.wait_event("RECORD_STOP", Unique_ID=a)
    assert stop.names()[-2:] == ["Record-File-Path", "Record-Completion-Cause"]
    assert stop.get("Record-Completion-Cause") == "success-silence"
    assert stop.get("variable_record_completion_cause") == "success-silence"
    assert int(stop.get("variable_record_seconds")) >= 2
    assert int(stop.get("variable_record_samples")) == int(stop.get("variable_record_ms")) * 8
    var_names = [h for h in stop.names() if h.startswith("variable_record_")]
    assert var_names == ["variable_record_file_size", "variable_record_samples", "variable_record_seconds",
                         "variable_record_ms", "variable_record_completion_cause"]
    with wave.open(path) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
        assert w.getnframes() > 0
    assert int(stop.get("variable_record_file_size")) == os.path.getsize(path)
    done = cesl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=a)
    assert done.get("variable_record_ms") == stop.get("variable_record_ms")


def test_uuid_record_start_stop_limit_mask_and_errors(capsim, cesl, sounds):
    a = answered_caller(capsim, cesl)
    path = os.path.join(sounds["dir"], "uuid_rec.wav")
    assert api(cesl, "uuid_record %s start %s" % (a, path)) == "+OK Success\n"
    cesl.wait_event("RECORD_START", Unique_ID=a)
    assert api(cesl, "uuid_record %s mask %s" % (a, path)) == "+OK Success\n"
    assert [r["masked"] for r in capsim.channels()[0]["recordings"]] == [True]
    assert api(cesl, "uuid_record %s unmask %s" % (a, path)) == "+OK Success\n"
    assert api(cesl, "uuid_record %s stop %s" % (a, path)) == "+OK Success\n"
    stop = cesl.wait_event("RECORD_STOP", Unique_ID=a)
    assert stop.get("Record-Completion-Cause") == "success-maxtime"
    cesl.wait_event("MEDIA_BUG_STOP", Unique_ID=a)
    with wave.open(path) as w:
        assert w.getnchannels() == 1
    assert api(cesl, "uuid_record %s stop %s" % (a, path)) == "-ERR Cannot stop record session!\n"
    assert api(cesl, "uuid_record nosuch start %s" % path) == "-ERR Cannot locate session!\n"
    lim = os.path.join(sounds["dir"], "limited.wav")
    assert api(cesl, "uuid_record %s start %s 1" % (a, lim)) == "+OK Success\n"
    stop2 = cesl.wait_event("RECORD_STOP", Unique_ID=a, Record_File_Path=lim)
    assert stop2.get("Record-Completion-Cause") == "success-maxtime"
    assert stop2.get("variable_record_seconds") in ("1", "2")
    assert os.path.exists(lim)


def test_record_session_vars_and_relative_path(capsim, cesl, sounds):
    a = answered_caller(capsim, cesl)
    app = sendmsg(cesl, a, "record_session", "calls/x.wav +30 {RECORD_STEREO=true,tag=abc}")
    cesl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    start = cesl.wait_event("RECORD_START", Unique_ID=a)
    assert start.get("Record-File-Path") == os.path.join(sounds["dir"], "calls", "x.wav")
    assert start.get("Recording-Variable-tag") == "abc"
    app = sendmsg(cesl, a, "stop_record_session", "calls/x.wav")
    stop = cesl.wait_event("RECORD_STOP", Unique_ID=a)
    assert stop.get("Recording-Variable-tag") == "abc"
    with wave.open(os.path.join(sounds["dir"], "calls", "x.wav")) as w:
        assert w.getnchannels() == 2
