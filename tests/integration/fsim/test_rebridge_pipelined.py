"""uuid_bridge of a bridged leg with a kill of its current partner pipelined right behind it (capture 06c flow).

switch_ivr_uuid_bridge (src/switch_ivr_bridge.c) sets CF_TRANSFER/CF_REDIRECT on both legs, the uuid_bridge
variables and the CS_HIBERNATE state before the api answers `+OK`; the moved leg's bridge loop then exits clean
(`clean_exit`) and audio_bridge_on_exchange_media does not hang it up. So a kill of the leg's old partner that
arrives after the `+OK` ends only that partner.
"""
import gevent

from .callflow import (api, answered_caller, capsim, cesl, chan_events, mark, originate_parked,  # noqa
                       since)


def _consult(capsim, esl):
    """06c up to the consult: C bridged to A1 (C park_after_bridge=true), then uuid_bridge A1 A2 (C parks)."""
    c = answered_caller(capsim, esl)
    assert api(esl, "uuid_setvar %s park_after_bridge true" % c) == "+OK\n"
    a1 = originate_parked(esl, "1001")
    assert api(esl, "uuid_bridge %s %s" % (c, a1)) == "+OK %s\n" % a1
    esl.wait_event("CHANNEL_BRIDGE", Unique_ID=c, Bridge_B_Unique_ID=a1)
    a2 = originate_parked(esl, "1002")
    n = mark(esl)
    assert api(esl, "uuid_bridge %s %s" % (a1, a2)) == "+OK %s\n" % a2
    esl.wait_event("CHANNEL_BRIDGE", Unique_ID=a1, Bridge_B_Unique_ID=a2)
    esl.wait_for(lambda: any(e.name == "CHANNEL_PARK" for e in since(esl, n, c)))
    esl.wait_for(lambda: any(e.name == "CHANNEL_STATE" and e.get("Channel-State") == "CS_EXCHANGE_MEDIA"
                             for e in since(esl, n, a2)))
    return c, a1, a2


def _assert_moved(capsim, esl, n, c, a1, a2):
    esl.wait_event("CHANNEL_BRIDGE", Unique_ID=c, Bridge_B_Unique_ID=a2)
    esl.wait_for(lambda: any(e.name == "CHANNEL_DESTROY" for e in since(esl, n, a1)))
    esl.wait_for(lambda: any(e.name == "CHANNEL_STATE" and e.get("Channel-State") == "CS_EXCHANGE_MEDIA"
                             for e in since(esl, n, a2)))
    gevent.sleep(0.3)   # 15 simulated seconds: nothing ends the new bridge
    assert [e.name for e in since(esl, n, a2) if e.name in ("CHANNEL_HANGUP", "CHANNEL_DESTROY")] == []
    assert [e.name for e in since(esl, n, c) if e.name in ("CHANNEL_HANGUP", "CHANNEL_UNBRIDGE")] == []
    cc, aa2 = capsim.channel(c), capsim.channel(a2)
    assert cc is not None and aa2 is not None and capsim.channel(a1) is None
    assert cc.partner is aa2 and aa2.partner is cc and not aa2.hangup_cause
    assert api(esl, "uuid_exists %s" % a2) == "true"
    assert api(esl, "uuid_getvar %s bridge_to" % c) == a2
    hup = [e for e in since(esl, n, a1) if e.name == "CHANNEL_HANGUP"]
    assert len(hup) == 1 and hup[0].get("Hangup-Cause") == "NORMAL_CLEARING"
    # the moved leg went through the uuid_bridge states of capture 06c (its CS_CONSUME_MEDIA is not modelled,
    # docs/fsim-fidelity.md bridge-end-states)
    states = [e.get("Channel-State") for e in since(esl, n, a2) if e.name == "CHANNEL_STATE"]
    assert states[:4] == ["CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE", "CS_EXCHANGE_MEDIA"], states


def test_uuid_bridge_then_pipelined_kill_of_the_old_partner_moves_the_consult_leg(capsim, cesl):
    c, a1, a2 = _consult(capsim, cesl)
    n, r = mark(cesl), len(cesl.replies)
    # pipelined: both commands in one write, the kill sent before the uuid_bridge's reply came back
    cesl.raw(("api uuid_bridge %s %s\n\napi uuid_kill %s\n\n" % (c, a2, a1)).encode())
    cesl.wait_for(lambda: len(cesl.replies) >= r + 2)
    assert [f.body for f in cesl.replies[r:r + 2]] == ["+OK %s\n" % a2, "+OK\n"]
    _assert_moved(capsim, cesl, n, c, a1, a2)


def test_uuid_bridge_then_bye_from_the_old_partner_moves_the_consult_leg(capsim, cesl):
    """The same with the old partner's phone hanging up (BYE) right after the `+OK`."""
    c, a1, a2 = _consult(capsim, cesl)
    n = mark(cesl)
    assert capsim.api("uuid_bridge", "%s %s" % (c, a2)) == "+OK %s\n" % a2
    capsim.hangup(a1)
    _assert_moved(capsim, cesl, n, c, a1, a2)


def test_uuid_bridge_then_pipelined_kill_of_the_old_partner_of_a_moved_a_leg(capsim, cesl):
    """The moved leg is the A leg (originator) of its old bridge: A1 bridged to A2 with A1 as originator,
    `uuid_bridge A1 C` and a kill of A2 right behind it: A1 joins C."""
    c, a1, a2 = _consult(capsim, cesl)
    n, r = mark(cesl), len(cesl.replies)
    cesl.raw(("api uuid_bridge %s %s\n\napi uuid_kill %s\n\n" % (c, a1, a2)).encode())
    cesl.wait_for(lambda: len(cesl.replies) >= r + 2)
    assert [f.body for f in cesl.replies[r:r + 2]] == ["+OK %s\n" % a1, "+OK\n"]
    _assert_moved(capsim, cesl, n, c, a2, a1)
