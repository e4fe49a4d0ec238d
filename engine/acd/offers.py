"""Offering calls to agents: dispatch by strategy, ring-all, and every offer's outcome (R-ACD-5)."""
from __future__ import annotations

import dataclasses
import logging

from engine.acd.floor import Floor, Offer
from engine.domain.agent import AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.acd import calllog
from engine.acd.calllog import K
from engine.domain.commands import (Bridge, CancelTimer, Command, DialAgent, Hangup, LogCallEvent, SaveOffer, SaveRecording,
                                   StartRecording, StartTimer)
from engine.domain.events import OriginateResult
from engine.domain.routing import agent_order, is_eligible, select_agent
from engine.domain.states import AgentState, NotReadyReason

logger = logging.getLogger(__name__)

# Causes meaning "the agent did not pick up" (R-ACD-5: set not-ready with reason no answer).
UNANSWERED = {"NO_ANSWER": "no_answer", "NO_USER_RESPONSE": "no_answer", "ALLOTTED_TIMEOUT": "no_answer",
              "PROGRESS_TIMEOUT": "no_answer", "RECOVERY_ON_TIMER_EXPIRE": "no_answer", "CALL_REJECTED": "rejected"}
# Causes meaning "we (or the caller) cancelled the offer": the agent is simply ready again.
CANCELLED = {"ORIGINATOR_CANCEL": "caller_left", "LOSE_RACE": "lost_race", "PICKED_OFF": "lost_race"}
OFFER_GRACE_S = 10          # extra seconds past the ring timeout before the engine gives up on a silent switch


def dispatch_call(floor: Floor, call: Call, now: float, out: list[Command]) -> bool:
    """Offer one waiting call to the agent(s) its queue's strategy picks; False when nobody is eligible."""
    queue = floor.queues.get(call.queue_code or "")
    if queue is None or call.phase is not CallPhase.QUEUED or call.ending:
        return False
    candidates, tier = tiered_candidates(floor, call)
    selection = select_agent(candidates, queue, call.required, last_offered=floor.round_robin.get(queue.code))
    if selection is None:
        return False
    if tier:
        selection = dataclasses.replace(selection, reason=f"{tier}; {selection.reason}")
    floor.waiting.remove(call.uuid)
    call.move(CallPhase.OFFERING)
    for agent in selection.agents:
        offer(floor, call, agent.agent_id, selection.reason, queue.strategy, now, out)
    floor.round_robin[queue.code] = agent_order(selection.agents[-1])
    return True


def tiered_candidates(floor: Floor, call: Call) -> tuple[list, str]:
    """Tiered dispatch (R-ACD-3): agents of the number's own hall first, then of each parent hall in turn, as
    each level's qualified agents are busy; agents without a hall serve as the last level. A call whose
    number has no hall may go to any qualified agent."""
    candidates = list(floor.candidates(call.required))
    if not call.hall_chain:
        return candidates, ""
    busy = []
    for hall_id in (*call.hall_chain, None):
        tier = [a for a in candidates if a.hall_id == hall_id and is_eligible(a, call.required)]
        name = getattr(floor.halls.get(hall_id), "name", "no hall") if hall_id is not None else "agents without a hall"
        if tier:
            prefix = f"{'、'.join(busy)} busy; " if busy else ""
            return tier, f"{prefix}served by {name}"
        busy.append(name)
    return [], ""


def may_serve(floor: Floor, agent, call: Call) -> bool:
    """Qualified, and (tiered dispatch) of a hall in the call's chain or of no hall."""
    return is_eligible(agent, call.required) and (not call.hall_chain or agent.hall_id is None
                                                   or agent.hall_id in call.hall_chain)


def dispatch_agent(floor: Floor, agent_id: int, now: float, out: list[Command]) -> None:
    """An agent became ready: give them the first waiting call (service order) they may serve."""
    agent = floor.agents.get(agent_id)
    if agent is None or agent.state is not AgentState.READY:
        return
    for uuid in floor.waiting:
        call = floor.calls.get(uuid)
        if call is not None and may_serve(floor, agent, call):
            dispatch_call(floor, call, now, out)
            return


def dispatch_all(floor: Floor, now: float, out: list[Command]) -> None:
    """Offer every waiting call that has an eligible agent (after configuration or reconnection changes)."""
    for uuid in list(floor.waiting):
        call = floor.calls.get(uuid)
        if call is not None:
            dispatch_call(floor, call, now, out)


def offer(floor: Floor, call: Call, agent_id: int, why: str, strategy: str, now: float, out: list[Command]) -> None:
    """Reserve the agent and ring the agent's phone for this call."""
    agent = floor.agents[agent_id]
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    if not floor.change_agent(agent_id, AgentTrigger.OFFER, now, out, cause=f"offer from {queue.code}",
                              call_uuid=call.uuid):
        return
    job, leg = floor.new_id(), floor.new_id()
    call.ringing[job] = leg
    call.offers += 1
    floor.agent_legs[leg] = call.uuid
    floor.offers[job] = Offer(job, call.uuid, agent_id, leg, queue.code, now, why, strategy)
    logger.info("call %s offered to agent %s in queue %s: %s", call.uuid, agent.employee_no, queue.code, why)
    calllog.log(call, K.OFFERED, now, out, agent_id=agent_id, wait_s=calllog.waited(call, now), detail=strategy)
    out.append(DialAgent(job, leg, agent.extension, queue.ring_timeout_s, call.ani, call.caller_name or call.ani,
                         {"cc_call_uuid": call.uuid, "cc_agent": agent.employee_no, "cc_queue": queue.code},
                         remote_number=agent.remote_number))
    out.append(StartTimer(f"offer:{job}", queue.ring_timeout_s + OFFER_GRACE_S))


def on_originate_result(floor: Floor, result: OriginateResult, out: list[Command]) -> None:
    """The agent's phone answered or the offer failed (or, for a callback, the customer's phone)."""
    customer_call = next((c for c in floor.calls.values() if c.customer_job == result.job_uuid), None)
    if customer_call is not None:
        from engine.acd.callbacks import customer_result
        customer_result(floor, customer_call, result, out)
        return
    made = floor.offers.pop(result.job_uuid, None)
    if made is None:      # already settled (caller left, guard timer): never leave an answered phone off-hook
        if result.ok and result.leg_uuid:
            out.append(Hangup(result.leg_uuid, "ORIGINATOR_CANCEL"))
        return
    out.append(CancelTimer(f"offer:{result.job_uuid}"))
    call = floor.calls.get(made.caller_uuid)
    if call is None or result.job_uuid not in call.ringing:
        settle(floor, made, "caller_left", "ORIGINATOR_CANCEL", result.at, out, answered=result.ok)
        return
    del call.ringing[result.job_uuid]
    if result.ok and call.phase is CallPhase.OFFERING and not call.ending:
        connect(floor, call, made, result.at, out)
    elif result.ok:
        settle(floor, made, "caller_left", "ORIGINATOR_CANCEL", result.at, out, answered=True)
    else:
        offer_failed(floor, call, made, result.cause, result.at, out)


def connect(floor: Floor, call: Call, made: Offer, now: float, out: list[Command]) -> None:
    """The agent answered: bridge, and stop every other phone still ringing for this call (ring-all)."""
    call.move(CallPhase.CONNECTED)
    call.agent_id, call.agent_leg = made.agent_id, made.leg_uuid
    floor.change_agent(made.agent_id, AgentTrigger.ANSWER, now, out, cause="answered", call_uuid=call.uuid)
    if call.callback_of or call.direction == "outbound":   # now dial the customer; answered when they pick up
        from engine.acd.callbacks import agent_answered
        agent_answered(floor, call, now, out)
    else:
        call.answered_at = now
        out.append(Bridge(call.uuid, made.leg_uuid))
        start_recording(floor, call, now, out)
    _settled(floor, made, now, "answered", "", out)
    for job in list(call.ringing):
        other = floor.offers.pop(job, None)
        del call.ringing[job]
        out.append(CancelTimer(f"offer:{job}"))
        if other is not None:
            settle(floor, other, "lost_race", "LOSE_RACE", now, out, answered=True)


def start_recording(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Every answered call is recorded from the answer to the hang-up, on the caller's leg (R-REC-1): it
    stays with the caller across transfers and conferences. The metadata is stored now, completed at stop."""
    agent = floor.agents.get(call.agent_id) if call.agent_id is not None else None
    day = floor.local_time(now).strftime("%Y%m%d")
    call.recording_path = f"{floor.recordings_dir.rstrip('/')}/{day}/{call.uuid}.wav"
    out.append(StartRecording(call.uuid, call.recording_path))
    out.append(SaveRecording(call.recording_path, call.uuid, call.ani, call.dnis, agent.extension if agent else "",
                             call.agent_id, agent.employee_no if agent else "", call.queue_code, now))


def offer_failed(floor: Floor, call: Call, made: Offer, cause: str, now: float, out: list[Command]) -> None:
    """Set the agent aside as the cause says; when no phone rings any more, the call goes back to its place."""
    if cause in CANCELLED:
        settle(floor, made, CANCELLED[cause], cause, now, out)
    else:
        floor.agent_legs.pop(made.leg_uuid, None)
        result = UNANSWERED.get(cause, "busy" if cause == "USER_BUSY" else "unreachable")
        reason = NotReadyReason.NO_ANSWER if cause in UNANSWERED else NotReadyReason.SYSTEM
        floor.change_agent(made.agent_id, AgentTrigger.OFFER_UNANSWERED, now, out, reason=reason, cause=cause)
        _settled(floor, made, now, result, cause, out)
    if not call.ringing and call.phase is CallPhase.OFFERING and not call.ending and call.direction == "outbound":
        from engine.acd.endings import end_unreached_callback        # the agent's own phone failed: no call
        call.move(CallPhase.CONNECTED)
        end_unreached_callback(floor, call, cause, now, out)
    elif not call.ringing and call.phase is CallPhase.OFFERING and not call.ending:
        requeue(floor, call, now, out)
        logger.info("call %s back in queue %s at its place (offer failed: %s)", call.uuid, call.queue_code, cause)


def requeue(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """Back to waiting with its original place, and offered again at once if someone is free."""
    call.move(CallPhase.QUEUED)
    floor.waiting.add(call.uuid, floor.waiting_key(call))
    if call.due_while_ringing:                  # timers that fell due while the phone rang apply now
        from engine.acd import queueing
        due, call.due_while_ringing = call.due_while_ringing, set()
        if "maxwait" in due:
            queueing.on_max_wait(floor, call, now, out)
            return
        if "step" in due:
            queueing.on_step_due(floor, call, now, out)
            return
    dispatch_call(floor, call, now, out)


def settle(floor: Floor, made: Offer, result: str, cause: str, now: float, out: list[Command], *,
           answered: bool = False) -> None:
    """Close an offer that lost its purpose: hang up the leg, the agent is ready again, record it."""
    floor.agent_legs.pop(made.leg_uuid, None)
    out.append(Hangup(made.leg_uuid, "LOSE_RACE" if result == "lost_race" else "ORIGINATOR_CANCEL"))
    agent = floor.agents.get(made.agent_id)
    if agent is not None and agent.state is AgentState.RESERVED and agent.call_uuid == made.caller_uuid:
        floor.change_agent(made.agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause=result)
    _settled(floor, made, now, result, cause, out)


def on_offer_timeout(floor: Floor, job_uuid: str, now: float, out: list[Command]) -> None:
    """The switch never reported the offer's outcome: give up on it as unanswered."""
    made = floor.offers.pop(job_uuid, None)
    if made is None:
        return
    logger.warning("offer %s: no outcome from the switch in time; treating as unanswered", job_uuid)
    out.append(Hangup(made.leg_uuid, "ORIGINATOR_CANCEL"))
    call = floor.calls.get(made.caller_uuid)
    if call is None or job_uuid not in call.ringing:
        settle(floor, made, "caller_left", "ORIGINATOR_CANCEL", now, out)
        return
    del call.ringing[job_uuid]
    offer_failed(floor, call, made, "NO_ANSWER", now, out)


def cancel_ringing(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The caller left while phones rang: stop them all (mod_callcenter's zombie calls never happen here)."""
    for job in list(call.ringing):
        made = floor.offers.pop(job, None)
        del call.ringing[job]
        out.append(CancelTimer(f"offer:{job}"))
        if made is not None:
            settle(floor, made, "caller_left", "ORIGINATOR_CANCEL", now, out)


def _settled(floor: Floor, made: Offer, now: float, result: str, cause: str, out: list[Command]) -> None:
    """Store how an offer ended, and log it: answered, or not (with the ring time either way)."""
    out.append(SaveOffer(made.caller_uuid, made.agent_id, made.queue_code, made.offered_at, now, result, cause,
                         made.strategy, made.reason))
    call = floor.calls.get(made.caller_uuid)
    ring_s = max(0.0, now - made.offered_at)
    if call is None:
        out.append(LogCallEvent(made.caller_uuid, K.NO_ANSWER, now, queue_code=made.queue_code,
                                agent_id=made.agent_id, duration_s=ring_s, detail=f"{result}:{cause}"))
    elif result == "answered" and call.direction == "inbound" and not call.callback_of:
        calllog.log(call, K.ANSWERED, now, out, agent_id=made.agent_id, wait_s=calllog.waited(call, now),
                    duration_s=ring_s, queue_code=made.queue_code)
    elif result != "answered":
        calllog.log(call, K.NO_ANSWER, now, out, agent_id=made.agent_id, duration_s=ring_s,
                    detail=f"{result}:{cause}", queue_code=made.queue_code)
