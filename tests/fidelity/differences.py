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
# (header-name regex, rule, reason).  Rule "any": the value is not compared (the header's presence and position
# still are). "zero": only whether the value is 0/empty must agree.
VARYING = [
    (r"^Event-Date-(Local|GMT|Timestamp)$", "any", "wall clock of the event"),
    (r"^Event-Sequence$", "any", "global event counter of the process"),
    (r"^(Caller|Other-Leg)-(Profile-Created|Channel-[A-Za-z-]+)-Time$", "any", "µs timestamps"),
    (r"^(Caller|Other-Leg)-Channel-(Last-Hold|Hold-Accum)$", "any", "µs timestamps/durations"),
    (r"^variable_([a-z_]+_)?(stamp|epoch|uepoch)$", "any", "CDR timestamps"),
    (r"^variable_(u|m)?duration$|^variable_[a-z_]*(sec|msec|usec)$", "any",
     "CDR durations (the simulator runs on a compressed clock, time_scale)"),
    (r"^variable_hold_accum_(seconds|usec|ms)$", "any", "CDR durations"),
    (r"^variable_session_id$", "any", "session counter of the process"),
    (r"^variable_(playback|record)_(ms|samples|seconds|last_offset_pos)$", "any", "media clock (played samples)"),
    (r"^variable_record_file_size$", "any", "44 + samples x channels x 2: the media clock again (the file itself is "
     "checked against the harness's soxi note, test_fidelity.check_recordings)"),
    (r"^DTMF-Duration$", "any", "RTP: duration in samples of the RFC 2833 packets"),
    (r"^Current-Energy$", "zero", "conference member's measured audio level (the phones echo RTP): only whether "
     "it is 0 must agree"),
    (r"^Job-UUID$", "any", "FreeSWITCH-generated job uuid (bgapi without Job-UUID)"),
]

# Text patterns that are clocks wherever they appear (Application-Data of the vanilla `export RFC2822_DATE=`,
# `created` in show channels...). Replaced by a placeholder on both sides before comparing.
CLOCK_PATTERNS = [
    re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
               r"\d\d:\d\d:\d\d [+-]\d{4}"),
    re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b"),
    re.compile(r"\b1[6-9]\d{8}(?:\d{6})?\b"),   # epoch seconds / µs inside composite values (Transfer-Source)
    re.compile(r"(?<=EXPSECS\()\d+(?=\))"),     # `sofia status ... reg`: seconds left before the registration lapses
    re.compile(r'(?<="run_time":\t)\d+'),         # conference json_list: seconds since the conference started
    re.compile(r'(?<="join_time":\t)\d+'),        # ... and since the member joined
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


_SIP = (r" variable_(sip_|rtp_|switch_[rm]_sdp|local_media_|remote_media_|advertised_media_|(remote_)?(audio|video|text)"
        r"_media_flow|ep_codec_string|sofia_profile_|recovery_profile_name|(last_bridge_)?proto_specific_hangup_cause)")
_DIRECTORY = (r" variable_(callgroup|default_areacode|default_gateway|toll_allow|transfer_fallback_extension|"
              r"outbound_caller_id_(name|number)|record_stereo|accountcode|user_context|effective_caller_id_(name|number))$")

KNOWN: list[Known] = [
    # one entry per row of docs/fsim-fidelity.md; `kind` may repeat an id for each diff kind it covers
    *[Known("sip-stack", k, _SIP, "SIP/SDP/RTP-stack variables (sofia call-ids, tags, Via, SDP, RTP stats, media "
            "ports): the simulator has no SIP dialog, SDP or RTP") for k in ("header-missing", "header-extra",
                                                                             "header-order", "value")],
    *[Known("directory-user", k, _DIRECTORY, "params/variables of the vanilla directory user 1001 (callgroup, "
            "toll_allow, default_gateway...) vs the simulator's minimal directory entry")
      for k in ("header-missing", "header-extra", "header-order")],
    Known("variable-order", "header-order", r" variable_",
          "position of a variable inside the variable_* block: FS appends a variable when the module that owns it "
          "sets it; the simulator sets the same variables at other moments (names and values are still compared)"),
    Known("dialplan-vars", "header-missing", r" variable_(DP_MATCH|current_loop|total_loops)$",
          "DP_MATCH (mod_dialplan_xml capture array) and sendmsg loop counters are not set by the simulator"),
    *[Known("originated-leg-identity", k, r" (Caller-Network-Addr|Channel-Presence-ID)$",
            "an originated sofia leg has its Network-Addr/presence id from the SIP INVITE before answer; the "
            "simulator sets them on answer") for k in ("header-missing", "header-extra")],
    Known("originate-state-race", "value", r"^CHANNEL_HANGUP Channel-State cap='CS_ROUTING' sim='CS_CONSUME_MEDIA'$",
          "capture 08: two legs originated at once to an address where nothing listens; the 503 reached one of them "
          "before its thread had moved from CS_ROUTING to CS_CONSUME_MEDIA (the other shows CS_CONSUME_MEDIA). The "
          "simulator's leg is always in CS_CONSUME_MEDIA by then", scenarios="^08_"),
    Known("bridge-end-states", "event-missing", r" CHANNEL_STATE\(CS_(EXECUTE|CONSUME_MEDIA)\)$",
          "state-machine steps FS goes through after a bridge ends / while an originate rings are not replayed"),
    Known("bridge-end-states", "value", r"^CHANNEL_HANGUP Channel-State ",
          "running state shown on the CHANNEL_HANGUP that ends a uuid_bridge (see above)"),
    Known("call-uuid-race", "value", r"^(CHANNEL_STATE|CHANNEL_HANGUP_COMPLETE) Channel-Call-UUID ",
          "a B leg torn down by the end of its bridge gets its own call_uuid back from the A leg's thread "
          "(CHANNEL_UNBRIDGE): whether its CS_REPORTING/HANGUP_COMPLETE still show the A leg's uuid is a race "
          "between the two threads (06a and 06d run the same flow and differ)"),
    Known("expire-race", "reply-body", r"^api sofia_contact 1003@\S+ \| cap='sofia/internal/sip:1003@[^']*' \| "
          r"sim='error/user_not_registered'$",
          "sofia_contact right after sofia::expire: FS still answered the contact because its expiry sweep fires the "
          "event first and queues the DELETE on sofia's SQL queue (README obs. 32 calls it a race)",
          scenarios="^02_"),
    Known("loopback", "unsimulated-channel", r"^loopback/", "the loopback/ endpoint is not simulated (README obs. 35: "
          "its results are timing-dependent anyway)"),
    Known("loopback", "reply-body", r"originate loopback/", "loopback/ originate answers -ERR CHAN_NOT_IMPLEMENTED"),
    Known("loopback", "reply-envelope", r"originate loopback/.*Content-Length", "length of that reply"),
    Known("loopback", "event-body", r"^BACKGROUND_JOB cap='-ERR NORMAL_CLEARING\\n' sim='-ERR CHAN_NOT_IMPLEMENTED",
          "bgapi originate loopback/ result"),
    Known("loopback", "event-missing", r"^API API\((strftime|module_exists)\)$", "the vanilla `outside_call` "
          "extension run by the loopback legs calls ${strftime()}; loopback/9999/default's dialplan checks mod_enum",
          scenarios="^01_"),
]
