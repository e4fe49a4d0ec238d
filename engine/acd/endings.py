"""How calls end: caller or agent hangs up; the call record is written exactly once."""
from __future__ import annotations

import logging

from engine.acd import agent_actions, arrivals, callbacks, calllog, consult, followups, waiting
from engine.acd.calllog import K
from engine.acd.effects import (await_recording_stop, end_unreached_callback, finish_talk, forget, log_end,
                                offer_ended, record)
from engine.acd.floor import Floor
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, Hangup
from engine.domain.states import FAULT_OUTCOMES, HangupSide

logger = logging.getLogger(__name__)


def on_caller_hangup(floor: Floor, call: Call, cause: str, now: float, out: list[Command]) -> None:
    """The caller's leg is gone: settle the agent side, then write the record."""
    side = call.hangup_side or (HangupSide.SYSTEM if call.ending else HangupSide.CALLER)
    consult.end(floor, call, now, out)
    ringing = [floor.offers[job] for job in call.ringing if job in floor.offers]
    waiting_caller = call.phase in (CallPhase.QUEUED, CallPhase.OFFERING) and call.direction == "inbound" \
        and not call.callback_of
    if waiting_caller and call.outcome() in FAULT_OUTCOMES:      # cut off by a fault: never the caller's abandon
        calllog.log(call, K.CUT, now, out, wait_s=calllog.waited(call, now), detail=call.outcome().value)
    elif waiting_caller and not call.ending:
        calllog.log(call, K.ABANDONED, now, out, wait_s=calllog.waited(call, now),
                    agent_id=ringing[0].agent_id if ringing and call.phase is CallPhase.OFFERING else None,
                    detail="ringing" if call.phase is CallPhase.OFFERING else "")
    if call.phase is CallPhase.OFFERING:
        for made in ringing:        # the phones keep ringing: the dispatch point gives them to the next callers
            offer_ended(floor, made, now, "caller_left", "ORIGINATOR_CANCEL", out)
            floor.agent_legs.pop(made.leg_uuid, None)
            floor.orphans.append((made.job_uuid, "caller_left"))
        call.ringing.clear()
    elif call.phase is CallPhase.CONNECTED and call.agent_id is not None:
        finish_talk(floor, call, now, out)
        if call.agent_leg and call.agent_leg in floor.live_legs:
            # the switch hangs up a bridged partner itself, but a caller who leaves between the agent's answer
            # and the bridge would leave the agent's phone off-hook on a parked leg: release it while it is up
            out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))
    if call.transfer_leg and (call.transfer_job or call.transferred):
        out.append(Hangup(call.transfer_leg, "ORIGINATOR_CANCEL" if call.transfer_job else "NORMAL_CLEARING"))
        floor.transfer_legs.pop(call.transfer_leg, None)
    floor.waiting.remove(call.uuid)
    forget(call, out)
    await_recording_stop(floor, call, out)
    if call.phase is not CallPhase.ENDED:
        call.move(CallPhase.ENDED)
    floor.calls.pop(call.uuid, None)
    floor.special_calls.discard(call.uuid)
    if call.agent_leg:
        floor.agent_legs.pop(call.agent_leg, None)
    waiting.on_voicemail_hangup(floor, call, now, out)
    callbacks.finished(call, now, out)
    followups.finished(call, cause, now, out)
    out.append(record(floor, call, cause, side, now))
    log_end(call, now, out)
    logger.info("call %s ended: %s by %s (%s)", call.uuid, call.outcome().value, side.value, cause)


def on_agent_leg_hangup(floor: Floor, call: Call, cause: str, now: float, out: list[Command]) -> None:
    """The agent hung up first: end the talk, then release the caller (kept parked by park_after_bridge)."""
    if call.phase is not CallPhase.CONNECTED:
        return          # an offer leg that failed: its outcome arrives as the originate result
    if call.consult is not None:
        if consult.agent_left_conference(floor, call, now, out):
            return      # the third party keeps the caller
        consult.end(floor, call, now, out)
    if call.pending_transfer is not None and not call.ending:
        finish_talk(floor, call, now, out)
        floor.agent_legs.pop(call.agent_leg or "", None)
        agent_actions.complete_transfer(floor, call, now, out)
        return
    call.hangup_side = HangupSide.AGENT
    finish_talk(floor, call, now, out)
    if call.direction == "outbound" and call.answered_at is None and not call.ending:
        call.ending = True                  # the agent gave up before the number answered
        out.append(Hangup(call.uuid, "ORIGINATOR_CANCEL"))
        if call.customer_job is None:
            end_unreached_callback(floor, call, "ORIGINATOR_CANCEL", now, out)
        return
    if call.after_call and not call.ending and call.flow_def is not None:
        call.move(CallPhase.IVR)            # parked by park_after_bridge: the caller goes on, e.g. to a survey
        call.ivr_path.append("after_call")
        arrivals.run_node(floor, call, call.after_call, now, out)
        return
    if not call.ending:
        call.ending = True
        out.append(Hangup(call.uuid, "NORMAL_CLEARING"))
