"""ESL wire format of the simulator: framing, URL encoding and event serialisation.

Own implementation (never shared with engine.switch), modelled on mod_event_socket.c and switch_event.c.
"""
import json
import re
import logging

logger = logging.getLogger(__name__)

# switch_utils.h SWITCH_URL_UNSAFE; switch_utils.c switch_url_encode_opt also encodes bytes < 0x20 and > 0x7E.
URL_UNSAFE = b"\r\n \"#%&+:;<=>?@[\\]^`{|}"
# switch_url_encode_opt: with double_encode false an existing %XX (uppercase hex only) is kept as is.
_HEX = b"0123456789ABCDEF"

DISCONNECT_BODY = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"  # mes.c, 67 bytes
MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # mes.c MAX_CONTENT_LENGTH


# what switch_url_encode_opt leaves alone: printable ASCII outside URL_UNSAFE (most header values are only that)
_NEEDS_ENCODING = re.compile("[^%s]" % re.escape("".join(
    chr(c) for c in range(0x20, 0x7F) if c not in URL_UNSAFE)))


def url_encode(value):
    """Percent-encode a header value exactly like switch_url_encode_opt(double_encode=false)."""
    text = value if isinstance(value, str) else str(value)
    if not _NEEDS_ENCODING.search(text):
        return text                     # nothing to encode (the common case, no byte loop)
    raw = text.encode("utf-8")
    out = bytearray()
    n = len(raw)
    i = 0
    while i < n:
        c = raw[i]
        keep = False
        if c == 0x25 and i + 2 < n:
            keep = raw[i + 1] in _HEX and raw[i + 2] in _HEX
        if not keep and (c < 0x20 or c > 0x7E or c in URL_UNSAFE):
            out += b"%%%02X" % c
        else:
            out.append(c)
        i += 1
    return out.decode("ascii")


def url_decode(value):
    """Decode %XX sequences (switch_url_decode); used by tests and the command parser."""
    raw = value.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        pair = raw[i + 1:i + 3]
        if raw[i] == 0x25 and len(pair) == 2 and all(chr(b) in "0123456789abcdefABCDEF" for b in pair):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def serialize_plain(headers, body=None):
    """switch_event_serialize(encode=true): `Name: value\\n` lines, then `\\n`, body after an inner Content-Length."""
    parts = ["%s: %s\n" % (name, url_encode(val)) for name, val in headers]
    if body:
        # switch_event.c switch_event_serialize: Content-Length right after the last header, blank line, raw body.
        parts.append("Content-Length: %d\n\n" % len(body.encode("utf-8")))
        parts.append(body)
    else:
        parts.append("\n")
    return "".join(parts)


def _json_str(value):
    return json.dumps(str(value), ensure_ascii=False)


def serialize_json(headers, body=None):
    """switch_event_serialize_json: one cJSON_PrintUnformatted object, every value a string, body as `_body`."""
    items = ['%s:%s' % (_json_str(n), _json_str(v)) for n, v in headers]
    if body:
        items.append('"Content-Length":%s' % _json_str(len(body.encode("utf-8"))))
        items.append('"_body":%s' % _json_str(body))
    return "{" + ",".join(items) + "}"


def event_frame(headers, body=None, fmt="plain"):
    """Outer event frame (mes.c): Content-Length first, then Content-Type text/event-<fmt>."""
    payload = serialize_json(headers, body) if fmt == "json" else serialize_plain(headers, body)
    data = payload.encode("utf-8")
    return b"Content-Length: %d\nContent-Type: text/event-%s\n\n" % (len(data), fmt.encode()) + data


def command_reply(text, extra=()):
    """command/reply frame: no Content-Length, result in Reply-Text (mes.c listener_run)."""
    lines = ["Content-Type: command/reply", "Reply-Text: %s" % text]
    lines += ["%s: %s" % (k, v) for k, v in extra]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def api_response(body):
    """api/response frame: Content-Type then Content-Length (bytes), raw body (mes.c api_exec)."""
    data = body.encode("utf-8")
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def auth_request():
    """Greeting sent on inbound accept."""
    return b"Content-Type: auth/request\n\n"


def disconnect_notice():
    """The 67-byte goodbye sent before the server closes the socket."""
    data = DISCONNECT_BODY.encode()
    return b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(data) + data


class CommandParser:
    """Incremental client-command reader following mes.c read_packet.

    A command ends at two LFs (CR ignored); leading blank lines are skipped; the first line is the command, next
    lines are `Name: value` headers; a Content-Length header makes that many body bytes follow the blank line.
    """

    def __init__(self):
        self._buf = b""

    def feed(self, data):
        """Add bytes; return a list of (command, headers[list of (name, value)], body or None)."""
        self._buf += data
        out = []
        while True:
            parsed = self._next()
            if parsed is None:
                break
            out.append(parsed)
        return out

    def _next(self):
        buf = self._buf.lstrip(b"\r\n")
        self._buf = buf
        if not buf:
            return None
        # find the end of the header block: two LFs with only CRs between them
        idx, end = 0, None
        count = 0
        while idx < len(buf):
            ch = buf[idx]
            if ch == 0x0A:
                count += 1
                if count == 2:
                    end = idx + 1
                    break
            elif ch != 0x0D:
                count = 0
            idx += 1
        if end is None:
            return None
        block = buf[:end].decode("utf-8", "replace").replace("\r", "")
        lines = [ln for ln in block.split("\n") if ln]
        command, headers = lines[0], []
        clen = 0
        for ln in lines[1:]:
            if ":" not in ln:
                continue
            name, val = ln.split(":", 1)
            val = val.lstrip(" ")
            headers.append((name, val))
            if name.lower() == "content-length":
                try:
                    clen = int(val)
                except ValueError:
                    clen = 0
        if clen < 0 or clen > MAX_CONTENT_LENGTH:
            raise ValueError("content-length out of range")
        body = None
        if clen > 0:
            if len(buf) - end < clen:
                return None
            body = buf[end:end + clen].decode("utf-8", "replace")
            end += clen
        self._buf = buf[end:]
        return command, headers, body
