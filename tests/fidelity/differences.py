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


_SIP = (r" variable_(sip_|rtp_|switch_[rm]_sdp|local_media_|remote_media_|advertised_media_|(remote_)?(audio|video|text)"
        r"_media_flow|ep_codec_string|sofia_profile_|recovery_profile_name|(last_bridge_)?proto_specific_hangup_cause)")
_DIRECTORY = (r" variable_(callgroup|default_areacode|default_gateway|toll_allow|transfer_fallback_extension|"
              r"outbound_caller_id_(name|number)|record_stereo|accountcode|user_context|effective_caller_id_(name|number))$")
_BRIDGE_PROFILE = (r" (Other-Type|Other-Leg-[A-Za-z-]+|Caller-(Transfer-Source|Profile-Index|Callee-ID-(Name|Number)|"
                   r"Caller-ID-(Name|Number)|Logical-Direction)|Channel-HIT-Dialplan|Channel-Call-UUID|"
                   r"variable_(bridge_[a-z_]+|last_bridge_[a-z_]+|signal_bond|transfer_(history|source)|uuid_bridge|"
                   r"original_(caller_id_name|caller_id_number|destination_number)|last_sent_callee_id_(name|number)|"
                   r"pre_transfer_caller_id_number|channel_cid_flipped|last_arg|last_app|caller_id))( |$)")

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
    *[Known("bridge-profile", k, _BRIDGE_PROFILE, "caller-profile bookkeeping of uuid_bridge (profile clone with "
            "Profile-Index 2 and Transfer-Source, Other-Leg-* from the partner, caller-id update from the SIP "
            "re-INVITE, bridge_*/transfer_* variables) happens at other moments or not at all in the simulator")
      for k in ("header-missing", "header-extra", "value")],
    *[Known("originated-leg-identity", k, r" (Caller-Network-Addr|Channel-Presence-ID)$",
            "an originated sofia leg has its Network-Addr/presence id from the SIP INVITE before answer; the "
            "simulator sets them on answer") for k in ("header-missing", "header-extra")],
    Known("bridge-end-states", "event-missing", r" CHANNEL_STATE\(CS_(EXECUTE|CONSUME_MEDIA)\)$",
          "state-machine steps FS goes through after a bridge ends / while an originate rings are not replayed"),
    Known("bridge-end-states", "value", r"^CHANNEL_HANGUP Channel-State ",
          "running state shown on the CHANNEL_HANGUP that ends a uuid_bridge (see above)"),
    Known("internal-api", "event-missing", r"^API API\((sofia_contact|verto_contact|module_exists)\)$",
          "API events of FreeSWITCH's internal api calls while expanding a user/ dial string"),
    Known("loopback", "unsimulated-channel", r"^loopback/", "the loopback/ endpoint is not simulated (README obs. 35: "
          "its results are timing-dependent anyway)"),
    Known("loopback", "reply-body", r"originate loopback/", "loopback/ originate answers -ERR CHAN_NOT_IMPLEMENTED"),
    Known("loopback", "reply-envelope", r"originate loopback/.*Content-Length", "length of that reply"),
    Known("loopback", "event-body", r"^BACKGROUND_JOB cap='-ERR NORMAL_CLEARING\\n' sim='-ERR CHAN_NOT_IMPLEMENTED",
          "bgapi originate loopback/ result"),
    Known("bridge-profile", "row-value", r"^show (channels|calls) as json (cid_name|cid_num|callee_num|callee_direction|"
          r"sent_callee_name|sent_callee_num|call_uuid) ", "the same caller-id/callee bookkeeping seen in `show channels`"),
    Known("loopback", "event-missing", r"^API API\(strftime\)$", "the vanilla `outside_call` extension run by the "
          "loopback legs calls ${strftime()}", scenarios="^01_"),
    Known("show-calls", "reply-body", r"^api show calls as json row \d+ columns ",
          "`show calls` answers with the `show channels` columns (FS joins the two legs of a call)"),
    Known("linger-notice", "reply-envelope", r"^api uuid_kill ", "inbound myevents+linger: the simulator sends the "
          "linger disconnect-notice as soon as the channel hangs up, before the api/response of the uuid_kill that "
          "caused it; FS sends the api/response, then CHANNEL_HANGUP, then the notice", scenarios="^01_"),
    Known("linger-notice", "reply-missing", r"^api uuid_kill .*Content-Disposition=disconnect", "(same)",
          scenarios="^01_"),
    Known("linger-notice", "event-extra", r"^caller CHANNEL_STATE\(CS_DESTROY\)$", "a lingering myevents socket "
          "does not get the channel's CHANNEL_DESTROY nor its CS_DESTROY state; the simulator drops only the former",
          scenarios="^01_"),
    Known("show-bridged-calls", "reply-body", r"^api show bridged_calls ", "`show bridged_calls` is not implemented"),
    Known("show-bridged-calls", "reply-envelope", r"^api show bridged_calls ", "length of that reply"),
]
