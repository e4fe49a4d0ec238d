"""uuid_bridge and the bridged phase of a channel (switch_ivr_bridge.c switch_ivr_uuid_bridge, obs. 25/26)."""
import logging
import uuid as uuidlib

import gevent
from gevent.event import Event as GEvent

from .channels import BridgeEnded, BridgeRequest, Hangup, now_us
from .events import UUID_BRIDGE_CALLING

logger = logging.getLogger(__name__)
ACK_TIMEOUT = 5.0


class Bridge:
    """A pending/active uuid_bridge between an A (originator) and a B (originatee) leg."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.acks = {a.uuid: GEvent(), b.uuid: GEvent()}
        self.established = GEvent()
        self.failed = False

    def role(self, chan):
        return "originator" if chan is self.a else "originatee"

    def other(self, chan):
        return self.b if chan is self.a else self.a

    def run(self):
        """B leaves park first, then A (capture 04a order), then SOFT_EXECUTE, EXECUTE uuid_bridge, BRIDGE."""
        for chan in (self.b, self.a):
            chan.interrupt(BridgeRequest(self))
            if not self.acks[chan.uuid].wait(ACK_TIMEOUT) or chan.hangup_cause:
                self.failed = True
                self.established.set()
                for c in (self.a, self.b):
                    c.poke()
                return
        a, b = self.a, self.b
        for chan in (a, b):
            chan.running_state, chan.state_number = "CS_SOFT_EXECUTE", 3
        for chan in (a, b):
            chan.fire("CHANNEL_STATE")
        a.variables.pop("uuid_bridge", None)
        a.variables["call_uuid"] = a.uuid   # capture 06c: a re-bridged leg keeps its old call_uuid up to here   # uuid_bridge_on_soft_execute consumes it
        for chan in (a, b):
            calling = (UUID_BRIDGE_CALLING[0], UUID_BRIDGE_CALLING[1],
                       UUID_BRIDGE_CALLING[2] + (0 if chan is a else 7))
            chan.current_app, chan.current_app_data = "uuid_bridge", self.other(chan).uuid
            chan.fire("CHANNEL_EXECUTE", calling=calling,
                      after=(("Application", "uuid_bridge"), ("Application-Data", self.other(chan).uuid)))
        for chan in (a, b):
            chan.bridge_is_a = chan is a
            chan.bridged_us = now_us()
            chan.profile["Channel-Bridged-Time"] = chan.bridged_us
            chan.partner = self.other(chan)
            chan.bridge = self
            if chan.script is not None:
                chan.script.bridged(chan)
        a.fire("CHANNEL_BRIDGE", before=(("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)))
        b.variables["call_uuid"] = a.uuid
        b.set_state("CS_EXCHANGE_MEDIA")
        # what the bridge and the SIP display update (CALL_UPDATE, not modelled) leave in the variables
        for chan, (name, num) in ((a, (a.profile.get("Callee-ID-Name"), a.profile.get("Callee-ID-Number", ""))),
                                  (b, (b.profile.get("Caller-ID-Name"), b.profile.get("Caller-ID-Number", "")))):
            sent = (name or num, num)
            other = self.other(chan)
            chan.variables["bridge_to"] = other.uuid
            chan.variables["last_bridge_to"] = other.uuid
            chan.variables["bridge_channel"] = other.name
            chan.variables["bridge_uuid"] = other.uuid
            chan.variables["signal_bond"] = other.uuid
            chan.variables["last_sent_callee_id_name"], chan.variables["last_sent_callee_id_number"] = sent
            chan.callee_direction = "SEND"
        self.established.set()
        for c in (a, b):
            c.poke()


def uuid_bridge(sw, a_uuid, b_uuid):
    """api uuid_bridge: `+OK <b>\\n` at once (asynchronous) or `-ERR Invalid uuid\\n`."""
    a, b = sw.channel(a_uuid), sw.channel(b_uuid)
    if a is None or b is None or a is b or a.hangup_cause or b.hangup_cause:
        return "-ERR Invalid uuid\n"
    if not a.media_up:
        if not b.media_up:
            return "-ERR Invalid uuid\n"   # neither leg has media up
        a, b = b, a   # switch_ivr_uuid_bridge swaps roles when only B is answered
    clone_profiles(a, b)
    br = Bridge(a, b)
    gevent.spawn(br.run)
    return "+OK %s\n" % b_uuid


def clone_profiles(a, b):
    """switch_ivr_uuid_bridge, in the api thread before either leg moves: bond variables, original_* ids,
    switch_channel_step_caller_profile (Profile-Index 2, Transfer-Source `<epoch>:<profile uuid>:uuid_br:<other>`),
    each leg's Other-Leg profile cloned from the partner, then A takes B's callee id and B takes A's caller id."""
    now = now_us()
    if a.direction == "outbound":
        _invert_cid(a)
    a.variables["uuid_bridge"] = b.uuid
    for chan in (a, b):
        other = b if chan is a else a
        chan.variables["bridge_channel"] = other.name
        chan.variables["bridge_uuid"] = other.uuid
        chan.variables["signal_bond"] = other.uuid
    for chan in (b, a):
        p = chan.profile
        chan.variables["original_destination_number"] = p.get("Destination-Number", "")
        chan.variables["original_caller_id_name"] = p.get("Caller-ID-Name", "")
        chan.variables["original_caller_id_number"] = p.get("Caller-ID-Number", "")
    for chan in (a, b):
        other = b if chan is a else a
        src = "%d:%s:uuid_br:%s" % (now // 1_000_000, uuidlib.uuid4(), other.uuid)
        chan.profile["Profile-Index"] = str(int(chan.profile.get("Profile-Index") or 1) + 1)
        chan.profile["Profile-Created-Time"] = now
        chan.profile["Transfer-Source"] = src
        chan.variables["transfer_history"] = src
        chan.variables["transfer_source"] = src
    for chan, other, kind in ((b, a, "originator"), (a, b, "originatee")):
        chan.other_type, chan.other_leg = kind, dict(other.profile, **{"Logical-Direction": "inbound"})
        chan.other_leg.pop("Transfer-Source", None)
        chan.other_leg_skip = ("Profile-Index",)
        if chan is b and chan.direction == "outbound":
            chan.hit_dialplan = False
    a.profile["Callee-ID-Name"] = b.profile.get("Callee-ID-Name", "")
    a.profile["Callee-ID-Number"] = b.profile.get("Callee-ID-Number", "")
    b.profile["Caller-ID-Name"] = a.profile.get("Caller-ID-Name", "")
    b.profile["Caller-ID-Number"] = a.profile.get("Caller-ID-Number", "")


def leave_bridge(chan, cause, mode="partner"):
    """A leg leaves its bridge. mode: `hangup` (its own side hung up), `partner` (the partner hung up), `moved`
    (this leg is transferred / re-bridged), `left` (the partner was moved away).

    Captures 04a/04c/06a-06d: bridge_to goes; only a leg whose partner hung up gets last_bridge_hangup_cause; the A
    leg gets bridge_hangup_cause unless its partner was moved away, and fires CHANNEL_UNBRIDGE (transfer.py fires
    it itself for a moved leg, after the partner's hangup), which gives the B leg its own call_uuid back; a B leg
    torn down because its partner hung up gets bridge_hangup_cause only after its CDR variables."""
    partner, chan.partner = chan.partner, None
    if partner is None:
        return
    is_a = chan.bridge_a()
    chan.bridge_is_a = None
    chan.variables.pop("bridge_to", None)
    partner_parks = partner.variables.get("park_after_bridge", "").lower() == "true"
    if getattr(chan, "xfer_both", False):
        mode = "together"   # uuid_transfer -both (capture 05b): both legs move on, no hangup cause is recorded
    if mode == "partner" or (mode == "moved" and not is_a and not partner_parks):
        # 06c: a B leg re-bridged elsewhere gets it from the partner it leaves behind (hung up, no park)
        chan.variables["last_bridge_hangup_cause"] = cause
    if is_a:
        if mode not in ("left", "together"):
            chan.variables["bridge_hangup_cause"] = cause
        if mode not in ("moved", "together"):
            chan.fire("CHANNEL_UNBRIDGE", before=(("Bridge-A-Unique-ID", chan.uuid),
                                                  ("Bridge-B-Unique-ID", partner.uuid)))
        # CHANNEL_UNBRIDGE gives the B leg its own call_uuid back (a hanging-up B leg: see finalize); one that
        # becomes the A leg of another uuid_bridge keeps it until that bridge's CS_SOFT_EXECUTE (06c)
        if not partner.hangup_cause and mode in ("hangup", "partner") and not partner_parks:
            # the bridge end hangs the B leg up first (its CHANNEL_HANGUP still shows our uuid, 04a/05a), then
            # the UNBRIDGE reaches it between its CS_HANGUP and CS_REPORTING (finalize)
            partner.early_call_uuid = True
        elif not partner.hangup_cause and (mode in ("hangup", "partner") or
                                           (mode == "left" and partner.other_type == "originator")):
            partner.variables["call_uuid"] = partner.uuid
    else:
        if mode == "partner":
            chan.late_bridge_cause = cause
        if mode in ("partner", "left"):
            chan.early_call_uuid = True
        if mode == "moved" and chan.other_type == "originator":
            chan.variables["call_uuid"] = chan.uuid
    if partner.partner is chan:
        partner.interrupt(BridgeEnded(cause, moved=mode in ("moved", "together")))


def _invert_cid(chan):
    """switch_channel_invert_cid for an outbound leg that becomes a uuid_bridge originator (capture 06c A1):
    the old caller id goes to pre_transfer_*, the callee id becomes the caller id, the logical direction inbound."""
    p, v = chan.profile, chan.variables
    v["pre_transfer_caller_id_name"] = p.get("Caller-ID-Name", "")
    v["pre_transfer_caller_id_number"] = p.get("Caller-ID-Number", "")
    p["Caller-ID-Name"], p["Caller-ID-Number"] = p.pop("Callee-ID-Name", ""), p.pop("Callee-ID-Number", "")
    p["Logical-Direction"] = "inbound"
    chan.hit_dialplan = True


def bridged_phase(chan, br):
    """Called in the channel greenlet after it left park/app: HIBERNATE, RESET, then stay until the bridge ends.

    Obs. 26: when the partner hangs up this leg is hung up (NORMAL_CLEARING) unless park_after_bridge=true,
    in which case (A leg: CHANNEL_UNBRIDGE) it goes to CS_PARK with CHANNEL_PARK.
    """
    if chan.partner is not None and chan.partner is not br.other(chan):
        chan.end_bridge("NORMAL_CLEARING", mode="moved")
    chan.running_state, chan.state_number = "CS_EXECUTE", 8
    chan.set_state("CS_HIBERNATE", 8)
    chan.set_state("CS_RESET", 9)
    br.acks[chan.uuid].set()
    try:
        while not br.established.is_set() and not br.failed:
            chan.wait(ACK_TIMEOUT * 2, bridge=False)
    except Hangup:
        if chan.partner is not None:
            chan.end_bridge(chan.hangup_cause, mode="hangup")
        raise
    if br.failed:
        chan.set_state("CS_PARK")
        chan.park_loop(in_app=False)
        return
    exchange_media(chan)


def exchange_media(chan):
    """A bridged leg (switch_ivr_multi_threaded_bridge): DTMF and queued commands until the bridge ends; then
    park when park_after_bridge=true, else hang up (switch_ivr_bridge.c, hangup_after_bridge)."""
    try:
        while True:
            what = chan.wait(None, dtmf=True, cmd=True)
            if what == "dtmf":
                chan.dequeue_dtmf()
            elif what == "cmd":
                chan.run_command(chan.commands.popleft())
    except BridgeEnded as end:
        chan.end_bridge(end.cause, end.mode)
        if chan.variables.get("park_after_bridge", "").lower() == "true":
            chan.set_state("CS_PARK")
            chan.park_loop(in_app=False)
            return
        chan.hangup("NORMAL_CLEARING", disposition="send_bye")
        raise Hangup()
    except (BridgeRequest, Hangup):
        if chan.partner is not None:      # moved to another bridge, or hung up
            chan.end_bridge(chan.hangup_cause or "NORMAL_CLEARING", "hangup" if chan.hangup_cause else "moved")
        raise

