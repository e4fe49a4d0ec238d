"""uuid_transfer and the `transfer` app (mod_commands.c transfer_function, switch_ivr.c switch_ivr_session_transfer).

Capture 06a/06b/06d, 05b and observation 27: the api answers `+OK\\n` at once; the transferred leg gets a new caller
profile (Profile-Index+1, RDNIS = old destination, Transfer-Source `<epoch>:<uuid>:bl_xfer:<ext>/<ctx>/<dp>`), leaves
what it was doing (park: CHANNEL_UNPARK + EXECUTE_COMPLETE; bridge: the former partner is hung up first, then the A leg
fires CHANNEL_UNBRIDGE) and re-runs the dialplan: inbound legs show CALLSTATE RINGING on CS_ROUTING and ACTIVE on
CS_EXECUTE (switch_channel_perform_set_running_state), outbound legs only CHANNEL_STATE.
"""
import logging
import uuid as uuidlib

import gevent

from .apps import execute, split_args
from .channels import BridgeRequest, Hangup, now_us
from .events import STATE_NUMBERS

logger = logging.getLogger(__name__)

USAGE = "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"


class Xfer:
    """One pending switch_ivr_session_transfer of a channel."""

    def __init__(self, extension, dialplan, context, partner, was_a):
        self.extension = extension
        self.dialplan = dialplan
        self.context = context
        self.partner = partner
        self.was_a = was_a


class TransferRequest(BridgeRequest):
    """The channel must leave park/bridge/app and route again (CF_TRANSFER + CS_ROUTING)."""

    state_number = 2   # capture 06b: CHANNEL_UNPARK after a transfer shows Channel-State-Number 2 (CS_ROUTING)

    def __init__(self, xfer):
        Exception.__init__(self, "transfer")
        self.bridge = None
        self.xfer = xfer

    def resume(self, chan):
        transfer_phase(chan, self.xfer)


def set_running(chan, state):
    """switch_channel_perform_set_running_state: inbound legs get RINGING on CS_ROUTING, ACTIVE/EARLY otherwise."""
    chan.running_state, chan.state_number = state, STATE_NUMBERS[state]
    if chan.direction == "inbound":
        new = "RINGING" if state == "CS_ROUTING" else (
            "ACTIVE" if chan.answered else ("EARLY" if chan.media_up else None))
        if new and new != chan.callstate and chan.callstate != "HANGUP":
            chan.set_callstate(new)
    chan.fire("CHANNEL_STATE")


def session_transfer(chan, extension, dialplan=None, context=None, interrupt=True):
    """switch_ivr_session_transfer (synchronous part): profile, variables, CS_ROUTING; returns the Xfer or None."""
    v = chan.variables
    fwd = v.get("max_forwards", "")
    forward = int(fwd) - 1 if fwd.lstrip("-").isdigit() else 70
    if forward <= 0:
        chan.hangup("EXCHANGE_ROUTING_ERROR")
        return None
    v.pop("max_forwards", None)
    v["max_forwards"] = str(forward)
    v.pop("temp_hold_music", None)
    p = chan.profile
    use_dp = dialplan or v.get("force_transfer_dialplan") or ""
    use_ctx = context or v.get("force_transfer_context") or ""
    if not use_dp:
        use_dp = p.get("Dialplan") or ""
        if use_dp.lower() == "inline":
            use_dp = ""
    use_ctx = use_ctx or p.get("Context") or "default"
    use_dp = use_dp or "XML"
    extension = extension or "service"
    now = now_us(chan.sw)
    # switch_caller_profile_clone: times are kept except the bridge time (capture 06a UNBRIDGE: Bridged-Time 0)
    new = dict(p)
    new.update({"Dialplan": use_dp, "Context": use_ctx, "Destination-Number": extension,
                "RDNIS": p.get("Destination-Number", ""), "Profile-Index": str(int(p.get("Profile-Index") or 1) + 1),
                "Profile-Created-Time": now, "Channel-Bridged-Time": 0})
    src = "%d:%s:bl_xfer:%s/%s/%s" % (int(chan.sw.clock.now()), uuidlib.uuid4(), extension, use_ctx, use_dp)
    new["Transfer-Source"] = src
    partner = chan.partner
    was_a = partner is not None and chan.bridge_a()
    v.pop("signal_bond", None)
    if partner is not None:
        partner.variables.pop("signal_bond", None)
    chan.profile = new
    chan.other_leg, chan.other_type = None, None
    chan.state_number = 2
    hist = v.get("transfer_history")
    if hist is None:
        v["transfer_history"] = src
    else:   # SWITCH_STACK_PUSH turns the variable into an ARRAY:: (capture 06a)
        v["transfer_history"] = (hist if hist.startswith("ARRAY::") else "ARRAY::" + hist) + "|:" + src
    v.pop("transfer_source", None)
    v["transfer_source"] = src
    xfer = Xfer(extension, use_dp, use_ctx, partner, was_a)
    logger.info("Transfer %s to %s[%s@%s]", chan.name, use_dp, extension, use_ctx)
    if interrupt:
        chan.interrupt(TransferRequest(xfer))
    return xfer


def parse_inline(target):
    """mod_dptools inline_dialplan_hunt: `app:arg,app2:arg2` (`^^X` changes the separator)."""
    delim = ","
    if target.startswith("^^") and len(target) > 2:
        delim, target = target[2], target[3:]
    out = []
    for item in target.split(delim):
        app, _, data = item.partition(":")
        app = app.strip()
        if app:
            out.append((app, data))
    return out


def transfer_phase(chan, xfer):
    """Channel thread after a transfer: UNBRIDGE (A leg), CS_ROUTING, hunt, CS_EXECUTE, run the extension."""
    if xfer.partner is not None:
        gevent.sleep(0)   # capture 06a: the former partner's CHANNEL_HANGUP precedes this leg's CHANNEL_UNBRIDGE
        if chan.partner is not None:
            chan.end_bridge("NORMAL_CLEARING", mode="moved")
        if xfer.was_a:
            chan.fire("CHANNEL_UNBRIDGE", before=(("Bridge-A-Unique-ID", chan.uuid),
                                                  ("Bridge-B-Unique-ID", xfer.partner.uuid)))
    chan.bridge = None
    chan.parked = False
    chan.xfer_both = False
    set_running(chan, "CS_ROUTING")
    if xfer.dialplan.lower() == "inline":
        actions = parse_inline(xfer.extension)
        # inline_dialplan_hunt: destination_number = rdnis, rdnis = "" (capture 05b: EXECUTE shows the old number)
        chan.profile["Destination-Number"] = chan.profile.pop("RDNIS", "")
    else:
        actions = chan.sw.dialplan.route(xfer.context, chan)
    if not actions:
        chan.hangup("NO_ROUTE_DESTINATION")
        raise Hangup()
    if chan.direction == "outbound" and not chan.hit_dialplan:
        # capture 05b: an originated leg that hits a dialplan gets CF_DIALPLAN and its caller id flipped
        # (switch_channel_flip_cid), and, as the B leg that left a bridge, its own call_uuid back
        from .originate import flip_cid
        flip_cid(chan)
        chan.hit_dialplan = True
        if xfer.partner is not None and not xfer.was_a:
            chan.variables["call_uuid"] = chan.uuid
    set_running(chan, "CS_EXECUTE")
    for app, data in actions:
        execute(chan, app, data)


def api_uuid_transfer(sw, arg):
    """uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]: `+OK\\n`, `-ERR\\n` or no such channel."""
    argv = split_args(arg or "")
    if len(argv) < 2 or len(argv) > 5:
        return USAGE
    chan = sw.channel(argv[0])
    if chan is None or chan.hangup_cause:
        return "-ERR No such channel!\n"
    dest, dp, ctx, flag = argv[1], _at(argv, 2), _at(argv, 3), None
    if dest.startswith("-"):
        flag, dest, dp, ctx = dest[1:].lower(), _at(argv, 2), _at(argv, 3), _at(argv, 4)
    other = chan.partner if chan.partner is not None and not chan.partner.hangup_cause else None
    if flag == "bleg" and other is not None:
        chan, other = other, None   # -bleg moves the other side; unbridged: the channel itself (capture 06b)
    if flag == "both" and other is not None:
        chan.xfer_both = other.xfer_both = True   # the bridge ends with both legs moving: no hangup cause
    ok = session_transfer(chan, dest, dp, ctx) is not None
    if flag == "both" and other is not None:
        session_transfer(other, dest, dp, ctx)
    return "+OK\n" if ok else "-ERR\n"


def _at(seq, i):
    return seq[i] if len(seq) > i and seq[i] else None


def app_transfer(chan, data):
    """transfer [-bleg|-both] <ext> [<dp> [<ctx>]] (mod_dptools transfer_function)."""
    argv = split_args(data or "")
    if not argv:
        return
    flag = None
    if argv[0].lower() in ("-bleg", "-both"):
        flag, argv = argv[0][1:].lower(), argv[1:]
    ext, dp, ctx = _at(argv, 0), _at(argv, 1), _at(argv, 2)
    partner = chan.partner
    if flag in ("bleg", "both") and partner is not None:
        if flag == "both":
            chan.xfer_both = partner.xfer_both = True
        session_transfer(partner, ext, dp, ctx)
        if flag == "bleg":
            return
    xfer = session_transfer(chan, ext, dp, ctx, interrupt=False)
    if xfer is not None:
        raise TransferRequest(xfer)
