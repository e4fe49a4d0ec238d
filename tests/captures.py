"""Read the real FreeSWITCH wire captures (tests/fidelity/captures, from ../shared/freeswitch-captures) back into
received frames."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

VENDORED = Path(__file__).resolve().parent / "fidelity" / "captures"   # kept with the tests (SOURCE.md there)
CAPTURES = Path(os.environ.get("CALLCENTER_CAPTURES") or (
    VENDORED if VENDORED.is_dir() else Path(__file__).resolve().parents[2] / "shared" / "freeswitch-captures"))


def capture_path(name: str) -> Path:
    """The verbatim transcript (.full.txt.gz when compacted, else .txt); skip when captures are absent."""
    for candidate in (CAPTURES / f"{name}.full.txt.gz", CAPTURES / f"{name}.txt"):
        if candidate.exists():
            return candidate
    pytest.skip(f"FreeSWITCH captures not found at {CAPTURES} (set CALLCENTER_CAPTURES)")


def received_frames(name: str, connection: str | None = None) -> list[tuple[dict[str, str], bytes]]:
    """Every frame FreeSWITCH sent, as (envelope headers, body bytes), in wire order."""
    path = capture_path(name)
    raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    stream = bytearray()
    current = None
    for line in raw.split(b"\n"):
        if line.startswith(b"### ---- connection "):
            current = line.split(b"connection ", 1)[1].split(b" ", 1)[0].decode()
            continue
        if line.startswith(b"### (frame above ended without LF)"):
            if stream.endswith(b"\n"):
                del stream[-1]
            continue
        if line.startswith(b"### ") or line.startswith(b">>> ") or line == b">>>":
            continue
        if connection is None or current in (None, connection):
            stream += line + b"\n"
    return _split(bytes(stream))


def _split(stream: bytes) -> list[tuple[dict[str, str], bytes]]:
    frames, pos = [], 0
    while True:
        while stream.startswith(b"\n", pos):
            pos += 1
        end = stream.find(b"\n\n", pos)
        if end < 0:
            return frames
        headers = dict(line.split(": ", 1) for line in stream[pos:end].decode().split("\n") if ": " in line)
        pos = end + 2
        length = int(headers.get("Content-Length", 0))
        frames.append((headers, stream[pos:pos + length]))
        pos += length


def events(name: str) -> list[bytes]:
    """Bodies of the text/event-plain frames of a capture."""
    return [body for headers, body in received_frames(name) if headers.get("Content-Type") == "text/event-plain"]
