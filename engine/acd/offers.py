"""How an offer ends (R-ACD-5): the agent answered, did not, the switch refused, or nobody reported.

Causes are read as FreeSWITCH means them:
* the agent did not pick up (NO_ANSWER …) or refused (CALL_REJECTED): not ready with reason "no answer";
* the phone is unreachable or busy (USER_NOT_REGISTERED, USER_BUSY, NORMAL_TEMPORARY_FAILURE …): not ready
  (system), and the phone is checked again after a back-off (engine.acd.phones) until it is back;
* the switch could not create the leg for reasons of its own (session-rate throttle or session limit:
  DESTINATION_OUT_OF_ORDER with no channel, src/switch_core_session.c switch_core_session_request_uuid and
  mod_sofia.c sofia_outgoing_channel's default cause, capture 08), or the command never reached it: not the
  agent's fault — the agent stays ready and the call is offered again at once, to another agent first;
* the engine cancelled the ring (ORIGINATOR_CANCEL, LOSE_RACE): already settled when it was cancelled.
"""
from __future__ import annotations

import logging

from engine.acd import callbacks, phones, queueing
from engine.acd.effects import (KILL_RETRY_S, LEG_GONE_GUARD_S, SWITCH_REFUSED, end_unreached_callback, leg_failed,
                                offer_ended, release_reserved, start_recording)
from engine.acd.floor import Floor, Offer
from engine.domain.agent import AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Bridge, CancelTimer, Command, Hangup, SetLegVars, StartTimer, UpdateDisplay
from engine.domain.events import OriginateResult
from engine.domain.states import NotReadyReason

logger = logging.getLogger(__name__)

# Causes meaning "the agent did not pick up" (R-ACD-5: set not-ready with reason no answer).
UNANSWERED = {"NO_ANSWER": "no_answer", "NO_USER_RESPONSE": "no_answer", "ALLOTTED_TIMEOUT": "no_answer",
              "PROGRESS_TIMEOUT": "no_answer", "RECOVERY_ON_TIMER_EXPIRE": "no_answer", "CALL_REJECTED": "rejected"}
# Causes meaning "we (or the caller) cancelled the offer".
CANCELLED = {"ORIGINATOR_CANCEL": "caller_left", "LOSE_RACE": "lost_race", "PICKED_OFF": "lost_race"}


def on_originate_result(floor: Floor, result: OriginateResult, out: list[Command]) -> None:
    """The agent's phone answered or the offer failed."""
    made = floor.offers.pop(result.job_uuid, None)
    if made is None:      # already settled (guard timer): never leave an answered phone off-hook
        if result.ok and result.leg_uuid:
            out.append(Hangup(result.leg_uuid, "ORIGINATOR_CANCEL"))
        return
    out.append(CancelTimer(f"offer:{result.job_uuid}"))
    out.append(CancelTimer(f"kill:{result.job_uuid}"))
    if result.cause in SWITCH_REFUSED:
        floor.pacer.refused(result.at)
    else:
        floor.pacer.accepted()
    if not result.ok:
        leg_failed(floor, made.leg_uuid, result.cause, out)
    call = floor.calls.get(made.caller_uuid or "")
    if made.caller_uuid is None or call is None or result.job_uuid not in call.ringing:
        if result.ok:                   # cancelled, but it answered first: hang it up (its end frees the agent)
            out.append(Hangup(made.leg_uuid, "ORIGINATOR_CANCEL"))
        return
    del call.ringing[result.job_uuid]
    if result.ok and call.phase is CallPhase.OFFERING and not call.ending:
        connect(floor, call, made, result.at, out)
    elif result.ok:
        offer_ended(floor, made, result.at, "caller_left", "ORIGINATOR_CANCEL", out)
        release_reserved(floor, made, result.at, out, "offer cancelled")
        out.append(Hangup(made.leg_uuid, "ORIGINATOR_CANCEL"))
    else:
        offer_failed(floor, call, made, result.cause, result.at, out)


def connect(floor: Floor, call: Call, made: Offer, now: float, out: list[Command]) -> None:
    """The agent answered: bridge, and stop every other phone still ringing for this call (ring-all)."""
    call.move(CallPhase.CONNECTED)
    call.agent_id, call.agent_leg = made.agent_id, made.leg_uuid
    floor.change_agent(made.agent_id, AgentTrigger.ANSWER, now, out, cause="answered", call_uuid=call.uuid)
    if call.callback_of or call.direction == "outbound":   # now dial the customer; answered when they pick up
        callbacks.agent_answered(floor, call, now, out)
    else:
        call.answered_at = now
        agent = floor.agents.get(made.agent_id)
        # no longer waiting: an engine that takes over must not queue this caller again (engine.acd.directory);
        # queued to the caller before the bridge, so its thread sets them in the hold music's loop
        out.append(SetLegVars(call.uuid, {"cc_phase": "connected", "cc_answered_at": f"{now:.6f}",
                                          "cc_agent": agent.employee_no if agent else ""}, in_channel=True))
        out.append(Bridge(call.uuid, made.leg_uuid))
        if made.strategy == "reoffer":      # mod_sofia updates a phone's display only once answered
            out.append(UpdateDisplay(made.leg_uuid, call.caller_name or call.ani, call.ani))
        start_recording(floor, call, now, out)
    offer_ended(floor, made, now, "answered", "", out)
    for job in list(call.ringing):      # ring-all: the other phones ring on for the next callers, if any
        other = floor.offers.get(job)
        del call.ringing[job]
        if other is not None:
            offer_ended(floor, other, now, "lost_race", "LOSE_RACE", out)
            floor.agent_legs.pop(other.leg_uuid, None)
            floor.orphans.append((job, "lost_race"))


def offer_failed(floor: Floor, call: Call, made: Offer, cause: str, now: float, out: list[Command]) -> None:
    """Set the agent aside as the cause says; when no phone rings any more, the call goes back to its place."""
    floor.agent_legs.pop(made.leg_uuid, None)
    if cause in CANCELLED:
        offer_ended(floor, made, now, CANCELLED[cause], cause, out)
        release_reserved(floor, made, now, out, "offer cancelled")
    elif cause in SWITCH_REFUSED:
        logger.warning("switch refused the leg to agent %s for call %s (%s): the agent stays ready, the call is "
                       "offered again", made.agent_id, call.uuid, cause)
        offer_ended(floor, made, now, "switch_refused", cause, out)
        release_reserved(floor, made, now, out, f"switch refused the leg ({cause})")
        floor.retry_elsewhere[call.uuid] = made.agent_id
    else:
        result = UNANSWERED.get(cause, "busy" if cause == "USER_BUSY" else "unreachable")
        reason = NotReadyReason.NO_ANSWER if cause in UNANSWERED else NotReadyReason.SYSTEM
        if floor.change_agent(made.agent_id, AgentTrigger.OFFER_UNANSWERED, now, out, reason=reason, cause=cause) \
                and reason is NotReadyReason.SYSTEM:
            phones.check_later(floor, made.agent_id, out)
        offer_ended(floor, made, now, result, cause, out)
    if not call.ringing and call.phase is CallPhase.OFFERING and not call.ending and call.direction == "outbound":
        call.move(CallPhase.CONNECTED)          # the agent's own phone failed: no call
        end_unreached_callback(floor, call, cause, now, out)
    elif not call.ringing and call.phase is CallPhase.OFFERING and not call.ending:
        queueing.requeue(floor, call, now, out)
        logger.info("call %s back in queue %s at its place (offer failed: %s)", call.uuid, call.queue_code, cause)


def on_offer_timeout(floor: Floor, job_uuid: str, now: float, out: list[Command]) -> None:
    """The switch never reported the offer's outcome: give up on it as unanswered."""
    made = floor.offers.pop(job_uuid, None)
    if made is None:
        return
    logger.warning("offer %s: no outcome from the switch in time; treating as unanswered", job_uuid)
    out.append(Hangup(made.leg_uuid, "ORIGINATOR_CANCEL"))
    out.append(CancelTimer(f"kill:{job_uuid}"))
    out.append(StartTimer(f"leg:{made.leg_uuid}", LEG_GONE_GUARD_S, wall_min=LEG_GONE_GUARD_S))    # free once the leg's end is seen
    call = floor.calls.get(made.caller_uuid or "")
    if made.caller_uuid is None or call is None or job_uuid not in call.ringing:
        return
    del call.ringing[job_uuid]
    offer_failed(floor, call, made, "NO_ANSWER", now, out)


def kill_again(floor: Floor, job_uuid: str, out: list[Command]) -> None:
    """A cancelled ring whose outcome has not come: the leg may not have existed when it was hung up (the
    originate was still in flight), so hang it up again."""
    made = floor.offers.get(job_uuid)
    if made is not None and made.caller_uuid is None:
        out.append(Hangup(made.leg_uuid, "ORIGINATOR_CANCEL"))
        out.append(StartTimer(f"kill:{job_uuid}", KILL_RETRY_S, wall_min=KILL_RETRY_S))
