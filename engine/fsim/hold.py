"""uuid_hold [off|toggle] <uuid> (mod_commands.c uuid_hold_function, switch_ivr.c switch_ivr_hold/unhold).

Capture 03 / observation 21: `+OK Success\\n`; hold = CHANNEL_CALLSTATE HELD (sofia, once the re-INVITE is answered)
then CHANNEL_HOLD (Channel-Call-State HELD); off = CALLSTATE UNHELD, CHANNEL_UNHOLD, then CALLSTATE ACTIVE.
Unknown uuid answers `+OK Success` (switch_ivr_hold_uuid returns SUCCESS when the session is not found); holding a
held channel or unholding an unheld one answers `-ERR Operation failed`; toggle on a ringing call is a silent no-op.
hold_music (or temp_hold_music) is broadcast in a loop to the bridged partner and stopped on unhold.
"""
import logging

from .apps import split_args
from .channels import now_us

logger = logging.getLogger(__name__)

USAGE = "-USAGE: [off|toggle] <uuid> [<display>]\n"
OK = "+OK Success\n"
FAILED = "-ERR Operation failed\n"
CALLING_HOLD = ("switch_ivr.c", "switch_ivr_hold", 1558)
CALLING_UNHOLD = ("switch_ivr.c", "switch_ivr_unhold", 1638)


def is_held(chan):
    return bool(getattr(chan, "sim_ext", {}).get("held"))


def _ext(chan):
    return chan.__dict__.setdefault("sim_ext", {})


def hold(chan):
    """switch_ivr_hold: CF_HOLD, re-INVITE sendonly (CALLSTATE HELD), MOH to the partner, CHANNEL_HOLD."""
    _ext(chan)["held"] = True
    chan.hold_started_us = now_us(chan.sw)
    chan.profile["Channel-Last-Hold"] = chan.hold_started_us
    chan.set_callstate("HELD")
    music = chan.variables.get("temp_hold_music") or chan.variables.get("hold_music")
    partner = chan.partner
    if music and partner is not None and not partner.hangup_cause:
        from .broadcast import broadcast
        broadcast(partner, music, loop=True)
        _ext(chan)["moh_to"] = partner.uuid
    chan.fire("CHANNEL_HOLD", calling=CALLING_HOLD)
    # sofia: FreeSWITCH sent the hold re-INVITE itself, so the dialog direction is swapped from then on (capture 03
    # shows it from the first CHANNEL_UNHOLD on)
    chan.variables["dlg_req_swap_direction"] = "true"


def unhold(chan):
    """switch_ivr_unhold: clear CF_HOLD, stop the partner's broadcast, CALLSTATE UNHELD, CHANNEL_UNHOLD, ACTIVE."""
    ext = _ext(chan)
    ext["held"] = False
    started = getattr(chan, "hold_started_us", 0)
    if started:
        end = now_us(chan.sw)
        # switch_channel_clear_flag(CF_HOLD): the caller profile's hold_accum and the channel's hold_record
        # (reported as the CDR variables hold_accum_* / hold_events at hangup, cdr.py), no variable before that
        chan.profile["Channel-Hold-Accum"] = int(chan.profile.get("Channel-Hold-Accum") or 0) + end - started
        chan.__dict__.setdefault("hold_record", []).append((started, end))
        chan.hold_started_us = 0
    moh = ext.pop("moh_to", None)
    partner = chan.sw.channel(moh) if moh else None
    if partner is not None:
        from .broadcast import stop_broadcast
        stop_broadcast(partner)
    chan.set_callstate("UNHELD")
    chan.fire("CHANNEL_UNHOLD", calling=CALLING_UNHOLD)
    # capture 03: the re-INVITE (sendrecv) answer brings CALLSTATE ACTIVE ~40 ms after CHANNEL_UNHOLD
    chan.sw.later(0.04, _reactivate, chan)


def _reactivate(chan):
    if not chan.hangup_cause and chan.callstate == "UNHELD":
        chan.set_callstate("ACTIVE")


def api_uuid_hold(sw, arg):
    """uuid_hold [off|toggle] <uuid> [<display>]."""
    argv = split_args(arg or "")
    if not argv or not argv[0]:
        return USAGE
    mode = argv[0].lower() if argv[0].lower() in ("off", "toggle") else "on"
    uuid = argv[1] if mode != "on" and len(argv) > 1 else (argv[0] if mode == "on" else "")
    chan = sw.channel(uuid)
    if chan is None or chan.hangup_cause:
        return OK   # switch_ivr_hold_uuid / unhold_uuid: status stays SUCCESS when the uuid is unknown
    if mode == "toggle":
        if not chan.answered:
            return OK   # switch_ivr_hold_toggle_uuid: nothing to toggle on a RINGING call
        mode = "off" if is_held(chan) else "on"
    if mode == "on":
        if is_held(chan):
            return FAILED
        hold(chan)
    else:
        if not is_held(chan):
            return FAILED
        unhold(chan)
    return OK
