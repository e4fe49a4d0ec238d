"""Our frames against verbatim frames of a real FreeSWITCH: same header names in the same order.

Values that legitimately differ (uuids, timestamps, sequence numbers, ports) are ignored; variable_* headers
are compared only for placement (they form one block right after the channel data).
"""
import os
import re
import uuid as uuidlib


from .test_calls import answered_call, parked_call, sendmsg

DATA = os.path.join(os.path.dirname(__file__), "data", "capture_frames.txt")


def capture_frames():
    txt = open(DATA, encoding="utf-8").read()
    parts = re.split(r"^### ---- (.*?) ---- .*$", txt, flags=re.M)
    frames = {}
    for i in range(1, len(parts), 2):
        block = parts[i + 1].strip("\n")
        envelope, _, payload = block.partition("\n\n")
        frames[parts[i]] = (envelope.split("\n"), payload)
    return frames


def header_names(payload):
    head = payload.split("\n\n", 1)[0]
    return [ln.split(": ", 1)[0] for ln in head.split("\n") if ln]


def shape(names):
    """Collapse variable_* runs into one marker."""
    out = []
    for n in names:
        if n.startswith("variable_"):
            if not out or out[-1] != "variable_*":
                out.append("variable_*")
        else:
            out.append(n)
    return out


CAPTURE = capture_frames()


def ours(ev):
    head = ev.body.split("\n\n", 1)[0]
    return [ln.split(": ", 1)[0] for ln in head.split("\n") if ln]


def check(kind, ev, drop=()):
    env, payload = CAPTURE[kind]
    assert env[1] == "Content-Type: text/event-plain" and env[0].startswith("Content-Length: ")
    assert [h for h, _ in ev.headers] == ["Content-Length", "Content-Type"]
    expected = [n for n in shape(header_names(payload)) if n not in drop]
    assert [n for n in shape(ours(ev)) if n not in drop] == expected


def test_channel_park_frame_matches_capture(sim, esl):
    uuid = parked_call(sim, esl)
    check("CHANNEL_PARK", esl.wait_event("CHANNEL_PARK", Unique_ID=uuid))
    check("CHANNEL_CREATE", esl.wait_event("CHANNEL_CREATE", Unique_ID=uuid))
    check("CHANNEL_CALLSTATE", esl.wait_event("CHANNEL_CALLSTATE", Unique_ID=uuid))
    check("CHANNEL_EXECUTE", esl.wait_event("CHANNEL_EXECUTE", Unique_ID=uuid, Application="set"))
    check("CHANNEL_EXECUTE_COMPLETE", esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid,
                                                     Application="set"))


def test_background_job_frame_matches_capture(esl):
    esl.send("bgapi status", headers=[("Job-UUID", "job-cap")])
    ev = esl.wait_event("BACKGROUND_JOB", Job_UUID="job-cap")
    check("BACKGROUND_JOB", ev)
    inner = ev.body.split("\n\n", 1)
    assert inner[0].endswith("Content-Length: %d" % len(ev.ev_body.encode()))
    check("API", esl.wait_event("API", API_Command="status"))


def test_answered_call_frames_match_capture(sim, esl, sounds):
    uuid = answered_call(sim, esl)
    check("CHANNEL_ANSWER", esl.wait_event("CHANNEL_ANSWER", Unique_ID=uuid))
    app = sendmsg(esl, uuid, "playback", sounds["prompt"], lock=True)
    esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=app)
    check("PLAYBACK_START", esl.wait_event("PLAYBACK_START", Unique_ID=uuid))
    check("PLAYBACK_STOP", esl.wait_event("PLAYBACK_STOP", Unique_ID=uuid))
    check("PRIVATE_COMMAND", esl.wait_event("PRIVATE_COMMAND", Unique_ID=uuid))
    esl.send("api uuid_recv_dtmf %s 5" % uuid)
    check("DTMF", esl.wait_event("DTMF", Unique_ID=uuid))


def test_bridge_frame_matches_capture(sim, esl):
    sim.add_phone("1001", answer_delay=0.2)
    caller = answered_call(sim, esl)
    agent = str(uuidlib.uuid4())
    esl.send("api originate {origination_uuid=%s}user/1001 &park()" % agent)
    esl.wait_event("CHANNEL_PARK", Unique_ID=agent)
    esl.send("api uuid_bridge %s %s" % (caller, agent))
    # the capture's A leg also has Caller-Callee-ID-Number (set by the SIP re-INVITE); we do not model it
    check("CHANNEL_BRIDGE", esl.wait_event("CHANNEL_BRIDGE", Unique_ID=caller),
          drop=("Caller-Callee-ID-Number", "Other-Leg-Network-Addr"))


def test_register_frame_matches_capture(sim, esl):
    sim.add_phone("1001")
    ev = esl.wait_event("CUSTOM", Event_Subclass="sofia::register")
    env, payload = CAPTURE["CUSTOM / sofia%3A%3Aregister"]
    expected = header_names(payload)
    got = ours(ev)
    cut = expected.index("user-agent") + 1   # directory params/variables after it differ by user config
    assert got[:cut] == expected[:cut]
