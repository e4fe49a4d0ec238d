"""How calls end: caller or agent hangs up; the call record is written exactly once."""
from __future__ import annotations

import logging

from engine.acd import arrivals, callbacks, calllog, consult, queueing, waiting
from engine.acd.calllog import K
from engine.acd.floor import Floor
from engine.acd.offers import cancel_ringing
from engine.domain.agent import AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, Hangup, SaveCallRecord, StartTimer
from engine.domain.states import AgentState, CallOutcome, HangupSide

logger = logging.getLogger(__name__)


def on_caller_hangup(floor: Floor, call: Call, cause: str, now: float, out: list[Command]) -> None:
    """The caller's leg is gone: settle the agent side, then write the record."""
    side = call.hangup_side or (HangupSide.SYSTEM if call.ending else HangupSide.CALLER)
    consult.end(floor, call, now, out)
    if call.phase in (CallPhase.QUEUED, CallPhase.OFFERING) and not call.ending and call.direction == "inbound" \
            and not call.callback_of:
        calllog.log(call, K.ABANDONED, now, out, wait_s=calllog.waited(call, now),
                    detail="ringing" if call.phase is CallPhase.OFFERING else "")
    if call.phase is CallPhase.OFFERING:
        cancel_ringing(floor, call, now, out)
    elif call.phase is CallPhase.CONNECTED and call.agent_id is not None:
        finish_talk(floor, call, now, out)
        if call.agent_leg:
            # the switch hangs up a bridged partner itself, but a caller who leaves between the agent's answer
            # and the bridge would leave the agent's phone off-hook on a parked leg: always release it
            out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))
    if call.transfer_leg and (call.transfer_job or call.transferred):
        out.append(Hangup(call.transfer_leg, "ORIGINATOR_CANCEL" if call.transfer_job else "NORMAL_CLEARING"))
        floor.transfer_legs.pop(call.transfer_leg, None)
    floor.waiting.remove(call.uuid)
    queueing.forget(call, out)
    if call.phase is not CallPhase.ENDED:
        call.move(CallPhase.ENDED)
    floor.calls.pop(call.uuid, None)
    if call.agent_leg:
        floor.agent_legs.pop(call.agent_leg, None)
    waiting.on_voicemail_hangup(floor, call, now, out)
    callbacks.finished(call, now, out)
    out.append(record(floor, call, cause, side, now))
    _log_end(call, now, out)
    logger.info("call %s ended: %s by %s (%s)", call.uuid, call.outcome().value, side.value, cause)


def end_unreached_callback(floor: Floor, call: Call, cause: str, now: float, out: list[Command]) -> None:
    """A callback whose customer did not answer: the agent's call ends, the attempt is recorded as failed."""
    finish_talk(floor, call, now, out)
    if call.agent_leg:
        floor.agent_legs.pop(call.agent_leg, None)
        out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))
    call.end_outcome = CallOutcome.FAILED
    call.ivr_path.append(f"customer:{cause}")
    call.move(CallPhase.ENDED)
    floor.calls.pop(call.uuid, None)
    out.append(record(floor, call, cause, HangupSide.SYSTEM, now))
    _log_end(call, now, out)


def _log_end(call: Call, now: float, out: list[Command]) -> None:
    """The caller's leg is over: outbound calls (agent dialled, callbacks) are logged as dialled with their talk."""
    if call.direction == "outbound" or call.callback_of:
        talk = 0.0 if call.answered_at is None else max(0.0, now - call.answered_at)
        calllog.log(call, K.DIALED, now, out, duration_s=talk,
                    detail="callback" if call.callback_of else ("answered" if call.answered_at else "unanswered"))
    calllog.log(call, K.ENDED, now, out, duration_s=max(0.0, now - call.started_at), detail=call.outcome().value)


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
        from engine.acd.agent_actions import complete_transfer
        complete_transfer(floor, call, now, out)
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


def finish_talk(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The agent's conversation is over: wrap-up (after-call work) for the queue's wrap-up time."""
    agent_id = call.agent_id
    agent = floor.agents.get(agent_id) if agent_id is not None else None
    if agent is None or agent.call_uuid != call.uuid or agent_id is None:
        return
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
    out.append(StartTimer(f"wrapup:{agent_id}", wrap_up))
    if call.queue_code:         # live handling time (talk + wrap-up) for estimated-wait announcements
        previous = floor.queue_aht.get(call.queue_code)
        handled = talk_s + wrap_up
        floor.queue_aht[call.queue_code] = handled if previous is None else 0.9 * previous + 0.1 * handled


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
