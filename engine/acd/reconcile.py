"""Calls that ended while no engine saw them end, closed from FreeSWITCH's own CDRs (mod_xml_cdr).

Two moments: on reconnecting, a call this engine held that the switch no longer has is closed from its CDR when
the switch posted one (how and when it really ended), else as cut by the switch (`switch_lost`). And every few
seconds the active engine is handed the CDRs that still have no call record (engine.cdr_sync): a call it holds
is closed from its CDR (its hang-up was missed); a call it never held (a previous engine died while it was up,
or it came and went while no engine was active) gets its record and its missing call-event entries from the CDR
and the marks the engine left on the channel (cc_phase, cc_queue, cc_enqueued_at, cc_agent, cc_answered_at), and
its open recordings are closed from their files. Every CDR is then marked reconciled, in the same batch."""
from __future__ import annotations

import logging

from engine.acd import callbacks, calllog
from engine.acd.calllog import K
from engine.acd.effects import log_end, record, recording_stopped
from engine.acd.endings import on_caller_hangup
from engine.acd.floor import Floor
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, SaveCdrReconciled
from engine.domain.events import CallTrace, Cdr, CdrsArrived
from engine.domain.states import FAULT_OUTCOMES, CallOutcome, HangupSide
from engine.domain.privacy import masked

logger = logging.getLogger(__name__)
SWITCH_LOST_CAUSE = "SWITCH_LOST"


def cut(call: Call, outcome: CallOutcome) -> None:
    """The call is being cut by a fault of the system, not by its caller: a call not answered yet takes the
    fault's outcome (a caller in a queue is logged as cut, not abandoned); an answered one stays answered. Either
    way the system ended it."""
    if call.answered_at is None and call.end_outcome is None:
        call.end_outcome = outcome
    call.hangup_side = HangupSide.SYSTEM


def close_vanished(floor: Floor, call: Call, cdr: Cdr | None, now: float, out: list[Command]) -> None:
    """A call the switch no longer has: closed as its CDR says, or as lost with the switch."""
    if cdr is None:
        logger.warning("call %s vanished while the switch was unreachable, and no CDR tells how: cut by the switch",
                       call.uuid)
        cut(call, CallOutcome.SWITCH_LOST)
        on_caller_hangup(floor, call, SWITCH_LOST_CAUSE, now, out)
        return
    close_from_cdr(floor, call, cdr, out)


def close_from_cdr(floor: Floor, call: Call, cdr: Cdr, out: list[Command]) -> None:
    """A call this engine holds whose end it missed: closed at the CDR's end time, by whoever ended it."""
    logger.warning("call %s ended unseen (%s, %s): closed from its CDR", call.uuid, cdr.hangup_cause, cdr.disposition)
    if not cdr.caller_hung_up and call.hangup_side is None:
        call.hangup_side = HangupSide.AGENT if call.phase is CallPhase.CONNECTED else HangupSide.SYSTEM
        if call.phase is not CallPhase.CONNECTED and not call.ending:
            cut(call, CallOutcome.SWITCH_LOST)
    on_caller_hangup(floor, call, cdr.hangup_cause or SWITCH_LOST_CAUSE, cdr.ended_at, out)


def on_cdrs_arrived(floor: Floor, ev: CdrsArrived, out: list[Command]) -> None:
    """Close every call these CDRs report that has no record yet."""
    for cdr in ev.cdrs:
        call = floor.calls.get(cdr.uuid)
        if call is not None and call.callback_of is None:
            close_from_cdr(floor, call, cdr, out)
            how = "closed"
        elif call is not None:
            how = "known"           # a callback's customer leg: its attempts are the callback's own business
        else:
            orphan = close_orphan(floor, cdr, ev.traces.get(cdr.uuid, CallTrace()), out)
            if orphan.callback_of:
                callbacks.on_customer_cdr(floor, cdr, orphan.agent_id, out, ev.at)
            how = "closed"
        out.append(SaveCdrReconciled(cdr.uuid, how, ev.at))


def _orphan_call(floor: Floor, cdr: Cdr) -> Call:
    """The call as the CDR and the engine's marks on the channel describe it."""
    phase = cdr.mark("cc_phase")
    if phase == "ivr" and cdr.mark("cc_answered_at"):
        phase = "connected"         # in the survey after its conversation: an answered call
    customer = phase in ("callback", "dialout")      # a leg we dialled (engine.acd.callbacks.customer_marks)
    if customer:
        phase = "connected" if cdr.answered_at is not None else ""
    queue = cdr.mark("cc_queue") or None
    by_employee = {a.employee_no: a for a in floor.agents.values()}
    agent = by_employee.get(cdr.mark("cc_agent")) if phase == "connected" else None

    def epoch(name: str) -> float | None:         # the marks hold epoch seconds (engine.acd.queueing.mark_waiting)
        try:
            value = float(cdr.mark(name) or 0)
        except ValueError:
            return None
        return value if value > 0 else None
    call = Call(uuid=cdr.uuid, ani=cdr.ani, dnis=cdr.dnis, caller_name=cdr.caller_name, started_at=cdr.started_at,
                flow=floor.numbers.get(cdr.dnis), queue_code=queue if phase in ("queued", "connected") else None,
                enqueued_at=epoch("cc_enqueued_at") if phase in ("queued", "connected") else None,
                direction="outbound" if cdr.direction == "outbound" else "inbound")
    try:
        call.priority = int(cdr.mark("cc_priority") or 0)
    except ValueError:
        pass
    call.hall_chain = floor.hall_chain(cdr.dnis)
    if customer:
        call.callback_of = cdr.mark("cc_callback_of") or None
        call.direction = "inbound" if call.callback_of else "outbound"
        call.ani, call.dnis = ((cdr.mark("cc_number"), cdr.mark("cc_dnis")) if call.callback_of
                               else (agent.extension if agent else cdr.ani, cdr.mark("cc_number")))
        call.ani, call.dnis = call.ani or cdr.ani, call.dnis or cdr.dnis
        if call.callback_of:
            call.queue_code, call.enqueued_at = queue, epoch("cc_enqueued_at")
        if cdr.answered_at is None:
            call.end_outcome = CallOutcome.FAILED       # the customer was not reached (callbacks.customer_result)
    if phase == "connected":
        call.phase = CallPhase.CONNECTED
        call.answered_at = epoch("cc_answered_at") or cdr.answered_at or cdr.started_at
        call.agent_id = agent.agent_id if agent is not None else None
    elif phase == "queued":
        call.phase = CallPhase.QUEUED
    call.ivr_path.append("closed from the switch's CDR")
    return call


def close_orphan(floor: Floor, cdr: Cdr, trace: CallTrace, out: list[Command]) -> Call:
    """A call no engine saw end: its record, and the log entries the engine that held it did not write."""
    call = _orphan_call(floor, cdr)
    end = cdr.ended_at
    caller = cdr.caller_hung_up
    if not caller:
        cut(call, CallOutcome.ENGINE_STOPPED)
    side = HangupSide.CALLER if caller else HangupSide.SYSTEM
    if call.phase is CallPhase.CONNECTED and not caller:
        side = HangupSide.AGENT      # a conversation the switch ended: the agent's leg hung up, it released the caller
    have = trace.kinds
    dialled = call.callback_of is not None or call.direction == "outbound"    # a leg we dialled, not a caller's
    if K.ARRIVED.value not in have and not dialled:
        calllog.log(call, K.ARRIVED, call.started_at, out, private=cdr.caller_name)
    if call.enqueued_at is not None and K.QUEUED.value not in have and not dialled:
        calllog.log(call, K.QUEUED, call.enqueued_at, out, detail="from the switch's CDR")
    if call.phase is CallPhase.QUEUED:
        if caller:
            calllog.log(call, K.ABANDONED, end, out, wait_s=calllog.waited(call, end))
        elif call.outcome() in FAULT_OUTCOMES:
            calllog.log(call, K.CUT, end, out, wait_s=calllog.waited(call, end), detail=call.outcome().value)
    elif call.phase is CallPhase.CONNECTED:
        if K.ANSWERED.value not in have and call.agent_id is not None:
            calllog.log(call, K.ANSWERED, call.answered_at or end, out, wait_s=calllog.waited(call, call.answered_at
                                                                                          or end))
        if K.TALK_ENDED.value not in have:
            calllog.log(call, K.TALK_ENDED, end, out, duration_s=max(0.0, end - (call.answered_at or end)))
    for path in trace.open_recordings:
        recording_stopped(floor, path, call.uuid, end, None, out)
    out.append(record(floor, call, cdr.hangup_cause or SWITCH_LOST_CAUSE, side, end))
    if K.ENDED.value not in have:
        log_end(call, end, out)
    logger.warning("call %s from %s closed from the switch's CDR: %s by %s (%s)", call.uuid, masked(call.ani),
                   call.outcome().value, side.value, cdr.hangup_cause)
    return call
