"""Virtual callers: an inbound SIP call into the `public` context, and the caller's scripted behaviour."""
import logging
import uuid as uuidlib

import gevent

from .channels import BridgeRequest, Channel, Hangup, now_us

logger = logging.getLogger(__name__)


class CallerScript:
    """What the caller does: digits (one answer per input request), patience, talk time, max duration."""

    def __init__(self, digits="", dtmf_delay=0.5, patience=None, talk_time=None, max_duration=None):
        self.answers = list(digits) if isinstance(digits, str) else [str(d) for d in (digits or [])]
        self.dtmf_delay = dtmf_delay
        self.patience = patience
        self.talk_time = talk_time
        self.max_duration = max_duration
        self.talk_timer = None

    def input_requested(self, chan):
        """The switch asks for input: press the next scripted answer dtmf_delay s later (none left = silence)."""
        if not self.answers:
            return
        answer = self.answers.pop(0)

        def press():
            for i, d in enumerate(answer):
                if chan.hangup_cause:
                    return
                if i:
                    chan.sw.sleep(0.2)
                chan.queue_dtmf(d, "RTP")
        chan.timers.append(chan.sw.later(self.dtmf_delay, press))

    def start(self, chan):
        if self.patience is not None:
            chan.timers.append(chan.sw.later(self.patience, self._abandon, chan))
        if self.max_duration is not None:
            chan.timers.append(chan.sw.later(self.max_duration, chan.remote_hangup))

    def _abandon(self, chan):
        if chan.bridged_us == 0 and not chan.hangup_cause:
            chan.remote_hangup()

    def bridged(self, chan):
        if self.talk_time is not None and self.talk_timer is None:
            self.talk_timer = chan.sw.later(self.talk_time, chan.remote_hangup)
            chan.timers.append(self.talk_timer)


def inbound_variables(sw, uuid, ani, name, did, chan_name, session_id):
    """Channel variables of a sofia inbound leg, in the order of the catalog's CHANNEL_CREATE."""
    host, port = sw.caller_host, sw.caller_port
    sip = "%s:%d" % (sw.sip_ip, sw.sip_port)
    v = [("direction", "inbound"), ("uuid", uuid), ("call_uuid", uuid), ("session_id", session_id),
         ("sip_from_user", ani), ("sip_from_port", port), ("sip_from_uri", "%s@%s:%d" % (ani, host, port)),
         ("sip_from_host", host), ("video_media_flow", "disabled"), ("audio_media_flow", "disabled"),
         ("text_media_flow", "disabled"), ("channel_name", chan_name),
         ("sip_call_id", "fsim-%s@%s" % (uuid[:8], host)), ("sip_local_network_addr", sw.sip_ip),
         ("sip_network_ip", host), ("sip_network_port", port), ("sip_invite_stamp", now_us(sw)),
         ("sip_received_ip", host), ("sip_received_port", port), ("sip_via_protocol", "udp"),
         ("sip_authorized", "true"), ("sip_acl_authed_by", "loopback.auto"), ("sip_from_user_stripped", ani),
         ("sip_from_tag", uuid[-12:]), ("sofia_profile_name", sw.profile),
         ("sofia_profile_url", "sip:mod_sofia@%s" % sip), ("recovery_profile_name", sw.profile),
         ("sip_full_via", "SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s" % (host, port, uuid[:8]))]
    if name:
        v.append(("sip_from_display", name))
    v += [("sip_full_from", '"%s" <sip:%s@%s:%d>;tag=%s' % (name, ani, host, port, uuid[-12:])),
          ("sip_full_to", "<sip:%s@%s>" % (did, sip)), ("sip_req_user", did), ("sip_req_port", sw.sip_port),
          ("sip_req_uri", "%s@%s" % (did, sip)), ("sip_req_host", sw.sip_ip), ("sip_to_user", did),
          ("sip_to_port", sw.sip_port), ("sip_to_uri", "%s@%s" % (did, sip)), ("sip_to_host", sw.sip_ip),
          ("sip_contact_user", ani), ("sip_contact_port", port),
          ("sip_contact_uri", "%s@%s:%d" % (ani, host, port)), ("sip_contact_host", host),
          ("rtp_use_codec_string", "PCMU,PCMA"), ("sip_user_agent", "fsim-caller"), ("sip_via_host", host),
          ("sip_via_port", port), ("max_forwards", "70"), ("presence_id", "%s@%s" % (ani, sw.sip_ip)),
          ("ep_codec_string", "CORE_PCM_MODULE.PCMA@8000h@20i@64000b,CORE_PCM_MODULE.PCMU@8000h@20i@64000b"),
          ("endpoint_disposition", "DELAYED NEGOTIATION")]
    return [(k, str(val)) for k, val in v]


def start_inbound_call(sw, did, ani, caller_name, script, uuid=None):
    """Create the inbound leg and start its state machine; returns the uuid, or None when the switch refuses it.

    mod_sofia asks the core for the session first (sofia.c sofia_handle_sip_i_invite ->
    switch_core_session_request, which takes a session-rate token, limits.py). When it cannot be created the INVITE
    is answered `503 Maximum Calls In Progress` with Retry-After: 300 and nothing else happens: no channel, no event
    on ESL (README item 36: `Error Creating Session` in the log only)."""
    uuid = uuid or str(uuidlib.uuid4())
    refused = sw.request_session(uuid=uuid)
    if refused is not None:
        sw.limits.refuse_invite(did, ani, refused)
        return None
    name = "sofia/%s/%s@%s:%d" % (sw.profile, ani, sw.caller_host, sw.caller_port)
    created = now_us(sw)
    profile = {
        "Direction": "inbound", "Logical-Direction": "inbound", "Username": ani, "Dialplan": "XML",
        "Caller-ID-Name": caller_name or ani, "Caller-ID-Number": ani,
        "Orig-Caller-ID-Name": caller_name or ani, "Orig-Caller-ID-Number": ani,
        "Network-Addr": sw.caller_host, "ANI": ani, "Destination-Number": did, "Unique-ID": uuid,
        "Source": "mod_sofia", "Context": "public", "Channel-Name": name, "Profile-Index": "1",
        "Profile-Created-Time": created, "Channel-Created-Time": created, "Channel-Answered-Time": 0,
        "Channel-Progress-Time": 0, "Channel-Progress-Media-Time": 0, "Channel-Hangup-Time": 0,
        "Channel-Transfer-Time": 0, "Channel-Resurrect-Time": 0, "Channel-Bridged-Time": 0,
        "Channel-Last-Hold": 0, "Channel-Hold-Accum": 0, "Screen-Bit": "true", "Privacy-Hide-Name": "false",
        "Privacy-Hide-Number": "false",
    }
    chan = Channel(sw, uuid, "inbound", name, profile,
                   inbound_variables(sw, uuid, ani, caller_name, did, name, sw.session_count))
    chan.created_us = created
    chan.script = script
    sw._add_channel(chan)
    chan.greenlet = gevent.spawn(run_channel, chan, lambda: _inbound_route(chan))
    return uuid


def _inbound_route(chan):
    """Obs. 15: STATE NEW, STATE INIT, CREATE, CALLSTATE RINGING, STATE ROUTING, STATE EXECUTE, dialplan apps."""
    from .apps import execute
    chan.fire("CHANNEL_STATE")                       # CS_NEW, no caller profile yet
    chan.profile_ready = chan.presence_visible = True
    chan.set_state("CS_INIT")
    chan.state_number = 2
    chan.fire("CHANNEL_CREATE")
    chan.running_state = "CS_ROUTING"
    chan.set_callstate("RINGING")
    chan.set_state("CS_ROUTING")
    if chan.script:
        chan.script.start(chan)
    actions = chan.sw.dialplan.route("public", chan)
    if not actions:
        # switch_core_state_machine.c routing: no extension -> NO_ROUTE_DESTINATION
        chan.hangup("NO_ROUTE_DESTINATION", disposition="send_refuse", term_status="404")
        raise Hangup()
    chan.set_state("CS_EXECUTE")
    for app, data in actions:
        execute(chan, app, data)


def run_channel(chan, body):
    """Channel thread: run `body`, then bridges / park-after-bridge, then the hang-up sequence."""
    step = body
    try:
        while True:
            try:
                step()
                if not chan.hangup_cause:
                    # the dialplan ran out of actions: FS hangs the call up (NORMAL_CLEARING)
                    chan.hangup("NORMAL_CLEARING")
                break
            except Hangup:
                break
            except BridgeRequest as br:
                step = (lambda b=br: b.resume(chan))
    except Exception:
        logger.exception("channel %s crashed", chan.uuid)
        chan.hangup("NORMAL_TEMPORARY_FAILURE")
    finally:
        if not chan.hangup_cause:
            chan.hangup("NORMAL_CLEARING")
        chan.finalize()

