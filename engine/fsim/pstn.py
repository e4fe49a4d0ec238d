"""The `record` application (voice messages) and the outside line: `sofia/gateway/<gw>/<number>` parties.

record: mod_dptools.c record_function -> switch_ivr_record_file (src/switch_ivr_play_say.c): the channel gets
media (pre-answer), the file is written until the time limit, a terminator key from `playback_terminators`
(the default terminator of switch_ivr_record_file is '*', our engine sets '#'), or hang-up; the variables
record_ms / record_seconds / record_samples are set before CHANNEL_EXECUTE_COMPLETE, whose Application-Response
is `_none_`. The simulated caller "speaks" for `message_s` (CallerScript) then presses '#' — or hangs up.

Gateways: an originate to `sofia/gateway/<name>/<number>` reaches a virtual outside party. Unknown gateway ->
`-ERR INVALID_GATEWAY` (mod_sofia.c sofia_outgoing_channel); each number answers like a phone (behaviour,
answer_delay, talk_time), by default after 2 s.
"""
from __future__ import annotations

import os
import time

from .phones import Phone

RATE = 8000
DEFAULT_LIMIT_S = 60
DEFAULT_MESSAGE_S = 3.0


def app_record(chan, data):
    """record <path> [<time_limit_secs>] [<silence_thresh>] [<silence_hits>]."""
    from .apps import _need_media          # pre-answer like every media app on an unanswered inbound leg
    args = (data or "").split()
    if not args:
        chan.variables["current_application_response"] = "_none_"
        return
    path = args[0]
    limit = int(args[1]) if len(args) > 1 and args[1].isdigit() and int(args[1]) > 0 else DEFAULT_LIMIT_S
    terms = chan.variables.get("playback_terminators", "*")
    _need_media(chan)
    script = getattr(chan, "script", None)
    message_s = getattr(script, "message_s", DEFAULT_MESSAGE_S) if script is not None else DEFAULT_MESSAGE_S
    if script is not None and message_s < limit and "#" in terms:
        chan.timers.append(chan.sw.later(message_s, chan.queue_dtmf, "#", "RTP"))
    start = time.monotonic()
    simulated = 0.0
    try:
        while True:
            remaining = limit - simulated
            what = chan.wait(remaining, dtmf=True, bridge=False)
            simulated = (time.monotonic() - start) / chan.sw.time_scale if chan.sw.time_scale else limit
            if what == "timeout":
                break
            if chan.dequeue_dtmf() in terms:
                chan.variables["playback_terminator_used"] = "#"
                break
    finally:
        _finish(chan, path, min(simulated, limit), time.monotonic() - start)


def _finish(chan, path, simulated_s, real_s):
    from .recording import write_wav
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_wav(path, max(real_s, 0.05), 1, None)
    chan.variables["record_ms"] = str(int(simulated_s * 1000))
    chan.variables["record_seconds"] = str(int(simulated_s))
    chan.variables["record_samples"] = str(int(simulated_s * RATE))
    chan.variables["current_application_response"] = "_none_"


def outside_party(sw, endpoint):
    """The virtual party behind `sofia/gateway/<gw>/<number>`; None with the error reply when unreachable."""
    parts = endpoint.split("/", 3)
    if len(parts) < 4 or not parts[3]:
        return None, "-ERR INVALID_URL\n"
    gateway, number = parts[2], parts[3].split("@", 1)[0]
    if gateway not in sw.gateways:
        return None, "-ERR INVALID_GATEWAY\n"
    party = sw.outside.get(number)
    if party is None:
        party = sw.outside[number] = Phone(number, "", "answer", 2.0, None, 5090)
        party.registered = True
    return party, None
