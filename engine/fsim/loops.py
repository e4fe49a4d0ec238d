"""A sendmsg's `loops:` (switch_ivr.c switch_ivr_parse_event): the app run again and again, e.g. hold music.

    for (x = 0; x < loops || loops < 0; x++) { ... execute_application ...
        if (!switch_channel_ready(channel) || CF_STOP_BROADCAST || aftr - b4 < 500000) break; }

Every pass is an ordinary execution (CHANNEL_EXECUTE ... CHANNEL_EXECUTE_COMPLETE) whose Application-UUID is the
sendmsg's Event-UUID (parse_event sets app_uuid before each pass), with current_loop / total_loops set meanwhile.
"""
import time

LOOP_MIN_PASS_S = 0.5   # `aftr - b4 < 500000`: a pass this short ends the loop (no spinning on a bad file)


def execute_loops(chan, cmd, app, arg, lock):
    """Run a sendmsg's app `loops` times (negative: for ever). The loop ends when the app cannot run, on
    CF_STOP_BROADCAST (uuid_break while a sendmsg app runs: broadcast.api_uuid_break), after a pass under 0.5 s
    (simulated), or when the channel is no longer ready (bridge, transfer, hang-up: raised here as exceptions)."""
    from .apps import execute
    try:
        loops = int(cmd.get("loops") or 1)
    except ValueError:
        loops = 1           # atoi of garbage
    chan.stop_broadcast = False         # switch_channel_clear_flag(channel, CF_STOP_BROADCAST)
    chan.sendmsg_depth += 1             # CF_BROADCAST while it runs: uuid_break then ends the loop, not only a pass
    x = 0
    try:
        while x < loops or loops < 0:
            chan.variables["current_loop"] = str(x + 1)
            chan.variables["total_loops"] = str(loops)
            before = time.monotonic()
            if not execute(chan, app, arg, app_uuid=cmd.get("Event-UUID"), event_lock=lock,
                           uuid_name=cmd.get("Event-UUID-Name")):
                break
            took = (time.monotonic() - before) / (chan.sw.time_scale or 1)
            if chan.stop_broadcast or took < LOOP_MIN_PASS_S:
                break
            x += 1
    finally:
        chan.sendmsg_depth -= 1
        chan.variables.pop("current_loop", None)
        chan.variables.pop("total_loops", None)
        if chan.stop_broadcast and not chan.sendmsg_depth:
            chan.stop_broadcast = False
