"""Queueing and offering: waiting calls meet ready agents; offer outcomes (answered, unanswered, failed)."""
from __future__ import annotations

import logging

from engine.acd.floor import Floor, Offer
from engine.domain.agent import AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Bridge, CancelTimer, Command, DialAgent, Hangup, Play, StartTimer
from engine.domain.events import OriginateResult
from engine.domain.routing import select_agent
from engine.domain.states import NotReadyReason

logger = logging.getLogger(__name__)

# Causes meaning "the agent did not pick up" (R-ACD-5: set not-ready with reason no answer).
UNANSWERED_CAUSES = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "PROGRESS_TIMEOUT",
                               "RECOVERY_ON_TIMER_EXPIRE", "CALL_REJECTED"})
# Causes meaning "we (or the caller) cancelled the offer": the agent is simply ready again.
CANCELLED_CAUSES = frozenset({"ORIGINATOR_CANCEL", "LOSE_RACE", "PICKED_OFF"})
OFFER_GRACE_S = 10          # extra seconds past the ring timeout before the engine gives up on a silent switch


def enqueue(floor: Floor, call: Call, queue_code: str, now: float, out: list[Command]) -> None:
    """Put a call in a queue (music on hold), then try to offer it at once."""
    queue = floor.queues.get(queue_code)
    if queue is None:
        logger.error("call %s: flow %s asks for unknown queue %s; hanging up", call.uuid, call.flow, queue_code)
        call.ending = True
        out.append(Hangup(call.uuid, "NORMAL_TEMPORARY_FAILURE"))
        return
    call.move(CallPhase.QUEUED)
    call.queue_code = queue_code
    call.enqueued_at = now
    call.ivr_path.append(f"queue:{queue_code}")
    play_hold_music(floor, call, now, out)
    dispatch(floor, now, out)


MOH_MIN_PLAY_S = 1.0       # hold music that ends sooner than this is missing or silent: retry later, not in a loop
MOH_RETRY_S = 5.0


def play_hold_music(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Music on hold for a waiting caller (replayed whenever it ends)."""
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    call.pending_app = floor.new_id()
    call.media_started_at = now
    out.append(Play(call.uuid, floor.prompt(queue.moh), call.pending_app))


def hold_music_ended(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Replay the hold music; if it ended at once (file missing, empty stream) wait instead of spinning."""
    if now - call.media_started_at < MOH_MIN_PLAY_S:
        logger.warning("call %s: hold music of queue %s ended after %.2f s; retrying in %.0f s", call.uuid,
                       call.queue_code, now - call.media_started_at, MOH_RETRY_S)
        out.append(StartTimer(f"moh:{call.uuid}", MOH_RETRY_S))
        return
    play_hold_music(floor, call, now, out)


def waiting_calls(floor: Floor) -> list[Call]:
    """Queued calls, longest waiting first (the order offers are made in)."""
    waiting = [c for c in floor.calls.values() if c.phase is CallPhase.QUEUED and not c.ending]
    return sorted(waiting, key=lambda c: (c.enqueued_at, c.uuid))


def dispatch(floor: Floor, now: float, out: list[Command]) -> None:
    """Offer every waiting call that has an eligible ready agent, longest waiting first."""
    for call in waiting_calls(floor):
        queue = floor.queues.get(call.queue_code)  # type: ignore[arg-type]
        if queue is None:
            continue
        selection = select_agent(floor.agents.values(), queue)
        if selection is None:
            continue
        offer(floor, call, selection.agent.agent_id, selection.reason, now, out)


def offer(floor: Floor, call: Call, agent_id: int, why: str, now: float, out: list[Command]) -> None:
    """Reserve the agent and ring the agent's phone for this call."""
    agent = floor.agents[agent_id]
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    if not floor.change_agent(agent_id, AgentTrigger.OFFER, now, out, cause=f"offer from {queue.code}",
                              call_uuid=call.uuid):
        return
    call.move(CallPhase.OFFERING)
    call.agent_id, call.agent_leg, call.job_uuid = agent_id, floor.new_id(), floor.new_id()
    call.offers += 1
    floor.agent_legs[call.agent_leg] = call.uuid
    floor.offers[call.job_uuid] = Offer(call.job_uuid, call.uuid, agent_id, call.agent_leg)
    logger.info("call %s offered to agent %s in queue %s: %s", call.uuid, agent.employee_no, queue.code, why)
    out.append(DialAgent(call.job_uuid, call.agent_leg, agent.extension, queue.ring_timeout_s, call.ani,
                         call.caller_name or call.ani,
                         {"cc_call_uuid": call.uuid, "cc_agent": agent.employee_no, "cc_queue": queue.code}))
    out.append(StartTimer(f"offer:{call.job_uuid}", queue.ring_timeout_s + OFFER_GRACE_S))


def on_originate_result(floor: Floor, result: OriginateResult, out: list[Command]) -> None:
    """The agent's phone answered or the offer failed."""
    offer_made = floor.offers.pop(result.job_uuid, None)
    if offer_made is None:      # already settled (guard timer): just never leave an answered phone off-hook
        if result.ok and result.leg_uuid:
            out.append(Hangup(result.leg_uuid, "ORIGINATOR_CANCEL"))
        return
    out.append(CancelTimer(f"offer:{result.job_uuid}"))
    call = floor.calls.get(offer_made.caller_uuid)
    if call is None or call.job_uuid != result.job_uuid:
        release_stale_offer(floor, offer_made, result.ok, result.at, out)
        return
    agent_id = call.agent_id
    if result.ok and call.phase is CallPhase.OFFERING and not call.ending:
        call.move(CallPhase.CONNECTED)
        call.answered_at = result.at
        floor.change_agent(agent_id, AgentTrigger.ANSWER, result.at, out, cause="answered", call_uuid=call.uuid)  # type: ignore[arg-type]
        out.append(Bridge(call.uuid, call.agent_leg))  # type: ignore[arg-type]
        return
    if result.ok:      # answered, but the caller is gone meanwhile: never leave the agent on a silent line
        out.append(Hangup(result.leg_uuid or call.agent_leg, "ORIGINATOR_CANCEL"))  # type: ignore[arg-type]
        floor.change_agent(agent_id, AgentTrigger.OFFER_CANCELLED, result.at, out, cause="caller left")  # type: ignore[arg-type]
        return
    offer_failed(floor, call, result.cause, result.at, out)


def offer_failed(floor: Floor, call: Call, cause: str, now: float, out: list[Command]) -> None:
    """Set the agent aside as the cause says, and put the call back at its place in the queue."""
    agent_id = call.agent_id
    floor.agent_legs.pop(call.agent_leg or "", None)
    if cause in CANCELLED_CAUSES:
        floor.change_agent(agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause=cause)  # type: ignore[arg-type]
    else:
        reason = NotReadyReason.NO_ANSWER if cause in UNANSWERED_CAUSES else NotReadyReason.SYSTEM
        floor.change_agent(agent_id, AgentTrigger.OFFER_UNANSWERED, now, out, reason=reason, cause=cause)  # type: ignore[arg-type]
    call.agent_id = call.agent_leg = call.job_uuid = None
    if call.phase is CallPhase.OFFERING and not call.ending:
        call.move(CallPhase.QUEUED)
        logger.info("call %s back in queue %s (offer failed: %s)", call.uuid, call.queue_code, cause)
    dispatch(floor, now, out)


def release_stale_offer(floor: Floor, offer_made: Offer, answered: bool, now: float, out: list[Command]) -> None:
    """The offer's call is gone: hang up the agent's leg if it answered and make the agent ready again."""
    floor.agent_legs.pop(offer_made.leg_uuid, None)
    if answered:
        out.append(Hangup(offer_made.leg_uuid, "ORIGINATOR_CANCEL"))
    agent = floor.agents.get(offer_made.agent_id)
    if agent is not None and agent.call_uuid == offer_made.caller_uuid:
        floor.change_agent(offer_made.agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause="caller left")


def on_offer_timeout(floor: Floor, job_uuid: str, now: float, out: list[Command]) -> None:
    """The switch never reported the offer's outcome: give up on it as unanswered."""
    offer_made = floor.offers.pop(job_uuid, None)
    if offer_made is None:
        return
    logger.warning("offer %s: no outcome from the switch in time; treating as unanswered", job_uuid)
    out.append(Hangup(offer_made.leg_uuid, "ORIGINATOR_CANCEL"))
    call = floor.calls.get(offer_made.caller_uuid)
    if call is None or call.job_uuid != job_uuid:
        release_stale_offer(floor, offer_made, False, now, out)
        return
    offer_failed(floor, call, "NO_ANSWER", now, out)
