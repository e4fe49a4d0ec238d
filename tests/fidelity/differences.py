"""The one place that says what the fidelity comparison may ignore, and which differences are accepted.

* VARYING: header values that legitimately differ between any two runs (uuids after mapping, clocks, counters,
  ports...). Their *presence and position* are still compared; only the value is normalised.
* UNMODELLED_EVENTS: event kinds FreeSWITCH emits that the simulator does not produce.
* KNOWN: every other accepted difference, one entry per row of docs/fsim-fidelity.md (same ids).
Anything the comparator finds that is not covered here fails the test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# ----------------------------------------------------------------------------- legitimately varying values
# (header-name regex, rule, reason).  Rules: "any" = value ignored (must be non-empty on both sides);
# "zero" = a clock/duration: only whether it is 0/empty or not must agree.
VARYING = [
    (r"^Event-Date-(Local|GMT|Timestamp)$", "any", "wall clock of the event"),
    (r"^Event-Sequence$", "any", "global event counter of the process"),
    (r"^(Caller|Other-Leg)-(Profile-Created|Channel-[A-Za-z-]+)-Time$", "zero", "µs timestamps"),
    (r"^(Caller|Other-Leg)-Channel-(Last-Hold|Hold-Accum)$", "zero", "µs timestamps/durations"),
    (r"^variable_([a-z_]+_)?(stamp|epoch|uepoch)$", "zero", "CDR timestamps"),
    (r"^variable_(u|m)?duration$|^variable_[a-z_]*(sec|msec|usec)$", "zero", "CDR durations"),
    (r"^variable_hold_accum_(seconds|usec|ms)$", "zero", "CDR durations"),
    (r"^variable_session_id$", "any", "session counter of the process"),
    (r"^variable_(playback|record)_(ms|samples|seconds|last_offset_pos)$", "zero", "media clock (played samples)"),
    (r"^variable_record_ms$", "zero", "media clock"),
    (r"^DTMF-Duration$", "any", "RTP: duration in samples of the RFC 2833 packets"),
    (r"^Job-UUID$", "any", "FreeSWITCH-generated job uuid (bgapi without Job-UUID)"),
]

# Text patterns that are clocks wherever they appear (Application-Data of the vanilla `export RFC2822_DATE=`,
# `created` in show channels...). Replaced by a placeholder on both sides before comparing.
CLOCK_PATTERNS = [
    re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
               r"\d\d:\d\d:\d\d [+-]\d{4}"),
    re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b"),
    re.compile(r"\b1[6-9]\d{8}(?:\d{6})?\b"),   # epoch seconds / µs inside composite values (Transfer-Source)
]

# ----------------------------------------------------------------------------- event kinds not modelled
UNMODELLED_EVENTS = {
    "CODEC": "codec (re)negotiation with the SIP peer: there is no RTP/SDP in the simulator",
    "CALL_UPDATE": "SIP re-INVITE/UPDATE display updates after a bridge: no SIP dialog in the simulator",
    "PRESENCE_IN": "presence for SIP subscribers (mod_sofia presence); nothing in the product consumes it",
    "HEARTBEAT": "20 s core heartbeat: timer noise, not part of any scenario",
    "RE_SCHEDULE": "core scheduler housekeeping paired with HEARTBEAT",
    "MESSAGE_QUERY": "MWI query from mod_voicemail on REGISTER",
    "MESSAGE_WAITING": "MWI answer from mod_voicemail on REGISTER",
    "RELOADXML": "XML registry reload (the simulator has no XML registry)",
}


def unsimulated_channel(cap, frame) -> bool:
    """Channels of endpoints the simulator does not implement (KNOWN 'loopback')."""
    name = frame.get("Channel-Name") or ""
    return name.startswith("loopback/")


# ----------------------------------------------------------------------------- accepted differences
@dataclass
class Known:
    id: str
    kind: str                 # diff kind it covers (see compare.Diff.kind)
    pattern: str              # regex searched in the diff's subject
    reason: str
    scenarios: str = ".*"     # regex on the scenario name

    def covers(self, diff) -> bool:
        return (diff.kind == self.kind and re.search(self.scenarios, diff.scenario) is not None
                and re.search(self.pattern, diff.subject) is not None)


KNOWN: list[Known] = []
