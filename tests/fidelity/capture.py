"""Read the verbatim FreeSWITCH transcripts (`NN_name.full.txt.gz`, else `NN_name.txt`) into records.

The verbatim transcript is used rather than the `.jsonl.gz` because it keeps header order when a header name
is duplicated (the JSON lines merge duplicates into a list and lose the position of the second occurrence).
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from .frames import Capture, Record, read_frame

REPO = Path(__file__).resolve().parents[2]
NOT_LF = b"\n### (frame above ended without LF)\n"


VENDORED = Path(__file__).resolve().parent / "captures"     # the transcripts, kept with the tests (SOURCE.md)


def captures_dir() -> Path:
    """$CALLCENTER_CAPTURES, else the copy kept with the tests, else <repo>/../shared/freeswitch-captures."""
    env = os.environ.get("CALLCENTER_CAPTURES")
    if env:
        return Path(env)
    return VENDORED if VENDORED.is_dir() else REPO.parent / "shared" / "freeswitch-captures"


def transcript_path(name: str) -> Path:
    """The verbatim transcript of a capture; pytest.skip when the captures are not there."""
    base = captures_dir()
    for candidate in (base / f"{name}.full.txt.gz", base / f"{name}.txt"):
        if candidate.exists():
            if candidate.suffix == ".txt" and candidate.read_bytes().startswith(b"### COMPACT"):
                continue
            return candidate
    pytest.skip(f"FreeSWITCH capture {name!r} not found under {base} (set CALLCENTER_CAPTURES to the "
                f"freeswitch-captures directory)")


def load(name: str) -> Capture:
    path = transcript_path(name)
    raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    return parse(name, raw)


def parse(name: str, raw: bytes) -> Capture:
    cap = Capture(name)
    conn = "A"
    pos, n = 0, len(raw)
    sent: list[str] = []
    seq = 0

    def add(rec):
        nonlocal seq
        rec.seq = seq
        seq += 1
        cap.records.append(rec)

    while pos < n:
        eol = raw.find(b"\n", pos)
        if eol < 0:
            eol = n
        line = raw[pos:eol]
        if line.startswith(b">>> ") or line == b">>>":
            text = line[4:].decode("utf-8")
            if text == "" and sent:
                add(Record("out", conn, "\n".join(sent) + "\n\n"))
                sent = []
            elif text != "":
                sent.append(text)
            pos = eol + 1
            continue
        if line.startswith(b"### "):
            text = line[4:].decode("utf-8", "replace")
            if text.startswith("---- connection "):
                conn = text.split()[2]
            elif not text.startswith("[compact:"):
                add(Record("note", conn, text))
            pos = eol + 1
            continue
        if line == b"":
            pos = eol + 1
            continue
        got = read_frame(raw, pos)
        if got is None:
            raise ValueError("%s: truncated frame at byte %d" % (name, pos))
        frame, pos = got
        if raw.startswith(NOT_LF, pos):
            frame.ended_without_lf = True
            pos += len(NOT_LF)
        elif raw.startswith(b"\n", pos) and frame.body:
            # a frame whose body ends in LF is followed directly by the next line
            pass
        add(Record("in", conn, frame=frame))
    idx: dict[str, int] = {}
    for r in cap.records:
        if r.kind == "in":
            r.frame.index = idx.get(r.conn, 0)
            idx[r.conn] = r.frame.index + 1
    return cap
