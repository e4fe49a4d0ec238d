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
from engine.domain.commands import Bridge, Command, DialCustomer, Hangup, SaveCallback, StartTimer
from engine.domain.events import CallbacksLoaded, OriginateResult

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
RETRY_AFTER_S = 300.0
CUSTOMER_RING_S = 40


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
    """Start-up: every pending callback goes back in its queue."""
    for cb in ev.callbacks:
        add_callback(floor, cb.call_uuid, cb.number, cb.dnis, cb.queue_code, cb.enqueued_at, cb.priority,
                     cb.attempts, ev.at, out)


def agent_answered(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The agent took the callback: now dial the customer (the agent hears the ringing)."""
    call.customer_job = floor.new_id()
    call.callback_attempts += 1
    if call.direction == "outbound":        # the agent dialled out: the number is the dialled one
        out.append(DialCustomer(call.customer_job, call.uuid, call.dnis, CUSTOMER_RING_S, call.ani,
                                {"cc_agent_leg": call.agent_leg or ""}))
        return
    out.append(DialCustomer(call.customer_job, call.uuid, call.ani, CUSTOMER_RING_S, call.dnis,
                            {"cc_callback_of": call.callback_of or "", "cc_agent_leg": call.agent_leg or ""}))


def customer_result(floor: Floor, call: Call, result: OriginateResult, out: list[Command]) -> None:
    """The customer answered (bridge to the agent) or not (release the agent; retry later or give up)."""
    call.customer_job = None
    if result.ok and call.agent_leg and call.phase is CallPhase.CONNECTED:
        call.answered_at = result.at
        out.append(Bridge(call.uuid, call.agent_leg))
        start_recording(floor, call, result.at, out)
        return
    if result.ok:           # the agent left while the customer's phone rang
        out.append(Hangup(call.uuid, "NORMAL_CLEARING"))
        return
    if call.direction == "outbound":
        end_unreached_callback(floor, call, result.cause, result.at, out)
        return
    logger.info("callback %s to %s failed: %s (attempt %d)", call.callback_of, call.ani, result.cause,
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
