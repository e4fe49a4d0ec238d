"""mod_xml_cdr's POST, read: FreeSWITCH's own CDR of a leg, as the engine's Cdr.

mod_xml_cdr.c my_on_reporting posts, for each leg reaching CS_REPORTING (a-legs only with log-b-leg false), to
`<url>?uuid=a_<uuid>` with `Content-Type: application/x-www-form-urlencoded` and the body `cdr=<url-encoded XML>`
(encode=true, the stock setting); encode=textxml posts the XML itself as text/xml, encode=base64 as
application/x-www-form-base64-encoded. The XML (switch_ivr.c switch_ivr_generate_xml_cdr) is
`<cdr core-uuid=…><channel_data>…<direction>…</channel_data><variables><name>url-encoded value</name>…</variables>
<app_log>…</app_log><callflow>…<caller_profile>…</caller_profile>…</callflow>…</cdr>`: every variable's value is
url-encoded inside the XML (switch_ivr_set_xml_chan_var), the caller profile is only XML-escaped. Ground truth: the
posts of a real FreeSWITCH 1.11 in tests/web/data/xml_cdr_post_*.http."""
from __future__ import annotations

import base64
import urllib.parse

from defusedxml import ElementTree

from engine.domain.events import Cdr

MAX_CDR_BYTES = 1_000_000       # a CDR is a few kB; anything larger is refused, not parsed


class CdrError(ValueError):
    """The body is not a CDR mod_xml_cdr would post."""


def xml_of_post(body: bytes, content_type: str) -> str:
    """The CDR's XML text from a POST body as mod_xml_cdr encodes it."""
    if len(body) > MAX_CDR_BYTES:
        raise CdrError(f"CDR of {len(body)} bytes refused (at most {MAX_CDR_BYTES})")
    kind = content_type.split(";")[0].strip().lower()
    text = body.decode("utf-8", errors="replace")
    if kind == "text/xml":
        return text
    if not text.startswith("cdr="):
        raise CdrError("the body has no cdr= field")
    value = text[4:]
    if kind == "application/x-www-form-base64-encoded":
        return base64.b64decode(value + "=" * (-len(value) % 4)).decode("utf-8", errors="replace").rstrip("\0")
    if kind == "application/x-www-form-plaintext":
        return value
    return urllib.parse.unquote_plus(value)


def _epoch_us(variables: dict[str, str], name: str) -> float | None:
    try:
        us = int(variables.get(name) or 0)
    except ValueError:
        return None
    return us / 1e6 if us > 0 else None


def parse_cdr(xml_text: str) -> Cdr:
    """The Cdr of one XML CDR; raises CdrError when it has no uuid or no end time."""
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as exc:
        raise CdrError(f"not XML: {exc}") from exc
    if root.tag != "cdr":
        raise CdrError(f"top element is <{root.tag}>, not <cdr>")
    variables = {child.tag: urllib.parse.unquote(child.text or "") for child in root.findall("variables/*")}
    direction = (root.findtext("channel_data/direction") or variables.get("direction") or "").strip()
    # the first callflow is the current caller profile; the original caller is in the last one
    profiles = root.findall("callflow/caller_profile")
    profile = profiles[-1] if profiles else None

    def field(name: str, var: str) -> str:      # profile fields are only XML-escaped, not url-encoded
        text = profile.findtext(name) if profile is not None else None
        return text.strip() if text and text.strip() else variables.get(var, "")
    uuid = variables.get("uuid") or field("uuid", "uuid")
    ended = _epoch_us(variables, "end_uepoch")
    if not uuid or ended is None:
        raise CdrError("the CDR has no uuid or no end_uepoch")
    return Cdr(uuid=uuid, direction=direction, ani=field("caller_id_number", "caller_id_number"),
               dnis=field("destination_number", "destination_number"),
               caller_name=field("caller_id_name", "caller_id_name"),
               started_at=_epoch_us(variables, "start_uepoch") or ended, answered_at=_epoch_us(variables, "answer_uepoch"),
               ended_at=ended, hangup_cause=variables.get("hangup_cause", ""),
               disposition=variables.get("sip_hangup_disposition", ""),
               marks={k: v for k, v in variables.items() if k.startswith("cc_")})
