"""ESL frames as the fidelity tests see them: envelope headers, raw body, and for events the parsed headers.

The same parser reads the capture transcripts and the bytes the simulator sends, so both sides are compared
through identical code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote


@dataclass
class Frame:
    """One received ESL frame."""

    envelope: list[tuple[str, str]]          # outer headers in wire order
    body: bytes                               # raw body (Content-Length bytes)
    ended_without_lf: bool = False
    event: list[tuple[str, str]] | None = None   # event headers (decoded), duplicates kept, wire order
    event_body: str | None = None             # body carried inside the event (BACKGROUND_JOB result)
    index: int = 0                            # position in its connection's stream

    @property
    def ctype(self) -> str:
        return self.env("Content-Type") or ""

    def env(self, name: str) -> str | None:
        for k, v in self.envelope:
            if k == name:
                return v
        return None

    @property
    def is_event(self) -> bool:
        return self.ctype.startswith("text/event-")

    def get(self, name: str, default=None):
        """Last value of an event header (a JSON parser keeps the last duplicate, so does FS's lookup of dups)."""
        if self.event is None:
            return default
        first = [v for k, v in self.event if k == name]
        return first[0] if first else default

    def all(self, name: str) -> list[str]:
        return [v for k, v in (self.event or []) if k == name]

    @property
    def name(self) -> str:
        """Event kind: Event-Name (the last one when duplicated) plus the CUSTOM subclass."""
        names = self.all("Event-Name")
        n = names[-1] if names else "?"
        if n == "CUSTOM":
            n += " " + (self.get("Event-Subclass") or "")
        return n

    def describe(self) -> str:
        if self.is_event:
            extra = ""
            for k in ("Application", "Channel-State", "Channel-Call-State", "Action", "API-Command", "Job-Command"):
                v = self.get(k)
                if v:
                    extra += " %s=%s" % (k, v[:40])
            return "%s%s" % (self.name, extra)
        head = "/".join("%s=%s" % (k, v[:60]) for k, v in self.envelope if k != "Content-Length")
        return "%s %r" % (head, self.body[:60])


def parse_event_body(frame: Frame) -> None:
    """Fill frame.event / frame.event_body from a text/event-plain or text/event-json body."""
    text = frame.body.decode("utf-8", "replace")
    if frame.ctype == "text/event-plain":
        head, sep, rest = text.partition("\n\n")
        headers = []
        for line in head.split("\n"):
            if not line:
                continue
            k, _, v = line.partition(": ")
            headers.append((k, unquote(v)))
        # switch_event_serialize puts the inner Content-Length as the last header before the event body
        if headers and headers[-1][0] == "Content-Length" and sep:
            frame.event_body = rest
            headers = headers[:-1]
        frame.event = headers
    elif frame.ctype == "text/event-json":
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        body = None
        headers = []
        for k, v in pairs:
            if k == "_body":
                body = v
            else:
                headers.append((k, v if isinstance(v, str) else json.dumps(v)))
        if body is not None and headers and headers[-1][0] == "Content-Length":
            headers = headers[:-1]
        frame.event = headers
        frame.event_body = body


def read_frame(data: bytes, pos: int) -> tuple[Frame, int] | None:
    """Parse one frame starting at data[pos]; None when incomplete."""
    end = data.find(b"\n\n", pos)
    if end < 0:
        return None
    envelope = []
    for line in data[pos:end].decode("utf-8", "replace").split("\n"):
        k, _, v = line.partition(": ")
        envelope.append((k, v))
    length = 0
    for k, v in envelope:
        if k == "Content-Length":
            length = int(v)
    start = end + 2
    if len(data) < start + length:
        return None
    frame = Frame(envelope, data[start:start + length])
    if frame.is_event:
        parse_event_body(frame)
    return frame, start + length


class FrameReader:
    """Incremental splitter for a live byte stream."""

    def __init__(self):
        self.buf = b""

    def feed(self, data: bytes) -> list[Frame]:
        self.buf += data
        out = []
        pos = 0
        while True:
            while self.buf.startswith(b"\n", pos):
                pos += 1
            got = read_frame(self.buf, pos)
            if got is None:
                break
            frame, pos = got
            frame.ended_without_lf = not frame.body.endswith(b"\n") if frame.body else False
            out.append(frame)
        self.buf = self.buf[pos:]
        return out


@dataclass
class Record:
    """One capture record: a command sent, a frame received, or an annotation."""

    kind: str                 # "out" | "in" | "note"
    conn: str
    text: str = ""            # command text (out) or note text
    frame: Frame | None = None
    seq: int = 0


@dataclass
class Capture:
    name: str
    records: list[Record] = field(default_factory=list)

    def frames(self, conn: str | None = None) -> list[Frame]:
        return [r.frame for r in self.records if r.kind == "in" and (conn is None or r.conn == conn)]

    def connections(self) -> list[str]:
        seen = []
        for r in self.records:
            if r.kind != "note" and r.conn not in seen:
                seen.append(r.conn)
        return seen
