"""uuid_broadcast / uuid_break (mod_commands.c, switch_ivr_async.c switch_ivr_broadcast, switch_ivr.c parse_event).

uuid_broadcast queues a COMMAND event as a private event of the channel (event-lock, lead-frames 5). When the channel
thread has executed it, the very same event is re-fired as PRIVATE_COMMAND: on the wire that is one frame whose
header block starts `Event-Name: COMMAND` + the COMMAND's own standard block + the sendmsg headers, followed by
`Event-Name: PRIVATE_COMMAND` and a second standard block (observation 12, catalog `COMMAND`).
"""
import logging

from .apps import execute, split_args
from .channels import Break

logger = logging.getLogger(__name__)

USAGE = "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
CALLING_COMMAND = ("switch_ivr_async.c", "switch_ivr_broadcast", 5732)


class BroadcastCommand:
    """A queued private COMMAND event; Channel.run_command() calls run() in the channel thread."""

    def __init__(self, chan, app, data, loop=False, hold_bleg=False):
        self.app, self.data, self.loop, self.hold_bleg = app, data, loop, hold_bleg
        self.stopped = False
        self.line = "sendmsg %s" % chan.uuid
        self.headers = [("call-command", "execute"), ("execute-app-name", app), ("execute-app-arg", data)]
        if loop:
            self.headers.append(("loops", "-1"))
        if hold_bleg:
            self.headers.append(("hold-bleg", "true"))
        self.headers += [("event-lock", "true"), ("lead-frames", "5")]
        # the COMMAND event is created (Event-Sequence taken) when uuid_broadcast runs
        self.pre = chan.sw.factory.new("COMMAND", calling=CALLING_COMMAND).headers + self.headers

    def get(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def run(self, chan):
        had_media = chan.media_up
        ext = chan.__dict__.setdefault("sim_ext", {})
        ext["broadcast"] = self.data
        chan.__dict__["active_broadcast"] = self
        moh_partner = None
        try:
            music = chan.partner and (chan.partner.variables.get("hold_music") or "")
            if self.hold_bleg and music and not chan.partner.hangup_cause:
                moh_partner = chan.partner
                broadcast(moh_partner, music, loop=True, hold_bleg=False)
            while True:
                execute(chan, self.app, self.data, event_lock=True)
                if not self.loop or self.stopped or chan.hangup_cause:
                    break
        finally:
            chan.__dict__["active_broadcast"] = None
            ext.pop("broadcast", None)
            if moh_partner is not None:
                stop_broadcast(moh_partner)
            if had_media:
                chan.fire("PRIVATE_COMMAND", pre=self.pre, with_vars=False)


def broadcast(chan, path, loop=False, hold_bleg=False):
    """switch_ivr_broadcast on one leg: `app::args` or a file for playback."""
    app, data = ("playback", path)
    if "::" in path:
        app, data = path.split("::", 1)
    cmd = BroadcastCommand(chan, app, data, loop=loop, hold_bleg=hold_bleg)
    chan.commands.append(cmd)
    chan.poke()
    return cmd


def stop_broadcast(chan):
    """switch_channel_stop_broadcast: CF_STOP_BROADCAST + CF_BREAK on the running broadcast."""
    cmd = chan.__dict__.get("active_broadcast")
    if cmd is not None:
        cmd.stopped = True
        chan.interrupt(Break())
    for queued in [c for c in chan.commands if isinstance(c, BroadcastCommand) and c.loop]:
        chan.commands.remove(queued)


def api_uuid_broadcast(sw, arg):
    """uuid_broadcast <uuid> <path|app::args> [aleg|bleg|holdb|both] -> `+OK Message sent\\n` (capture 03)."""
    argv = split_args(arg or "")
    if len(argv) < 2:
        return USAGE
    chan = sw.channel(argv[0])
    if chan is None or chan.hangup_cause:
        return "-ERR invalid uuid\n"
    where = argv[2].lower() if len(argv) > 2 else ""
    aleg, bleg, holdb = True, False, True   # default SMF_ECHO_ALEG | SMF_HOLD_BLEG
    if where:
        aleg = "aleg" in where or "both" in where
        bleg = "both" in where or "bleg" in where
        holdb = "holdb" in where
        if holdb:
            bleg = False
    partner = chan.partner if chan.partner is not None and not chan.partner.hangup_cause else None
    if bleg and partner is not None:
        broadcast(partner, argv[1])
    if aleg:
        broadcast(chan, argv[1], hold_bleg=holdb and partner is not None)
    return "+OK Message sent\n"


def api_uuid_break(sw, arg):
    """uuid_break <uuid> [all] [both]: stop the running app (or broadcast); `all` also flushes queued commands."""
    argv = split_args(arg or "")
    chan = sw.channel(argv[0]) if argv else None
    if chan is None:
        return "-ERR No such channel!\n"
    opts = {a.lower() for a in argv[1:]}
    targets = [chan] + ([chan.partner] if "both" in opts and chan.partner is not None else [])
    for c in targets:
        if "all" in opts:
            c.commands.clear()
        if c.__dict__.get("active_broadcast") is not None:
            stop_broadcast(c)
        elif c.app_stack and c.app_stack[-1] != "park":
            # a sendmsg app runs with CF_BROADCAST: switch_channel_stop_broadcast also ends its `loops`
            # (CF_STOP_BROADCAST, switch_ivr.c switch_ivr_parse_event)
            c.stop_broadcast = c.stop_broadcast or c.sendmsg_depth > 0
            c.interrupt(Break())   # stops the running app only; park itself is not broken
    return "+OK\n"
