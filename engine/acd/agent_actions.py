"""What an agent does with the call in hand (from the desktop or a CRM through the CTI API): hang up, hold,
blind transfer to a queue, an agent, an IVR flow or a number (with a note for the next agent), and dialling out."""
from __future__ import annotations

import logging

from engine.acd import arrivals, calllog, consult, dispatch, ivr_runner, queueing
from engine.acd.calllog import K
from engine.acd.effects import ring_agent
from engine.acd.floor import Floor
from engine.domain.agent import AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, Hangup, HoldCall, PhoneEvent
from engine.domain.events import AgentRequest
from engine.domain import dialplan
from engine.domain.states import AgentState
from engine.domain.privacy import masked_target

logger = logging.getLogger(__name__)
CALL_ACTIONS = ("answer", "hangup", "hold", "unhold", "transfer", "dial", *consult.CONSULT_ACTIONS)
TRANSFER_KINDS = ("queue", "agent", "flow", "number")
TRANSFER_PRIORITY = 5              # a transferred caller has already waited once: served ahead of new calls
DIAL_RING_S = 30


def handle(floor: Floor, ev: AgentRequest, out: list[Command]) -> str:
    """Carry out one call action; '' when done, else why not (shown to the agent)."""
    agent = floor.agents.get(ev.agent_id)
    if agent is None:
        return f"agent {ev.agent_id} is not known to the engine"
    if ev.action == "dial":
        return _dial(floor, agent, ev, out)
    if ev.action == "answer":
        return _answer(floor, agent, out)
    call = floor.calls.get(agent.call_uuid or "")
    if call is None or call.phase is not CallPhase.CONNECTED or call.agent_leg is None:
        return f"agent {agent.employee_no} has no call in conversation"
    if call.consult is not None and call.consult.agent_id == agent.agent_id:     # the consulted agent
        if ev.action != "hangup":
            return f"agent {agent.employee_no} is being consulted: only hanging up is possible"
        out.append(Hangup(call.consult.leg_uuid, "NORMAL_CLEARING"))
        return ""
    if ev.action in consult.CONSULT_ACTIONS:
        return consult.handle(floor, agent, call, ev, out)
    if call.consult is not None and ev.action != "hangup":
        return "finish the consultation first (transfer, conference or back to the caller)"
    if ev.action == "hangup":
        out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))
    elif ev.action == "unhold" and agent.state is not AgentState.ON_HOLD:
        return f"agent {agent.employee_no}'s call is not on hold"      # uuid_hold off would only get -ERR
    elif ev.action == "hold" and agent.state is AgentState.ON_HOLD:
        return f"agent {agent.employee_no}'s call is already on hold"
    elif ev.action in ("hold", "unhold"):
        # uuid_hold holds the agent's leg and plays hold music to its partner, the caller (switch_ivr.c
        # switch_ivr_hold: switch_ivr_broadcast(partner, hold_music))
        out.append(HoldCall(call.agent_leg, ev.action == "hold"))
    else:
        return _transfer(floor, agent, call, ev, out)
    return ""


def _talked(call: Call, agent, now: float) -> float:
    """How long this agent has had the caller, hold included (the talk before a transfer)."""
    return max(0.0, now - (call.answered_at if call.answered_at is not None else agent.since))


def _answer(floor: Floor, agent, out: list[Command]) -> str:
    """Answer the ringing phone from the desktop (phones that do not answer by themselves): remote control
    `uuid_phone_event <leg> talk`, a SIP NOTIFY "Event: talk" the phone acts on (Yealink, Polycom, Snom…)."""
    if agent.state is not AgentState.RESERVED:
        return f"agent {agent.employee_no} has no ringing call"
    made = next((o for o in floor.offers.values() if o.agent_id == agent.agent_id), None)
    if made is not None:
        out.append(PhoneEvent(made.leg_uuid, "talk"))
        return ""
    call = floor.calls.get(agent.call_uuid or "")
    leg = call.consult.leg_uuid if call is not None and call.consult is not None else None
    if leg is None and call is not None and call.direction == "outbound":
        leg = next(iter(call.ringing.values()), None)
    if leg is None:
        return f"agent {agent.employee_no} has no ringing call"
    out.append(PhoneEvent(leg, "talk"))
    return ""


def _transfer(floor: Floor, agent, call: Call, ev: AgentRequest, out: list[Command]) -> str:
    kind, _, target = (ev.argument or "").partition(":")
    if kind not in TRANSFER_KINDS or not target:
        return "transfer target must be queue:<code>, agent:<工号>, flow:<name> or number:<digits>"
    if kind == "queue" and target not in floor.queues:
        return f"no queue {target}"
    if kind == "flow" and target not in floor.flows:
        return f"no flow {target}"
    if kind == "number" and not target.isdigit():
        return "a number has digits only"
    if kind == "number" and (refused := dialplan.refusal(target, floor.dialable)):
        return refused
    if kind == "agent":
        other = next((a for a in floor.agents.values() if a.employee_no == target), None)
        if other is None or not floor.is_free(other.agent_id) or other.agent_id == agent.agent_id:
            return f"agent {target} is not ready to take a transfer"
    call.pending_transfer = (kind, target)
    call.variables.update({"transferred_by": agent.employee_no, "transfer_note": ev.note or ""})
    call.ivr_path.append(f"transfer:{kind}:{target}:by {agent.employee_no}")
    calllog.log(call, K.TRANSFERRED, ev.at, out, agent_id=agent.agent_id, **calllog.transfer_detail(kind, target),
                duration_s=_talked(call, agent, ev.at))
    out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))     # the caller stays parked (park_after_bridge)
    logger.info("agent %s transfers call %s to %s %s", agent.employee_no, call.uuid, kind, masked_target(kind, target))
    return ""


def complete_transfer(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The transferring agent's leg is gone: the caller goes where the agent sent them."""
    kind, target = call.pending_transfer  # type: ignore[misc]
    call.pending_transfer = None
    call.transfers += 1
    call.agent_id = call.agent_leg = None
    if kind in ("queue", "agent"):
        queue_code = target if kind == "queue" else (call.queue_code or next(iter(floor.queues)))
        call.phase = CallPhase.IVR           # enter the queue like a new request (the wait restarts)
        queueing.enqueue(floor, call, queue_code, max(call.priority, TRANSFER_PRIORITY), now, out)
        if kind == "agent" and call.phase is CallPhase.QUEUED:
            other = next((a for a in floor.agents.values() if a.employee_no == target), None)
            if other is not None and floor.is_free(other.agent_id):
                floor.waiting.remove(call.uuid)
                call.move(CallPhase.OFFERING)
                if not dispatch.offer(floor, call, other.agent_id, f"transferred to {target} by request", "direct",
                                      now, out):
                    queueing.requeue(floor, call, now, out)
    elif kind == "flow":
        call.move(CallPhase.IVR)
        call.flow_def, call.flow = floor.flows[target], target
        arrivals.run_node(floor, call, call.flow_def.start, now, out)
    else:                                   # number, or extension (a supervisor taking the call over)
        call.move(CallPhase.IVR)
        ivr_runner.dial_out(floor, call, target, out, extension=kind == "extension")


def take_over(floor: Floor, ev: AgentRequest, out: list[Command]) -> str:
    """A supervisor takes the call from the agent: the agent leaves, the caller is rung through to the
    supervisor's extension (R-CTI-7)."""
    agent = floor.agents.get(ev.agent_id)
    call = floor.calls.get(agent.call_uuid or "") if agent is not None else None
    if agent is None or call is None or call.phase is not CallPhase.CONNECTED or call.agent_leg is None:
        return f"agent {agent.employee_no if agent else ev.agent_id} is not in a conversation"
    if not (ev.argument or "").isdigit():
        return "the supervisor's extension is needed (digits)"
    call.pending_transfer = ("extension", ev.argument)   # type: ignore[assignment]
    call.variables.update({"transferred_by": agent.employee_no, "taken_over_by": ev.actor})
    call.ivr_path.append(f"takeover:{ev.actor}:{ev.argument}")
    calllog.log(call, K.TRANSFERRED, ev.at, out, agent_id=agent.agent_id, detail=f"takeover:{ev.argument}",
                duration_s=_talked(call, agent, ev.at))
    out.append(Hangup(call.agent_leg, "NORMAL_CLEARING"))
    return ""


def _dial(floor: Floor, agent, ev: AgentRequest, out: list[Command]) -> str:
    """Outbound call: ring the agent's own phone first, then the number; bridged when the number answers."""
    kind, _, number = (ev.argument or "").partition(":")
    if kind != "number" or not number.isdigit():
        return "dial target must be number:<digits>"
    if refused := dialplan.refusal(number, floor.dialable):
        return refused
    if agent.state not in (AgentState.READY, AgentState.NOT_READY):
        return f"agent {agent.employee_no} cannot dial while {agent.state.value}"
    if agent.agent_id in floor.leg_of_agent:
        return f"agent {agent.employee_no}: the phone's last call is still being released"
    call = Call(uuid=floor.new_id(), ani=agent.extension, dnis=number, caller_name=agent.name, started_at=ev.at,
                phase=CallPhase.OFFERING, direction="outbound", callback_of=None)
    call.ivr_path.append(f"dial:{number}:by {agent.employee_no}")
    floor.calls[call.uuid] = call
    floor.special_calls.add(call.uuid)
    floor.change_agent(agent.agent_id, AgentTrigger.DIAL, ev.at, out, cause=f"dialling {number}",
                       actor=ev.actor, call_uuid=call.uuid)
    ring_agent(floor, call, agent, DIAL_RING_S, {"cc_call_uuid": call.uuid, "cc_agent": agent.employee_no}, "",
               "outbound call", "dial", ev.at, out, number=number, name=number)
    return ""
