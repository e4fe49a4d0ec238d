"""New inbound calls: answer, then the number's IVR flow until it hands the call to a queue."""
from __future__ import annotations

import logging

from engine.acd import calllog, ivr_runner, queueing
from engine.acd.calllog import K
from engine.acd.effects import release
from engine.acd.floor import Floor
from engine.domain.call import Call
from engine.domain.commands import Answer, Command, Play
from engine.domain.events import CallParked
from engine.domain.states import CallOutcome
from engine.domain.privacy import masked

logger = logging.getLogger(__name__)
BLOCKED_PROMPT = "goodbye.wav"     # what a blocked caller hears when the rule names no prompt


def start_call(floor: Floor, ev: CallParked, out: list[Command], started_at: float | None = None) -> None:
    """Answer a new inbound call and run its number's flow (or the unknown-number fallback)."""
    flow_name = floor.numbers.get(ev.dnis)
    call = Call(uuid=ev.uuid, ani=ev.ani, dnis=ev.dnis, caller_name=ev.caller_name,
                started_at=ev.at if started_at is None else started_at)
    call.hall_chain = floor.hall_chain(ev.dnis)
    floor.calls[ev.uuid] = call
    out.append(Answer(ev.uuid))
    calllog.log(call, K.ARRIVED, ev.at, out, private=ev.caller_name or "")
    decision = floor.decide(call, ev.at)
    if decision is not None:
        call.decision = decision
        call.ivr_path.append(f"rule:{decision.rule}")
        call.variables.update(decision.tags)
        logger.info("call %s from %s: %s", ev.uuid, masked(ev.ani), decision.explain())
        if decision.block:
            release(floor, call, CallOutcome.NO_ROUTE, decision.prompt or BLOCKED_PROMPT, out, ev.at)
            return
        flow_name = decision.flow or flow_name
        if decision.hall:
            hall = next((h for h in floor.halls.values() if h.code == decision.hall), None)
            call.hall_chain = floor.hall_chain_from(hall.hall_id if hall else None) or call.hall_chain
    if flow_name is None or flow_name not in floor.flows:
        logger.warning("call %s from %s: number %s has no flow (%s); playing the fallback", ev.uuid, masked(ev.ani),
                       ev.dnis, "unknown number" if flow_name is None else f"flow {flow_name} not loaded")
        call.ivr_path.append("fallback:unknown_number")
        call.pending_app = floor.new_id()
        out.append(Play(ev.uuid, floor.prompt(ivr_runner.FALLBACK_PROMPT), call.pending_app))
        return
    call.flow = flow_name
    call.flow_def = floor.flows[flow_name]
    calllog.log(call, K.IVR_ENTERED, ev.at, out, detail=flow_name)
    run_node(floor, call, call.flow_def.start, ev.at, out)


def run_node(floor: Floor, call: Call, node_id: str | None, now: float, out: list[Command]) -> None:
    """Enter IVR nodes until one waits for media or hands the call to a queue."""
    if node_id is None:
        return
    queue_node = ivr_runner.enter_node(floor, call, node_id, now, out)
    if queue_node is not None:
        queueing.enqueue(floor, call, queue_node.queue, queue_node.priority, now, out)
