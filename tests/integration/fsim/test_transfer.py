"""uuid_transfer / transfer app against captures 06a, 06b, 06d and observation 27."""
import re

from .callflow import (api, bridged_pair, answered_caller, capsim, cesl, chan_events, gone, mark, sendmsg,  # noqa
                       since)

XFER_SRC = re.compile(r"^\d+:[0-9a-f-]{36}:bl_xfer:%s/%s/%s$")


def _states(evs):
    return [(e.name, e.get("Channel-State"), e.get("Channel-Call-State"))
            for e in evs if e.name in ("CHANNEL_STATE", "CHANNEL_CALLSTATE")]


def test_blind_transfer_of_bridged_caller_hangs_up_agent_and_reroutes(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    n = mark(cesl)
    assert api(cesl, "uuid_transfer %s 9501 XML public" % a) == "+OK\n"
    cesl.wait_event("CHANNEL_PARK", Unique_ID=a, Caller_Destination_Number="9501")
    evs = since(cesl, n)
    order = [(e.name, e.get("Unique-ID")) for e in evs]
    # capture 06a: the agent's CHANNEL_HANGUP arrives before the caller's CHANNEL_UNBRIDGE
    assert order.index(("CHANNEL_HANGUP", b)) < order.index(("CHANNEL_UNBRIDGE", a))
    hup = cesl.wait_event("CHANNEL_HANGUP", Unique_ID=b)
    assert hup.get("Hangup-Cause") == "NORMAL_CLEARING"
    unb = cesl.wait_event("CHANNEL_UNBRIDGE", Unique_ID=a)
    assert unb.get("Channel-State") == "CS_SOFT_EXECUTE" and unb.get("Channel-State-Number") == "2"
    assert unb.get("Bridge-A-Unique-ID") == a and unb.get("Bridge-B-Unique-ID") == b
    assert unb.get("Caller-Destination-Number") == "9501" and unb.get("Caller-RDNIS") == "12366"
    assert unb.get("Caller-Profile-Index") == "3" and unb.get("Caller-Dialplan") == "XML"
    assert XFER_SRC.pattern % ("9501", "public", "XML") and re.match(
        XFER_SRC.pattern % ("9501", "public", "XML"), unb.get("Caller-Transfer-Source"))
    assert unb.get("Other-Leg-Unique-ID") is None and unb.get("Caller-Channel-Bridged-Time") == "0"
    assert unb.get("variable_max_forwards") == "69"
    assert unb.get("variable_transfer_history").startswith("ARRAY::")
    assert unb.get("variable_transfer_source") == unb.get("Caller-Transfer-Source")
    mine = [e for e in evs if e.get("Unique-ID") == a]
    after = mine[[e.name for e in mine].index("CHANNEL_UNBRIDGE") + 1:]
    assert _states(after)[:4] == [("CHANNEL_CALLSTATE", "CS_ROUTING", "RINGING"),
                                  ("CHANNEL_STATE", "CS_ROUTING", "RINGING"),
                                  ("CHANNEL_CALLSTATE", "CS_EXECUTE", "ACTIVE"),
                                  ("CHANNEL_STATE", "CS_EXECUTE", "ACTIVE")]
    ring = [e for e in after if e.name == "CHANNEL_CALLSTATE"][0]
    assert ring.get("Original-Channel-Call-State") == "ACTIVE"
    apps = [(e.get("Application"), e.get("Application-Data")) for e in after if e.name == "CHANNEL_EXECUTE"]
    assert apps == [("set", "outside_call=true"), ("set", "cc_entry=9501"), ("park", None)]
    assert api(cesl, "uuid_getvar %s cc_entry" % a) == "9501"
    cesl.wait_for(lambda: gone(capsim, b))
    assert api(cesl, "uuid_exists %s" % b) == "false"


def test_transfer_bleg_moves_the_partner_then_the_unbridged_channel_itself(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    assert api(cesl, "uuid_transfer %s -bleg 9502 XML public" % b) == "+OK\n"
    cesl.wait_event("CHANNEL_PARK", Unique_ID=a, Caller_Destination_Number="9502")
    cesl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=b)
    assert api(cesl, "uuid_getvar %s cc_entry" % a) == "9502"
    n = mark(cesl)
    assert api(cesl, "uuid_transfer %s -bleg 9503 XML public" % a) == "+OK\n"
    cesl.wait_event("CHANNEL_PARK", Unique_ID=a, Caller_Destination_Number="9503")
    evs = since(cesl, n, a)
    assert [e.name for e in evs][:6] == ["CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_CALLSTATE",
                                         "CHANNEL_STATE", "CHANNEL_CALLSTATE", "CHANNEL_STATE"]
    unpark = evs[0]
    assert unpark.get("Caller-Destination-Number") == "9503" and unpark.get("Channel-State-Number") == "2"
    assert unpark.get("Channel-State") == "CS_EXECUTE"
    assert evs[1].get("Application") == "park"


def test_transfer_to_unrouted_extension_runs_off_the_dialplan(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    assert api(cesl, "uuid_transfer %s 9999 XML public" % a) == "+OK\n"
    hup = cesl.wait_event("CHANNEL_HANGUP", Unique_ID=a)
    assert hup.get("Hangup-Cause") == "NORMAL_CLEARING" and hup.get("Caller-Destination-Number") == "9999"
    apps = [e.get("Application") for e in chan_events(cesl, a) if e.name == "CHANNEL_EXECUTE"]
    assert apps[-2:] == ["uuid_bridge", "set"]   # only the continue="true" outside_call extension ran
    cesl.wait_for(lambda: gone(capsim, a, b))


def test_transfer_replies_for_bad_arguments(capsim, cesl):
    assert api(cesl, "uuid_transfer 00000000-0000-0000-0000-000000000000 9501") == "-ERR No such channel!\n"
    assert api(cesl, "uuid_transfer onlyone") == \
        "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"


def test_inline_transfer_runs_the_listed_apps_and_restores_the_destination(capsim, cesl):
    a = answered_caller(capsim, cesl)
    n = mark(cesl)
    assert api(cesl, "uuid_transfer %s 'set:inline_ok=yes,park' inline" % a) == "+OK\n"
    cesl.wait_for(lambda: any(e.name == "CHANNEL_PARK" for e in since(cesl, n, a)))
    evs = since(cesl, n, a)
    routing = [e for e in evs if e.name == "CHANNEL_STATE" and e.get("Channel-State") == "CS_ROUTING"][0]
    assert routing.get("Caller-Destination-Number") == "set:inline_ok=yes,park"
    assert routing.get("Caller-Dialplan") == "inline" and routing.get("Caller-RDNIS") == "12366"
    assert re.match(XFER_SRC.pattern % (re.escape("set:inline_ok=yes,park"), "public", "inline"),
                    routing.get("Caller-Transfer-Source"))
    execute = [e for e in evs if e.name == "CHANNEL_STATE" and e.get("Channel-State") == "CS_EXECUTE"][0]
    assert execute.get("Caller-Destination-Number") == "12366" and execute.get("Caller-RDNIS") is None
    assert [(e.get("Application"), e.get("Application-Data")) for e in evs if e.name == "CHANNEL_EXECUTE"] == \
        [("set", "inline_ok=yes"), ("park", None)]


def test_transfer_app_via_sendmsg_and_partner_park_after_bridge(capsim, cesl):
    a, b = bridged_pair(capsim, cesl)
    assert api(cesl, "uuid_setvar %s park_after_bridge true" % b) == "+OK\n"
    sendmsg(cesl, a, "transfer", "9501 XML public")
    cesl.wait_event("CHANNEL_PARK", Unique_ID=a, Caller_Destination_Number="9501")
    cesl.wait_event("CHANNEL_PARK", Unique_ID=b)   # park_after_bridge keeps the former partner
    assert capsim.channel(b) is not None and capsim.channel(b).parked
    done = [e for e in chan_events(cesl, a) if e.name == "CHANNEL_EXECUTE_COMPLETE"
            and e.get("Application") == "transfer"]
    assert done and done[0].get("Application-Response") == "_none_"
