"""Prompt files: convert an uploaded recording in any common format into what FreeSWITCH plays.

Every prompt is stored twice, mono 16-bit WAV at 8 kHz (`<name>.wav`, for narrowband PSTN/G.711 calls) and at
16 kHz (`16000/<name>.wav`, for wideband calls), so FreeSWITCH never resamples a prompt on the fly. WAV input
needs nothing else; compressed formats (mp3, m4a, ogg…) are decoded by ffmpeg through pydub.

pydub is imported only when an upload is converted (_pydub): on import it warns that ffmpeg is missing, which the
engine and the console, importing this module, would otherwise print at every start on a machine without ffmpeg.
"""
from __future__ import annotations

import io
import logging
import re
import shutil
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)
RATES = (8000, 16000)
MAX_SECONDS = 600
_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class PromptError(ValueError):
    """The upload cannot become a prompt; the message says why."""


def prompt_name(filename: str) -> str:
    """The prompt's name from an uploaded file name (extension dropped), validated."""
    stem = Path(filename).stem
    if not _NAME.match(stem):
        raise PromptError(f"prompt name {stem!r} must be 1-64 letters, digits, _ or -")
    return stem


def can_decode(fmt: str) -> bool:
    """WAV always; other formats only when ffmpeg is installed."""
    return fmt.lower() == "wav" or shutil.which("ffmpeg") is not None


def _pydub():
    """(AudioSegment, CouldntDecodeError), imported now. Without ffmpeg pydub's import warns (RuntimeWarning) that it
    "may not work": here that says nothing, since WAV needs no ffmpeg and can_decode has refused, with a PromptError
    naming ffmpeg, every format that does."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Couldn't find ffmpeg or avconv", category=RuntimeWarning)
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError
    return AudioSegment, CouldntDecodeError


def convert(data: bytes, filename: str, prompts_dir: str | Path, name: str | None = None) -> dict[int, Path]:
    """Decode the upload and write the 8 kHz and 16 kHz mono WAV files; returns rate -> path."""
    name = prompt_name(name or filename)
    fmt = Path(filename).suffix.lstrip(".").lower() or "wav"
    if not can_decode(fmt):
        raise PromptError(f"cannot decode .{fmt} files here: install ffmpeg, or upload a WAV file")
    AudioSegment, CouldntDecodeError = _pydub()     # pylint: disable=invalid-name
    try:
        audio = AudioSegment.from_file(io.BytesIO(data), format=fmt)
    except (CouldntDecodeError, IndexError, EOFError, OSError) as exc:
        raise PromptError(f"{filename}: not a readable {fmt} audio file ({exc.__class__.__name__})") from None
    if len(audio) == 0:
        raise PromptError(f"{filename}: the recording is empty")
    if len(audio) > MAX_SECONDS * 1000:
        raise PromptError(f"{filename}: longer than {MAX_SECONDS} s")
    audio = audio.set_channels(1).set_sample_width(2)
    written: dict[int, Path] = {}
    for rate in RATES:
        folder = Path(prompts_dir) if rate == 8000 else Path(prompts_dir) / str(rate)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.wav"
        audio.set_frame_rate(rate).export(path, format="wav")
        written[rate] = path
    logger.info("prompt %s stored (%.1f s) at %s", name, len(audio) / 1000, ", ".join(map(str, written.values())))
    return written
