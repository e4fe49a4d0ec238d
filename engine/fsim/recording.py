"""record_session / stop_record_session / uuid_record (switch_ivr_async.c switch_ivr_record_session_event).

FREESWITCH.md §6 and capture 03 (observation 22): RECORD_START (Record-File-Path = full path) then MEDIA_BUG_START
(Media-Bug-Function session_record, Media-Bug-Target = path) as soon as the bug is attached; on stop, limit or hangup
the variables record_file_size, record_samples, record_seconds, record_ms, record_completion_cause are set and
RECORD_STOP + MEDIA_BUG_STOP fire (on hangup: after CHANNEL_STATE CS_HANGUP, before CALLSTATE HANGUP).
Completion cause: `success-maxtime` when stopped while up, `success-silence` when the channel hung up (the simulated
parties talk). A real 8 kHz 16-bit WAV is written: stereo with RECORD_STEREO (left = this leg, right = partner).
"""
import array
import functools
import logging
import math
import os
import time

from .apps import expand, split_args
from .channels import now_us
from .originate import parse_vars

logger = logging.getLogger(__name__)

CALLING_START = ("switch_ivr_async.c", "record_callback", 1482)
CALLING_STOP = ("switch_ivr_async.c", "send_record_stop_event", 1241)
CALLING_BUG_START = ("switch_core_media_bug.c", "switch_core_media_bug_add", 1014)
CALLING_BUG_STOP = ("switch_core_media_bug.c", "switch_core_media_bug_destroy", 84)
RATE = 8000
MAX_FILE_SECONDS = 4 * 3600
USAGE = "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"


def _truthy(v):
    return str(v or "").lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")


class Recording:
    """One session_record media bug on a channel."""

    def __init__(self, chan, path, limit, rec_vars):
        self.chan, self.path, self.limit, self.rec_vars = chan, path, limit, rec_vars
        get = (lambda k: rec_vars.get(k, chan.variables.get(k)))
        self.stereo = _truthy(get("RECORD_STEREO")) or _truthy(get("RECORD_STEREO_SWAP"))
        self.swap = _truthy(get("RECORD_STEREO_SWAP"))
        self.answer_req = _truthy(get("RECORD_ANSWER_REQ"))
        self.started_real = time.monotonic()
        self.started_us = now_us(chan.sw)
        self.masked = False
        self.stopped = False
        self.timer = None

    def describe(self):
        return {"path": self.path, "stereo": self.stereo, "masked": self.masked, "limit": self.limit,
                "answer_req": self.answer_req}


def _recordings(chan):
    return chan.__dict__.setdefault("recordings", {})


def _publish(chan):
    chan.__dict__.setdefault("sim_ext", {})["recordings"] = [r.describe() for r in _recordings(chan).values()]


def resolve_path(chan, path):
    """Relative paths get `sound_prefix` (or the switch base dir) prepended; directories are created."""
    if not os.path.isabs(path):
        path = os.path.join(chan.variables.get("sound_prefix") or chan.sw.sounds_dir, path)
    return path


def start(chan, path, limit=0, rec_vars=None):
    """switch_ivr_record_session: pre-answer, attach the bug, RECORD_START + MEDIA_BUG_START. Returns ok."""
    rec_vars = rec_vars or {}
    if chan.direction == "inbound" and not chan.media_up:
        chan.pre_answer()
    if not chan.media_up or chan.hangup_cause:
        return False
    path = resolve_path(chan, path)
    recs = _recordings(chan)
    if path in recs:
        if _truthy(chan.variables.get("RECORD_TOGGLE_ON_REPEAT")):
            return stop(chan, path)
        logger.warning("Already recording [%s]", path)
        return True   # no second bug, no events
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    except OSError:
        logger.error("Error creating %s", os.path.dirname(path))
        return False
    rec = Recording(chan, path, limit, rec_vars)
    recs[path] = rec
    hooks = chan.__dict__.setdefault("on_hangup_state", [])
    if _on_hangup not in hooks:
        hooks.append(_on_hangup)
    _publish(chan)
    rv = [("Recording-Variable-%s" % k, v) for k, v in rec_vars.items()]
    chan.fire("RECORD_START", calling=CALLING_START, after=[("Record-File-Path", path)] + rv)
    chan.fire("MEDIA_BUG_START", calling=CALLING_BUG_START,
              before=(("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)))
    if limit and limit > 0:
        rec.timer = chan.sw.later(limit, _limit_reached, chan, path)
        chan.timers.append(rec.timer)
    return True


def _limit_reached(chan, path):
    if not chan.hangup_cause and path in _recordings(chan):
        stop(chan, path)


def stop(chan, path, cause=None):
    """Stop one recording (or `all`): write the file, set the record_* variables, RECORD_STOP, MEDIA_BUG_STOP."""
    recs = _recordings(chan)
    if path == "all":
        paths = list(recs)
    else:
        path = resolve_path(chan, path)
        paths = [path] if path in recs else []
    if not paths:
        return False
    for p in paths:
        rec = recs.pop(p)
        _finish(chan, rec, cause or ("success-silence" if chan.hangup_cause else "success-maxtime"))
    _publish(chan)
    return True


def _finish(chan, rec, cause):
    if rec.stopped:
        return
    rec.stopped = True
    if rec.timer is not None:
        rec.timer.kill(block=False)
    real = max(0.0, time.monotonic() - rec.started_real)
    sim_seconds = real / (chan.sw.time_scale or 1.0)
    ms = int(sim_seconds * 1000)
    size = write_wav(rec.path, min(real, MAX_FILE_SECONDS), 2 if rec.stereo else 1, chan.partner is not None,
                     rec.swap)
    v = chan.variables
    for k, val in (("record_file_size", size), ("record_samples", ms * RATE // 1000),
                   ("record_seconds", ms // 1000), ("record_ms", ms), ("record_completion_cause", cause)):
        v.pop(k, None)
        v[k] = str(val)
    rv = [("Recording-Variable-%s" % k, val) for k, val in rec.rec_vars.items()]
    chan.fire("RECORD_STOP", calling=CALLING_STOP,
              after=[("Record-File-Path", rec.path), ("Record-Completion-Cause", cause)] + rv)
    chan.fire("MEDIA_BUG_STOP", calling=CALLING_BUG_STOP,
              before=(("Media-Bug-Function", "session_record"), ("Media-Bug-Target", rec.path)))


def _on_hangup(chan):
    """Channel.finalize hook (CS_HANGUP): media bugs are closed, RECORD_STOP with success-silence."""
    for path in list(_recordings(chan)):
        stop(chan, path, cause="success-silence")


@functools.lru_cache(maxsize=8)
def _second_of_audio(channels, partner, swap):
    """One second of the recording's PCM (the file repeats it): computed once per kind, not per call (a call's
    hang-up would otherwise hold the switch's loop for the 16,000 sine samples)."""
    import sys
    left = [int(800 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE)]
    right = [int(800 * math.sin(2 * math.pi * 620 * i / RATE)) if partner else 0 for i in range(RATE)]
    if swap:
        left, right = right, left
    if channels == 2:
        one = array.array("h", [s for pair in zip(left, right) for s in pair])
    else:
        one = array.array("h", [max(-32768, min(32767, a + b)) for a, b in zip(left, right)])
    if sys.byteorder != "little":
        one.byteswap()
    return one.tobytes()


def write_wav(path, seconds, channels, partner, swap=False):
    """8 kHz 16-bit PCM WAV: this leg = quiet 440 Hz tone, partner = 620 Hz tone (silence without a partner)."""
    import wave
    frames = int(round(seconds * RATE))
    data = _second_of_audio(channels, bool(partner), bool(swap))
    per = 2 * channels
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(RATE)
        remaining = frames
        while remaining > 0:
            n = min(remaining, RATE)
            w.writeframes(data[:n * per])
            remaining -= n
    return os.path.getsize(path)


def app_record_session(chan, data):
    """record_session <path> [+<limit_s>] [{var=val,...}]."""
    path, limit, rec_vars = _parse_args(split_args(data or ""))
    if not path:
        return
    start(chan, path, limit, rec_vars)


def app_stop_record_session(chan, data):
    """stop_record_session <path|all>."""
    stop(chan, (data or "").strip() or "all")


def _parse_args(argv):
    path, limit, rec_vars = (argv[0] if argv else ""), 0, {}
    for a in argv[1:]:
        if a.startswith("{") and a.endswith("}"):
            rec_vars.update(parse_vars(a[1:-1]))
        elif a.lstrip("+").isdigit():
            limit = int(a.lstrip("+"))
    return path, limit, rec_vars


def api_uuid_record(sw, arg):
    """uuid_record <uuid> start|stop|mask|unmask <path> [<limit>] [{vars}] (mod_commands session_record_function)."""
    argv = split_args(arg or "")
    if len(argv) < 3:
        return USAGE
    chan = sw.channel(argv[0])
    if chan is None or chan.hangup_cause:
        return "-ERR Cannot locate session!\n"
    action = argv[1].lower()
    path, limit, rec_vars = _parse_args([expand(chan, argv[2])] + argv[3:])
    if action == "start":
        return "+OK Success\n" if start(chan, path, limit, rec_vars) else "-ERR Cannot record session!\n"
    if action == "stop":
        return "+OK Success\n" if stop(chan, path) else "-ERR Cannot stop record session!\n"
    if action in ("mask", "unmask"):
        rec = _recordings(chan).get(resolve_path(chan, path))
        if rec is None:
            return "-ERR Cannot %s recording session!\n" % action
        rec.masked = action == "mask"
        _publish(chan)
        return "+OK Success\n"
    return USAGE
