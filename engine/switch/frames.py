"""ESL (FreeSWITCH event socket) frame and event parsing. Pure code, no I/O.

Wire format (see FREESWITCH.md §1.1 and §1.6):

* A frame is a block of ``Name: value`` lines ended by an empty line. If the block has
  ``Content-Length: N``, exactly N *bytes* of body follow; there is no terminator after the body.
* Envelope headers (``Content-Type``, ``Reply-Text``, ...) are never URL-encoded.
* A ``text/event-plain`` body is a serialized event: ``Name: <url-encoded value>`` lines, then, if
  the event has a body, ``Content-Length: <n>`` + an empty line + ``<n>`` bytes of (not encoded) body.
* A ``text/event-json`` body is one JSON object whose values are strings; the event body is ``_body``.

This module fixes greenswitch's parser defects: the event body is split from the headers, each
header value is URL-decoded on its own (the body never is), duplicate headers are kept, JSON is
understood, and Content-Length is counted in bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping
from urllib.parse import unquote

__all__ = [
    "EslEvent",
    "EslFrame",
    "FrameParser",
    "FrameError",
    "EventParseError",
    "parse_plain_event",
    "parse_json_event",
    "parse_header_block",
    "url_decode",
    "MAX_CONTENT_LENGTH",
]

#: Upper bound accepted for one frame body. FreeSWITCH itself caps client->server bodies at
#: 16 MiB; server->client api output (``show channels as json`` with thousands of channels) can be
#: larger, so we only reject absurd values that indicate a corrupted stream.
MAX_CONTENT_LENGTH = 256 * 1024 * 1024

_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})


class FrameError(ValueError):
    """The byte stream is not valid ESL framing (cannot resynchronise: the connection must go)."""


class EventParseError(ValueError):
    """One event body could not be parsed (the frame is skipped; the stream stays usable)."""


def url_decode(value: str) -> str:
    """Decode a FreeSWITCH URL-encoded header value (``%XX`` UTF-8 bytes; ``+`` is NOT a space)."""
    if "%" not in value:
        return value
    return unquote(value, encoding="utf-8", errors="replace")


@dataclass(frozen=True)
class EslEvent:
    """One FreeSWITCH event, as delivered to the engine."""

    name: str
    """``Event-Name`` (``CUSTOM`` for custom events)."""
    subclass: str | None
    """``Event-Subclass``, decoded (``sofia::register``), or None."""
    headers: Mapping[str, str]
    """Decoded header values; for a header that occurs more than once, the FIRST value."""
    body: str | None
    """Event body (e.g. the BACKGROUND_JOB result ``+OK <uuid>\\n``), None if the event has none."""
    duplicates: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY, repr=False)
    """Only the header names that occurred more than once -> every value in wire order."""
    _lower: dict = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def get(self, name: str, default: str | None = None) -> str | None:
        """Header value; the name is matched exactly first, then case-insensitively (as FreeSWITCH does)."""
        try:
            return self.headers[name]
        except KeyError:
            pass
        lower = self._lower
        if lower is None:
            lower = {}
            for key, value in self.headers.items():
                lower.setdefault(key.lower(), value)
            object.__setattr__(self, "_lower", lower)
        return lower.get(name.lower(), default)

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header in wire order (``()`` if absent). Exact name match."""
        values = self.duplicates.get(name)
        if values is not None:
            return values
        value = self.headers.get(name)
        return () if value is None else (value,)

    @property
    def headers_multi(self) -> Mapping[str, tuple[str, ...]]:
        """All headers, each name -> tuple of all its values in wire order."""
        return {name: self.get_all(name) for name in self.headers}

    @property
    def uuid(self) -> str | None:
        """``Unique-ID`` (the channel uuid) or None."""
        return self.headers.get("Unique-ID")

    def var(self, name: str) -> str | None:
        """Channel variable ``variable_<name>`` or None."""
        return self.headers.get("variable_" + name)


def _make_event(headers: dict[str, str], dups: dict[str, list[str]] | None, body: str | None) -> EslEvent:
    return EslEvent(
        name=headers.get("Event-Name", ""),
        subclass=headers.get("Event-Subclass"),
        headers=headers,
        body=body,
        duplicates={k: tuple(v) for k, v in dups.items()} if dups else _EMPTY,
    )


def parse_plain_event(data: bytes | str) -> EslEvent:
    """Parse the body of a ``text/event-plain`` frame.

    Header values are URL-decoded one by one; the event body (after the inner ``Content-Length``
    and the empty line) is returned verbatim, cut to exactly Content-Length *bytes*.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, bytes):
        data = bytes(data)
    end = data.find(b"\n\n")
    if end < 0:
        block = data
        rest = b""
    else:
        block = data[:end]
        rest = data[end + 2:]
    text = block.decode("utf-8", errors="replace")
    headers: dict[str, str] = {}
    dups: dict[str, list[str]] | None = None
    for line in text.split("\n"):
        if not line:
            continue
        name, sep, value = line.partition(": ")
        if not sep:
            name, sep, value = line.partition(":")
            if not sep:
                raise EventParseError("header line without ':': %r" % line[:200])
        name = name.strip()
        if "%" in value:
            value = unquote(value, encoding="utf-8", errors="replace")
        if name in headers:
            if dups is None:
                dups = {}
            lst = dups.get(name)
            if lst is None:
                dups[name] = [headers[name], value]
            else:
                lst.append(value)
        else:
            headers[name] = value
    if not headers:
        raise EventParseError("empty event")
    body: str | None = None
    if rest:
        clen = headers.get("Content-Length")
        if clen is not None:
            try:
                n = int(clen)
            except ValueError:
                raise EventParseError("bad inner Content-Length %r" % clen) from None
            if n < 0 or n > len(rest):
                raise EventParseError("inner Content-Length %d but %d body bytes" % (n, len(rest)))
            rest = rest[:n]
        body = rest.decode("utf-8", errors="replace")
    elif "Content-Length" in headers:
        body = ""
    return _make_event(headers, dups, body)


def _json_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # array headers; plain serialization is ARRAY::a|:b
        return "ARRAY::" + "|:".join(_json_value(v) for v in value)
    if value is None:
        return ""
    return str(value)


def parse_json_event(data: bytes | str) -> EslEvent:
    """Parse the body of a ``text/event-json`` frame (``_body`` becomes the body).

    Duplicate JSON keys (FreeSWITCH emits them for duplicate headers) keep the FIRST value in
    ``headers``, like the plain parser, and all values in ``duplicates``.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8", errors="replace")
    try:
        pairs = json.loads(data, object_pairs_hook=lambda p: p)
    except ValueError as exc:
        raise EventParseError("invalid JSON event: %s" % exc) from None
    if not isinstance(pairs, list):
        raise EventParseError("JSON event is not an object")
    headers: dict[str, str] = {}
    dups: dict[str, list[str]] | None = None
    body: str | None = None
    for name, value in pairs:
        if name == "_body":
            if body is None:
                body = _json_value(value)
            continue
        value = _json_value(value)
        if name in headers:
            if dups is None:
                dups = {}
            dups.setdefault(name, [headers[name]]).append(value)
        else:
            headers[name] = value
    if not headers:
        raise EventParseError("empty JSON event")
    return _make_event(headers, dups, body)


def parse_header_block(block: bytes) -> dict[str, str]:
    """Parse an envelope header block (no URL decoding; first occurrence wins)."""
    headers: dict[str, str] = {}
    for line in block.decode("utf-8", errors="replace").split("\n"):
        line = line.rstrip("\r")
        if not line:
            continue
        name, sep, value = line.partition(": ")
        if not sep:
            name, sep, value = line.partition(":")
        name = name.strip()
        if name and name not in headers:
            headers[name] = value
    return headers


@dataclass(frozen=True)
class EslFrame:
    """One envelope frame: its (not decoded) headers and its raw body bytes (b"" if none)."""

    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")


class FrameParser:
    """Incremental ESL frame splitter: ``feed()`` bytes as they arrive, get complete frames.

    Works for any split of the stream (one byte at a time, or many frames in one read) and for
    bodies of any size up to :data:`MAX_CONTENT_LENGTH`.
    """

    __slots__ = ("_buf", "_pos", "_pending", "_need", "max_content_length")

    def __init__(self, max_content_length: int = MAX_CONTENT_LENGTH) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._pending: dict[str, str] | None = None  # headers of a frame waiting for its body
        self._need = 0
        self.max_content_length = max_content_length

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame (non-zero at EOF = dropped mid-frame)."""
        return len(self._buf) - self._pos

    @property
    def in_frame(self) -> bool:
        """True if a partial frame is buffered (ignoring blank separator lines)."""
        if self._pending is not None:
            return True
        return bool(bytes(self._buf[self._pos:]).strip(b"\r\n"))

    def feed(self, data: bytes) -> list[EslFrame]:
        frames: list[EslFrame] = []
        if data:
            self._buf += data
        for frame in self._drain():
            frames.append(frame)
        # compact the buffer once consumed bytes dominate
        if self._pos and (self._pos >= len(self._buf) or self._pos > 65536):
            del self._buf[: self._pos]
            self._pos = 0
        return frames

    def _drain(self) -> Iterator[EslFrame]:
        buf = self._buf
        while True:
            if self._pending is None:
                pos = self._pos
                n = len(buf)
                # skip blank lines between frames
                while pos < n and buf[pos] in (10, 13):
                    pos += 1
                self._pos = pos
                end = buf.find(b"\n\n", pos)
                if end < 0:
                    crlf = buf.find(b"\r\n\r\n", pos)
                    if crlf < 0:
                        return
                    end, skip = crlf, 4
                else:
                    skip = 2
                headers = parse_header_block(bytes(buf[pos:end]))
                self._pos = end + skip
                clen = headers.get("Content-Length")
                if clen is None:
                    yield EslFrame(headers)
                    continue
                try:
                    need = int(clen.strip())
                except ValueError:
                    raise FrameError("bad Content-Length %r" % clen) from None
                if need < 0 or need > self.max_content_length:
                    raise FrameError("Content-Length %d out of range" % need)
                self._pending = headers
                self._need = need
            if len(buf) - self._pos < self._need:
                return
            start = self._pos
            self._pos = start + self._need
            headers = self._pending
            self._pending = None
            yield EslFrame(headers, bytes(buf[start:self._pos]))
