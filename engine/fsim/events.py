"""Events with FreeSWITCH's real header sets and order (switch_event.c, switch_channel.c).

Header order was taken from freeswitch-captures/event_catalog_plain.txt: standard block, event-specific
"before" headers, basic channel data, caller profile, Other-Leg profile, variable_*, event-specific "after" headers.
"""
import logging
import time

logger = logging.getLogger(__name__)

# Event-Calling-File/Function/Line-Number per event kind, as seen in the captures (FS cc93a683ca).
CALLING = {
    "API": ("switch_loadable_module.c", "switch_api_execute", 3140),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1580),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2409),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 302),
    "PRESENCE_IN": ("switch_channel.c", "switch_channel_perform_presence", 806),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", 943),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1588),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3507),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3562),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1649),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2023),
    "PRIVATE_COMMAND": ("switch_ivr.c", "switch_ivr_parse_next_event", 804),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 678),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_HOLD": ("switch_ivr.c", "switch_ivr_hold", 1558),
    "CHANNEL_UNHOLD": ("switch_ivr.c", "switch_ivr_unhold", 1638),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 95),
    "sofia::pre_register": ("sofia_reg.c", "sofia_reg_handle_register_token", 1810),
    "sofia::register_attempt": ("sofia_reg.c", "sofia_reg_handle_register_token", 1606),
    "sofia::register": ("sofia_reg.c", "sofia_reg_handle_register_token", 2059),
    "sofia::register_failure": ("sofia_reg.c", "sofia_reg_handle_register_token", 1792),
    "sofia::unregister": ("sofia_reg.c", "sofia_reg_handle_register_token", 2213),
    "sofia::expire": ("sofia_reg.c", "sofia_reg_del_callback", 726),
}
UUID_BRIDGE_CALLING = ("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1236)

# switch_channel_event_set_extended_data: variable_* only on these event kinds (FREESWITCH.md §2.1).
VAR_EVENTS = {
    "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_UNPARK",
    "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "REQUEST_PARAMS", "CHANNEL_DATA", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_DESTROY", "SESSION_HEARTBEAT", "API", "RECORD_START", "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP",
    "CALL_UPDATE", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "TEXT", "CUSTOM",
}

# switch_event.c EVENT_NAMES (names accepted by `event`/`nixevent`).
EVENT_NAMES = (
    "CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_ANSWER CHANNEL_HANGUP "
    "CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_BRIDGE "
    "CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK "
    "CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN STARTUP SHUTDOWN PUBLISH "
    "UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD DTMF MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT "
    "PRESENCE_PROBE MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE "
    "PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY "
    "PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND "
    "SESSION_HEARTBEAT CLIENT_DISCONNECTED SERVER_DISCONNECTED SEND_INFO RECV_INFO RECV_RTCP_MESSAGE "
    "SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE "
    "SOCKET_DATA MEDIA_BUG_START MEDIA_BUG_STOP CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ "
    "CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE TEXT SHUTDOWN_REQUESTED ALL"
).split()

STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4, "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8, "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11,
    "CS_DESTROY": 12, "CS_NONE": 13,
}
CALLSTATE_NUMBERS = {"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5, "RING_WAIT": 6,
                     "HANGUP": 7, "UNHELD": 8}

# Caller profile fields in switch_caller_profile_event_set_data order (catalog CHANNEL_CREATE).
PROFILE_FIELDS = (
    "Direction", "Logical-Direction", "Username", "Dialplan", "Caller-ID-Name", "Caller-ID-Number",
    "Orig-Caller-ID-Name", "Orig-Caller-ID-Number", "Callee-ID-Name", "Callee-ID-Number", "Network-Addr", "ANI",
    "ANI-II", "Destination-Number", "Unique-ID", "Source", "Transfer-Source", "Context", "RDNIS", "Channel-Name",
    "Profile-Index", "Profile-Created-Time", "Channel-Created-Time", "Channel-Answered-Time",
    "Channel-Progress-Time", "Channel-Progress-Media-Time", "Channel-Hangup-Time", "Channel-Transfer-Time",
    "Channel-Resurrect-Time", "Channel-Bridged-Time", "Channel-Last-Hold", "Channel-Hold-Accum", "Screen-Bit",
    "Privacy-Hide-Name", "Privacy-Hide-Number",
)


class Event:
    """An event: ordered (name, value) headers, optional body; duplicate header names allowed."""

    def __init__(self, name, subclass=None):
        self.name = name
        self.subclass = subclass
        self.headers = []
        self.body = None

    def add(self, name, value):
        """Append a header; empty values are dropped like switch_event_base_add_header does."""
        if value is None or value == "":
            return
        self.headers.append((name, str(value)))

    def get(self, name, default=None):
        """First value of a header, case-insensitive (switch_event_get_header uses strcasecmp)."""
        low = name.lower()
        for n, v in self.headers:
            if n.lower() == low:
                return v
        return default


class EventFactory:
    """Creates events with the standard header block (switch_event_prep_for_delivery_detailed)."""

    def __init__(self, core_uuid, hostname, ipv4="127.0.0.1", ipv6="::1", now=time.time):
        self.core_uuid = core_uuid
        self.now = now                  # the switch's clock (engine.clock): Event-Date-* of every event
        self.hostname = hostname
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.sequence = 0

    def new(self, name, subclass=None, calling=None, pre=()):
        """New event: [Event-Subclass], [pre headers (PRIVATE_COMMAND)], Event-Name, standard block."""
        ev = Event(name, subclass)
        for n, v in pre:
            ev.add(n, v)
        if subclass:
            # switch_event_dup: CUSTOM events carry Event-Subclass first (capture observation 11).
            ev.headers.insert(0, ("Event-Subclass", subclass))
        ev.add("Event-Name", name)
        self.add_standard(ev, calling or CALLING.get(subclass or name, ("switch_event.c", "switch_event_fire", 0)))
        return ev

    def add_standard(self, ev, calling):
        """Append the 12 standard headers after Event-Name (Event-Sequence global and increasing)."""
        self.sequence += 1
        now = self.now()
        ev.add("Core-UUID", self.core_uuid)
        ev.add("FreeSWITCH-Hostname", self.hostname)
        ev.add("FreeSWITCH-Switchname", self.hostname)
        ev.add("FreeSWITCH-IPv4", self.ipv4)
        ev.add("FreeSWITCH-IPv6", self.ipv6)
        ev.add("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)))
        ev.add("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now)))
        ev.add("Event-Date-Timestamp", int(now * 1_000_000))
        ev.add("Event-Calling-File", calling[0])
        ev.add("Event-Calling-Function", calling[1])
        ev.add("Event-Calling-Line-Number", calling[2])
        ev.add("Event-Sequence", self.sequence)


def add_profile(ev, prefix, profile, skip=()):
    """Caller profile headers with prefix (`Caller-` / `Other-Leg-`); empty fields omitted."""
    for field in PROFILE_FIELDS:
        if field in skip:
            continue
        ev.add(prefix + field, profile.get(field))


# an originated leg's Other-Leg (originator) profile lacks these; a uuid_bridge clone has them (bridge.py)
OTHER_LEG_SKIP = ("Username", "Dialplan", "Profile-Index", "Orig-Caller-ID-Name")


def read_codec(chan):
    """(name, rate, bit rate) of the channel's read codec: the one an app set, else the negotiated one."""
    return getattr(chan, "app_read_codec", None) or chan.codec


def add_channel_data(ev, chan, before=(), after=(), with_vars=None):
    """switch_channel_event_set_data: basic data, Caller-*, Other-Leg-*, variable_* (per VAR_EVENTS)."""
    for n, v in before:
        ev.add(n, v)
    ev.add("Channel-State", chan.running_state)
    ev.add("Channel-Call-State", chan.callstate)
    ev.add("Channel-State-Number", chan.state_number)
    ev.add("Channel-Name", chan.name)
    ev.add("Unique-ID", chan.uuid)
    ev.add("Call-Direction", chan.direction)
    ev.add("Presence-Call-Direction", chan.direction)
    ev.add("Channel-HIT-Dialplan", "true" if chan.hit_dialplan else "false")
    if chan.presence_visible:
        ev.add("Channel-Presence-ID", chan.variables.get("presence_id"))
    ev.add("Channel-Call-UUID", chan.variables.get("call_uuid") or chan.uuid)
    ev.add("Answer-State", chan.answer_state)
    if chan.hangup_cause:
        ev.add("Hangup-Cause", chan.hangup_cause)
    if chan.codec:
        # an app may read through its own codec (eavesdrop: L16), the write codec stays the negotiated one
        for side, (name, rate, bits) in (("Read", read_codec(chan)), ("Write", chan.codec)):
            ev.add("Channel-%s-Codec-Name" % side, name)
            ev.add("Channel-%s-Codec-Rate" % side, rate)
            ev.add("Channel-%s-Codec-Bit-Rate" % side, bits)
    if chan.profile_ready:
        add_profile(ev, "Caller-", chan.profile)
        if chan.other_leg is not None:
            ev.add("Other-Type", chan.other_type)
            add_profile(ev, "Other-Leg-", chan.other_leg, skip=getattr(chan, "other_leg_skip", OTHER_LEG_SKIP))
    if with_vars is None:
        with_vars = ev.name in VAR_EVENTS
    if with_vars:
        for k, v in list(chan.variables.items()):
            ev.add("variable_" + k, v)
    for n, v in after:
        ev.add(n, v)
    return ev
