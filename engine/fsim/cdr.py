"""CDR variables (switch_channel.c switch_channel_set_timestamps) and the reporting end of a channel (CS_HANGUP to
CS_DESTROY, switch_core_state_machine.c), plus the dict views of a channel."""
import logging
import time

import gevent

from .causes import q850

logger = logging.getLogger(__name__)


def _stamp(us):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us / 1e6))


def set_cdr_variables(chan):
    """Add hangup_cause, q850, stamps, epochs and durations in the order of the capture (obs. 24)."""
    v = chan.variables
    start, end = chan.created_us, chan.hangup_us or int(chan.sw.clock.now() * 1e6)
    # the current caller profile's bridge time: a transfer's profile clone starts at 0 (capture 06a)
    bridged = int(chan.profile.get("Channel-Bridged-Time") or 0)
    v["hangup_cause"] = chan.hangup_cause
    v["hangup_cause_q850"] = str(q850(chan.hangup_cause))
    v["digits_dialed"] = getattr(chan, "digits_dialed", "") or "none"
    v["start_stamp"] = _stamp(start)
    v["profile_start_stamp"] = _stamp(int(chan.profile.get("Profile-Created-Time") or start))
    last_hold = int(chan.profile.get("Channel-Last-Hold") or 0)
    for name, us in (("answer", chan.answered_us), ("bridge", bridged), ("hold", last_hold),
                     ("progress", chan.progress_us), ("progress_media", chan.progress_media_us)):
        if us:
            v["%s_stamp" % name] = _stamp(us)
    holds = getattr(chan, "hold_record", None)
    if holds:   # newest first, {{start,end},...} (switch_channel_set_timestamps)
        v["hold_events"] = "{%s}" % ",".join("{%d,%d}" % h for h in reversed(holds))
    v["end_stamp"] = _stamp(end)
    v["start_epoch"] = str(start // 1_000_000)
    v["start_uepoch"] = str(start)
    pstart = int(chan.profile.get("Profile-Created-Time") or start)
    v["profile_start_epoch"] = str(pstart // 1_000_000)
    v["profile_start_uepoch"] = str(pstart)
    for name, us in (("answer", chan.answered_us), ("bridge", bridged), ("last_hold", last_hold)):
        v["%s_epoch" % name] = str(us // 1_000_000)
        v["%s_uepoch" % name] = str(us)
    accum = int(chan.profile.get("Channel-Hold-Accum") or 0)
    v["hold_accum_seconds"] = str(accum // 1_000_000)
    v["hold_accum_usec"] = str(accum)
    v["hold_accum_ms"] = str(accum // 1000)
    v["resurrect_epoch"] = "0"
    v["resurrect_uepoch"] = "0"
    for name, us in (("progress", chan.progress_us), ("progress_media", chan.progress_media_us)):
        v["%s_epoch" % name] = str(us // 1_000_000)
        v["%s_uepoch" % name] = str(us)
    v["end_epoch"] = str(end // 1_000_000)
    v["end_uepoch"] = str(end)
    last_app = getattr(chan, "last_app", None) or chan.current_app
    if last_app:
        v["last_app"] = last_app
        last_arg = getattr(chan, "last_arg", None) if getattr(chan, "last_app", None) else chan.current_app_data
        if last_arg:
            v["last_arg"] = last_arg
    name = chan.profile.get("Caller-ID-Name") or ""
    num = chan.profile.get("Caller-ID-Number") or ""
    v["caller_id"] = '"%s" <%s>' % (name, num) if name else num

    def span(a, b):
        return max(0, b - a) if a and b else 0
    spans = {
        "duration": span(start, end), "billsec": span(chan.answered_us, end),
        "progresssec": span(start, chan.progress_us), "answersec": span(start, chan.answered_us),
        "waitsec": span(start, chan.bridged_us), "progress_mediasec": span(start, chan.progress_media_us),
        "flow_billsec": span(start, end),
    }
    for k, us in spans.items():
        v[k] = str(us // 1_000_000)
    for k, us in spans.items():
        v[k.replace("sec", "msec") if k != "duration" else "mduration"] = str(us // 1000)
    for k, us in spans.items():
        v[k.replace("sec", "usec") if k != "duration" else "uduration"] = str(us)


def report(chan):
    """Channel.finalize: CS_HANGUP, CALLSTATE HANGUP, CS_REPORTING, HANGUP_COMPLETE (CDR vars), DESTROY
    (obs. 22)."""
    if chan.destroyed:
        return
    chan.destroyed = True
    if not chan.hangup_cause:
        chan.hangup_cause = "NORMAL_CLEARING"
    if chan.partner is not None:
        chan.end_bridge(chan.hangup_cause, mode="hangup")
    chan.set_state("CS_HANGUP")
    for cb in list(getattr(chan, "on_hangup_state", ())):
        cb(chan)   # media bugs are removed in CS_HANGUP: RECORD_STOP / MEDIA_BUG_STOP (obs. 22)
    chan.set_callstate("HANGUP")
    if getattr(chan, "early_call_uuid", False):
        # 04a/06d: a B leg torn down by the bridge end has its call_uuid back from the A leg's CHANNEL_UNBRIDGE,
        # which FreeSWITCH's A thread fires while this leg is between CS_HANGUP and CS_REPORTING
        chan.variables["call_uuid"] = chan.uuid
    from .bridge import left_exchange
    left_exchange(chan)   # an A leg that hung up first waits for this leg's CS_HANGUP (bridge.wait_partner_leaves)
    chan.set_state("CS_REPORTING")
    chan.variables["sip_hangup_disposition"] = chan.hangup_disposition or "send_bye"
    set_cdr_variables(chan)
    if getattr(chan, "late_bridge_cause", None):
        chan.variables["bridge_hangup_cause"] = chan.late_bridge_cause   # B leg hung up by the bridge end
    chan.fire("CHANNEL_HANGUP_COMPLETE", before=(("Hangup-Cause", chan.hangup_cause),))
    if chan.sw.xml_cdr is not None:
        chan.sw.xml_cdr.on_reporting(chan)     # mod_xml_cdr's on_reporting state handler
    for cb in chan.on_reported:
        cb(chan)
    if chan.on_reported:
        gevent.sleep(0)   # let a waiting originate reply before CHANNEL_DESTROY (capture 04b order)
    chan.state_number = 12
    chan.variables["call_uuid"] = chan.uuid   # capture 04c: a bridged B leg that hung up first
    ev = chan.fire("CHANNEL_DESTROY")
    chan.destroyed_us = int(ev.get("Event-Date-Timestamp"))   # the session ends here (summary `destroyed`)
    chan.set_state("CS_DESTROY", 12)
    chan.sw._destroyed(chan)


def describe(chan):
    """Dict view for SimSwitch.channels() / GET /channels."""
    return {
        "uuid": chan.uuid, "name": chan.name, "direction": chan.direction, "state": chan.running_state,
        "callstate": chan.callstate, "answer_state": chan.answer_state, "answered": chan.answered,
        "parked": chan.parked, "application": chan.current_app,
        "bridged_to": chan.partner.uuid if chan.partner else None,
        "caller_id_number": chan.profile.get("Caller-ID-Number"),
        "destination_number": chan.profile.get("Destination-Number"),
        "created": chan.created_us / 1e6, "variables": dict(chan.variables),
        **getattr(chan, "sim_ext", {}),
    }


def summary(chan):
    """Dict view of a finished channel for SimSwitch.calls_log(). Times are epoch seconds taken from the µs
    clock like the channel's: `created`, `answered_at`, `bridged_at`, `ended` (CHANNEL_HANGUP) and `destroyed`
    (CHANNEL_DESTROY, the end of the session: FreeSWITCH keeps a hung-up channel, and counts it in `show
    channels` and max-sessions, until then; 0-40 ms after its hang-up in captures 04a/04b, e.g. an A leg waits
    for its B leg to leave CS_EXCHANGE_MEDIA)."""
    d = describe(chan)
    d.update({"hangup_cause": chan.hangup_cause, "disposition": chan.hangup_disposition,
              "answered_at": chan.answered_us / 1e6 or None, "bridged_at": chan.bridged_us / 1e6 or None,
              "ended": chan.hangup_us / 1e6, "destroyed": chan.destroyed_us / 1e6 or None})
    return d
