"""Consultation, consult-then-transfer and three-party conference, as in capture 06c and 05b.

1. consult: the third party's phone is rung (originate ... &park()) while the caller still talks to the agent.
2. it answers: ``uuid_bridge <agent leg> <third>``; the caller drops out of the bridge and parks
   (park_after_bridge) and gets music (``uuid_broadcast``).
3a. transfer: ``uuid_bridge <caller> <third>``: the agent is left alone and hung up; the third party has the call.
3b. conference: ``uuid_transfer <agent leg> -both 'conference:cc-<caller>@default' inline`` (agent and third
    party) and the caller into the same room: the three talk; when the agent leaves, the third party keeps the call.
3c. cancel: ``uuid_bridge <caller> <agent leg>`` and the third party is hung up.
"""
from __future__ import annotations

import logging

from engine.acd import calllog
from engine.acd.calllog import K
from engine.acd.effects import EXEMPT, finish_talk, leg_failed
from engine.acd.floor import Floor
from engine.domain import dialplan
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import Call, CallPhase, Consult
from engine.domain.commands import Bridge, Command, DialCustomer, Hangup, JoinConference, PlayMusic, SetLegVars
from engine.domain.events import AgentRequest, LiveChannel, OriginateResult
from engine.domain.routing import qualifies
from engine.domain.states import AgentState
from engine.domain.privacy import masked_target

logger = logging.getLogger(__name__)
CONSULT_ACTIONS = ("consult", "consult_transfer", "conference", "consult_cancel")
CONSULT_RING_S = 30


def handle(floor: Floor, agent, call: Call, ev: AgentRequest, out: list[Command]) -> str:
    """One consult action of the agent holding the call; '' when done, else why not."""
    if ev.action == "consult":
        return _start(floor, agent, call, ev, out)
    consult = call.consult
    if consult is None or consult.by_agent != agent.agent_id:
        return f"agent {agent.employee_no} is not consulting anyone"
    if ev.action == "consult_cancel":
        _cancel(floor, call, ev.at, out)
        return ""
    if not consult.answered:
        return "the consulted party has not answered yet"
    if consult.conference is not None:
        return "the call is already in conference"
    if ev.action == "consult_transfer":
        _transfer(floor, agent, call, ev, out)
    else:
        _conference(floor, call, out)
    return ""


def _start(floor: Floor, agent, call: Call, ev: AgentRequest, out: list[Command]) -> str:
    if call.consult is not None:
        return "a consultation is already in progress"
    kind, _, target = (ev.argument or "").partition(":")
    other = None
    if kind == "agent":
        other = next((a for a in floor.agents.values() if a.employee_no == target), None)
        if other is None or not floor.is_free(other.agent_id) or other.agent_id == agent.agent_id:
            return f"agent {target} is not ready to be consulted"
    elif kind == "queue":
        queue = floor.queues.get(target)
        if queue is None:
            return f"no queue {target}"
        ready = sorted((a for a in floor.agents.values() if floor.is_free(a.agent_id)
                        and a.agent_id != agent.agent_id and qualifies(a, queue.required_skills)),
                       key=lambda a: (a.idle_since, a.employee_no))
        if not ready:
            return f"no agent of queue {target} is ready to be consulted"
        other, kind, target = ready[0], "agent", ready[0].employee_no
    elif kind != "number" or not target.isdigit():
        return "consult target must be agent:<工号>, queue:<code> or number:<digits>"
    elif refused := dialplan.refusal(target, floor.dialable):
        return refused
    job, leg = floor.new_id(), floor.new_id()
    if other is not None:
        floor.change_agent(other.agent_id, AgentTrigger.OFFER, ev.at, out, cause=f"consulted by {agent.employee_no}",
                           call_uuid=call.uuid)
    call.consult = Consult(job, leg, kind, target, other.agent_id if other else None, agent.agent_id)
    floor.consult_legs[leg] = call.uuid
    if other is not None:
        floor.leg_up(leg, other.agent_id)
    number = (other.remote_number or other.extension) if other else target
    out.append(DialCustomer(job, leg, number, CONSULT_RING_S, agent.extension,
                            {"cc_consult_of": call.uuid, "cc_agent": agent.employee_no, "cc_phase": "consult",
                             "cc_consulted": other.employee_no if other else "", "cc_consult_kind": kind,
                             "cc_consult_target": target,     # what an engine taking over needs (adopt below)
                             **(EXEMPT if other is not None and floor.pacer.exempt else {})},
                            extension=other is not None and not other.remote_number))
    call.ivr_path.append(f"consult:{kind}:{target}:by {agent.employee_no}")
    logger.info("agent %s consults %s %s about call %s", agent.employee_no, kind, masked_target(kind, target),
                call.uuid)
    return ""


def on_result(floor: Floor, call: Call, ev: OriginateResult, out: list[Command]) -> None:
    """The consulted phone answered (agent and third party talk, the caller waits with music) or not."""
    consult = call.consult
    assert consult is not None
    if not ev.ok or call.ending or call.phase is not CallPhase.CONNECTED:
        if ev.ok and ev.leg_uuid:
            out.append(Hangup(ev.leg_uuid, "ORIGINATOR_CANCEL"))
        elif not ev.ok:
            leg_failed(floor, consult.leg_uuid, ev.cause, out)
        logger.info("call %s: consult of %s %s failed (%s)", call.uuid, consult.kind,
                    masked_target(consult.kind, consult.target), ev.cause)
        _drop(floor, call, ev.at, out, answered=False)
        return
    consult.answered = True
    if consult.agent_id is not None:
        floor.change_agent(consult.agent_id, AgentTrigger.ANSWER, ev.at, out, cause="consult answered",
                           call_uuid=call.uuid)
    out.append(Bridge(call.agent_leg or "", consult.leg_uuid))     # the caller drops out and parks (06c)
    out.append(SetLegVars(consult.leg_uuid, {"cc_consult_bridged": "1"}))     # for an engine taking over
    queue = floor.queues.get(call.queue_code or "")
    out.append(PlayMusic(call.uuid, floor.prompt(queue.moh if queue else "local_stream://moh")))


def _transfer(floor: Floor, agent, call: Call, ev: AgentRequest, out: list[Command]) -> None:
    consult = call.consult
    assert consult is not None
    out.append(Bridge(call.uuid, consult.leg_uuid))
    old_leg = call.agent_leg or ""
    floor.agent_legs.pop(old_leg, None)
    talked = max(0.0, ev.at - (call.answered_at or ev.at))
    calllog.log(call, K.TRANSFERRED, ev.at, out, agent_id=agent.agent_id,
                **calllog.transfer_detail(consult.kind, consult.target, "consult:"),
                duration_s=talked)
    finish_talk(floor, call, ev.at, out)
    out.append(Hangup(old_leg, "NORMAL_CLEARING"))          # the consulting agent is left alone (06c)
    call.transfers += 1
    call.variables.update({"transferred_by": agent.employee_no, "transfer_note": ev.note or ""})
    floor.consult_legs.pop(consult.leg_uuid, None)
    call.consult = None
    if consult.agent_id is not None:
        call.agent_id, call.agent_leg = consult.agent_id, consult.leg_uuid
        floor.agent_legs[consult.leg_uuid] = call.uuid
    else:                                     # an outside number has the call now, as after a blind transfer
        call.agent_id = call.agent_leg = None
        call.phase = CallPhase.IVR
        call.transferred, call.transfer_leg = True, consult.leg_uuid
        floor.transfer_legs[consult.leg_uuid] = call.uuid
    logger.info("agent %s transferred call %s to %s %s after consulting", agent.employee_no, call.uuid,
                consult.kind, consult.target)


def _conference(floor: Floor, call: Call, out: list[Command]) -> None:
    consult = call.consult
    assert consult is not None
    consult.conference = f"cc-{call.uuid}"
    out.append(JoinConference(call.agent_leg or "", consult.conference, both=True))   # agent + third party (05b)
    out.append(JoinConference(call.uuid, consult.conference))
    call.ivr_path.append("conference")
    logger.info("call %s: three-party conference %s", call.uuid, consult.conference)


def _cancel(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    consult = call.consult
    assert consult is not None
    if consult.answered and consult.conference is None and call.agent_leg:
        out.append(Bridge(call.uuid, call.agent_leg))       # back to the caller
    out.append(Hangup(consult.leg_uuid, "NORMAL_CLEARING" if consult.answered else "ORIGINATOR_CANCEL"))
    if not consult.answered:
        return          # the originate's failure (ORIGINATOR_CANCEL) settles it
    _drop(floor, call, now, out, answered=True)


def on_leg_hangup(floor: Floor, call: Call, leg: str, now: float, out: list[Command]) -> None:
    """The consulted party hung up: the agent is back with the caller (or, in conference, stays in it)."""
    consult = call.consult
    if consult is None or consult.leg_uuid != leg:
        return
    if consult.answered and consult.conference is None and call.agent_leg and not call.ending:
        out.append(Bridge(call.uuid, call.agent_leg))
    _drop(floor, call, now, out, answered=consult.answered)


def agent_left_conference(floor: Floor, call: Call, now: float, out: list[Command]) -> bool:
    """The consulting agent hung up while in conference: the third party keeps the caller. True if handled."""
    consult = call.consult
    if consult is None or consult.conference is None:
        return False
    finish_talk(floor, call, now, out)
    floor.agent_legs.pop(call.agent_leg or "", None)
    floor.consult_legs.pop(consult.leg_uuid, None)
    call.consult = None
    call.transfers += 1
    if consult.agent_id is not None:
        call.agent_id, call.agent_leg = consult.agent_id, consult.leg_uuid
        floor.agent_legs[consult.leg_uuid] = call.uuid
    else:
        call.agent_id = call.agent_leg = None
        call.phase = CallPhase.IVR
        call.transferred, call.transfer_leg = True, consult.leg_uuid
        floor.transfer_legs[consult.leg_uuid] = call.uuid
    return True


def end(floor: Floor, call: Call, now: float, out: list[Command]) -> None:
    """The caller is gone: release the consulted party too."""
    consult = call.consult
    if consult is None:
        return
    out.append(Hangup(consult.leg_uuid, "NORMAL_CLEARING" if consult.answered else "ORIGINATOR_CANCEL"))
    _drop(floor, call, now, out, answered=consult.answered)


def _drop(floor: Floor, call: Call, now: float, out: list[Command], *, answered: bool) -> None:
    """Forget the consultation; the consulted agent goes to wrap-up (after talking) or is ready again."""
    consult = call.consult
    if consult is None:
        return
    call.consult = None
    floor.consult_legs.pop(consult.leg_uuid, None)
    if consult.agent_id is None:
        return
    agent = floor.agents.get(consult.agent_id)
    if agent is None or agent.call_uuid != call.uuid:
        return
    if answered and agent.state in (AgentState.TALKING, AgentState.ON_HOLD):
        floor.change_agent(consult.agent_id, AgentTrigger.CALL_END, now, out, cause="consult ended",
                           call_uuid=call.uuid)     # a consulted agent has no after-call work of its own
        floor.change_agent(consult.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause="no wrap-up time")
    elif agent.state is AgentState.RESERVED:
        floor.change_agent(consult.agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause="consult ended")


def adopt(floor: Floor, call: Call | None, leg: LiveChannel, consulted: Agent | None, in_conference: bool,
          now: float, out: list[Command]) -> None:
    """After a restart: a consulted party's leg (marked cc_phase consult) of a call taken over. Answered, the
    consultation (or the three-party conference) goes on, and the agent can transfer, conference or go back to the
    caller as before; still ringing (its originate's result went to the engine that died), or of a call that is
    gone, the leg is released and the consulted agent is free again."""
    if consulted is not None:
        floor.leg_up(leg.uuid, consulted.agent_id)
    if call is None or call.phase is not CallPhase.CONNECTED or call.agent_id is None or call.consult is not None \
            or not leg.answered:
        logger.warning("consulted leg %s of call %s released after restart (%s)", leg.uuid, leg.cc_consult_of,
                       "ringing" if call is not None and not leg.answered else "its call is gone or not in hand")
        out.append(Hangup(leg.uuid, "NORMAL_CLEARING" if leg.answered else "ORIGINATOR_CANCEL"))
        if consulted is not None and consulted.state is AgentState.RESERVED and consulted.call_uuid == leg.cc_consult_of:
            floor.change_agent(consulted.agent_id, AgentTrigger.OFFER_CANCELLED, now, out,
                               cause="reconciled: consultation ended with the engine before")
        elif consulted is not None and consulted.state in (AgentState.TALKING, AgentState.ON_HOLD) \
                and consulted.call_uuid == leg.cc_consult_of:
            floor.change_agent(consulted.agent_id, AgentTrigger.CALL_END, now, out, cause="reconciled: consult ended")
            floor.change_agent(consulted.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause="no wrap-up time")
        return
    call.consult = Consult("", leg.uuid, leg.cc_consult_kind or ("agent" if consulted else "number"),
                           leg.cc_consult_target, consulted.agent_id if consulted else None, call.agent_id,
                           answered=True, conference=f"cc-{call.uuid}" if in_conference else None)
    floor.consult_legs[leg.uuid] = call.uuid
    call.ivr_path.append(f"consult:{call.consult.kind}:{call.consult.target}:adopted after restart")
    if not leg.cc_consult_bridged and not in_conference:
        # it answered while no engine listened (its originate's result went to the dead engine): what that
        # engine would have done, the agents are bridged and the caller waits with music (bench-failover)
        out.append(Bridge(call.agent_leg or "", leg.uuid))
        queue = floor.queues.get(call.queue_code or "")
        out.append(PlayMusic(call.uuid, floor.prompt(queue.moh if queue else "local_stream://moh")))
    logger.warning("call %s taken over after restart %s %s %s", call.uuid,
                   "in conference with" if in_conference else "while its agent consults", call.consult.kind,
                   call.consult.target)
    if consulted is None:
        return
    cause = "reconciled: consulted on a live call"
    state = floor.agents[consulted.agent_id].state
    if state in (AgentState.TALKING, AgentState.ON_HOLD) and floor.agents[consulted.agent_id].call_uuid == call.uuid:
        return
    if state is AgentState.WRAP_UP:
        floor.change_agent(consulted.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
    if floor.agents[consulted.agent_id].state is AgentState.NOT_READY:
        floor.change_agent(consulted.agent_id, AgentTrigger.READY, now, out, cause=cause)
    if floor.agents[consulted.agent_id].state is AgentState.READY:
        floor.change_agent(consulted.agent_id, AgentTrigger.OFFER, now, out, cause=cause, call_uuid=call.uuid)
    floor.change_agent(consulted.agent_id, AgentTrigger.ANSWER, now, out, cause=cause, call_uuid=call.uuid)
