"""The `bridge <dialstring>` application (mod_dptools audio_bridge_function, switch_ivr_originate.c,
switch_ivr_bridge.c switch_ivr_multi_threaded_bridge).

The caller (A) stays inside the app: the B leg is originated (OUTGOING, CREATE, ORIGINATE, PROGRESS, ANSWER), then
CHANNEL_BRIDGE fires on A only and B goes to CS_EXCHANGE_MEDIA. When B hangs up, A gets CHANNEL_UNBRIDGE, the app
completes and the after-bridge rules apply (hangup_after_bridge, park_after_bridge, else continue). On failure the
variables originate_disposition / DIALSTATUS / originate_failed_cause are set and the caller is hung up with the
cause unless it is NO_ANSWER, NO_USER_RESPONSE or ORIGINATOR_CANCEL or continue_on_fail allows it (FREESWITCH.md §3.4,
switch_channel_handle_cause).
"""
import logging
import uuid as uuidlib

import gevent

from .causes import q850
from .channels import BridgeEnded, BridgeRequest, Hangup, now_us
from .bridge import bridged_loop, exchange_media, exit_bridge_loop
from .media import heard_from
from .originate import _one_leg, parse_dialstring

logger = logging.getLogger(__name__)

ALWAYS_CONTINUE = {"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"}
DIALSTATUS = {"USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER", "NO_USER_RESPONSE": "NOANSWER",
              "ORIGINATOR_CANCEL": "CANCEL", "INVALID_NUMBER_FORMAT": "INVALIDARGS", "CALL_REJECTED": "DONTCALL"}


class AppBridge:
    """An A/B pair joined by the bridge app."""

    def __init__(self, a, b):
        self.a, self.b = a, b


class JoinBridge(BridgeRequest):
    """Tells the waiting B leg that the caller has bridged it."""

    def resume(self, chan):
        b_leg_phase(chan, self.bridge)


def _b_leg_wait(chan):
    """B leg after answer (originate target): wait in CS_CONSUME_MEDIA until the caller bridges it."""
    while True:
        chan.wait(None)


def b_leg_phase(chan, br):
    """B side of the bridge: CS_EXCHANGE_MEDIA until the caller leaves (then hang up unless park_after_bridge)."""
    chan.set_state("CS_EXCHANGE_MEDIA")
    exchange_media(chan)


def _link(a, b):
    """Bridge bookkeeping shared with uuid_bridge: Other-Leg profiles, bridge variables, CHANNEL_BRIDGE on A."""
    for chan, other in ((a, b), (b, a)):
        chan.other_type = "originatee" if chan is a else "originator"
        if chan is b:
            chan.had_originator = True      # the B leg carries the originator's caller profile (mod_xml_cdr b-leg)
        chan.other_leg = dict(other.profile)
        chan.variables["last_bridge_to"] = other.uuid
        chan.variables["bridge_channel"] = other.name
        chan.variables["bridge_uuid"] = other.uuid
        chan.variables["signal_bond"] = other.uuid
        chan.bridged_us = now_us(chan.sw)
        chan.profile["Channel-Bridged-Time"] = chan.bridged_us
        chan.partner = other
        chan.heard_bridge = heard_from(chan, "bridge", other.uuid)
        if chan.script is not None:
            chan.script.bridged(chan)
    a.fire("CHANNEL_BRIDGE", before=(("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)))


def _originate(chan, ds):
    """Originate the B legs in order; returns (b_channel or None, cause). A hang-up cancels the ringing leg."""
    sw = chan.sw
    gvars, legs = parse_dialstring(ds)
    gmap = dict(gvars)
    timeout = int(gmap.get("originate_timeout") or chan.variables.get("call_timeout") or 60)
    inherited = [(k, v) for k, v in getattr(chan, "exported", {}).items()]
    inherited += [("origination_caller_id_name", chan.profile.get("Caller-ID-Name", "")),
                  ("origination_caller_id_number", chan.profile.get("Caller-ID-Number", ""))]
    cause = "DESTINATION_OUT_OF_ORDER"
    for lvars, endpoint in legs:
        b_uuid = dict(gvars + lvars).get("origination_uuid") or str(uuidlib.uuid4())
        variables = [kv for kv in inherited if kv[0] not in dict(gvars + lvars)] + gvars + lvars
        variables.append(("origination_uuid", b_uuid))
        # what the caller exports is part of the originate's variables, like {} (SOF_NO_LIMITS, originate.no_limits)
        global_vars = [kv for kv in inherited if kv[0] not in dict(gvars)] + gvars
        job = gevent.spawn(_one_leg, sw, endpoint, variables, _b_leg_wait, [], timeout, global_vars)
        try:
            while not job.ready():   # poll every 10 ms of real time: a caller hang-up cancels the B leg
                chan.wait(0.01 / (sw.time_scale or 1.0), bridge=False, brk=False)
        except Hangup:
            b = sw.channel(b_uuid)
            if b is not None and not b.hangup_cause:
                b.hangup("ORIGINATOR_CANCEL" if not b.answered else "NORMAL_CLEARING")
            raise
        result = job.value or "-ERR DESTINATION_OUT_OF_ORDER\n"
        if result.startswith("+OK"):
            b = sw.channel(result[4:].strip())
            if b is not None and not b.hangup_cause:
                return b, None
            cause = "NORMAL_CLEARING"
            continue
        cause = result[5:].strip() or cause
    return None, cause


def app_bridge(chan, data):
    """bridge <dialstring>."""
    ds = (data or "").strip()
    if not ds:
        return
    if chan.direction == "inbound" and not chan.media_up:
        pass   # early media is not needed: the caller keeps ringing while B rings
    b, cause = _originate(chan, ds)
    v = chan.variables
    if b is None:
        v["originate_disposition"] = cause
        v["DIALSTATUS"] = DIALSTATUS.get(cause, cause)
        v["originate_failed_cause"] = cause
        cof = v.get("continue_on_fail", "")
        allowed = cof.lower() == "true" or cause in [c.strip().upper() for c in cof.split(",")] or \
            str(q850(cause)) in [c.strip() for c in cof.split(",")]
        if cause in ALWAYS_CONTINUE or allowed:
            return
        chan.hangup(cause)
        raise Hangup()
    v["originate_disposition"] = "call accepted"
    v["DIALSTATUS"] = "SUCCESS"
    if not chan.answered:
        chan.answer()
    br = AppBridge(chan, b)
    _link(chan, b)
    b.interrupt(JoinBridge(br))
    try:
        bridged_loop(chan)           # the caller's bridge loop notices its partner's end on its next frame
    except BridgeEnded as end:
        chan.end_bridge(end.cause, end.mode)
        _after_bridge(chan, end.cause)
    except (BridgeRequest, Hangup):
        exit_bridge_loop(chan, "NORMAL_CLEARING")
        raise


def _after_bridge(chan, peer_cause):
    """switch_ivr_bridge.c after-bridge rules for the caller of a bridge app."""
    v = chan.variables
    if v.get("park_after_bridge", "").lower() == "true":
        if "park" in chan.app_stack[:-1]:
            return   # executed from the park loop (sendmsg): back to it
        chan.set_state("CS_PARK")
        chan.park_loop(in_app=False)
        return
    if v.get("hangup_after_bridge", "").lower() == "true":
        chan.hangup(peer_cause or "NORMAL_CLEARING")
        raise Hangup()
