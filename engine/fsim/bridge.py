"""uuid_bridge and the bridged phase of a channel (switch_ivr_bridge.c switch_ivr_uuid_bridge, obs. 25/26)."""
import logging
import time
import uuid as uuidlib

import gevent
from gevent.event import Event as GEvent

from .channels import BridgeEnded, BridgeRequest, Hangup, now_us
from .events import UUID_BRIDGE_CALLING
from .media import heard_from, heard_until

logger = logging.getLogger(__name__)
ACK_TIMEOUT = 5.0
# switch_ivr_bridge.c audio_bridge_thread: each leg of a bridge runs this loop in its own thread and blocks in
# switch_core_session_read_frame for one 20 ms media frame between its checks, so a leg notices that the other
# side went away only on its next frame(s):
# * the B leg (originatee) checks `!switch_channel_test_flag(chan_b /* its A */, CF_BRIDGED)`, a flag the A leg's
#   thread clears only when its own loop has ended (one frame after its hang-up): two frames. Capture 04a: the caller
#   hangs up, the agent leg's CHANNEL_HANGUP follows 40 ms later (Event-Date-Timestamp 1795372475240264 vs
#   1795372475280256).
# * the A leg (originator) checks `switch_channel_down_nosig(chan_b)` after every frame: one frame. Capture 04c: the
#   agent hangs up, the caller's CHANNEL_UNBRIDGE/CHANNEL_HANGUP follow 20 ms later (1795372514120287 vs
#   1795372514140263).
MEDIA_TICK_S = 0.020
PARTNER_NOTICES_S = {"originatee": 2 * MEDIA_TICK_S, "originator": MEDIA_TICK_S}
EXCHANGE_WAIT_S = 5.0   # bound (simulated seconds) on the A leg's wait for its B leg to leave CS_EXCHANGE_MEDIA


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
                    if c.moving is self:
                        c.moving = None
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
            chan.bridged_us = now_us(chan.sw)
            chan.profile["Channel-Bridged-Time"] = chan.bridged_us
            chan.partner = self.other(chan)
            chan.bridge = self
            chan.heard_bridge = heard_from(chan, "bridge", chan.partner.uuid)
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
    # switch_ivr_uuid_bridge, still in the api thread (the `+OK` is written only when it returns): after the
    # variables and profiles (clone_profiles) it sets CF_TRANSFER on both legs (`switch_channel_set_flag(
    # originator_channel, CF_TRANSFER)` / originatee), installs uuid_bridge_state_handlers and sets both legs'
    # next state, CS_HIBERNATE (`switch_channel_set_state(..., state == CS_HIBERNATE ? CS_CONSUME_MEDIA :
    # CS_HIBERNATE)`). The legs' threads act on it later (Bridge.run), but from here on a leg that is bridged
    # elsewhere is already leaving that bridge cleanly: its audio_bridge_thread sees CF_TRANSFER on itself
    # (`data->clean_exit = 1`) or on its partner and ends the loop, and neither audio_bridge_on_exchange_media
    # (B leg) nor switch_ivr_multi_threaded_bridge (A leg) hangs it up or parks it (`!CF_TRANSFER &&
    # !CF_REDIRECT && !clean_exit`). So a uuid_kill / BYE of its current partner pipelined behind this api ends
    # only that partner (Channel.wait drops the BridgeEnded, exchange_media).
    for chan in (a, b):
        chan.moving = br
    gevent.spawn(br.run)
    return "+OK %s\n" % b_uuid


def clone_profiles(a, b):
    """switch_ivr_uuid_bridge, in the api thread before either leg moves: bond variables, original_* ids,
    switch_channel_step_caller_profile (Profile-Index 2, Transfer-Source `<epoch>:<profile uuid>:uuid_br:<other>`),
    each leg's Other-Leg profile cloned from the partner, then A takes B's callee id and B takes A's caller id."""
    now = now_us(a.sw)
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
        if kind == "originator":
            chan.had_originator = True      # switch_channel_set_originator_caller_profile: mod_xml_cdr's b-leg test
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
    heard_until(chan, getattr(chan, "heard_bridge", None))
    is_a = chan.bridge_a()
    chan.bridge_is_a = None
    chan.variables.pop("bridge_to", None)
    chan.moved_from = partner if mode == "moved" and chan.moving is not None else None
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
        if not partner.hangup_cause and mode in ("hangup", "partner") and (
                partner.moving is not None or getattr(partner, "moved_from", None) is chan):
            # the B leg is being moved by a uuid_bridge (CF_TRANSFER) and is not torn down with us:
            # switch_ivr_multi_threaded_bridge gives it our cause (`switch_channel_set_variable(peer_channel,
            # SWITCH_BRIDGE_HANGUP_CAUSE_VARIABLE, ...)` when the caller has one) and, at `done:`, its own call_uuid
            # back, unless it already reached its new bridge
            partner.variables["bridge_hangup_cause"] = cause
            if partner.partner is None:
                partner.variables["call_uuid"] = partner.uuid
        elif not partner.hangup_cause and mode in ("hangup", "partner") and not partner_parks:
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
        chan.end_bridge(_moved_cause(chan), mode="moved")
    chan.running_state, chan.state_number = "CS_EXECUTE", 8
    # switch_core_state_machine.c switch_core_session_run: entering the new state (CS_HIBERNATE) clears
    # CF_TRANSFER and CF_REDIRECT
    if chan.moving is br:
        chan.moving = None
    chan.set_state("CS_HIBERNATE", 8)
    left_exchange(chan)   # an old partner that hung up waits for this leg to leave CS_EXCHANGE_MEDIA
    chan.set_state("CS_RESET", 9)
    br.acks[chan.uuid].set()
    try:
        deadline = time.monotonic() + chan.sw.real(ACK_TIMEOUT * 2)
        # Bridge.run pokes both legs once the bridge is up (or failed): go on at once, not at the timeout
        while not br.established.is_set() and not br.failed and time.monotonic() < deadline:
            chan.wait(ACK_TIMEOUT * 2, bridge=False, until=lambda: br.established.is_set() or br.failed)
    except Hangup:
        if chan.partner is not None:
            chan.end_bridge(chan.hangup_cause, mode="hangup")
        raise
    if br.failed:
        chan.set_state("CS_PARK")
        chan.park_loop(in_app=False)
        return
    exchange_media(chan)


def partner_gone(chan, end):
    """The partner of this bridged leg hung up (BridgeEnded, mode `partner`): this leg's bridge loop notices it
    only at its next media frame(s) (PARTNER_NOTICES_S); simulated time passes before it acts."""
    if end.mode != "partner":
        return
    role = "originator" if chan.bridge_a() else "originatee"
    chan.sw.sleep(PARTNER_NOTICES_S[role])
    if chan.hangup_cause:
        raise Hangup()


def _moved_cause(chan):
    """The cause a leg moved out of its bridge records for it: its old partner's hang-up cause, which
    switch_channel_perform_hangup gives it (`switch_channel_set_variable_partner(channel,
    "last_bridge_hangup_cause", ...)`) when that partner was killed meanwhile, else NORMAL_CLEARING."""
    old = chan.partner
    return (old.hangup_cause if old is not None else None) or "NORMAL_CLEARING"


def moving_on(chan):
    """A uuid_bridge moved this leg away (CF_TRANSFER, see uuid_bridge): its bridge loop exits clean instead of
    acting on its partner's end; the BridgeRequest that follows takes it out of the bridge."""
    return chan.moving is not None and not chan.hangup_cause


def wait_partner_leaves(chan):
    """The A leg hung up: switch_ivr_multi_threaded_bridge returns from its audio_bridge_thread, then waits
    `while (switch_channel_get_state(peer_channel) == CS_EXCHANGE_MEDIA)` before it fires CHANNEL_UNBRIDGE and the
    leg goes on to CS_HANGUP. So the B leg's CHANNEL_HANGUP, CS_HANGUP and CALLSTATE HANGUP come first (capture
    04a); the B leg signals it (left_exchange) from its CS_HANGUP (cdr.report) or when it parks."""
    b = chan.partner
    if b is None or not chan.bridge_a():
        return
    ev = b.__dict__.setdefault("left_exchange_event", GEvent())
    deadline = time.monotonic() + max(chan.sw.real(EXCHANGE_WAIT_S), 0.5)
    while b.running_state == "CS_EXCHANGE_MEDIA" and not b.destroyed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ev.wait(min(remaining, 0.05))


def left_exchange(chan):
    """This B leg left CS_EXCHANGE_MEDIA: let an A leg waiting in wait_partner_leaves go on now."""
    ev = chan.__dict__.pop("left_exchange_event", None)
    if ev is not None:
        ev.set()
        gevent.sleep(0)


def exchange_media(chan):
    """A bridged leg (switch_ivr_multi_threaded_bridge): DTMF and queued commands until the bridge ends; then
    park when park_after_bridge=true, else hang up (switch_ivr_bridge.c, hangup_after_bridge)."""
    try:
        bridged_loop(chan)
    except BridgeEnded as end:
        chan.end_bridge(end.cause, end.mode)
        if chan.variables.get("park_after_bridge", "").lower() == "true":
            chan.set_state("CS_PARK")
            left_exchange(chan)
            chan.park_loop(in_app=False)
            return
        chan.hangup("NORMAL_CLEARING", disposition="send_bye")
        raise Hangup()
    except (BridgeRequest, Hangup):
        exit_bridge_loop(chan, _moved_cause(chan))
        raise


def bridged_loop(chan):
    """A bridged leg's loop (switch_ivr_bridge.c audio_bridge_thread): DTMF and queued commands until its bridge
    ends (BridgeEnded), unless a uuid_bridge moved the leg on meanwhile: CF_TRANSFER wins, the loop goes on until
    the BridgeRequest that follows takes the leg out."""
    while True:
        try:
            what = chan.wait(None, dtmf=True, cmd=True)
            if what == "cmd" and chan.partner is not None and chan.partner.moving is not None:
                # the partner has CF_TRANSFER (a uuid_bridge moves it, set before its `+OK`): the loop ends on it
                # before it parses a private event (audio_bridge_thread checks chan_b's CF_TRANSFER first), so
                # what was queued meanwhile (a broadcast to the caller set aside) runs after the bridge
                chan.wait(0.1, until=lambda: chan.partner is None or chan.partner.moving is None)
                continue
        except BridgeEnded as end:
            partner_gone(chan, end)
            if moving_on(chan):
                continue
            raise
        if what == "dtmf":
            chan.dequeue_dtmf()
        elif what == "cmd":
            chan.run_command(chan.commands.popleft())


def exit_bridge_loop(chan, moved_cause):
    """A bridged leg moved to another bridge or hung up: end its bridge, once its partner has left
    CS_EXCHANGE_MEDIA when it hung up; `moved_cause` is recorded when it moved."""
    if chan.partner is not None:
        if chan.hangup_cause:
            wait_partner_leaves(chan)
        chan.end_bridge(chan.hangup_cause or moved_cause, "hangup" if chan.hangup_cause else "moved")

