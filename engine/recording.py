"""Recording files: once the switch reports a file complete, read its real size, checksum and duration."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import wave

from engine import sealing

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FileFacts:
    """What the file on disk says: complete, missing (not found) or damaged (unreadable audio)."""

    status: str
    size_bytes: int | None = None
    checksum: str | None = None
    duration_s: float | None = None
    problem: str = ""


def inspect(path: str) -> FileFacts:
    """Size, sha256 and duration (a WAV's from its header, another format's decoded by ffmpeg through pydub); a
    missing or damaged file is flagged, never hidden. A file sealed already (engine.sealing) was inspected before it
    was sealed: it is complete as far as the disk says. Without ffmpeg a file other than WAV is complete with its
    duration unknown, and the problem says why."""
    if not os.path.isfile(path):
        return FileFacts("missing", problem="file not found where the switch wrote it")
    if sealing.is_sealed(path):
        return FileFacts("complete", os.path.getsize(path), None, None, "")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    size = os.path.getsize(path)
    if path.lower().endswith(".wav"):
        return _inspect_wav(path, size, digest.hexdigest())
    if shutil.which("ffmpeg") is None:
        logger.warning("recording %s: its duration is unknown, decoding it needs ffmpeg (not installed)", path)
        return FileFacts("complete", size, digest.hexdigest(), None, "duration unknown: ffmpeg is not installed")
    # imported here, with ffmpeg found: pydub's import warns when it is missing (every process importing this would)
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError
    try:
        audio = AudioSegment.from_file(path)
    except (CouldntDecodeError, IndexError, EOFError, OSError) as exc:
        logger.warning("recording %s is damaged: %s", path, exc)
        return FileFacts("damaged", size, digest.hexdigest(), None, f"unreadable audio ({exc.__class__.__name__})")
    return FileFacts("complete", size, digest.hexdigest(), round(len(audio) / 1000, 3))


def _inspect_wav(path: str, size: int, checksum: str) -> FileFacts:
    """A WAV's duration is in its header (FreeSWITCH writes it at close, libsndfile): no need to decode the
    audio; a header that claims more audio than the file holds means a truncated, damaged file."""
    try:
        with wave.open(path, "rb") as w:
            frames, rate, width, channels = w.getnframes(), w.getframerate(), w.getsampwidth(), w.getnchannels()
    except (wave.Error, EOFError, OSError) as exc:
        logger.warning("recording %s is damaged: %s", path, exc)
        return FileFacts("damaged", size, checksum, None, f"unreadable audio ({exc.__class__.__name__})")
    if rate <= 0 or frames * width * channels > size:
        logger.warning("recording %s is damaged: its header claims more audio than the file holds", path)
        return FileFacts("damaged", size, checksum, None, "unreadable audio (truncated)")
    return FileFacts("complete", size, checksum, round(frames / rate, 3))
