"""Automated follow-up calls (回访, R-TKT-3): the engine rings the citizen of a closed work order, plays the order's
summary and collects their rating with the `follow_up` nodes of a flow (ivr_flows/followup.yaml).

The store picks the visits that are due within the calling hours and claims them (engine.follow_up_dialler); here
each becomes a dial on the outside line (DialCustomer, marked cc_phase=followup). Answered, the citizen's leg is a
call of its own running the flow, recorded like every answered call; its flow variables carry the follow-up's id,
and the IVR marks put them on the channel, so an engine taking over mid-call finishes the visit. Every outcome goes
back to the store as a SaveFollowUpResult: rated (the visit is done; 不满意 reopens the order), not reached (no
answer, busy, or hung up before rating: tried again later within the calling hours), or not placed (deferred: the
trunk is full or the flow is missing; no attempt counted).
"""
from __future__ import annotations

import logging

from engine.acd import arrivals, calllog
from engine.acd.calllog import K
from engine.acd.effects import start_recording
from engine.acd.floor import Floor
from engine.acd.trunks import in_use
from engine.domain import dialplan
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, DialCustomer, SaveFollowUpResult, SetLegVars
from engine.domain.events import FollowUpsDue, OriginateResult
from engine.domain.followup import FOLLOW_UP_VAR, RATED_VAR
from engine.domain.privacy import masked

logger = logging.getLogger(__name__)
NOT_RATED = "NO_RATING"         # the cause stored when the citizen answered but hung up before rating


def in_flight(floor: Floor) -> int:
    """Automated follow-up calls being dialled or under way."""
    return len(floor.follow_up_jobs) + sum(1 for c in floor.calls.values() if FOLLOW_UP_VAR in c.variables)


def _under_way(floor: Floor, follow_up_id: int) -> bool:
    ids = str(follow_up_id)
    return any(item.follow_up_id == follow_up_id for item, _ in floor.follow_up_jobs.values()) or \
        any(c.variables.get(FOLLOW_UP_VAR) == ids for c in floor.calls.values())


def on_due(floor: Floor, ev: FollowUpsDue, out: list[Command]) -> None:
    """Place the follow-up calls the store handed over (one trunk channel each; none when the trunk is full)."""
    for item in ev.follow_ups:
        if _under_way(floor, item.follow_up_id):
            continue
        if item.flow not in floor.flows:
            logger.error("follow-up %d: flow %r is not loaded; the call is not placed", item.follow_up_id, item.flow)
            out.append(SaveFollowUpResult(item.follow_up_id, "deferred", ev.at, cause="NO_FLOW"))
            continue
        if floor.trunk_channels and in_use(floor) >= floor.trunk_channels:
            out.append(SaveFollowUpResult(item.follow_up_id, "deferred", ev.at, cause="TRUNK_BUSY"))
            continue
        if refused := dialplan.refusal(item.number, floor.dialable):
            logger.warning("follow-up %d: number %s cannot be dialled: %s", item.follow_up_id, masked(item.number),
                           refused)
            out.append(SaveFollowUpResult(item.follow_up_id, "unanswered", ev.at, cause="INVALID_NUMBER_FORMAT"))
            continue
        job, leg = floor.new_id(), floor.new_id()
        floor.follow_up_jobs[job] = (item, leg)
        out.append(DialCustomer(job, leg, item.number, item.ring_s, item.caller_id,
                                {"cc_phase": "followup", "cc_follow_up": str(item.follow_up_id)}))
        logger.info("follow-up %d: calling %s", item.follow_up_id, masked(item.number))


def on_result(floor: Floor, ev: OriginateResult, out: list[Command]) -> None:
    """The citizen answered (their leg runs the follow-up flow) or not (not reached: tried again later)."""
    item, leg = floor.follow_up_jobs.pop(ev.job_uuid)
    if not ev.ok:
        logger.info("follow-up %d: %s did not answer (%s)", item.follow_up_id, masked(item.number), ev.cause)
        out.append(SaveFollowUpResult(item.follow_up_id, "unanswered", ev.at, cause=ev.cause or "NO_ANSWER"))
        return
    call = Call(uuid=ev.leg_uuid or leg, ani=item.number, dnis=item.caller_id, caller_name="", started_at=ev.at,
                flow=item.flow, phase=CallPhase.IVR, direction="outbound", answered_at=ev.at)
    call.flow_def = floor.flows[item.flow]
    call.variables = {**item.variables, FOLLOW_UP_VAR: str(item.follow_up_id)}
    call.ivr_path.append(f"follow_up:{item.follow_up_id}")
    floor.calls[call.uuid] = call
    out.append(SetLegVars(call.uuid, {"cc_answered_at": f"{ev.at:.6f}"}))    # for an engine taking over
    calllog.log(call, K.IVR_ENTERED, ev.at, out, detail=item.flow)
    start_recording(floor, call, ev.at, out)
    arrivals.run_node(floor, call, call.flow_def.start, ev.at, out)


def finished(call: Call, cause: str, now: float, out: list[Command]) -> None:
    """A follow-up call ended: one the citizen did not rate counts as not reached (tried again later)."""
    follow_up = call.variables.get(FOLLOW_UP_VAR, "")
    if follow_up.isdigit() and not call.variables.get(RATED_VAR):
        out.append(SaveFollowUpResult(int(follow_up), "unanswered", now, call_uuid=call.uuid, cause=NOT_RATED))
