"""Calls waiting in queues: admission limits, hold music, overflow steps and the maximum wait."""
from __future__ import annotations

import logging
import urllib.parse

from engine.acd import calllog
from engine.acd.calllog import K
from engine.acd.effects import release
from engine.acd.floor import Floor
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, Hangup, Play, SetLegVars, StartTimer, StopMedia
from engine.domain.events import AppFinished
from engine.domain.routing import qualifies
from engine.domain.states import AgentState, CallOutcome

logger = logging.getLogger(__name__)

ALL_BUSY_PROMPT = "all_busy.wav"    # "all agents are busy, please call again later"
MOH_RETRY_S = 5.0          # hold music that cannot play (missing, empty) is tried again this much later
MUSIC_APP = "moh:"         # pending_app of a waiting caller's hold music: the switch plays it in a loop
LOOP_MIN_PASS_S = 0.5      # a pass shorter than this ends the switch's loop (switch_ivr.c switch_ivr_parse_event)
WAITING_PHASES = (CallPhase.QUEUED, CallPhase.OFFERING)     # the caller hears hold music (also while a phone rings)


def enqueue(floor: Floor, call: Call, queue_code: str, priority: int, now: float, out: list[Command]) -> None:
    """Admit a call to a queue (or refuse it with the all-busy prompt) and play hold music; the dispatch point
    offers it at once if an agent is free."""
    decision = call.decision
    if decision is not None and decision.queue in floor.queues:
        queue_code = decision.queue
    if decision is not None and decision.priority is not None:
        priority = max(priority, decision.priority)
    queue = floor.queues.get(queue_code)
    if queue is None:
        logger.error("call %s: flow %s asks for unknown queue %s; hanging up", call.uuid, call.flow, queue_code)
        release(floor, call, CallOutcome.FAILED, ALL_BUSY_PROMPT, out, now)
        return
    call.move(CallPhase.QUEUED)
    call.queue_code, call.enqueued_at, call.priority = queue_code, now, priority
    call.required = dict(queue.required_skills)
    if decision is not None and decision.skills:
        call.required = {floor.skill_ids[code]: level for code, level in decision.skills.items()
                         if code in floor.skill_ids} or call.required
    call.ivr_path.append(f"queue:{queue_code}")
    if not call.transfers:
        calllog.log(call, K.IVR_COMPLETED, now, out, private=ivr_summary(call))
    calllog.log(call, K.QUEUED, now, out, value=priority, detail="transfer" if call.transfers else "")
    if queue.max_size and sum(1 for u in floor.waiting if floor.calls[u].queue_code == queue_code) >= queue.max_size:
        logger.info("call %s refused: queue %s is full (%d waiting)", call.uuid, queue_code, queue.max_size)
        call.ivr_path.append("queue_full")
        release(floor, call, CallOutcome.QUEUE_FULL, ALL_BUSY_PROMPT, out, now)
        return
    if queue.no_agent_action == "reject" and not _anyone_logged_in(floor, call.required):
        logger.info("call %s refused: nobody who can take queue %s is logged in", call.uuid, queue_code)
        call.ivr_path.append("no_agent")
        release(floor, call, CallOutcome.NO_AGENT, ALL_BUSY_PROMPT, out, now)
        return
    floor.waiting.add(call.uuid, floor.waiting_key(call))
    mark_waiting(call, out)
    out.append(StartTimer(f"maxwait:{call.uuid}", float(queue.max_wait_s)))
    if queue.announce_every_s:
        out.append(StartTimer(f"announce:{call.uuid}", float(queue.announce_every_s)))
    _schedule_next_step(floor, call, now, out)
    play_hold_music(floor, call, now, out)        # also while an agent's phone rings


def mark_waiting(call: Call, out: list[Command]) -> None:
    """Put the caller's place in its queue on its own channel (uuid_setvar_multi), where any engine that takes over
    reads it back (engine.switch.inventory; capture 09: a queued caller keeps its cc_* variables)."""
    out.append(SetLegVars(call.uuid, {"cc_phase": "queued", "cc_queue": call.queue_code or "",
                                      "cc_enqueued_at": f"{call.enqueued_at or 0.0:.6f}",
                                      "cc_priority": str(call.priority), "cc_step": str(call.next_step),
                                      # what follows the conversation (the survey) and how the caller got here
                                      "cc_flow": call.flow or "", "cc_after": call.after_call or "",
                                      "cc_path": urllib.parse.quote(" > ".join(call.ivr_path)[-1000:])},
                          in_channel=True))


def resume(floor: Floor, call: Call, parked: bool, now: float, out: list[Command]) -> None:
    """A caller this engine found waiting after a restart (its marks read back from the channel): back in its
    queue with its original place and wait, nothing logged again (it was logged when it arrived and queued).
    Overflow steps already applied are applied again silently; the maximum wait counts from the original
    enqueue. Its hold music is restarted so this engine owns it (`parked`: the music had ended meanwhile)."""
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    call.required = dict(queue.required_skills)
    for step in queue.overflow[:call.next_step]:
        if step.action == "widen" and step.skills is not None:
            call.required = dict(step.skills)
    floor.waiting.add(call.uuid, floor.waiting_key(call))
    waited = max(0.0, now - (call.enqueued_at or now))
    out.append(StartTimer(f"maxwait:{call.uuid}", max(0.0, float(queue.max_wait_s) - waited)))
    if queue.announce_every_s:
        out.append(StartTimer(f"announce:{call.uuid}", float(queue.announce_every_s)))
    _schedule_next_step(floor, call, now, out)
    if not parked:
        out.append(StopMedia(call.uuid))
    play_hold_music(floor, call, now, out)


def requeue(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Back to waiting with its original place (the dispatch point offers it again at once if someone is free).
    Timers that fell due while an agent's phone rang apply now, as events of their own."""
    call.move(CallPhase.QUEUED)
    floor.waiting.add(call.uuid, floor.waiting_key(call))
    for kind in ("maxwait", "step"):        # not offered again until they have applied (dispatch.settle)
        if kind in call.due_while_ringing:
            out.append(StartTimer(f"{kind}:{call.uuid}", 0.0))


HIDDEN_VARIABLES = ("transferred_by", "transfer_note", "taken_over_by")


def ivr_summary(call: Call) -> str:
    """The IVR path and the data collected (随路数据), e.g. "menu > key:2 > queue:etax | id_number=1234"."""
    data = "; ".join(f"{k}={v}" for k, v in sorted(call.variables.items()) if k not in HIDDEN_VARIABLES)
    path = " > ".join(call.ivr_path)
    return f"{path} | {data}" if data else path


def _anyone_logged_in(floor: Floor, required: dict[int, int]) -> bool:
    return any(a.state is not AgentState.LOGGED_OUT and a.active and qualifies(a, required)
               for a in floor.agents.values())


def on_release_prompt_done(floor: Floor, call: Call, out: list[Command]) -> None:
    """The all-busy (or similar) prompt has been spoken: hang up."""
    out.append(Hangup(call.uuid, "NORMAL_CLEARING"))


def play_hold_music(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Music on hold for a waiting caller: played in a loop by the switch until it is stopped (an announcement,
    the caller leaving) or the call is bridged; it plays on through an agent's ringing, a return to the queue and
    an overflow."""
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    call.pending_app = MUSIC_APP + floor.new_id()
    call.media_started_at = now
    out.append(Play(call.uuid, floor.prompt(queue.moh), call.pending_app, loop=True))


def retry_hold_music(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The music that could not play is tried again; whatever may still play on the channel is stopped first,
    so that two loops never play at once."""
    out.append(StopMedia(call.uuid))
    play_hold_music(floor, call, now, out)


def music_plays_on(call: Call, ev: AppFinished) -> bool:
    """One pass of the looping hold music ended and the switch plays it again itself (each pass completes with
    the same app uuid): nothing to do. The loop itself ends on a file that cannot play (FILE NOT FOUND), an error,
    or a pass under 0.5 s (an empty or very short file)."""
    if not (call.pending_app or "").startswith(MUSIC_APP) or call.phase not in WAITING_PHASES:
        return False
    # what the pass played (playback_ms); the time since the pass began, as seen here, is never less than it
    played = ev.played_ms / 1000 if ev.played_ms is not None else ev.at - call.media_started_at
    if ev.hangup or ev.response != "FILE PLAYED" or played < LOOP_MIN_PASS_S:
        return False
    call.media_started_at = ev.at
    return True


def media_ended(floor: Floor, call: Call, music: bool, now: float, out: list[Command]) -> None:
    """A waiting caller's media ended: after an announcement's last prompt the music plays again at once; the
    looping music itself ending means it cannot play (missing file, empty stream): tried again later, never in a
    tight loop."""
    if music:
        logger.warning("call %s: hold music of queue %s ended after %.2f s; retrying in %.0f s", call.uuid,
                       call.queue_code, now - call.media_started_at, MOH_RETRY_S)
        out.append(StartTimer(f"moh:{call.uuid}", MOH_RETRY_S))
        return
    play_hold_music(floor, call, now, out)


def _schedule_next_step(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    if call.next_step < len(queue.overflow):
        step = queue.overflow[call.next_step]
        due = (now if call.enqueued_at is None else call.enqueued_at) + step.after_s - now
        out.append(StartTimer(f"step:{call.uuid}", max(0.0, due)))


def on_step_due(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Apply the next overflow step to a call still waiting: widen, move to another queue, or announce."""
    if call.phase is CallPhase.OFFERING:
        call.due_while_ringing.add("step")      # applied if the offer fails and the call waits again
        return
    call.due_while_ringing.discard("step")
    if call.phase is not CallPhase.QUEUED or call.ending:
        return
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    if call.next_step >= len(queue.overflow):
        return
    step = queue.overflow[call.next_step]
    call.next_step += 1
    if step.action == "widen" and step.skills is not None:
        call.required = dict(step.skills)
        call.ivr_path.append(f"widen:{queue.code}")
        calllog.log(call, K.OVERFLOWED, now, out, wait_s=calllog.waited(call, now), detail=f"widen:{queue.code}")
        logger.info("call %s in %s: skills widened to %s after %ss", call.uuid, queue.code, call.required,
                    step.after_s)
        floor.changed()             # other agents may serve it now: the dispatch point looks again
    elif step.action == "overflow" and step.queue in floor.queues:
        target = floor.queues[step.queue]
        calllog.log(call, K.OVERFLOWED, now, out, wait_s=calllog.waited(call, now), detail=f"overflow:{target.code}")
        call.queue_code, call.required, call.next_step = target.code, dict(target.required_skills), 0
        call.ivr_path.append(f"overflow:{target.code}")
        floor.waiting.add(call.uuid, floor.waiting_key(call))
        logger.info("call %s overflowed from %s to %s after %ss", call.uuid, queue.code, target.code, step.after_s)
    elif step.action == "announce" and step.prompt:
        call.pending_app = floor.new_id()
        out.append(StopMedia(call.uuid))
        out.append(Play(call.uuid, floor.prompt(step.prompt), call.pending_app))
        call.ivr_path.append(f"announce:{step.prompt}")
    mark_waiting(call, out)             # the steps applied (and the queue, after an overflow) survive a restart
    _schedule_next_step(floor, call, now, out)


def on_max_wait(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The queue's maximum wait is reached: tell the caller all agents are busy and release the call."""
    if call.phase is CallPhase.OFFERING:
        call.due_while_ringing.add("maxwait")
        return
    call.due_while_ringing.discard("maxwait")
    if call.phase is not CallPhase.QUEUED or call.ending:
        return
    logger.info("call %s waited the maximum of queue %s", call.uuid, call.queue_code)
    call.ivr_path.append("max_wait")
    release(floor, call, CallOutcome.TIMED_OUT, ALL_BUSY_PROMPT, out, now)
