"""api/bgapi command table with FreeSWITCH's exact replies (mod_commands.c, mod_sofia.c; obs. 3/4)."""
import json
import logging
import time
import uuid as uuidlib

from .bridge import uuid_bridge
from .causes import str2cause
from .channels import Break
from .events import read_codec
from .cstrings import atoi, switch_true
from .originate import originate

logger = logging.getLogger(__name__)

NO_SUCH_CHANNEL = "-ERR No such channel!\n"
VERSION = ("FreeSWITCH Version 1.11.3-dev+git~20260821T141014Z~cc93a683ca~64bit "
           "(git cc93a68 2026-08-21 14:10:14Z 64bit)\n")
CHANNEL_COLUMNS = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,application_data,"
    "dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,write_bit_rate,secure,hostname,"
    "presence_id,presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,"
    "sent_callee_name,sent_callee_num,initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,"
    "initial_dialplan,initial_context").split(",")
# the detailed_calls view (switch_core_sqldb.c): a channel joined with the B leg of its bridge, if any
CALL_COLUMNS = ("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,presence_id,"
                "presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,hostname,"
                "sent_callee_name,sent_callee_num").split(",")
B_COLUMNS = [c for c in CALL_COLUMNS if c not in ("call_uuid", "hostname")]


def execute(sw, cmd, arg):
    """Run one api command; unknown -> `-ERR <cmd> Command not found!\\n` (obs. 4: arguments dropped)."""
    fn = TABLE.get(cmd.lower())
    if fn is None:
        return "-ERR %s Command not found!\n" % cmd
    try:
        return fn(sw, (arg or "").strip())
    except Exception:
        logger.exception("api %s %s failed", cmd, arg)
        return "-ERR %s failed\n" % cmd


def _chan(sw, arg):
    parts = arg.split(None, 1)
    chan = sw.channel(parts[0]) if parts else None
    return chan, (parts[1] if len(parts) > 1 else "")


def _plural(n, unit):
    return "%d %s%s" % (n, unit, "" if n == 1 else "s")


def api_status(sw, arg):
    """mod_commands.c status_function: uptime (switch_core_measure_time), then the session figures of limits.py
    in FreeSWITCH's exact lines (sessions since startup = switch_core_session_id() - 1; current sessions with their
    peak and last-5-minutes peak; the last second's session count out of sessions-per-second, with peaks; the
    max-sessions limit)."""
    up_us = int((sw.clock.now() - sw.started_at) * 1_000_000)
    secs = up_us // 1_000_000
    f = sw.limits.figures()
    up = ", ".join((_plural(secs // 31536000, "year"), _plural((secs // 86400) % 365, "day"),
                    _plural((secs // 3600) % 24, "hour"), _plural((secs // 60) % 60, "minute"),
                    _plural(secs % 60, "second"), _plural((up_us // 1000) % 1000, "millisecond"),
                    _plural(up_us % 1000, "microsecond")))
    return ("UP %s\n"
            "FreeSWITCH (Version 1.11.3-dev git cc93a68 2026-08-21 14:10:14Z 64bit) is ready\n"
            "%d session(s) since startup\n"
            "%d session(s) - peak %d, last 5min %d \n"
            "%d session(s) per Sec out of max %d, peak %d, last 5min %d \n"
            "%d session(s) max\n"
            "min idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n"
            % (up, f["sessions_since_startup"], f["sessions"], f["sessions_peak"], f["sessions_peak_fivemin"],
               f["sps_last"], f["sessions_per_second"], f["sps_peak"], f["sps_peak_fivemin"], f["max_sessions"]))


CTL_SYNTAX = ("[api_expansion [on|off]|recover|send_sighup|hupall|pause [inbound|outbound]|resume "
              "[inbound|outbound]|shutdown [cancel|elegant|asap|now|restart]|uuid_version [4|7]|sps|sps_peak_reset|"
              "sync_clock|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration "
              "[num]|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve "
              "[enable|disable]]")


def api_fsctl(sw, arg):
    """mod_commands.c ctl_function, the session-limit subcommands (switch_core.c switch_core_session_ctl):
    `sps [N]` (SCSC_SPS: sets sessions-per-second when N > 0; the token count follows at the next refill),
    `max_sessions [N]` (SCSC_MAX_SESSIONS: set when N != 0), `last_sps`, `sps_peak_reset`. The other subcommands
    are not simulated and keep the reply of a command the simulator does not have."""
    argv = (arg or "").split()
    if not argv:
        return "-USAGE: %s\n" % CTL_SYNTAX
    sub = argv[0].lower()
    n = atoi(argv[1]) if len(argv) > 1 else 0
    if sub == "sps":
        return "+OK sessions per second: %d\n" % sw.limits.set_sps(n)
    if sub == "max_sessions":
        return "+OK max sessions: %d\n" % sw.limits.set_max_sessions(n)
    if sub == "last_sps":
        return "+OK last sessions per second: %d\n" % sw.limits.last_sps()
    if sub == "sps_peak_reset":
        sw.limits.reset_sps_peak()
        return "+OK max sessions per second counter reset\n"
    return "-ERR fsctl Command not found!\n"


def api_version(sw, arg):
    return VERSION


def _row(sw, c):
    p = c.profile
    created = c.created_us / 1e6
    return {
        "uuid": c.uuid, "direction": c.direction,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
        "created_epoch": str(int(created)), "name": c.name, "state": c.running_state,
        "cid_name": p.get("Caller-ID-Name", ""), "cid_num": p.get("Caller-ID-Number", ""),
        "ip_addr": p.get("Network-Addr", "") if c.direction == "inbound" else "",
        # the core database's row, which only CHANNEL_EXECUTE updates (switch_core_sqldb.c core_event_handler): it
        # names the last application executed, also after it ended and the channel is back in park (seen on 1.11)
        "dest": p.get("Destination-Number", ""), "application": getattr(c, "db_application", None) or c.current_app or "",
        "application_data": getattr(c, "db_application_data", None) or c.current_app_data or "", "dialplan": "XML" if c.direction == "inbound" else "",
        "context": p.get("Context", ""), "read_codec": read_codec(c)[0] if c.codec else "",
        "read_rate": str(read_codec(c)[1]) if c.codec else "",
        "read_bit_rate": str(read_codec(c)[2]) if c.codec else "",
        "write_codec": c.codec[0] if c.codec else "", "write_rate": str(c.codec[1]) if c.codec else "",
        "write_bit_rate": str(c.codec[2]) if c.codec else "", "secure": "", "hostname": sw.hostname,
        "presence_id": c.variables.get("presence_id", ""), "presence_data": "",
        "accountcode": c.variables.get("accountcode", ""), "callstate": c.callstate,
        "callee_name": p.get("Callee-ID-Name", ""), "callee_num": p.get("Callee-ID-Number", ""),
        "callee_direction": getattr(c, "callee_direction", ""),
        # the core db's call_uuid column is written by CHANNEL_BRIDGE and CALL_UPDATE (eavesdrop.display_update)
        "call_uuid": (c.variables.get("call_uuid") or c.uuid) if c.bridged_us else getattr(c, "db_call_uuid", ""),
        "sent_callee_name": c.variables.get("last_sent_callee_id_name", ""),
        "sent_callee_num": c.variables.get("last_sent_callee_id_number", ""),
        "initial_cid_name": p.get("Orig-Caller-ID-Name", ""), "initial_cid_num": p.get("Orig-Caller-ID-Number", ""),
        "initial_ip_addr": p.get("Network-Addr", "") if c.direction == "inbound" else "",
        "initial_dest": p.get("Destination-Number", ""), "initial_dialplan": "XML" if c.direction == "inbound" else "",
        "initial_context": p.get("Context", ""),
    }


def _call_rows(sw, bridged_only):
    """`show calls` / `show bridged_calls`: one row per call; the B leg of a bridge (the uuid_bridge second
    argument, Bridge-B-Unique-ID) is joined onto its A leg's row, with the bridge time as call_created_epoch."""
    rows = []
    b_legs = {c.partner.uuid for c in sw.all_channels() if c.partner is not None and c.other_type == "originatee"}
    for c in sw.all_channels():
        if c.uuid in b_legs:
            continue
        b = c.partner if c.partner is not None and c.other_type == "originatee" else None
        if bridged_only and b is None:
            continue
        a_row = _row(sw, c)
        row = {k: a_row[k] for k in CALL_COLUMNS}
        b_row = _row(sw, b) if b is not None else {}
        for k in B_COLUMNS:
            row["b_" + k] = b_row.get(k, "")
        row["call_created_epoch"] = str(int(c.bridged_us / 1e6)) if b is not None else ""
        rows.append(row)
    return rows


def _table(rows, columns, as_json):
    if as_json:
        if not rows:
            return '{"row_count": 0}\n'   # obs. 3: with a space and a LF when empty
        return json.dumps({"row_count": len(rows), "rows": rows}, ensure_ascii=False, separators=(",", ":"))
    if not rows:
        return "\n0 total.\n"
    lines = [",".join(columns)] + [",".join(r[k] for k in columns) for r in rows]
    return "\n".join(lines) + "\n\n%d total.\n" % len(rows)


def api_show(sw, arg):
    """show channels|calls|bridged_calls [as json|count] / show registrations (switch_console / mod_commands)."""
    words = arg.split()
    what = words[0].lower() if words else ""
    as_json = len(words) >= 3 and words[1].lower() == "as" and words[2].lower() == "json"
    count = len(words) > 1 and words[1].lower() == "count"
    if what == "channels":
        listed = sw.listed_channels()
        if count:
            return "\n%d total.\n" % len(listed)
        return _table([_row(sw, c) for c in listed], CHANNEL_COLUMNS, as_json)
    if what in ("calls", "bridged_calls"):
        rows = _call_rows(sw, what == "bridged_calls")
        if count:
            return "\n%d total.\n" % len(rows)
        return _table(rows, CALL_COLUMNS + ["b_" + k for k in B_COLUMNS] + ["call_created_epoch"], as_json)
    if what == "registrations":
        regs = [p for p in sw.directory.phones.values() if p.registered]
        cols = "reg_user,realm,token,url,expires,network_ip,network_port,network_proto,hostname,metadata"
        lines = [cols] + ["%s,%s,%s,sofia/%s/sip:%s@127.0.0.1:%d,%d,127.0.0.1,%d,udp,%s," % (
            p.ext, sw.domain, p.call_id, sw.profile, p.ext, p.port, int(p.registered_at + p.expires), p.port,
            sw.hostname) for p in regs]
        return "\n".join(lines) + "\n\n%d total.\n" % len(regs)
    return "-USAGE: show <channels|calls|bridged_calls|registrations> [as json]\n"


def api_uuid_kill(sw, arg):
    chan, rest = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    chan.hangup(str2cause(rest.strip()), disposition="send_bye" if chan.answered else None)
    return "+OK\n"


def api_uuid_exists(sw, arg):
    chan, _ = _chan(sw, arg)
    return "true" if chan is not None else "false"


def api_uuid_getvar(sw, arg):
    chan, rest = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    name = rest.strip()
    if name == "uuid":
        return chan.uuid
    return chan.variables.get(name) or "_undef_"


def api_uuid_setvar(sw, arg):
    chan, rest = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    name, _, value = rest.partition(" ")
    if not name:
        return "-USAGE: <uuid> <var> [value]\n"
    if value == "":
        chan.variables.pop(name, None)   # obs. 20: no value unsets
    else:
        chan.variables[name] = value
    return "+OK\n"


def api_uuid_setvar_multi(sw, arg):
    chan, rest = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    for item in rest.split(";"):
        name, sep, value = item.partition("=")
        if name.strip():
            if value == "":
                chan.variables.pop(name.strip(), None)
            else:
                chan.variables[name.strip()] = value
    return "+OK\n"


def api_uuid_answer(sw, arg):
    chan, _ = _chan(sw, arg)
    if chan is None or chan.hangup_cause:
        return "-ERROR\n"
    chan.answer()
    return "+OK\n"


def api_uuid_phone_event(sw, arg):
    """uuid_phone_event <uuid> [<event>] (mod_commands.c uuid_phone_event_function): the message is handed to
    the channel (mod_sofia.c SWITCH_MESSAGE_INDICATE_PHONE_EVENT sends a NOTIFY, Event: talk by default) and the
    reply is "+OK Success" when the channel exists, "-ERR Operation Failed" otherwise. A ringing phone that
    supports remote answer (behaviour "manual" here) answers on "talk"."""
    argv = (arg or "").split()
    if not argv:
        return "-USAGE: <uuid>\n"
    chan = sw.channel(argv[0])
    if chan is None or chan.hangup_cause:
        return "-ERR Operation Failed\n"
    event = argv[1] if len(argv) > 1 else "talk"
    if event.lower() == "talk":
        chan.remote_talk = True
        chan.poke()
    return "+OK Success\n"


def api_uuid_display(sw, arg):
    """uuid_display <uuid> <display> (mod_commands.c uuid_display_function): SWITCH_MESSAGE_INDICATE_DISPLAY to the
    session. The core (switch_core_session.c switch_core_session_perform_receive_message) splits the display as
    `name|number` into last_sent_callee_id_name / last_sent_callee_id_number; mod_sofia (mod_sofia.c
    sofia_receive_message, INDICATE_DISPLAY) sends the update to the phone only once the leg is answered. Reply
    `+OK Success` while the session exists (a hung-up one that is not yet destroyed too), else
    `-ERR Operation failed`; `-USAGE: <uuid> <display>` without both arguments."""
    argv = (arg or "").split(None, 1)
    if len(argv) < 2 or not argv[1].strip():
        return "-USAGE: <uuid> <display>\n"
    chan = sw.channel(argv[0])
    if chan is None:
        return "-ERR Operation failed\n"
    name, _, number = argv[1].strip().partition("|")
    if name:
        chan.variables["last_sent_callee_id_name"] = name
    if number:
        chan.variables["last_sent_callee_id_number"] = number
    # mod_sofia: nothing goes to a hung-up leg, one with ignore_display_updates, or one not answered yet
    sent = (not chan.hangup_cause and chan.answered and bool(name) and name != "_undef_"
            and not switch_true(chan.variables.get("ignore_display_updates")))
    ext = chan.__dict__.setdefault("sim_ext", {})
    shows = ext.get("display", {}).get("phone_shows")
    if sent:
        shows = {"name": name, "number": number or chan.profile.get("Destination-Number", "")}
    ext["display"] = {"name": name, "number": number, "sent_to_phone": sent, "phone_shows": shows}
    return "+OK Success\n"


def api_uuid_recv_dtmf(sw, arg):
    chan, digits = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    digits = digits.strip()
    chan.queue_dtmf(digits, "APP")
    return "+OK %s received DTMF %s.\n" % (chan.uuid, digits)


def api_uuid_send_dtmf(sw, arg):
    chan, digits = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    return "+OK %s sent DTMF %s.\n" % (chan.uuid, digits.strip())


def api_uuid_break(sw, arg):
    chan, rest = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    if "all" in rest.split():
        chan.commands.clear()
    if chan.app_stack and chan.app_stack[-1] != "park":
        chan.interrupt(Break())   # stops the running app only; park itself is not broken
    return "+OK\n"


def api_uuid_park(sw, arg):
    chan, _ = _chan(sw, arg)
    if chan is None:
        return NO_SUCH_CHANNEL
    if not chan.parked:
        chan.queue_command("sendmsg %s" % chan.uuid, [("call-command", "execute"), ("execute-app-name", "park")],
                           None)
    return "+OK\n"


def api_uuid_bridge(sw, arg):
    parts = arg.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> <other_uuid>\n"
    return uuid_bridge(sw, parts[0], parts[1])


def api_uuid_broadcast(sw, arg):
    """uuid_broadcast <uuid> <path|app::args> [aleg|bleg|both]: a queued event-lock sendmsg."""
    parts = arg.split()
    chan = sw.channel(parts[0]) if parts else None
    if chan is None or len(parts) < 2:
        return "-ERR invalid uuid\n"
    path = parts[1]
    app, data = ("playback", path)
    if "::" in path:
        app, data = path.split("::", 1)
    chan.queue_command("sendmsg %s" % chan.uuid, [("call-command", "execute"), ("execute-app-name", app),
                                                  ("execute-app-arg", data), ("event-lock", "true"),
                                                  ("lead-frames", "5")], None)
    return "+OK Message sent\n"


def api_originate(sw, arg):
    return originate(sw, arg)


def api_hupall(sw, arg):
    parts = arg.split()
    cause = str2cause(parts[0] if parts else "")
    if len(parts) >= 3:
        var, val = parts[1], parts[2]
        for c in sw.all_channels():
            if c.variables.get(var) == val:
                c.hangup(cause)
        return "+OK hangup all channels matching [%s]=[%s] with cause: %s\n" % (var, val, cause)
    for c in sw.all_channels():
        c.hangup(cause)
    return "+OK hangup all channels with cause %s\n" % cause


def api_sofia_contact(sw, arg):
    target = arg.strip()
    if "/" in target:
        target = target.split("/", 1)[1]
    user = target.split("@", 1)[0]
    contact = sw.directory.contact(user)
    return contact or "error/user_not_registered"   # obs. 3: no trailing LF


def api_sofia(sw, arg):
    words = arg.split()
    if len(words) >= 4 and words[0] == "status" and words[1] == "profile" and words[3] == "reg":
        return sw.directory.status_reg(words[4] if len(words) > 4 else None)
    if words[:1] == ["status"]:
        return ("                     Name\t   Type\t                                      Data\tState\n"
                "=================================================================================================\n"
                "                 %s\tprofile\t           sip:mod_sofia@%s:%d\tRUNNING (0)\n"
                "=================================================================================================\n"
                "1 profile 0 aliases\n" % (sw.profile, sw.sip_ip, sw.sip_port))
    return "-ERR Usage: sofia status|...\n"


def api_create_uuid(sw, arg):
    return str(uuidlib.uuid4())


def api_user_exists(sw, arg):
    """user_exists <key> <user> <domain> (capture 02: `user_exists id 1001 127.0.0.1` -> true)."""
    parts = arg.split()
    if len(parts) >= 3 and parts[0] == "id" and parts[2] == sw.domain:
        return "true" if sw.directory.get(parts[1]) else "false"
    return "false"


def api_global_getvar(sw, arg):
    return {"domain": sw.domain, "hostname": sw.hostname}.get(arg.strip(), "")


TABLE = {
    "status": api_status, "version": api_version, "show": api_show, "uuid_kill": api_uuid_kill,
    "uuid_exists": api_uuid_exists, "uuid_getvar": api_uuid_getvar, "uuid_setvar": api_uuid_setvar,
    "uuid_setvar_multi": api_uuid_setvar_multi, "uuid_answer": api_uuid_answer,
    "uuid_phone_event": api_uuid_phone_event, "uuid_display": api_uuid_display, "fsctl": api_fsctl,
    "uuid_recv_dtmf": api_uuid_recv_dtmf, "uuid_send_dtmf": api_uuid_send_dtmf, "uuid_break": api_uuid_break,
    "uuid_park": api_uuid_park, "uuid_bridge": api_uuid_bridge, "uuid_broadcast": api_uuid_broadcast,
    "originate": api_originate, "hupall": api_hupall, "sofia_contact": api_sofia_contact, "sofia": api_sofia,
    "create_uuid": api_create_uuid, "user_exists": api_user_exists, "global_getvar": api_global_getvar,
}
