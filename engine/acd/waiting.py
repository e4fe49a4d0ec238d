"""While a call waits: position and estimated-wait announcements, and keys for a callback or a voice message."""
from __future__ import annotations

import logging
import time

from engine.acd import callbacks, calllog
from engine.acd.calllog import K
from engine.acd.effects import forget, mark_leaving, release
from engine.acd.floor import Floor
from engine.domain.call import Call, CallPhase
from engine.domain.commands import (Command, Hangup, Play, Record, SaveCallback, SaveVoicemail, SetLegVars, StartTimer,
                                    StopMedia)
from engine.domain.events import AppFinished, DigitPressed
from engine.domain.routing import qualifies
from engine.domain.states import AgentState, CallOutcome

logger = logging.getLogger(__name__)
DEFAULT_AHT_S = 300.0
VOICEMAIL_MAX_S = 120


def number_prompts(n: int) -> list[str]:
    """Mandarin number 0–99 as prompt files (十 composition); larger numbers say 'many'."""
    if n < 0 or n > 99:
        return ["num_many.wav"]
    if n <= 10:
        return [f"num_{n}.wav"]
    tens, units = divmod(n, 10)
    parts = ([] if tens == 1 else [f"num_{tens}.wav"]) + ["num_10.wav"]
    return parts + ([f"num_{units}.wav"] if units else [])


def estimated_wait_s(floor: Floor, call: Call) -> tuple[int, float]:
    """(position in its queue, estimated wait in seconds) from the queue's live handling time and staffing."""
    members = {u for u in floor.waiting if floor.calls[u].queue_code == call.queue_code}
    position = floor.waiting.position(call.uuid, members)
    staffed = sum(1 for a in floor.agents.values()
                  if a.active and a.state not in (AgentState.LOGGED_OUT, AgentState.NOT_READY)
                  and qualifies(a, call.required))
    aht = floor.queue_aht.get(call.queue_code or "", DEFAULT_AHT_S)
    return position, position * aht / max(staffed, 1)


def announce(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Tell a waiting caller their position, the estimated wait and the keys they may press; then music again."""
    queue = floor.queues.get(call.queue_code or "")
    if queue is None or call.phase is not CallPhase.QUEUED or call.ending:
        return
    position, ewt = estimated_wait_s(floor, call)
    prompts = ["queue_position_before.wav", *number_prompts(max(position - 1, 0)), "queue_position_after.wav"]
    minutes = round(ewt / 60)
    prompts += (["queue_ewt_short.wav"] if minutes < 1 else
                ["queue_ewt_before.wav", *number_prompts(minutes), "queue_ewt_minutes.wav"])
    if queue.callback_key or queue.voicemail_key:
        prompts.append("queue_options.wav")
    out.append(StopMedia(call.uuid))
    for prompt in prompts:
        call.pending_app = floor.new_id()
        out.append(Play(call.uuid, floor.prompt(prompt), call.pending_app))
    call.media_started_at = now
    out.append(StartTimer(f"announce:{call.uuid}", float(queue.announce_every_s)))
    logger.info("call %s: announced position %d, estimated wait %.0f s", call.uuid, position, ewt)


def on_digit(floor: Floor, ev: DigitPressed, out: list[Command]) -> None:
    """A key pressed while waiting: callback or voice message if the queue offers them; anything else is ignored."""
    call = floor.calls.get(ev.uuid)
    if call is None or call.phase is not CallPhase.QUEUED or call.ending:
        return
    queue = floor.queues.get(call.queue_code or "")
    if queue is None:
        return
    if ev.digit == queue.callback_key:
        request_callback(floor, call, ev.at, out)
    elif ev.digit == queue.voicemail_key:
        start_voicemail(floor, call, ev.at, out)
    else:
        logger.info("call %s: key %s pressed while waiting in %s: no option on it", call.uuid, ev.digit, queue.code)


def request_callback(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The caller leaves the line but keeps their place: a callback waits in the queue with the same wait time."""
    call.ivr_path.append("callback")
    calllog.log(call, K.CALLBACK_REQUESTED, now, out, wait_s=calllog.waited(call, now))
    out.append(SaveCallback(call.uuid, call.ani, call.queue_code or "", call.enqueued_at or now, now, "pending"))
    callbacks.add_callback(floor, call.uuid, call.ani, call.dnis, call.queue_code or "", call.enqueued_at or now,
                           call.priority, 0, now, out)
    forget(call, out)
    release(floor, call, CallOutcome.CALLBACK, "callback_confirmed.wav", out, now)


def start_voicemail(floor: Floor, call: Call, now: float, out: list[Command], prompt: str = "voicemail_intro.wav",
                    max_s: int = VOICEMAIL_MAX_S) -> None:
    """A voice message (from the queue, or a flow's voicemail node): instructions, a beep, record until #."""
    floor.waiting.remove(call.uuid)
    forget(call, out)
    call.end_outcome = CallOutcome.VOICEMAIL
    call.ivr_path.append("voicemail")
    call.voicemail_path = voicemail_path(floor, call)
    call.pending_app = floor.new_id()
    out.append(StopMedia(call.uuid))
    mark_leaving(call, out, cc_voicemail=call.voicemail_path)     # after the break, which flushes queued apps
    for source in (prompt, "beep.wav"):
        out.append(Play(call.uuid, floor.prompt(source), floor.new_id()))
    call.media_started_at = now                 # the event's time, never the wall clock (replayed days)
    if call.enqueued_at is not None:
        calllog.log(call, K.VOICEMAIL, now, out, wait_s=calllog.waited(call, now))
    out.append(Record(call.uuid, call.voicemail_path, max_s, call.pending_app))
    out.append(SetLegVars(call.uuid, {"cc_done": call.pending_app}, in_channel=True))   # recorded, even unheard


def voicemail_path(floor: Floor, call: Call) -> str:
    """recordings/voicemail/<local date>/<call uuid>.wav"""
    day = time.strftime("%Y%m%d", time.gmtime((call.started_at or 0) + floor.tz_offset_s))
    return f"{floor.recordings_dir.rstrip('/')}/voicemail/{day}/{call.uuid}.wav"


def on_voicemail_recorded(floor: Floor, call: Call, ev: AppFinished, out: list[Command]) -> None:
    """The message is recorded: store it, thank the caller, hang up."""
    duration = (ev.record_ms or 0) / 1000.0
    out.append(SaveVoicemail(call.uuid, call.ani, call.dnis, call.queue_code or f"flow:{call.flow}", ev.at,
                             call.voicemail_path or "", duration))
    call.ending = True
    if ev.hangup:
        return              # the caller hung up to end the message: nobody to thank
    call.pending_app = floor.new_id()
    out.append(Play(call.uuid, floor.prompt("voicemail_saved.wav"), call.pending_app))


def on_voicemail_hangup(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The caller hung up while recording: the message still counts (FreeSWITCH closes the file at hang-up)."""
    if call.end_outcome is CallOutcome.VOICEMAIL and call.voicemail_path and not call.ending:
        out.append(SaveVoicemail(call.uuid, call.ani, call.dnis, call.queue_code or f"flow:{call.flow}", now,
                                 call.voicemail_path,
                                 max(0.0, now - call.media_started_at)))


def hang_up_after_goodbye(call: Call, out: list[Command]) -> None:
    """The last prompt has been spoken: hang up."""
    out.append(Hangup(call.uuid, "NORMAL_CLEARING"))
