"""eavesdrop / three_way apps (mod_dptools, switch_ivr_async.c switch_ivr_eavesdrop_session).

Observation 29 / capture 05a, 05b: the supervisor leg shows CHANNEL_EXECUTE(eavesdrop|three_way) and, when it ends,
EXECUTE_COMPLETE; the target gets MEDIA_BUG_START/STOP with Media-Bug-Function `eavesdrop` and Media-Bug-Target = the
target uuid; no bridge events. DTMF on the supervisor leg (also via uuid_recv_dtmf) is dequeued (DTMF event) and
switches the mix flags: 1 = ED_MUX_READ only, 2 = ED_MUX_WRITE only, 3 = both, 0 = none, * = stop.
The audible result is exposed in sim.channels() as `eavesdrop` = {target, mode, supervisor_hears, heard_by}:
mode listen | whisper_agent (MUX_WRITE: the target hears the supervisor) | whisper_caller (MUX_READ: the target's
partner hears the supervisor) | three_way (both).
"""
import logging

from .channels import Break, Hangup

logger = logging.getLogger(__name__)

CALLING_BUG_START = ("switch_core_media_bug.c", "switch_core_media_bug_add", 1014)
CALLING_BUG_STOP = ("switch_core_media_bug.c", "switch_core_media_bug_destroy", 84)
MODES = {(False, False): "listen", (False, True): "whisper_agent", (True, False): "whisper_caller",
         (True, True): "three_way"}


def _truthy(v):
    return str(v or "").lower() in ("true", "yes", "on", "1")


class Bug:
    """The eavesdrop media bug on the target, owned by the supervisor's app."""

    def __init__(self, sup, target, mux_read, mux_write, dtmf, hear_read, hear_write):
        self.sup, self.target = sup, target
        self.mux_read, self.mux_write, self.dtmf = mux_read, mux_write, dtmf
        self.hear_read, self.hear_write = hear_read, hear_write
        self.stopped = False

    @property
    def mode(self):
        return MODES[(self.mux_read, self.mux_write)]

    def describe(self):
        partner = self.target.partner.uuid if self.target.partner is not None else None
        hears = ([self.target.uuid] if self.hear_read else []) + ([partner] if self.hear_write and partner else [])
        heard_by = ([self.target.uuid] if self.mux_write else []) + ([partner] if self.mux_read and partner else [])
        return {"target": self.target.uuid, "mode": self.mode, "dtmf_control": self.dtmf,
                "supervisor_hears": hears, "heard_by": heard_by}

    def publish(self):
        self.sup.__dict__.setdefault("sim_ext", {})["eavesdrop"] = self.describe()
        text = self.target.__dict__.setdefault("sim_ext", {}).setdefault("eavesdropped_by", {})
        text[self.sup.uuid] = self.mode

    def apply(self, digit):
        """switch_ivr_eavesdrop_session DTMF commands; returns False on `*`."""
        if digit == "*":
            return False
        if digit in "0123":
            self.mux_read, self.mux_write = {"1": (True, False), "2": (False, True), "3": (True, True),
                                             "0": (False, False)}[digit]
            self.publish()
        return True

    def stop(self):
        """switch_core_media_bug_remove: MEDIA_BUG_STOP on the target (once)."""
        if self.stopped:
            return
        self.stopped = True
        self.target.fire("MEDIA_BUG_STOP", calling=CALLING_BUG_STOP,
                         before=(("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", self.target.uuid)))
        self.target.__dict__.get("sim_ext", {}).get("eavesdropped_by", {}).pop(self.sup.uuid, None)
        self.sup.__dict__.get("sim_ext", {}).pop("eavesdrop", None)


def _target_down(target):
    """Target hang-up hook (CS_HANGUP): the eavesdrop loop ends (switch_channel_up_nosig(tchannel) is false)."""
    for bug in list(target.__dict__.get("eavesdrop_bugs", [])):
        bug.stop()
        bug.sup.interrupt(Break())


def display_update(chan, name, number):
    """SWITCH_MESSAGE_INDICATE_DISPLAY to a sofia leg: the UPDATE/re-INVITE it sends leaves last_sent_callee_id_*
    and callee_direction SEND, and its CALL_UPDATE writes the channel's call_uuid into the core db."""
    chan.variables["last_sent_callee_id_name"] = name
    chan.variables["last_sent_callee_id_number"] = number
    chan.callee_direction = "SEND"
    chan.db_call_uuid = chan.variables.get("call_uuid") or chan.uuid


def eavesdrop_session(sup, target_uuid, mux_read=False, mux_write=False, dtmf=True):
    """Run the eavesdrop loop in the supervisor's thread until `*`, its hang-up or the target's hang-up."""
    target = sup.sw.channel(target_uuid)
    if target is None or target.hangup_cause or not target.media_up or target is sup:
        logger.info("eavesdrop: no usable target %s", target_uuid)
        return
    if sup.direction == "inbound" and not sup.media_up:
        sup.pre_answer()
    v = sup.variables
    hear_read = not _truthy(v.get("eavesdrop_bridge_bleg")) or _truthy(v.get("eavesdrop_bridge_aleg"))
    hear_write = not _truthy(v.get("eavesdrop_bridge_aleg")) or _truthy(v.get("eavesdrop_bridge_bleg"))
    bug = Bug(sup, target, mux_read, mux_write, dtmf, hear_read, hear_write)
    target.__dict__.setdefault("eavesdrop_bugs", []).append(bug)
    hooks = target.__dict__.setdefault("on_hangup_state", [])
    if _target_down not in hooks:
        hooks.append(_target_down)
    target.fire("MEDIA_BUG_START", calling=CALLING_BUG_START,
                before=(("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", target.uuid)))
    bug.publish()
    # capture 05a/05b: the eavesdropper reads the mixed stream as L16 (its own read codec, a CODEC event) until the
    # loop ends, and gets the target's caller id as a display update (CALL_UPDATE, callee_direction SEND)
    sup.app_read_codec = ("L16", 8000, 128000)
    display_update(sup, target.profile.get("Caller-ID-Name", ""), target.profile.get("Caller-ID-Number", ""))
    try:
        while not bug.stopped:
            sup.wait(None, dtmf=bug.dtmf, bridge=False)
            if bug.dtmf and sup.dtmf and not bug.apply(sup.dequeue_dtmf()):
                break
    except (Break, Hangup):
        if not bug.stopped and not sup.hangup_cause:
            bug.stop()
        raise
    finally:
        sup.app_read_codec = None
        bug.stop()
        bugs = target.__dict__.get("eavesdrop_bugs", [])
        if bug in bugs:
            bugs.remove(bug)


def app_eavesdrop(chan, data):
    """eavesdrop <uuid>: flags from eavesdrop_whisper_aleg/bleg and eavesdrop_enable_dtmf (default on)."""
    v = chan.variables
    dtmf = v.get("eavesdrop_enable_dtmf")
    eavesdrop_session(chan, (data or "").strip(), mux_read=_truthy(v.get("eavesdrop_whisper_aleg")),
                      mux_write=_truthy(v.get("eavesdrop_whisper_bleg")),
                      dtmf=True if dtmf is None else _truthy(dtmf))


def app_three_way(chan, data):
    """three_way <uuid>: ED_MUX_READ | ED_MUX_WRITE, no DTMF control."""
    eavesdrop_session(chan, (data or "").strip(), mux_read=True, mux_write=True, dtmf=False)
