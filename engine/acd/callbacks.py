"""Callbacks: a caller who asked to be called back waits in the queue as a virtual call, keeping their place.

When it reaches the head of the queue and an agent is free, the agent is rung first (they see it is a
callback); once the agent answers, the customer is dialled on the outside line and the two are bridged.
A customer who does not answer is retried later, up to MAX_ATTEMPTS, then the callback is marked failed.
"""
from __future__ import annotations

import logging

from engine.acd.effects import end_unreached_callback, start_recording
from engine.acd.floor import Floor
from engine.domain.call import Call, CallPhase
from engine.domain.commands import (Bridge, CancelTimer, Command, DialCustomer, Hangup, SaveCallback, SetLegVars,
                                    StartTimer)
from engine.domain.events import CallbacksLoaded, Cdr, OriginateResult
from engine.domain.privacy import masked

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
RETRY_AFTER_S = 300.0
CUSTOMER_RING_S = 40
UNRESOLVED_S = 30.0      # how long a callback left dialling by a dead engine waits for its customer's CDR


def add_callback(floor: Floor, origin_uuid: str, number: str, dnis: str, queue_code: str, enqueued_at: float,
                 priority: int, attempts: int, now: float, out: list[Command]) -> Call | None:
    """Put a callback in the queue at the original caller's place (its uuid will be the customer leg's)."""
    if queue_code not in floor.queues or any(c.callback_of == origin_uuid for c in floor.calls.values()):
        return None
    call = Call(uuid=floor.new_id(), ani=number, dnis=dnis, caller_name="", started_at=now, flow=None,
                phase=CallPhase.QUEUED, queue_code=queue_code, enqueued_at=enqueued_at, priority=priority,
                callback_of=origin_uuid, callback_attempts=attempts)
    call.required = dict(floor.queues[queue_code].required_skills)
    call.ivr_path.append(f"callback:{queue_code}")
    floor.calls[call.uuid] = call
    floor.special_calls.add(call.uuid)
    floor.waiting.add(call.uuid, floor.waiting_key(call))      # the dispatch point offers it
    return call


def on_callbacks_loaded(floor: Floor, ev: CallbacksLoaded, out: list[Command]) -> None:
    """Start-up (after the switch's channels were taken over): every pending callback goes back in its queue. One
    the engine before this one was dialling, whose legs the switch no longer has, ended while no engine was
    active: its customer's CDR tells how (on_customer_cdr); without one within UNRESOLVED_S it goes back too."""
    for cb in ev.callbacks:
        if any(c.callback_of == cb.call_uuid for c in floor.calls.values()):
            continue                    # taken over from the switch, under way
        if cb.status == "dialling":
            floor.unresolved_callbacks[cb.call_uuid] = cb
            out.append(StartTimer(f"cbunresolved:{cb.call_uuid}", UNRESOLVED_S))
            continue
        add_callback(floor, cb.call_uuid, cb.number, cb.dnis, cb.queue_code, cb.enqueued_at, cb.priority,
                     cb.attempts, ev.at, out)


def requeue(floor: Floor, origin_uuid: str, number: str, dnis: str, queue_code: str, enqueued_at: float,
            priority: int, attempts: int, now: float, out: list[Command]) -> None:
    """A callback under way that was given up through no fault of the customer's: back at its place, pending."""
    floor.unresolved_callbacks.pop(origin_uuid, None)
    out.append(CancelTimer(f"cbunresolved:{origin_uuid}"))
    out.append(SaveCallback(origin_uuid, number, queue_code, enqueued_at, now, "pending", attempts, None, ""))
    add_callback(floor, origin_uuid, number, dnis, queue_code, enqueued_at, priority, attempts, now, out)


def on_customer_cdr(floor: Floor, cdr: Cdr, agent_id: int | None, out: list[Command], now: float) -> None:
    """The CDR of a callback's customer leg that ended while no engine was active: the callback is done if the
    customer talked to an agent, else that attempt counts as failed (retried later, or given up)."""
    cb = floor.unresolved_callbacks.pop(cdr.mark("cc_callback_of"), None)
    if cb is None:
        return
    out.append(CancelTimer(f"cbunresolved:{cb.call_uuid}"))
    if cdr.answered_at is not None and agent_id is not None:
        out.append(SaveCallback(cb.call_uuid, cb.number, cb.queue_code, cb.enqueued_at, cdr.ended_at, "done",
                                cb.attempts, agent_id, cdr.hangup_cause))
        return
    attempts = max(cb.attempts, 1)
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    out.append(SaveCallback(cb.call_uuid, cb.number, cb.queue_code, cb.enqueued_at, now, status, attempts, None,
                            cdr.hangup_cause))
    if status == "pending":
        add_callback(floor, cb.call_uuid, cb.number, cb.dnis, cb.queue_code, cb.enqueued_at, cb.priority,
                     attempts, now, out)


def unresolved_due(floor: Floor, origin_uuid: str, now: float, out: list[Command]) -> None:
    """No CDR came for a callback the engine before this one was dialling (it died before the customer's leg was
    made, or the switch posted none): it goes back to its place, the attempt not counted."""
    cb = floor.unresolved_callbacks.get(origin_uuid)
    if cb is not None:
        logger.warning("callback %s was being dialled by an engine that died; no CDR tells how it went: queued "
                       "again", origin_uuid)
        requeue(floor, origin_uuid, cb.number, cb.dnis, cb.queue_code, cb.enqueued_at, cb.priority,
                max(0, cb.attempts - 1), now, out)


def agent_answered(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The agent took the callback: now dial the customer (the agent hears the ringing). The customer's leg carries
    what an engine taking over needs to go on with the call (customer_marks); the stored callback is `dialling`
    from now on, so no engine queues it again while it is under way."""
    call.customer_job = floor.new_id()
    call.callback_attempts += 1
    if call.direction == "outbound":        # the agent dialled out: the number is the dialled one
        out.append(DialCustomer(call.customer_job, call.uuid, call.dnis, CUSTOMER_RING_S, call.ani,
                                customer_marks(floor, call)))
        return
    out.append(_save(call, "dialling", now, ""))
    out.append(DialCustomer(call.customer_job, call.uuid, call.ani, CUSTOMER_RING_S, call.dnis,
                            customer_marks(floor, call)))


def customer_marks(floor: Floor, call: Call) -> dict[str, str]:
    """The marks of a customer's leg (a callback's, or the number an agent dialled): read back by an engine that
    takes over (engine.switch.inventory), and in the CDR of a leg that ended while no engine was active."""
    agent = floor.agents.get(call.agent_id) if call.agent_id is not None else None
    marks = {"cc_phase": "dialout" if call.direction == "outbound" else "callback",
             "cc_agent_leg": call.agent_leg or "", "cc_agent": agent.employee_no if agent else "",
             "cc_number": call.dnis if call.direction == "outbound" else call.ani}
    if call.callback_of:
        marks.update({"cc_callback_of": call.callback_of, "cc_queue": call.queue_code or "",
                      "cc_enqueued_at": f"{call.enqueued_at or call.started_at:.6f}",
                      "cc_priority": str(call.priority), "cc_attempts": str(call.callback_attempts),
                      "cc_dnis": call.dnis})
    return marks


def customer_result(floor: Floor, call: Call, result: OriginateResult, out: list[Command]) -> None:
    """The customer answered (bridge to the agent) or not (release the agent; retry later or give up)."""
    call.customer_job = None
    if result.ok and call.agent_leg and call.phase is CallPhase.CONNECTED:
        call.answered_at = result.at
        out.append(SetLegVars(call.uuid, {"cc_answered_at": f"{result.at:.6f}"}))   # for an engine taking over
        out.append(Bridge(call.uuid, call.agent_leg))
        start_recording(floor, call, result.at, out)
        return
    if result.ok:           # the agent left while the customer's phone rang
        out.append(Hangup(call.uuid, "NORMAL_CLEARING"))
        return
    if call.direction == "outbound":
        end_unreached_callback(floor, call, result.cause, result.at, out)
        return
    logger.info("callback %s to %s failed: %s (attempt %d)", call.callback_of, masked(call.ani), result.cause,
                call.callback_attempts)
    status = "failed" if call.callback_attempts >= MAX_ATTEMPTS else "pending"
    out.append(_save(call, status, result.at, result.cause))
    if status == "pending":
        out.append(StartTimer(f"cbretry:{call.callback_of}", RETRY_AFTER_S))
        floor.pending_retries[call.callback_of or ""] = call
    end_unreached_callback(floor, call, result.cause, result.at, out)


def retry_due(floor: Floor, origin_uuid: str, now: float, out: list[Command]) -> None:
    """Time to try a failed callback again, at its original place in the queue."""
    old = floor.pending_retries.pop(origin_uuid, None)
    if old is not None:
        add_callback(floor, origin_uuid, old.ani, old.dnis, old.queue_code or "", old.enqueued_at or now,
                     old.priority, old.callback_attempts, now, out)


def finished(call: Call, now: float, out: list[Command]) -> None:
    """The callback conversation is over (whoever hung up): the callback is done."""
    if call.answered_at is not None and call.callback_of:
        out.append(_save(call, "done", now, "NORMAL_CLEARING"))


def _save(call: Call, status: str, now: float, cause: str) -> SaveCallback:
    return SaveCallback(call.callback_of or "", call.ani, call.queue_code or "", call.enqueued_at or now, now, status,
                        call.callback_attempts, call.agent_id, cause)
