"""Effects several parts of the ACD share: the end of an agent's talk, recordings, call records, releasing a caller
with a prompt, the waiting timers, and how an offer ended. They change the floor and emit commands; they never
decide what happens next (the dispatch point and the event handlers do)."""
from __future__ import annotations

import logging

from engine.acd import calllog
from engine.acd.calllog import K
from engine.acd.floor import Floor, Offer
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import (CancelTimer, Command, DialAgent, Hangup, LogCallEvent, Play, SaveCallRecord, SaveOffer,
                                    SaveRecording, SetLegVars, StartRecording, StartTimer, StopMedia)
from engine.domain.states import AgentState, CallOutcome, HangupSide

logger = logging.getLogger(__name__)
WAITING_TIMERS = ("maxwait", "step", "moh", "announce")
# Offer results that say nothing about the agent: the caller left, another phone won, the offer moved on to the
# next caller, or the switch refused to create the leg. They are not the agent's unanswered offers.
NOT_THE_AGENTS = frozenset({"caller_left", "lost_race", "switch_refused"})
OFFER_GRACE_S = 10          # extra seconds past the ring timeout before the engine gives up on a silent switch
KILL_RETRY_S = 1.0          # a cancelled leg the switch did not have yet (originate still in flight): kill again
EXEMPT = {"no_throttle_limits": "true"}     # src/switch_ivr_originate.c: SOF_NO_LIMITS for this leg
# a recording still open when its call is over is closed from its file after this long: the switch sends
# RECORD_STOP when the media bug closes during the hang-up (switch_ivr_async.c record_callback), but a
# record_session queued as the caller hung up never runs, so no RECORD_STOP ever comes
RECORDING_STOP_GRACE_S = 5.0


def agent_leg_vars(floor: Floor, variables: dict[str, str]) -> dict[str, str]:
    """The channel variables of a leg to an agent's phone: exempt from the switch's session limits when
    configured (agent legs are paced by the engine itself, engine.domain.pacing)."""
    return {**variables, **EXEMPT} if floor.pacer.exempt else variables


def ring_agent(floor: Floor, call: Call, agent: Agent, ring_s: int, variables: dict[str, str], queue_code: str,
               why: str, strategy: str, now: float, out: list[Command], *, number: str, name: str) -> Offer:
    """Ring an agent's phone for a call on a leg of the engine's own (bridged to the call when it answers; its
    outcome arrives as OriginateResult of the offer's job), and guard it with the offer timer."""
    job, leg = floor.new_id(), floor.new_id()
    call.ringing[job] = leg
    floor.agent_legs[leg] = call.uuid
    floor.leg_up(leg, agent.agent_id)
    made = floor.offers[job] = Offer(job, call.uuid, agent.agent_id, leg, queue_code, now, why, strategy)
    floor.pacer.originated(now)
    out.append(DialAgent(job, leg, agent.extension, ring_s, number, name, agent_leg_vars(floor, variables),
                         remote_number=agent.remote_number))
    out.append(StartTimer(f"offer:{job}", ring_s + OFFER_GRACE_S, wall_min=OFFER_GRACE_S))
    return made
# The switch's own refusals: no leg was created, nothing is wrong with the agent's phone (session-rate throttle or
# session limit: src/switch_core_session.c switch_core_session_request_uuid, mod_sofia.c sofia_outgoing_channel's
# default cause; capture 08). SWITCH_UNAVAILABLE is the executor's: the command could not be sent.
SWITCH_REFUSED = frozenset({"DESTINATION_OUT_OF_ORDER", "SWITCH_CONGESTION", "SWITCH_UNAVAILABLE"})
# Failures that leave no channel behind (nothing to wait for before the agent is free again).
NO_CHANNEL = SWITCH_REFUSED | {"USER_NOT_REGISTERED", "SUBSCRIBER_ABSENT", "CHAN_NOT_IMPLEMENTED",
                               "INVALID_GATEWAY", "GATEWAY_DOWN", "NO_ROUTE_DESTINATION"}
LEG_GONE_GUARD_S = 2.0      # a failed leg whose end the switch never reports is taken as gone after this


def leg_failed(floor: Floor, leg_uuid: str, cause: str, out: list[Command]) -> None:
    """An originate to an agent failed: its leg, if the switch created one, is being torn down. The agent is
    free again when the leg's end is seen, at once when no leg was made, at the latest after a guard time."""
    if cause in NO_CHANNEL:
        floor.leg_gone(leg_uuid)
    elif leg_uuid in floor.live_legs:
        out.append(StartTimer(f"leg:{leg_uuid}", LEG_GONE_GUARD_S, wall_min=LEG_GONE_GUARD_S))


def finish_talk(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The agent's conversation is over: wrap-up (after-call work) for the queue's wrap-up time."""
    agent_id = call.agent_id
    agent = floor.agents.get(agent_id) if agent_id is not None else None
    if agent is None or agent.call_uuid != call.uuid or agent_id is None:
        return
    if agent.state not in (AgentState.TALKING, AgentState.ON_HOLD):
        return          # over already: the agent hung up first and is in wrap-up; the caller's release follows
    talk_s = now - agent.since
    talk_started = agent.since
    held_since = agent.since if agent.state is AgentState.ON_HOLD else None
    if not floor.change_agent(agent_id, AgentTrigger.CALL_END, now, out, cause="call ended", call_uuid=call.uuid):
        return
    if held_since is not None:
        calllog.log(call, K.RETRIEVED, now, out, agent_id=agent_id, duration_s=max(0.0, now - held_since))
    calllog.log(call, K.TALK_ENDED, now, out, agent_id=agent_id,
                duration_s=max(0.0, now - (call.answered_at or talk_started)))
    floor.wrap_ups[agent_id] = (call.queue_code, call.enqueued_at, call.hall_chain[0] if call.hall_chain else None)
    queue = floor.queues.get(call.queue_code or "")
    wrap_up = float(queue.wrap_up_s if queue else 0)
    if wrap_up > 0:
        out.append(StartTimer(f"wrapup:{agent_id}", wrap_up))
    else:       # no after-call work: ready in this same event, not one loop turn later (a timer event queues behind
        #         every event already waiting, ~100 ms in a burst on a loaded box)
        floor.change_agent(agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause="no wrap-up time")
    if call.queue_code:         # live handling time (talk + wrap-up) for estimated-wait announcements
        previous = floor.queue_aht.get(call.queue_code)
        handled = talk_s + wrap_up
        floor.queue_aht[call.queue_code] = handled if previous is None else 0.9 * previous + 0.1 * handled


def start_recording(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Every answered call is recorded from the answer to the hang-up, on the caller's leg (R-REC-1): it
    stays with the caller across transfers and conferences. The metadata is stored now, completed at stop."""
    agent = floor.agents.get(call.agent_id) if call.agent_id is not None else None
    day = floor.local_time(now).strftime("%Y%m%d")
    call.recording_path = f"{floor.recordings_dir.rstrip('/')}/{day}/{call.uuid}.wav"
    out.append(StartRecording(call.uuid, call.recording_path))
    floor.open_recordings[call.recording_path] = call.uuid
    out.append(SaveRecording(call.recording_path, call.uuid, call.ani, call.dnis, agent.extension if agent else "",
                             call.agent_id, agent.employee_no if agent else "", call.queue_code, now))


def record(floor: Floor, call: Call, cause: str, side: HangupSide, now: float) -> SaveCallRecord:
    """The call detail record of a finished call."""
    queue = floor.queues.get(call.queue_code or "")
    return SaveCallRecord(
        call_uuid=call.uuid, ani=call.ani, dnis=call.dnis, flow=call.flow,
        queue_id=queue.queue_id if queue else None, agent_id=call.agent_id if call.answered_at else None,
        agent_leg_uuid=call.agent_leg if call.answered_at else None, started_at=call.started_at,
        enqueued_at=call.enqueued_at, answered_at=call.answered_at, ended_at=now, outcome=call.outcome(),
        hangup_cause=cause, hangup_side=side, ivr_path=" > ".join(call.ivr_path), offers=call.offers,
        priority=call.priority, direction=call.direction, transfers=call.transfers,
    )


def log_end(call: Call, now: float, out: list[Command]) -> None:
    """The caller's leg is over: outbound calls (agent dialled, callbacks) are logged as dialled with their talk."""
    if call.direction == "outbound" or call.callback_of:
        talk = 0.0 if call.answered_at is None else max(0.0, now - call.answered_at)
        calllog.log(call, K.DIALED, now, out, duration_s=talk,
                    detail="callback" if call.callback_of else ("answered" if call.answered_at else "unanswered"))
    calllog.log(call, K.ENDED, now, out, duration_s=max(0.0, now - call.started_at), detail=call.outcome().value)


def end_unreached_callback(floor: Floor, call: Call, cause: str, now: float, out: list[Command]) -> None:
    """A callback (or an agent's outbound call) whose far end was not reached: the agent's call ends, the
    attempt is recorded as failed."""
    finish_talk(floor, call, now, out)
    if call.agent_leg:
        floor.agent_legs.pop(call.agent_leg, None)
        out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))
    call.end_outcome = CallOutcome.FAILED
    call.ivr_path.append(f"customer:{cause}")
    call.move(CallPhase.ENDED)
    floor.calls.pop(call.uuid, None)
    floor.special_calls.discard(call.uuid)
    await_recording_stop(floor, call, out)
    out.append(record(floor, call, cause, HangupSide.SYSTEM, now))
    log_end(call, now, out)


def release(floor: Floor, call: Call, outcome: CallOutcome, prompt: str, out: list[Command], now: float) -> None:
    """End the call for the engine's own reason: say why, then hang up (the hang-up writes the record)."""
    if outcome is not CallOutcome.CALLBACK:
        calllog.log(call, K.RELEASED, now, out, wait_s=calllog.waited(call, now), detail=outcome.value)
    floor.waiting.remove(call.uuid)
    call.end_outcome = outcome
    call.ending = True
    call.pending_app = floor.new_id()
    if call.phase is CallPhase.QUEUED:
        out.append(StopMedia(call.uuid))
    mark_leaving(call, out)     # after the break: `uuid_break all` flushes what is queued on the channel (mod_commands.c)
    out.append(Play(call.uuid, floor.prompt(prompt), call.pending_app))
    out.append(SetLegVars(call.uuid, {"cc_done": call.pending_app}, in_channel=True))   # ended, even unheard


def mark_leaving(call: Call, out: list[Command], **extra: str) -> None:
    """The caller leaves the queue for good (a callback asked for, a voice message, the queue's own release): the
    channel says so, so that an engine taking over lets it go with that outcome instead of queueing it again."""
    out.append(SetLegVars(call.uuid, {"cc_phase": "leaving", "cc_outcome": call.outcome().value,
                                      "cc_media": call.pending_app or "", **extra}, in_channel=True))


def forget(call: Call, out: list[Command]) -> None:
    """Cancel the waiting timers of a call that leaves the queue for good."""
    for kind in WAITING_TIMERS:
        out.append(CancelTimer(f"{kind}:{call.uuid}"))


def await_recording_stop(floor: Floor, call: Call, out: list[Command]) -> None:
    """The call is over: if the switch has not closed its recording yet, close it from the file after a grace."""
    if call.recording_path and call.recording_path in floor.open_recordings:
        out.append(StartTimer(f"recstop:{call.recording_path}", RECORDING_STOP_GRACE_S,
                              wall_min=RECORDING_STOP_GRACE_S))


def recording_stopped(floor: Floor, path: str, uuid: str, at: float, record_ms: int | None,
                      out: list[Command]) -> None:
    """A recording is over (the switch said so, or its call ended long enough ago): complete its metadata; the
    store reads the file's size and duration, and marks it missing when the switch never wrote it."""
    floor.open_recordings.pop(path, None)
    out.append(CancelTimer(f"recstop:{path}"))
    out.append(SaveRecording(path, uuid, "", "", "", None, "", None, 0.0, stopped_at=at, record_ms=record_ms))


def recording_never_stopped(floor: Floor, path: str, at: float, out: list[Command]) -> None:
    """No RECORD_STOP came for a recording of a call that is over: the record_session was queued as the caller
    hung up (the switch skips it), or the event was lost. Closed now, from whatever file there is."""
    uuid = floor.open_recordings.get(path)
    if uuid is None:
        return
    logger.warning("recording %s of call %s: the switch never reported its end; closed from its file", path, uuid)
    recording_stopped(floor, path, uuid, at, None, out)


def offer_ended(floor: Floor, made: Offer, now: float, result: str, cause: str, out: list[Command]) -> None:
    """Store how an offer ended, and log it: answered, or not answered by the agent (with the ring time either
    way). Results that are not the agent's doing (NOT_THE_AGENTS) are stored but not logged as unanswered."""
    caller_uuid = made.caller_uuid or ""
    out.append(SaveOffer(caller_uuid, made.agent_id, made.queue_code, made.offered_at, now, result, cause,
                         made.strategy, made.reason))
    call = floor.calls.get(caller_uuid)
    ring_s = max(0.0, now - made.offered_at)
    if result == "caller_left":
        floor.unanswered_ring_s[made.agent_id] = floor.unanswered_ring_s.get(made.agent_id, 0.0) + ring_s
    elif result not in NOT_THE_AGENTS:
        floor.unanswered_ring_s.pop(made.agent_id, None)
    if result == "answered":
        if call is not None and call.direction == "inbound" and not call.callback_of:
            calllog.log(call, K.ANSWERED, now, out, agent_id=made.agent_id, wait_s=calllog.waited(call, now),
                        duration_s=ring_s, queue_code=made.queue_code)
        return
    if result in NOT_THE_AGENTS:
        return
    if call is None:
        out.append(LogCallEvent(caller_uuid, K.NO_ANSWER, now, queue_code=made.queue_code,
                                agent_id=made.agent_id, duration_s=ring_s, detail=f"{result}:{cause}"))
    else:
        calllog.log(call, K.NO_ANSWER, now, out, agent_id=made.agent_id, duration_s=ring_s,
                    detail=f"{result}:{cause}", queue_code=made.queue_code)


def cancel_offer(floor: Floor, made: Offer, result: str, now: float, out: list[Command]) -> None:
    """Stop ringing a phone that lost its purpose: hang the leg up; the agent is ready again (and free once the
    leg is gone). The offer is kept, caller-less, until the switch reports the originate's outcome; until then
    the hang-up is repeated every KILL_RETRY_S (the leg may not have existed yet), the offer timer the last
    guard."""
    floor.agent_legs.pop(made.leg_uuid, None)
    out.append(Hangup(made.leg_uuid, "LOSE_RACE" if result == "lost_race" else "ORIGINATOR_CANCEL"))
    out.append(StartTimer(f"kill:{made.job_uuid}", KILL_RETRY_S, wall_min=KILL_RETRY_S))
    if made.job_uuid in floor.offers:
        floor.offers[made.job_uuid] = Offer(made.job_uuid, None, made.agent_id, made.leg_uuid, made.queue_code,
                                            made.offered_at, made.reason, made.strategy)
    release_reserved(floor, made, now, out, result)


def release_reserved(floor: Floor, made: Offer, now: float, out: list[Command], cause: str) -> None:
    """The agent reserved for this offer's call is ready again (the offer is over without a call)."""
    agent = floor.agents.get(made.agent_id)
    if agent is not None and agent.state is AgentState.RESERVED and agent.call_uuid == made.caller_uuid:
        floor.change_agent(made.agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause=cause)
