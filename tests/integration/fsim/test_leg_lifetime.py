"""A leg's lifetime: when its phone is free again, and `destroyed` in calls_log (benchmarks).

FreeSWITCH sends the BYE/CANCEL from the leg's CS_HANGUP state handler (mod_sofia.c sofia_on_hangup), so the phone
(a one-line SIPp UAS) is on the call until the leg went through CS_HANGUP; the simulator frees it right after
CHANNEL_HANGUP_COMPLETE (originate.phone_free). FreeSWITCH keeps the session until CHANNEL_DESTROY.
"""
from gevent.event import Event as GEvent

from .callflow import api, capsim, cesl, chan_events, originate_parked  # noqa


def _originate(esl, ext="1001"):
    return api(esl, "originate {originate_timeout=5}user/%s &park()" % ext)


def test_phone_is_busy_until_the_leg_has_been_through_cs_hangup(capsim, cesl):
    a1 = originate_parked(cesl, "1001")
    chan = capsim.channel(a1)
    gate = GEvent()
    # hold the leg in CS_HANGUP (FreeSWITCH's session thread taking its time there)
    chan.on_hangup_state = [lambda c: gate.wait(10)]
    assert api(cesl, "uuid_kill %s" % a1) == "+OK\n"
    cesl.wait_event("CHANNEL_STATE", Unique_ID=a1, Channel_State="CS_HANGUP")
    assert capsim.channel(a1) is not None
    assert [p["active_calls"] for p in capsim.phones() if p["ext"] == "1001"] == [[a1]]
    # a new INVITE meets a phone still on that call: 486
    assert _originate(cesl) == "-ERR USER_BUSY\n"
    busy = [e for e in cesl.events if e.name == "CHANNEL_HANGUP" and e.get("Hangup-Cause") == "USER_BUSY"]
    assert len(busy) == 1 and busy[0].get("variable_sip_term_status") == "486"
    assert busy[0].get("Caller-Destination-Number") == "1001"
    gate.set()
    cesl.wait_event("CHANNEL_DESTROY", Unique_ID=a1)
    assert [p["active_calls"] for p in capsim.phones() if p["ext"] == "1001"] == [[]]
    assert _originate(cesl).startswith("+OK ")


def test_the_phone_is_released_right_after_channel_hangup_complete(capsim, cesl):
    a1 = originate_parked(cesl, "1001")
    phone = capsim.directory.get("1001")
    seen = []
    fire = capsim.fire

    def spy(ev):
        if ev.get("Unique-ID") == a1 and ev.name in ("CHANNEL_HANGUP", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE",
                                                       "CHANNEL_DESTROY"):
            seen.append((ev.name, ev.get("Channel-State"), a1 in phone.active))
        return fire(ev)
    capsim.fire = spy
    try:
        capsim.hangup(a1)   # the phone hangs up (BYE)
        cesl.wait_event("CHANNEL_DESTROY", Unique_ID=a1)
    finally:
        del capsim.fire
    assert seen == [("CHANNEL_HANGUP", "CS_EXECUTE", True), ("CHANNEL_STATE", "CS_HANGUP", True),
                    ("CHANNEL_STATE", "CS_REPORTING", True), ("CHANNEL_HANGUP_COMPLETE", "CS_REPORTING", True),
                    ("CHANNEL_DESTROY", "CS_REPORTING", False), ("CHANNEL_STATE", "CS_DESTROY", False)], seen


def test_calls_log_has_the_destroy_time(capsim, cesl):
    a1 = originate_parked(cesl, "1001")
    assert api(cesl, "uuid_kill %s" % a1) == "+OK\n"
    destroy = cesl.wait_event("CHANNEL_DESTROY", Unique_ID=a1)
    cesl.wait_for(lambda: any(r["uuid"] == a1 for r in capsim.calls_log()))
    rec = [r for r in capsim.calls_log() if r["uuid"] == a1][0]
    hangup = cesl.wait_event("CHANNEL_HANGUP", Unique_ID=a1)
    # epoch seconds from the µs clock, like `created` / `answered_at` / `ended`
    assert rec["created"] <= rec["answered_at"] <= rec["ended"] <= rec["destroyed"]
    assert abs(rec["ended"] * 1e6 - int(hangup.get("Caller-Channel-Hangup-Time"))) < 2
    assert abs(rec["destroyed"] * 1e6 - int(destroy.get("Event-Date-Timestamp"))) < 2
    assert rec["destroyed"] - rec["ended"] < 0.5
