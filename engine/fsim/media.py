"""What a playback target sounds like: existence and duration of files and stream URLs; what each channel heard."""
import logging
import os
import re
import wave

logger = logging.getLogger(__name__)

INFINITE = float("inf")
DEFAULT_NON_WAV_SECONDS = 1.0
TIMELINES_KEPT = 5000           # channels whose timeline (what they heard) the switch keeps


def resolve(chan, path):
    """Absolute path for a relative file: `sound_prefix` channel variable, else the switch sounds dir."""
    if os.path.isabs(path):
        return path
    prefix = chan.variables.get("sound_prefix") or chan.sw.sounds_dir
    return os.path.join(prefix, path)


def probe(chan, target):
    """Return (found, seconds, file_type) for a playback target (switch_ivr_play_file opening the file)."""
    target = target.split("@@", 1)[0]
    if target.startswith("silence_stream://"):
        ms = target[len("silence_stream://"):].split(",", 1)[0]
        try:
            n = int(ms)
        except ValueError:
            n = 0
        if n == 0:      # mod_tone_stream.c silence_stream_file_open: atoi 0 is "Invalid Input", the open fails
            return False, 0.0, None
        return True, (INFINITE if n < 0 else n / 1000.0), None
    if target.startswith("tone_stream://"):
        return True, _tone_seconds(target[len("tone_stream://"):]), "tone_stream"
    if target.startswith("local_stream://"):
        return True, INFINITE, "local_stream"
    path = resolve(chan, target)
    if not os.path.isfile(path):
        return False, 0.0, None
    if path.lower().endswith(".wav"):
        try:
            with wave.open(path, "rb") as w:
                return True, w.getnframes() / float(w.getframerate() or 8000), None
        except (wave.Error, EOFError, OSError):
            logger.warning("unreadable wav %s, assuming %.1f s", path, DEFAULT_NON_WAV_SECONDS)
    return True, DEFAULT_NON_WAV_SECONDS, None


def _tone_seconds(spec):
    # teletone: %(on_ms,off_ms,freq...) segments, L=<loops> (-1 = forever)
    loops = 1
    m = re.search(r"[Ll]=(-?\d+)", spec)
    if m:
        loops = int(m.group(1))
    if loops < 0:
        return INFINITE
    total = 0
    for seg in re.findall(r"%\(([^)]*)\)", spec):
        parts = seg.split(",")
        try:
            total += int(parts[0]) + (int(parts[1]) if len(parts) > 1 else 0)
        except ValueError:
            pass
    return (total / 1000.0 or 1.0) * max(1, loops)


class Heard:
    """One stretch of what a channel heard: a playback (kind `playback`, what = its target) or a bridge (kind
    `bridge`, what = the other leg), in simulated seconds; end is None while it lasts."""

    __slots__ = ("kind", "what", "start", "end")

    def __init__(self, kind, what, start):
        self.kind, self.what, self.start, self.end = kind, what, start, None

    def as_dict(self):
        return {"kind": self.kind, "what": self.what, "start": self.start, "end": self.end}


def sim_now(sw):
    """A monotonic clock in simulated seconds (the switch's clock, engine.clock)."""
    return sw.clock.monotonic()


def heard_from(chan, kind, what):
    """A channel starts hearing something (PLAYBACK_START, CHANNEL_BRIDGE): its entry in the switch's timeline."""
    entry = Heard(kind, what, sim_now(chan.sw))
    log = chan.sw.media_log
    if chan.uuid not in log and len(log) >= TIMELINES_KEPT:
        del log[next(iter(log))]            # the oldest channel's: a long-running switch stays bounded
    log.setdefault(chan.uuid, []).append(entry)
    return entry


def heard_until(chan, entry):
    """That stretch ends (PLAYBACK_STOP, the leg leaves the bridge)."""
    if entry is not None and entry.end is None:
        entry.end = sim_now(chan.sw)
