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

Cost (one reader serves every call, see benchmarks/bench_esl_parse.py): a plain event is NOT split
into a dict when it arrives. FreeSWITCH URL-encodes every value (spaces and colons included), so in
its output the only ``": "`` of a line is the separator and no line starts with a space; for such a
"canonical" block, ``get(name)`` finds ``"\\n<name>: "`` in the text and URL-decodes that one value
(cached). The consumer reads a handful of the ~100-250 headers, so this is several times cheaper
than building the dict. Anything not canonical (and any access to the whole header set:
``headers``, ``duplicates``, ``get_all``, equality) uses the exact line-by-line parse, done once.
JSON events are parsed with one ``json.loads`` call; non-string values (arrays) are converted when
read.
"""
from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, Mapping
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
_MISSING: Any = object()


class FrameError(ValueError):
    """The byte stream is not valid ESL framing (cannot resynchronise: the connection must go)."""


class EventParseError(ValueError):
    """One event body could not be parsed (the frame is skipped; the stream stays usable)."""


def url_decode(value: str) -> str:
    """Decode a FreeSWITCH URL-encoded header value (``%XX`` UTF-8 bytes; ``+`` is NOT a space)."""
    if "%" not in value:
        return value
    return unquote(value, encoding="utf-8", errors="replace")


def _json_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # array headers; plain serialization is ARRAY::a|:b
        return "ARRAY::" + "|:".join(_json_value(v) for v in value)
    if value is None:
        return ""
    return str(value)


class EslEvent:
    """One FreeSWITCH event, as delivered to the engine (immutable).

    ``EslEvent(name, subclass, headers, body, duplicates)`` builds one from decoded values; the
    parsers below build them lazily (see the module docstring) with the same observable behaviour.
    """

    __slots__ = ("_name", "_subclass", "_body", "_text", "_vals", "_ltext", "_headers", "_fixed", "_dups",
                 "_lower")

    def __init__(self, name: str, subclass: str | None, headers: Mapping[str, str], body: str | None,
                 duplicates: Mapping[str, tuple[str, ...]] = _EMPTY) -> None:
        self._name = name
        self._subclass = subclass
        self._body = body
        self._text = None
        self._vals = None
        self._ltext = None
        self._headers = dict(headers)
        self._fixed = True
        self._dups = {k: tuple(v) for k, v in duplicates.items()} if duplicates else _EMPTY
        self._lower = None

    # -- the data ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """``Event-Name`` (``CUSTOM`` for custom events)."""
        return self._name

    @property
    def subclass(self) -> str | None:
        """``Event-Subclass``, decoded (``sofia::register``), or None."""
        sub = self._subclass
        if sub is _MISSING:
            sub = self._exact("Event-Subclass")
            sub = self._subclass = None if sub is _MISSING else sub
        return sub

    @property
    def body(self) -> str | None:
        """Event body (e.g. the BACKGROUND_JOB result ``+OK <uuid>\\n``), None if the event has none."""
        body = self._body
        if body is _MISSING:  # no body bytes: "" if the event says Content-Length, else None
            body = self._body = None if self._exact("Content-Length") is _MISSING else ""
        return body

    @property
    def headers(self) -> Mapping[str, str]:
        """Decoded header values; for a header that occurs more than once, the FIRST value."""
        headers = self._headers
        if headers is None:
            self._materialize()
            headers = self._headers
        elif not self._fixed:
            for key, value in headers.items():
                if value.__class__ is not str:
                    headers[key] = _json_value(value)
            self._fixed = True
        return headers

    @property
    def duplicates(self) -> Mapping[str, tuple[str, ...]]:
        """Only the header names that occurred more than once -> every value in wire order."""
        if self._headers is None:
            self._materialize()
        return self._dups

    # -- lookups ----------------------------------------------------------------------------------
    def _exact(self, name: str) -> Any:
        """Exact-name lookup: the decoded first value, or _MISSING."""
        headers = self._headers
        if headers is not None:
            value = headers.get(name, _MISSING)
            if value.__class__ is str or value is _MISSING:
                return value
            value = headers[name] = _json_value(value)
            return value
        vals = self._vals
        value = vals.get(name)
        if value is not None:
            return value
        if "\n" in name or ": " in name:  # cannot be a header name
            return _MISSING
        text = self._text
        needle = "\n" + name + ": "
        i = text.find(needle)
        if i < 0:
            vals[name] = _MISSING
            return _MISSING
        i += len(needle)
        value = text[i:text.find("\n", i)]
        if "%" in value:
            value = unquote(value, encoding="utf-8", errors="replace")
        vals[name] = value
        return value

    def get(self, name: str, default: str | None = None) -> str | None:
        """Header value; the name is matched exactly first, then case-insensitively (as FreeSWITCH does)."""
        value = self._exact(name)
        if value is not _MISSING:
            return value
        if self._headers is None:
            # canonical plain text is ASCII: lower() keeps every offset
            ltext = self._ltext
            if ltext is None:
                ltext = self._ltext = self._text.lower()
            key = name.lower()
            if "\n" in key or ": " in key:
                return default
            needle = "\n" + key + ": "
            i = ltext.find(needle)
            if i < 0:
                return default
            i += len(needle)
            value = self._text[i:ltext.find("\n", i)]
            return unquote(value, encoding="utf-8", errors="replace") if "%" in value else value
        lower = self._lower
        if lower is None:
            lower = {}
            for key, value in self.headers.items():
                lower.setdefault(key.lower(), value)
            self._lower = lower
        return lower.get(name.lower(), default)

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header in wire order (``()`` if absent). Exact name match."""
        values = self.duplicates.get(name)
        if values is not None:
            return values
        value = self._exact(name)
        return () if value is _MISSING else (value,)

    @property
    def headers_multi(self) -> Mapping[str, tuple[str, ...]]:
        """All headers, each name -> tuple of all its values in wire order."""
        return {name: self.get_all(name) for name in self.headers}

    @property
    def uuid(self) -> str | None:
        """``Unique-ID`` (the channel uuid) or None."""
        value = self._exact("Unique-ID")
        return None if value is _MISSING else value

    def var(self, name: str) -> str | None:
        """Channel variable ``variable_<name>`` or None."""
        value = self._exact("variable_" + name)
        return None if value is _MISSING else value

    # -- value semantics (as the former frozen dataclass) ------------------------------------------
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self._name, self.subclass, self.body) == (other._name, other.subclass, other.body)  # type: ignore[attr-defined]
                and self.headers == other.headers and dict(self.duplicates) == dict(other.duplicates))  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # (the dataclass's hash failed on its dict too)

    def __repr__(self) -> str:
        return "EslEvent(name=%r, subclass=%r, headers=%r, body=%r)" % (self._name, self.subclass,
                                                                         self.headers, self.body)

    def __reduce__(self):
        return (EslEvent, (self._name, self.subclass, dict(self.headers), self.body, dict(self.duplicates)))

    def __copy__(self) -> "EslEvent":
        return self

    def __deepcopy__(self, memo: dict) -> "EslEvent":
        return self

    # -- internals --------------------------------------------------------------------------------
    def _materialize(self) -> None:
        """Exact line-by-line parse of the lazily held plain text (once)."""
        self.subclass, self.body  # noqa: B018 - resolve the lazy fields while the text is there
        headers, dups = _split_plain_lines(self._text[1:-1])
        self._headers = headers
        self._dups = {k: tuple(v) for k, v in dups.items()} if dups else _EMPTY
        self._text = None
        self._vals = None
        self._ltext = None


def _split_plain_lines(text: str) -> tuple[dict[str, str], dict[str, list[str]] | None]:
    """The exact reference parse of a plain header block: every line ``Name: value`` (or
    ``Name:value``), the name stripped, the value URL-decoded; first value wins, all in dups."""
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
    return headers, dups


def _plain_body(rest: bytes, clen: Any, has_clen: bool) -> str | None:
    if rest:
        if clen is not _MISSING and clen is not None:
            try:
                n = int(clen)
            except ValueError:
                raise EventParseError("bad inner Content-Length %r" % clen) from None
            if n < 0 or n > len(rest):
                raise EventParseError("inner Content-Length %d but %d body bytes" % (n, len(rest)))
            rest = rest[:n]
        return rest.decode("utf-8", errors="replace")
    return "" if has_clen else None


def parse_plain_event(data: bytes | str) -> EslEvent:
    """Parse the body of a ``text/event-plain`` frame.

    Header values are URL-decoded one by one (when read); the event body (after the inner
    ``Content-Length`` and the empty line) is returned verbatim, cut to exactly Content-Length *bytes*.
    """
    if data.__class__ is not bytes:
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    end = data.find(b"\n\n")
    if end < 0:
        block = data
        rest = b""
    else:
        block = data[:end]
        rest = data[end + 2:]
    text = block.decode("utf-8", errors="replace")
    if end < 0 and text.endswith("\n"):
        text = text[:-1]
    lines = text.count("\n") + 1
    if (text.isascii() and "\t" not in text and text.count(" ") == lines and text.count(":") == lines
            and text.count(": ") == lines):
        # canonical FreeSWITCH serialization: every value is URL-encoded, so the one ':' and the one ' '
        # of each line are its ': ' separator. Keep the text; look values up when asked.
        ev = _new_event(EslEvent)
        ev._text = "\n" + text + "\n"
        ev._vals = {}
        ev._ltext = None
        ev._headers = None
        ev._fixed = True
        ev._dups = None
        ev._lower = None
        name = ev._exact("Event-Name")
        ev._name = "" if name is _MISSING else name
        ev._subclass = _MISSING
        if rest:
            clen = ev._exact("Content-Length")
            ev._body = _plain_body(rest, clen, clen is not _MISSING)
        else:
            ev._body = _MISSING
        return ev
    headers, dups = _split_plain_lines(text)
    if not headers:
        raise EventParseError("empty event")
    return _make_event(headers, dups, _plain_body(rest, headers.get("Content-Length"), "Content-Length" in headers))


_new_event = object.__new__


def _make_event(headers: dict[str, Any], dups: dict[str, list[str]] | None, body: str | None,
                fixed: bool = True) -> EslEvent:
    ev = _new_event(EslEvent)
    name = headers.get("Event-Name", "")
    sub = headers.get("Event-Subclass")
    ev._name = name if name.__class__ is str else _json_value(name)
    ev._subclass = sub if sub is None or sub.__class__ is str else _json_value(sub)
    ev._body = body
    ev._text = None
    ev._vals = None
    ev._ltext = None
    ev._headers = headers
    ev._fixed = fixed
    ev._dups = {k: tuple(v) for k, v in dups.items()} if dups else _EMPTY
    ev._lower = None
    return ev


def _pairs(pairs: list) -> list:
    return pairs



_json_decode = json.JSONDecoder(object_pairs_hook=_pairs).decode


def parse_json_event(data: bytes | str) -> EslEvent:
    """Parse the body of a ``text/event-json`` frame (``_body`` becomes the body).

    Duplicate JSON keys (FreeSWITCH emits them for duplicate headers) keep the FIRST value in
    ``headers``, like the plain parser, and all values in ``duplicates``.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8", errors="replace")
    try:
        pairs = _json_decode(data)
    except ValueError as exc:
        raise EventParseError("invalid JSON event: %s" % exc) from None
    try:
        if pairs.__class__ is not list:
            raise TypeError
        headers = dict(pairs)  # a top-level array is a list too, of anything: not an event
    except (TypeError, ValueError):
        raise EventParseError("JSON event is not an object") from None
    if len(headers) == len(pairs):  # no duplicate key: the common case, all done in C
        body = headers.pop("_body", _MISSING)
        if not headers:
            raise EventParseError("empty JSON event")
        if body is _MISSING:
            body = None
        elif body.__class__ is not str:
            body = _json_value(body)
        return _make_event(headers, None, body, fixed=False)
    headers = {}  # duplicate keys (rare: CHANNEL_HANGUP_COMPLETE's Hangup-Cause): the exact slow loop
    dups: dict[str, list[str]] | None = None
    body = None
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


class EslFrame:
    """One envelope frame: its (not decoded) headers and its raw body bytes (b"" if none). Immutable."""

    __slots__ = ("_headers", "_body")

    def __init__(self, headers: Mapping[str, str], body: bytes = b"") -> None:
        self._headers = headers
        self._body = body

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def body(self) -> bytes:
        return self._body

    @property
    def content_type(self) -> str:
        return self._headers.get("Content-Type", "")

    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self._body.decode("utf-8", errors="replace")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._headers == other._headers and self._body == other._body  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "EslFrame(headers=%r, body=%r)" % (self._headers, self._body)


_EVENT_TAILS = (b"\nContent-Type: text/event-plain", b"\nContent-Type: text/event-json")
_EVENT_TAIL_LENGTHS = frozenset(16 + len(tail) for tail in _EVENT_TAILS)


class FrameParser:
    """Incremental ESL frame splitter: ``feed()`` bytes as they arrive, get complete frames.

    Works for any split of the stream (one byte at a time, or many frames in one read) and for
    bodies of any size up to :data:`MAX_CONTENT_LENGTH` (a body that spans many reads is joined
    once, when complete).
    """

    __slots__ = ("_buf", "_pending", "_need", "_chunks", "_have", "max_content_length")

    def __init__(self, max_content_length: int = MAX_CONTENT_LENGTH) -> None:
        self._buf = b""                             # unparsed bytes (no complete header block yet)
        self._pending: dict[str, str] | None = None  # headers of a frame waiting for its body
        self._need = 0
        self._chunks: list[bytes] = []              # body bytes received so far for _pending
        self._have = 0
        self.max_content_length = max_content_length

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame (non-zero at EOF = dropped mid-frame)."""
        return len(self._buf) + self._have

    @property
    def in_frame(self) -> bool:
        """True if a partial frame is buffered (ignoring blank separator lines)."""
        if self._pending is not None:
            return True
        return bool(self._buf.strip(b"\r\n"))

    def feed(self, data: bytes) -> list[EslFrame]:
        frames: list[EslFrame] = []
        if data.__class__ is not bytes:
            data = bytes(data)
        if self._pending is not None:
            self._chunks.append(data)
            self._have += len(data)
            if self._have < self._need:
                return frames
            joined = b"".join(self._chunks)
            need = self._need
            frames.append(EslFrame(self._pending, joined[:need]))
            self._pending = None
            self._chunks = []
            self._have = 0
            buf = joined[need:]
        elif self._buf:
            buf = self._buf + data
        else:
            buf = data
        pos = 0
        size = len(buf)
        find = buf.find
        max_len = self.max_content_length
        while pos < size:
            c = buf[pos]
            if c == 10 or c == 13:  # blank lines between frames
                pos += 1
                continue
            end = find(b"\n\n", pos)
            if end < 0:
                end = find(b"\r\n\r\n", pos)
                if end < 0:
                    break
                skip = 4
            else:
                skip = 2
            block = buf[pos:end]
            pos = end + skip
            # fast path for the event envelope, byte-exact as mes.c writes it (same result as the general parse)
            if block.startswith(b"Content-Length: ") and block.endswith(_EVENT_TAILS):
                digits = block[16:block.index(b"\n")]
                if digits.isdigit() and len(block) - len(digits) in _EVENT_TAIL_LENGTHS:
                    clen = digits.decode()
                    headers = {"Content-Length": clen, "Content-Type": block[len(digits) + 31:].decode()}
                else:
                    headers = parse_header_block(block)
                    clen = headers.get("Content-Length")
            else:
                headers = parse_header_block(block)
                clen = headers.get("Content-Length")
            if clen is None:
                frames.append(EslFrame(headers))
                continue
            try:
                need = int(clen.strip())
            except ValueError:
                raise FrameError("bad Content-Length %r" % clen) from None
            if need < 0 or need > max_len:
                raise FrameError("Content-Length %d out of range" % need)
            stop = pos + need
            if stop <= size:
                frames.append(EslFrame(headers, buf[pos:stop]))
                pos = stop
                continue
            # the body continues in later reads
            self._pending = headers
            self._need = need
            if pos < size:
                self._chunks = [buf[pos:]]
                self._have = size - pos
            self._buf = b""
            return frames
        self._buf = buf[pos:] if pos < size else b""
        return frames
