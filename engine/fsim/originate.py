"""api originate (mod_commands originate_function, switch_ivr_originate.c) towards the virtual phones."""
import logging
import re
import time
import uuid as uuidlib

import gevent
from gevent.event import AsyncResult

from .causes import str2cause
from .cstrings import switch_true
from .channels import Channel, Hangup, now_us

logger = logging.getLogger(__name__)

USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] "
         "[<cid_num>] [<timeout_sec>]\n")


def tokenize(arg):
    """Blank-separated tokens; {..} [..] <..> groups, quotes and &app(...) stay together, quotes kept."""
    toks, cur, depth, quote = [], [], 0, None
    for ch in arg.strip():
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch == "'":
            quote = ch
        elif ch in "{[(<":
            depth += 1
        elif ch in "}])>":
            depth = max(0, depth - 1)
        if ch == " " and depth == 0:
            if cur:
                toks.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if cur:
        toks.append("".join(cur))
    return toks


def parse_vars(text):
    """`a=1,b='x, y',c=3` (or `^^:a=1:b=2`) -> [(name, value)]; `\\,` escapes the separator."""
    sep = ","
    if text.startswith("^^") and len(text) > 2:
        sep, text = text[2], text[3:]
    out, cur, quote, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] == sep:
            cur.append(sep)
            i += 2
            continue
        if ch == "'":
            quote = not quote
        elif ch == sep and not quote:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    pairs = []
    for item in out:
        if "=" in item:
            k, v = item.split("=", 1)
            pairs.append((k.strip(), v))
    return pairs


def parse_dialstring(ds):
    """-> (global_vars, [(leg_vars, endpoint)]) for `{g}[l]ep1|[l]ep2` (`,` legs treated like `|`)."""
    gvars = []
    m = re.match(r"^\{(.*?)\}", ds)
    if m:
        gvars = parse_vars(m.group(1))
        ds = ds[m.end():]
    legs = []
    for part in re.split(r"[|,](?![^\[]*\])", ds):
        part = part.strip()
        if not part:
            continue
        lvars = []
        m = re.match(r"^\[(.*?)\]", part)
        if m:
            lvars = parse_vars(m.group(1))
            part = part[m.end():]
        legs.append((lvars, part))
    return gvars, legs


def originate(sw, arg):
    """api originate <dialstring> <exten>|&app(args) [dp] [ctx] [cid_name] [cid_num] [timeout]."""
    toks = tokenize(arg or "")
    if len(toks) < 2:
        return USAGE
    ds, target = toks[0], toks[1]
    extra = [None if t == "undef" else t for t in toks[2:]]
    gvars, legs = parse_dialstring(ds)
    gmap = dict(gvars)
    timeout = int(gmap.get("originate_timeout") or (extra[4] if len(extra) > 4 and extra[4] else 60))
    cause = "DESTINATION_OUT_OF_ORDER"
    for lvars, endpoint in legs:
        variables = gvars + lvars
        result = _one_leg(sw, endpoint, variables, target, extra, timeout, global_vars=gvars)
        if result.startswith("+OK"):
            return result
        cause = result[5:].strip()
    return "-ERR %s\n" % cause


def no_limits(endpoint, variables, global_vars):
    """SOF_NO_LIMITS for this leg: src/switch_ivr_originate.c (switch_ivr_originate, ~2989) sets it when the
    originate's variables ({...}, and what the caller channel exports) have no_throttle_limits true. [...] leg
    variables are not in that event; they count for a user/ leg only, because mod_dptools user_outgoing_channel
    hands the merged {}+[] variables to the inner switch_ivr_originate that creates the sofia session."""
    if switch_true(dict(global_vars).get("no_throttle_limits")):
        return True
    return endpoint.startswith("user/") and switch_true(dict(variables).get("no_throttle_limits"))


def _session(sw, endpoint, variables, global_vars, vmap):
    """switch_core_session_request_uuid for the new leg; None when created, else the originate's reply.

    mod_sofia.c sofia_outgoing_channel starts with cause DESTINATION_OUT_OF_ORDER and returns it when the core
    refuses the session (`Error Creating Session`): a throttled, over-limit or duplicate-uuid leg creates no
    channel and fires no event, and the originate fails at once (capture 08)."""
    refused = sw.request_session(no_limits=no_limits(endpoint, variables, global_vars),
                                 uuid=vmap.get("origination_uuid"))
    if refused is None:
        return None
    sw.limits.refused_originates += 1
    return "-ERR DESTINATION_OUT_OF_ORDER\n"


def _one_leg(sw, endpoint, variables, target, extra, timeout, global_vars=None):
    vmap = dict(variables)
    if global_vars is None:
        global_vars = variables
    if endpoint.startswith("error/"):
        return "-ERR %s\n" % str2cause(endpoint[6:], "DESTINATION_OUT_OF_ORDER")
    ext = None
    raw = None
    if endpoint.startswith("user/"):
        ext = endpoint[5:].split("@", 1)[0]
        phone = sw.directory.get(ext)
        if phone is None:
            return "-ERR SUBSCRIBER_ABSENT\n"
        # the vanilla dial-string ${sofia_contact(*/user@domain)},${verto_contact(user@domain)} (obs. 23)
        domain = endpoint[5:].split("@", 1)[1] if "@" in endpoint else sw.domain
        sw.fire_api_event("sofia_contact", "*/%s@%s" % (ext, domain))
        sw.fire_api_event("verto_contact", "%s@%s" % (ext, domain))
        sw.release_api_event()
        if not phone.registered:
            return "-ERR USER_NOT_REGISTERED\n"   # error/user_not_registered: no session is requested
        # the expanded sofia/... leg asks for its session now, after the expansion's API events
        refused = _session(sw, endpoint, variables, global_vars, vmap)
        if refused:
            return refused
    elif endpoint.startswith("sofia/gateway/"):
        from .pstn import outside_party
        # sofia_outgoing_channel requests the session before it looks the gateway up
        refused = _session(sw, endpoint, variables, global_vars, vmap)
        if refused:
            return refused
        phone, error = outside_party(sw, endpoint)
        if error:
            return error   # the session is destroyed before its thread starts: no CHANNEL_CREATE
    elif endpoint.startswith("sofia/"):
        refused = _session(sw, endpoint, variables, global_vars, vmap)
        if refused:
            return refused
        raw = endpoint.split("/", 2)[2] if endpoint.count("/") >= 2 else ""
        ext = raw.split("@", 1)[0].split("%", 1)[0]
        phone = sw.directory.get(ext)
        if phone is None or not phone.registered:
            # an INVITE to a SIP address where nothing answers: the leg exists (CHANNEL_CREATE), then the transport
            # error comes back as 503 and the originate fails NORMAL_TEMPORARY_FAILURE (capture 08; README obs. 23:
            # a registered user whose phone port was closed gave the same)
            phone = Unreachable(ext)
    else:
        logger.warning("originate: endpoint %r not simulated", endpoint)
        return "-ERR CHAN_NOT_IMPLEMENTED\n"
    leg_timeout = vmap.get("leg_timeout")
    cause_on_timeout = "NO_ANSWER"
    if leg_timeout and leg_timeout.isdigit() and int(leg_timeout) < timeout:
        timeout, cause_on_timeout = int(leg_timeout), "ALLOTTED_TIMEOUT"
    chan = _make_leg(sw, phone, variables, vmap, raw=raw)
    result = AsyncResult()
    from .callers import run_channel
    chan.greenlet = gevent.spawn(run_channel, chan,
                                 lambda: _leg_main(chan, phone, timeout, cause_on_timeout, result, target, extra))
    return result.get()


class Unreachable:
    """The far end of a sofia/<profile>/<user>@<host> leg where no simulated phone listens."""

    behaviour = "unreachable"
    answer_delay = None
    talk_time = None
    registered = True

    def __init__(self, ext):
        self.ext = ext
        self.port = 0
        self.active = set()


def _make_leg(sw, phone, variables, vmap, raw=None):
    """The outbound sofia leg. raw: the `<user>@<host>` of a sofia/<profile>/... dial string, which names the
    channel as dialled and has none of the user/ expansion's variables (dialed_*, presence_id, the directory
    user's variables); otherwise a user/ (or gateway) leg named after the phone's contact."""
    uuid = vmap.get("origination_uuid") or str(uuidlib.uuid4())
    name = "sofia/%s/%s@127.0.0.1:%d" % (sw.profile, phone.ext, phone.port)
    dest_url = "sip:%s@127.0.0.1:%d" % (phone.ext, phone.port)
    if raw is not None:
        name, dest_url = "sofia/%s/%s" % (sw.profile, raw), "sip:%s" % raw
    created = now_us(sw)
    cid_num = vmap.get("origination_caller_id_number") or "0000000000"
    profile = {
        "Direction": "outbound", "Logical-Direction": "outbound",
        "Caller-ID-Name": vmap.get("origination_caller_id_name", ""), "Caller-ID-Number": cid_num,
        "Orig-Caller-ID-Number": cid_num, "Callee-ID-Name": vmap.get("origination_callee_id_name", "Outbound Call"),
        "Callee-ID-Number": vmap.get("origination_callee_id_number", phone.ext), "ANI": cid_num,
        "Destination-Number": phone.ext, "Unique-ID": uuid, "Source": "src/switch_ivr_originate.c",
        "Context": "default", "Channel-Name": name, "Profile-Index": "1", "Profile-Created-Time": created,
        "Channel-Created-Time": created, "Channel-Answered-Time": 0, "Channel-Progress-Time": 0,
        "Channel-Progress-Media-Time": 0, "Channel-Hangup-Time": 0, "Channel-Transfer-Time": 0,
        "Channel-Resurrect-Time": 0, "Channel-Bridged-Time": 0, "Channel-Last-Hold": 0, "Channel-Hold-Accum": 0,
        "Screen-Bit": "true", "Privacy-Hide-Name": "false", "Privacy-Hide-Number": "false",
    }
    v = [("direction", "outbound"), ("is_outbound", "true"), ("uuid", uuid), ("call_uuid", uuid),
         ("session_id", str(sw.session_count)), ("sip_local_network_addr", sw.sip_ip),
         ("sip_profile_name", sw.profile), ("video_media_flow", "disabled"), ("text_media_flow", "disabled"),
         ("channel_name", name), ("sip_destination_url", dest_url)]
    v += [(k, val) for k, val in variables]
    if raw is None:
        v += [("dialed_user", phone.ext), ("dialed_domain", sw.domain), ("sip_invite_domain", sw.domain),
              ("presence_id", "%s@%s" % (phone.ext, sw.domain))]
    v += [("originate_early_media", "false"), ("originate_endpoint", "sofia")]
    if raw is None:
        v += [("accountcode", phone.ext), ("user_context", "default"),
              ("effective_caller_id_name", "Extension %s" % phone.ext), ("effective_caller_id_number", phone.ext)]
    chan = Channel(sw, uuid, "outbound", name, profile, v)
    chan.created_us = created
    chan.hit_dialplan = False
    chan.phone = phone
    sw._add_channel(chan)
    phone.active.add(uuid)
    chan.on_reported.append(lambda c: phone_free(phone, c))
    return chan


def phone_free(phone, chan):
    """The phone is done with this leg (a one-line SIPp UAS answers 486 to an INVITE until then).

    FreeSWITCH sends the BYE/CANCEL in the leg's CS_HANGUP state handler (mod_sofia.c sofia_on_hangup: nua_bye /
    nua_cancel), so the phone is free of the call only once the leg went through CS_HANGUP, never at
    CHANNEL_HANGUP. cdr.report runs this from the leg's on_reported callbacks, right after CHANNEL_HANGUP_COMPLETE
    is fired (CS_HANGUP, CS_REPORTING, HANGUP_COMPLETE, then the phone, then CHANNEL_DESTROY)."""
    phone.active.discard(chan.uuid)


def _fail(chan, result, cause, disposition, status):
    chan.on_reported.insert(0, lambda c: result.set("-ERR %s\n" % cause))
    chan.hangup(cause, disposition=disposition, term_status=status)
    raise Hangup()


def _leg_main(chan, phone, timeout, cause_on_timeout, result, target, extra):
    """Obs. 24: OUTGOING, STATE INIT, CREATE, ORIGINATE, ROUTING, CONSUME_MEDIA, PROGRESS, ANSWER, OUTGOING."""
    chan.profile_ready = True
    chan.running_state, chan.state_number = "CS_NONE", 1
    chan.fire("CHANNEL_OUTGOING")
    chan.set_state("CS_INIT")
    chan.presence_visible = True
    chan.state_number = 2
    chan.fire("CHANNEL_CREATE")
    chan.fire("CHANNEL_ORIGINATE")
    chan.set_state("CS_ROUTING", 2)
    chan.set_state("CS_CONSUME_MEDIA")
    chan.on_reported.append(lambda c: result.set("-ERR %s\n" % c.hangup_cause) if not result.ready() else None)
    behaviour = phone.behaviour
    if behaviour == "answer" and len(phone.active) > 1:
        behaviour = "busy"   # the phone has no call waiting: 486 while on another call
    if behaviour == "busy":
        _fail(chan, result, "USER_BUSY", "recv_refuse", "486")
    if behaviour == "reject":
        _fail(chan, result, "CALL_REJECTED", "recv_refuse", "603")
    if behaviour == "unreachable":
        # capture 08: the INVITE's transport error is reported as `503 Service Unavailable` (sip:503, Q.850 41)
        chan.variables["sip_invite_failure_status"] = "503"
        chan.variables["sip_invite_failure_phrase"] = "Service Unavailable"
        _fail(chan, result, "NORMAL_TEMPORARY_FAILURE", "recv_refuse", "503")
    chan.progress_us = now_us(chan.sw)
    chan.profile["Channel-Progress-Time"] = chan.progress_us
    chan.fire("CHANNEL_PROGRESS")
    chan.set_callstate("RINGING")
    delay = phone.answer_delay if behaviour == "answer" else None
    try:
        if behaviour == "manual" and _wait_remote_talk(chan, timeout):
            delay = 0.0
        elif delay is None or delay >= timeout:
            chan.wait(timeout, bridge=False, brk=False)
            chan.variables["sip_invite_failure_status"] = "487"
            chan.hangup(cause_on_timeout, disposition="send_cancel")
            result.set("-ERR %s\n" % cause_on_timeout)
            gevent.sleep(0)
            raise Hangup()
        if delay:
            chan.wait(delay, bridge=False, brk=False)
    except Hangup:
        if not result.ready():
            result.set("-ERR %s\n" % (chan.hangup_cause or "NORMAL_CLEARING"))
        raise
    chan.profile["Network-Addr"] = "127.0.0.1"
    chan.answer()
    chan.fire("CHANNEL_OUTGOING")
    flip_cid(chan)   # shown from the SIP display update (CALL_UPDATE) on, after the second CHANNEL_OUTGOING
    if phone.talk_time is not None:
        chan.timers.append(chan.sw.later(phone.talk_time, chan.remote_hangup))
    result.set("+OK %s\n" % chan.uuid)
    gevent.sleep(0)
    _run_target(chan, target, extra)


def _wait_remote_talk(chan, timeout):
    """A phone with remote answer rings until a NOTIFY Event: talk arrives (uuid_phone_event) or the ring
    timeout; True when told to answer."""
    deadline = time.monotonic() + chan.sw.real(timeout)
    while not getattr(chan, "remote_talk", False):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        chan.wait(min(timeout, 0.5), bridge=False, brk=False)
    return True


def flip_cid(chan):
    # switch_channel_flip_cid: on answer the outbound leg's caller/callee ids swap (channel_cid_flipped)
    p = chan.profile
    name, num = p.get("Caller-ID-Name", ""), p.get("Caller-ID-Number", "")
    p["Caller-ID-Name"], p["Caller-ID-Number"] = p.pop("Callee-ID-Name", ""), p.pop("Callee-ID-Number", "")
    p["Callee-ID-Name"], p["Callee-ID-Number"] = name, num
    if name:
        chan.variables["pre_transfer_caller_id_name"] = name
    chan.variables["pre_transfer_caller_id_number"] = num
    chan.variables["channel_cid_flipped"] = "yes"


def _run_target(chan, target, extra):
    from .apps import execute
    if callable(target):
        return target(chan)   # bridge_app.py: the B leg of a `bridge` waits to be bridged
    chan.hit_dialplan = True
    if target.startswith("&"):
        m = re.match(r"^&([^(\s]+)(?:\((.*?)\))?", target)
        app, data = (m.group(1), m.group(2) or "") if m else (target[1:], "")
        chan.set_state("CS_EXECUTE")
        execute(chan, app, data)
        return
    context = (extra[1] if len(extra) > 1 and extra[1] else "default")
    chan.profile["Destination-Number"] = target
    chan.profile["Context"] = context
    chan.set_state("CS_ROUTING")
    actions = chan.sw.dialplan.route(context, chan)
    if not actions:
        chan.hangup("NO_ROUTE_DESTINATION")
        raise Hangup()
    chan.set_state("CS_EXECUTE")
    for app, data in actions:
        execute(chan, app, data)
