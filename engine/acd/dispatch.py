"""The one place that decides who is rung for which call (R-ACD-1, R-ACD-6).

Every event handler only changes the floor: a caller starts waiting, an agent becomes ready, an agent's leg
is gone, a ringing caller hangs up. `settle` runs after every event (CallCenter.handle) and brings the floor
back to its invariant:

* a ringing phone whose caller just left is given to the next waiting caller that agent may serve (the same
  leg keeps ringing: no ring is wasted, the phone's display and the desktop show the new caller); only when
  nobody waits for that agent is the leg hung up;
* no free agent (ready, active, no leg of theirs left on the switch) stays beside a waiting call it may
  serve: waiting calls are taken in service order and each is offered by its queue's strategy among the free
  agents, as long as the switch's session budget allows (engine.domain.pacing); when it does not, a `pace`
  timer brings the dispatch point back as soon as it does.
"""
from __future__ import annotations

import dataclasses
import math
import logging

from engine.acd import calllog
from engine.acd.calllog import K
from engine.acd.effects import cancel_offer, offer_ended, ring_agent
from engine.acd.floor import Floor, Offer
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, SetLegVars, StartTimer
from engine.domain.routing import agent_order, is_eligible, qualifies, select_agent

logger = logging.getLogger(__name__)
# A phone that has rung unanswered for callers who gave up rings the rest of the queue's ring timeout for the next
# one, at least this long: a phone that never answers is found out (not-ready, no answer) by its second caller,
# not left to ring caller after caller whose patience is shorter than the ring timeout
MIN_RING_S = 2


def settle(floor: Floor, now: float, out: list[Command]) -> None:
    """The dispatch point: re-offer or cancel orphaned rings, then offer waiting calls to free agents."""
    if floor.orphans:
        orphans, floor.orphans = floor.orphans, []
        for job, result in orphans:
            _reoffer_or_cancel(floor, job, result, now, out)
    if not floor.ready or not floor.waiting:
        return
    # removing a call never makes another offerable: the signature is what can (a free agent, a call added, a
    # call's skills widened: floor.version; the waiting list's additions)
    signature = (floor.version, floor.waiting.version)
    if signature == floor.fruitless:
        return                      # nothing changed since the last look found no match
    skipped = False
    for uuid in floor.waiting:      # a snapshot: offering removes calls from the list
        if not floor.ready:
            break
        call = floor.calls.get(uuid)
        if call is None:
            continue
        if call.due_while_ringing:  # a max wait or step due: applies first (its timer fires at once)
            skipped = True
            continue
        if not any(may_serve(floor, agent, call) for agent in floor.candidates(call.required)):
            continue
        if not floor.pacer.may_originate(now):
            out.append(StartTimer("pace", floor.pacer.next_slot(now)))
            return
        dispatch_call(floor, call, now, out)
    # a call skipped for a due step is looked at again once the step has applied, whatever else changed
    floor.fruitless = None if skipped else (floor.version, floor.waiting.version)


def may_serve(floor: Floor, agent: Agent, call: Call) -> bool:
    """Free, qualified, and (tiered dispatch) of a hall in the call's chain or of no hall."""
    return (floor.is_free(agent.agent_id) and is_eligible(agent, call.required)
            and (not call.hall_chain or agent.hall_id is None or agent.hall_id in call.hall_chain))


def tiered_candidates(floor: Floor, call: Call) -> tuple[list, str]:
    """Tiered dispatch (R-ACD-3): agents of the number's own hall first, then of each parent hall in turn, as
    each level's qualified agents are busy; agents without a hall serve as the last level. A call whose
    number has no hall may go to any qualified agent."""
    candidates = [a for a in floor.candidates(call.required) if is_eligible(a, call.required)]
    refused = floor.retry_elsewhere.pop(call.uuid, None)
    if refused is not None:         # the switch just refused this agent's leg: another agent first, if any
        candidates = [a for a in candidates if a.agent_id != refused] or candidates
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
    if not call.ringing:            # every offer was refused on the spot: the call waits again at its place
        call.move(CallPhase.QUEUED)
        floor.waiting.add(call.uuid, floor.waiting_key(call))
        return False
    return True


def offer(floor: Floor, call: Call, agent_id: int, why: str, strategy: str, now: float, out: list[Command]) -> bool:
    """Reserve a free agent and ring the agent's phone for this call (a leg of the engine's own, bridged to
    the caller when it answers)."""
    agent = floor.agents[agent_id]
    queue = floor.queues[call.queue_code]  # type: ignore[index]
    if not floor.is_free(agent_id) or not floor.change_agent(agent_id, AgentTrigger.OFFER, now, out,
                                                             cause=f"offer from {queue.code}", call_uuid=call.uuid):
        return False
    call.offers += 1
    ring_s = ring_time(floor, agent_id, queue.ring_timeout_s)
    logger.info("call %s offered to agent %s in queue %s: %s%s", call.uuid, agent.employee_no, queue.code, why,
                "" if ring_s == queue.ring_timeout_s else f" (rings {ring_s} s: it rang unanswered for callers who "
                                                          f"gave up)")
    calllog.log(call, K.OFFERED, now, out, agent_id=agent_id, wait_s=calllog.waited(call, now), detail=strategy)
    ring_agent(floor, call, agent, ring_s, {"cc_call_uuid": call.uuid, "cc_agent": agent.employee_no,
                                            "cc_queue": queue.code}, queue.code, why, strategy, now, out,
               number=call.ani, name=call.caller_name or call.ani)
    return True


def ring_time(floor: Floor, agent_id: int, ring_timeout_s: int) -> int:
    """How long to ring this agent: the queue's ring timeout less what the phone has already rung, unanswered,
    for callers who gave up since its last answer (at least MIN_RING_S), in whole seconds as originate takes."""
    spent = floor.unanswered_ring_s.get(agent_id, 0.0)
    if spent <= 0.0:
        return ring_timeout_s
    return max(MIN_RING_S, min(ring_timeout_s, math.ceil(ring_timeout_s - spent)))


def _reoffer_or_cancel(floor: Floor, job: str, result: str, now: float, out: list[Command]) -> None:
    """A phone still rings for a caller who hung up: give the ring to the first waiting call (service order)
    its agent may serve, or hang the leg up when there is none."""
    made = floor.offers.get(job)
    if made is None:
        return
    agent = floor.agents.get(made.agent_id)
    target = None
    if agent is not None and agent.active:
        for uuid in floor.waiting:
            call = floor.calls.get(uuid)
            if call is not None and call.phase is CallPhase.QUEUED and not call.ending \
                    and not call.due_while_ringing and call.direction == "inbound" and not call.callback_of and _may_take(floor, agent, call):
                target = call
                break
    if target is None or agent is None:
        cancel_offer(floor, made, result, now, out)
        return
    queue = floor.queues[target.queue_code]  # type: ignore[index]
    floor.waiting.remove(target.uuid)
    target.move(CallPhase.OFFERING)
    target.ringing[job] = made.leg_uuid
    target.offers += 1
    floor.agent_legs[made.leg_uuid] = target.uuid
    reason = (f"re-offered: the phone was already ringing for {made.caller_uuid}, "
              + ("whose caller hung up" if result == "caller_left" else "which another agent answered"))
    floor.offers[job] = Offer(job, target.uuid, made.agent_id, made.leg_uuid, queue.code, now, reason, "reoffer")
    floor.change_agent(made.agent_id, AgentTrigger.REOFFER, now, out, cause=f"re-offer from {queue.code}",
                       call_uuid=target.uuid)
    calllog.log(target, K.OFFERED, now, out, agent_id=made.agent_id, wait_s=calllog.waited(target, now),
                detail="reoffer")
    # the leg's marks follow (an engine restarted now adopts the right call); the phone's display is updated
    # once it answers (offers.connect): mod_sofia sends a display update on an answered leg only
    out.append(SetLegVars(made.leg_uuid, {"cc_call_uuid": target.uuid, "cc_queue": queue.code}))
    logger.info("agent %s: ringing phone re-offered to call %s in queue %s (call %s hung up)",
                agent.employee_no, target.uuid, queue.code, made.caller_uuid)


def _may_take(floor: Floor, agent: Agent, call: Call) -> bool:
    """The ringing agent may serve this call (qualified, tier), whatever its current (reserved) state."""
    return (qualifies(agent, call.required)
            and (not call.hall_chain or agent.hall_id is None or agent.hall_id in call.hall_chain))


def cancel_ringing(floor: Floor, call: Call, result: str, now: float, out: list[Command]) -> None:
    """Stop every phone ringing for this call (it leaves the queue for another reason: callback, shutdown)."""
    for job in list(call.ringing):
        made = floor.offers.get(job)
        del call.ringing[job]
        if made is not None:
            offer_ended(floor, made, now, result, "ORIGINATOR_CANCEL", out)
            cancel_offer(floor, made, result, now, out)
