"""What a playback target sounds like: existence and duration of files and stream URLs."""
import logging
import os
import re
import wave

logger = logging.getLogger(__name__)

INFINITE = float("inf")
DEFAULT_NON_WAV_SECONDS = 1.0


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
        return True, (INFINITE if n <= 0 else n / 1000.0), None
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
