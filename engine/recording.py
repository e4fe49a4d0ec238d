"""Recording files: once the switch reports a file complete, read its real size, checksum and duration."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

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
    """Size, sha256 and duration (decoded with pydub); a missing or damaged file is flagged, never hidden."""
    if not os.path.isfile(path):
        return FileFacts("missing", problem="file not found where the switch wrote it")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    size = os.path.getsize(path)
    try:
        audio = AudioSegment.from_file(path)
    except (CouldntDecodeError, IndexError, EOFError, OSError) as exc:
        logger.warning("recording %s is damaged: %s", path, exc)
        return FileFacts("damaged", size, digest.hexdigest(), None, f"unreadable audio ({exc.__class__.__name__})")
    return FileFacts("complete", size, digest.hexdigest(), round(len(audio) / 1000, 3))
