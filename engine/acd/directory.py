"""Configuration reloads (agents, queues, numbers) and reconciliation with what the switch really has."""
from __future__ import annotations

import dataclasses
import logging
import urllib.parse

from engine.acd import arrivals, callbacks, calllog, consult, ivr_runner, offers, phones, queueing, reconcile, waiting
from engine.acd.calllog import K
from engine.acd.endings import on_agent_leg_hangup, on_caller_hangup
from engine.acd.floor import Floor, Offer
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import Call, CallPhase
from engine.domain.commands import Command, Hangup, SaveFollowUpResult, StopMedia
from engine.domain.events import AppFinished, CallParked, DirectoryLoaded, LiveChannel, SwitchSynced
from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason
from engine.domain.privacy import masked

logger = logging.getLogger(__name__)
ADOPTABLE_APPS = ("playback", "play_and_get_digits")   # an IVR node's media: its result serves the new engine
ADOPTED_APP = "adopted:"      # pending_app of a call whose running app the previous engine started
OUTCOMES = frozenset(o.value for o in CallOutcome)
CUSTOMER_PHASES = ("callback", "dialout")       # callbacks.customer_marks
LISTING_LAG_S = 2.0     # a call this young at the listing may be missing from it (its row not yet written)
RESYNC_CAUSE = "SWITCH_RESYNC"      # hang-up cause recorded for calls that ended while the switch was unreachable


def on_directory_loaded(floor: Floor, ev: DirectoryLoaded, out: list[Command]) -> None:
    """Merge configured agents into the floor, keeping the live state of agents already known."""
    seen: set[int] = set()
    for configured in ev.agents:
        seen.add(configured.agent_id)
        live = floor.agents.get(configured.agent_id)
        if live is None:
            floor.put_agent(configured)
            if (configured.state is AgentState.NOT_READY and configured.reason is NotReadyReason.SYSTEM
                    and configured.agent_id not in floor.rechecks):
                # set aside by an engine before this one (its checks died with it): check the phone again here
                phones.check_later(floor, configured.agent_id, out)
        elif configured_fields(live) != configured_fields(configured):
            floor.put_agent(dataclasses.replace(live, **dict(zip(CONFIGURED_FIELDS, configured_fields(configured)))))
    for agent_id in list(floor.agents):
        if agent_id not in seen:
            agent = floor.agents[agent_id]
            if agent.call_uuid is None:
                floor.drop_agent(agent_id)
            else:
                floor.put_agent(dataclasses.replace(agent, active=False))
    floor.queues = {q.code: q for q in ev.queues}
    floor.numbers = dict(ev.numbers)
    floor.halls = {h.hall_id: h for h in ev.halls}
    if ev.calendar is not None:
        floor.calendar = ev.calendar
    floor.rules = ev.rules
    floor.skill_ids = dict(ev.skill_ids)
    floor.number_halls = dict(ev.number_halls)
    floor.directory_loaded = True
    floor.version += 1                  # skills, halls or queues may have changed: the dispatch point looks again


CONFIGURED_FIELDS = ("employee_no", "name", "extension", "skills", "active", "position", "hall_id", "remote_number")


def configured_fields(agent: Agent) -> tuple:
    """What the console configures about an agent (the rest is live state the engine keeps)."""
    return tuple(getattr(agent, name) for name in CONFIGURED_FIELDS)


def on_switch_synced(floor: Floor, ev: SwitchSynced, out: list[Command]) -> None:
    """After (re)connecting: end calls the switch no longer has, free agents stuck on calls that do not exist.

    `show channels` reads FreeSWITCH's core database, whose rows lag the channels (54-159 ms seen on a real 1.11):
    a call that arrived just before the listing is not in it, though its events reach this engine. So a call
    younger than LISTING_LAG_S at the listing is never taken as vanished, and a second listing a moment later
    (adopt_only) takes over what the first one missed (a caller parked 5 ms before the kill was left parked for
    minutes on a real FreeSWITCH). A listed leg whose hang-up this engine already handled is left out: the
    listing was taken before the hang-up (each channel's marks are read one by one, so a listing under load takes
    a while), and taking it over would bring back a call that has ended, with its agent stuck talking."""
    ended = [ch.uuid for ch in ev.channels if ch.uuid in floor.hung_up]
    if ended:
        logger.info("%d listed leg(s) already hung up (the listing is older than their hang-up): not taken over",
                    len(ended))
        ev = dataclasses.replace(ev, channels=tuple(ch for ch in ev.channels if ch.uuid not in floor.hung_up),
                                 live_uuids=ev.live_uuids - frozenset(ended))
    if ev.adopt_only:
        _adopt(floor, ev, out)
        floor.version += 1
        return
    young = (ev.listed_at or ev.at) - LISTING_LAG_S
    for leg in [leg for leg in floor.live_legs if leg not in ev.live_uuids]:
        floor.leg_gone(leg)
    cdrs = {cdr.uuid: cdr for cdr in ev.cdrs}
    for call in list(floor.calls.values()):
        if call.callback_of and call.answered_at is None and call.phase is not CallPhase.CONNECTED:
            continue            # a callback still waiting: it has no leg on the switch yet
        if call.uuid not in ev.live_uuids and call.started_at >= young:
            continue            # too young to be listed yet: its own hang-up, if any, is on its way
        if call.uuid not in ev.live_uuids:
            reconcile.close_vanished(floor, call, cdrs.get(call.uuid), ev.at, out)
        elif call.agent_leg and call.answered_at and call.agent_leg not in ev.live_uuids:
            on_agent_leg_hangup(floor, call, RESYNC_CAUSE, ev.at, out)
    _adopt(floor, ev, out)
    for agent in list(floor.agents.values()):
        _release_if_stuck(floor, agent, ev.at, out)
    floor.version += 1


def _adopt(floor: Floor, ev: SwitchSynced, out: list[Command]) -> None:
    """Calls the switch has but this engine does not know (it restarted): talking ones are taken over so their
    records and the agents' states stay right; parked ones start their flow (no caller left in silence)."""
    agent_legs = {ch.cc_call_uuid: ch for ch in ev.channels if not ch.inbound and ch.cc_call_uuid}
    consulted = {ch.cc_consult_of: ch for ch in ev.channels if not ch.inbound and ch.cc_phase == "consult"}
    by_employee = {a.employee_no: a for a in floor.agents.values()}
    for ch in ev.channels:
        if ch.inbound or ch.uuid in floor.calls or ch.cc_phase not in CUSTOMER_PHASES:
            continue
        leg = agent_legs.get(ch.uuid)
        _adopt_customer(floor, ch, leg, by_employee.get(ch.cc_agent or ""), ev.at, out)
    for ch in ev.channels:
        if not ch.inbound and ch.uuid not in floor.calls and ch.cc_follow_up:
            _adopt_follow_up(floor, ch, ev.at, out)
    claimed = {ch.uuid for ch in ev.channels} | set(floor.calls)
    for leg in agent_legs.values():
        if leg.cc_call_uuid not in claimed and leg.uuid not in floor.agent_legs:
            # rung or answered for a call no longer there (a callback's offer, a caller who left while no engine
            # was active): nobody will bridge it, the phone is released (a callback stays in its queue)
            logger.warning("agent leg %s (agent %s) for %s, which is gone: released", leg.uuid, leg.cc_agent,
                           leg.cc_call_uuid)
            agent = by_employee.get(leg.cc_agent or "")
            if agent is not None:
                floor.leg_up(leg.uuid, agent.agent_id)
            out.append(Hangup(leg.uuid, "NORMAL_CLEARING" if leg.answered else "ORIGINATOR_CANCEL"))
    for ch in ev.channels:
        if not ch.inbound or ch.uuid in floor.calls:
            continue
        leg = agent_legs.get(ch.uuid)
        agent = by_employee.get(leg.cc_agent or "") if leg is not None else None
        third = consulted.get(ch.uuid)
        if leg is None and ch.cc_phase == "connected" and third is not None and third.answered \
                and by_employee.get(third.cc_consulted) is not None:
            # its agent had transferred it to the consulted agent, or left the three-party conference: the
            # consulted agent has the caller now (bench-failover: such callers were released as "over")
            _adopt_connected(floor, ch, third, by_employee[third.cc_consulted], ev.at, out, transferred=True)
            continue
        if leg is not None and agent is not None and leg.answered:
            if ch.cc_phase == "queued" and leg.parked and ch.cc_queue in floor.queues:
                _connect_answered_offer(floor, ch, leg, agent, ev.at, out)
            else:
                _adopt_connected(floor, ch, leg, agent, ev.at, out)
            continue
        if leg is not None:
            # an offer of the engine before this one, still ringing: cancel it (its originate's result went to
            # that engine); the phone is rung again by this one once that leg is gone
            logger.warning("call %s: the agent leg %s a previous engine rang is cancelled", ch.uuid, leg.uuid)
            if agent is not None:
                floor.leg_up(leg.uuid, agent.agent_id)
                if agent.state is AgentState.RESERVED and agent.call_uuid == ch.uuid:
                    # free for the dispatch point again (offered once that leg is gone): bench-failover found
                    # such an agent left reserved for good, its caller queued again under the same uuid
                    floor.change_agent(agent.agent_id, AgentTrigger.OFFER_CANCELLED, ev.at, out,
                                       cause="reconciled: the previous engine's offer cancelled")
            out.append(Hangup(leg.uuid, "ORIGINATOR_CANCEL"))
        if ch.cc_phase == "queued" and ch.cc_queue in floor.queues:
            _adopt_waiting(floor, ch, ev.at, out)
        elif ch.cc_phase == "connected":
            _close_after_talk(floor, ch, by_employee.get(ch.cc_agent or ""), ev.at, out)
        elif ch.cc_phase == "leaving" and ch.cc_outcome in OUTCOMES:
            _let_go(floor, ch, ev.at, out)
        elif ch.cc_phase == "ivr" and ch.cc_flow in floor.flows and ch.cc_node:
            _adopt_ivr(floor, ch, by_employee.get(ch.cc_agent or ""), ev.at, out)
        elif ch.parked:
            logger.warning("call %s from %s was parked unattended: starting its flow", ch.uuid, masked(ch.ani))
            arrivals.start_call(floor, CallParked(ch.uuid, ch.ani, ch.dnis, ch.caller_name, True, ev.at), out,
                       started_at=ch.created_at)
    callers = {ch.uuid: ch for ch in ev.channels if ch.inbound}
    for ch in ev.channels:
        if not ch.inbound and ch.cc_phase == "consult" and ch.uuid not in floor.consult_legs \
                and ch.uuid not in floor.agent_legs:
            caller = callers.get(ch.cc_consult_of)
            consult.adopt(floor, floor.calls.get(ch.cc_consult_of), ch, by_employee.get(ch.cc_consulted),
                          caller is not None and caller.application == "conference", ev.at, out)


def _adopt_follow_up(floor: Floor, ch: LiveChannel, now: float, out: list[Command]) -> None:
    """An automated follow-up call of the engine before this one: in its flow, it is taken over there (the
    citizen's rating is stored by this engine); answered but not in its flow yet, it is released and the visit
    counts as not reached (tried again later)."""
    if ch.cc_phase == "ivr" and ch.cc_flow in floor.flows and ch.cc_node:
        _adopt_ivr(floor, ch, None, now, out)
        return
    logger.warning("follow-up call %s (follow-up %s) left between answer and flow by the engine before: released",
                   ch.uuid, ch.cc_follow_up)
    out.append(Hangup(ch.uuid, "NORMAL_CLEARING"))
    if ch.cc_follow_up.isdigit():
        out.append(SaveFollowUpResult(int(ch.cc_follow_up), "unanswered", now, call_uuid=ch.uuid,
                                      cause="ENGINE_RESTARTED"))


def _logged_as_before(call: Call, out: list[Command]) -> None:
    """The log entries a taken-over call must have, written only where the engine that died had not written
    them yet (real FreeSWITCH: a caller marked queued 3 ms before the kill had neither `arrived` nor `queued`,
    and the report counted 29 requests for 30 answered calls)."""
    calllog.log(call, K.ARRIVED, call.started_at, out, private=call.caller_name, unless_logged=True)
    if call.enqueued_at is not None:
        calllog.log(call, K.QUEUED, call.enqueued_at, out, unless_logged=True)
    if call.answered_at is not None and call.agent_id is not None:
        calllog.log(call, K.ANSWERED, call.answered_at, out, wait_s=calllog.waited(call, call.answered_at),
                    unless_logged=True)


def _restore(floor: Floor, call: Call, ch: LiveChannel) -> None:
    """What a caller taken over keeps from its marks: its hall (tiered dispatch), its flow (the current version of
    the same name) and the node that follows its conversation (the survey), the IVR path it came by."""
    call.hall_chain = floor.hall_chain(ch.dnis)
    flow = floor.flows.get(ch.cc_flow or call.flow or "")
    if flow is not None:
        call.flow, call.flow_def = flow.name, flow
        if ch.cc_after and ch.cc_after in flow.nodes:
            call.after_call = ch.cc_after
    path = [p for p in urllib.parse.unquote(ch.cc_path).split(" > ") if p]
    call.ivr_path = path + ["adopted after restart"]
    # sent back to a queue by an agent before: the end of this wait is marked as such (calllog.WAIT_ENDS)
    call.transfers = sum(1 for p in path if p.startswith("transfer:"))


def _adopt_waiting(floor: Floor, ch: LiveChannel, now: float, out: list[Command]) -> None:
    """Take over a caller waiting in a queue: its original place, wait and priority (marks on its channel), not
    counted again, its hold music restarted; the dispatch point offers it as soon as an agent may serve it."""
    call = Call(uuid=ch.uuid, ani=ch.ani, dnis=ch.dnis, caller_name=ch.caller_name, started_at=ch.created_at,
                flow=floor.numbers.get(ch.dnis), phase=CallPhase.QUEUED, queue_code=ch.cc_queue,
                enqueued_at=ch.cc_enqueued_at, priority=ch.cc_priority)
    call.next_step = ch.cc_step
    _restore(floor, call, ch)
    floor.calls[call.uuid] = call
    logger.warning("call %s taken over after restart: waiting in %s since %.0f s ago", call.uuid, ch.cc_queue,
                   now - (ch.cc_enqueued_at or now))
    _logged_as_before(call, out)
    queueing.resume(floor, call, ch.parked, now, out)


def _connect_answered_offer(floor: Floor, ch: LiveChannel, leg: LiveChannel, agent: Agent, now: float,
                            out: list[Command]) -> None:
    """The previous engine died between the agent's answer and the bridge: the caller still waits in its queue
    (cc_phase queued, hold music), the agent's answered leg is parked in silence. This engine does what that one
    would have: it connects them (marks, bridge, recording, the answer logged with the caller's original wait)."""
    call = Call(uuid=ch.uuid, ani=ch.ani, dnis=ch.dnis, caller_name=ch.caller_name, started_at=ch.created_at,
                flow=floor.numbers.get(ch.dnis), phase=CallPhase.QUEUED, queue_code=ch.cc_queue,
                enqueued_at=ch.cc_enqueued_at, priority=ch.cc_priority)
    call.next_step = ch.cc_step
    _restore(floor, call, ch)
    call.offers = 1
    floor.calls[call.uuid] = call
    cause = "reconciled: answered an offer of the previous engine"
    if agent.state is AgentState.WRAP_UP:
        floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
    if floor.agents[agent.agent_id].state is AgentState.NOT_READY:
        floor.change_agent(agent.agent_id, AgentTrigger.READY, now, out, cause=cause)
    if floor.agents[agent.agent_id].state is AgentState.READY:
        floor.change_agent(agent.agent_id, AgentTrigger.OFFER, now, out, cause=cause, call_uuid=call.uuid)
    made = Offer(job_uuid=floor.new_id(), caller_uuid=call.uuid, agent_id=agent.agent_id, leg_uuid=leg.uuid,
                 queue_code=ch.cc_queue or "", offered_at=leg.created_at, reason="taken over after restart",
                 strategy="adopted")
    floor.agent_legs[leg.uuid] = call.uuid
    floor.leg_up(leg.uuid, agent.agent_id)
    call.move(CallPhase.OFFERING)
    logger.warning("call %s taken over after restart: agent %s had answered, not yet connected: connecting",
                   call.uuid, agent.employee_no)
    _logged_as_before(call, out)       # its `answered` comes with the connection
    offers.connect(floor, call, made, now, out)


def _let_go(floor: Floor, ch: LiveChannel, now: float, out: list[Command]) -> None:
    """A caller that was leaving the queue for good (a callback asked for, a voice message, the queue's release):
    not queued again; its prompt or recording runs to its end, then it is released, recorded once with that outcome
    (the callback itself is the previous engine's stored request)."""
    call = Call(uuid=ch.uuid, ani=ch.ani, dnis=ch.dnis, caller_name=ch.caller_name, started_at=ch.created_at,
                flow=floor.numbers.get(ch.dnis), phase=CallPhase.QUEUED, queue_code=ch.cc_queue,
                enqueued_at=ch.cc_enqueued_at, priority=ch.cc_priority)
    _restore(floor, call, ch)
    call.end_outcome = CallOutcome(ch.cc_outcome)
    call.voicemail_path = ch.cc_voicemail or None
    call.ending = call.end_outcome is not CallOutcome.VOICEMAIL
    floor.calls[call.uuid] = call
    _logged_as_before(call, out)
    logger.warning("call %s taken over after restart while leaving the queue (%s)", call.uuid, ch.cc_outcome)
    if ch.cc_media and ch.cc_done == ch.cc_media:      # its prompt or message ended while no engine listened
        if call.end_outcome is CallOutcome.VOICEMAIL:
            waiting.on_voicemail_recorded(floor, call, AppFinished(call.uuid, "record", ch.cc_media, "", None, None,
                                                                   now), out)
        else:
            out.append(Hangup(call.uuid, "NORMAL_CLEARING"))
        call.ending = True
    elif call.end_outcome is CallOutcome.VOICEMAIL and not ch.parked:
        call.pending_app = ADOPTED_APP + "record"     # after the instructions and the beep, its message is recorded
    elif ch.application in ADOPTABLE_APPS and not ch.parked:
        call.pending_app = ADOPTED_APP + ch.application      # its prompt ends as it would have
    else:
        call.ending = True
        out.append(Hangup(call.uuid, "NORMAL_CLEARING"))


def _adopt_ivr(floor: Floor, ch: LiveChannel, agent: Agent | None, now: float, out: list[Command]) -> None:
    """Take over a caller in the IVR (a prompt, a menu, digit collection, a survey after its conversation): the node
    it was at is started again, with what it keyed so far and its path; nothing logged again. The flow is the
    current version of the same name (the one it began with lived in the engine that died)."""
    call = Call(uuid=ch.uuid, ani=ch.ani, dnis=ch.dnis, caller_name=ch.caller_name, started_at=ch.created_at,
                flow=ch.cc_flow, phase=CallPhase.IVR, answered_at=ch.cc_answered_at,
                agent_id=agent.agent_id if agent is not None and ch.cc_answered_at else None)
    call.flow_def = floor.flows[ch.cc_flow]     # type: ignore[index]
    call.hall_chain = floor.hall_chain(ch.dnis)
    call.variables = dict(urllib.parse.parse_qsl(ch.cc_data, keep_blank_values=True))
    path = [p for p in urllib.parse.unquote(ch.cc_path).split(" > ") if p]
    if path and path[-1] == ch.cc_node:
        path.pop()                              # entered again below
    call.ivr_path = path + ["adopted after restart"]
    floor.calls[call.uuid] = call
    if not ch.inbound:                          # a citizen rung for a follow-up visit (engine.acd.followups)
        call.direction, call.answered_at = "outbound", ch.cc_answered_at or ch.created_at
    else:
        _logged_as_before(call, out)
    logger.warning("call %s taken over after restart in the IVR: flow %s, node %s", call.uuid, ch.cc_flow, ch.cc_node)
    if ch.cc_media and ch.cc_done == ch.cc_media:
        # its media ended while no engine listened: the node goes on from there, with the keys it got
        call.node = ch.cc_node
        call.ivr_path.append(ch.cc_node or "")
        call.pending_app = ch.cc_media
        node = call.flow_def.node(ch.cc_node)  # type: ignore[union-attr]
        collect = not isinstance(node, ivr_runner.PlayNode)
        ended = AppFinished(call.uuid, "play_and_get_digits" if collect else "playback", ch.cc_media,
                            "FILE PLAYED", ch.cc_digits if collect else None,
                            ("success" if ch.cc_digits else "timeout") if collect else None, now)
        call.pending_app = None
        arrivals.run_node(floor, call, ivr_runner.next_node(floor, call, ended, out), now, out)
        return
    if ch.application in ADOPTABLE_APPS and not ch.parked:
        # its prompt or digit collection runs on: the node goes on from its result (a key pressed meanwhile counts)
        call.node = ch.cc_node
        call.ivr_path.append(ch.cc_node or "")
        call.pending_app = ADOPTED_APP + ch.application
        return
    if not ch.parked:
        out.append(StopMedia(call.uuid))        # something else of the previous engine's: this one starts the node
    arrivals.run_node(floor, call, ch.cc_node, now, out)


def _adopt_customer(floor: Floor, ch: LiveChannel, leg: LiveChannel | None, agent: Agent | None, now: float,
                    out: list[Command]) -> None:
    """A customer's leg we dialled (a callback, an agent's outbound call), marked by callbacks.customer_marks. A
    conversation is taken over as it is; one not reached yet (its originate's result went to the engine that died)
    is given up without counting the attempt: both phones are released and a callback goes back to its place."""
    callback = bool(ch.cc_callback_of)
    call = Call(uuid=ch.uuid, ani=ch.cc_number if callback else (agent.extension if agent else ch.ani),
                dnis=(ch.cc_dnis if callback else ch.cc_number) or ch.dnis, caller_name="",
                started_at=ch.created_at, phase=CallPhase.CONNECTED, queue_code=ch.cc_queue if callback else None,
                enqueued_at=ch.cc_enqueued_at if callback else None, priority=ch.cc_priority,
                direction="inbound" if callback else "outbound", callback_of=ch.cc_callback_of or None,
                callback_attempts=ch.cc_attempts, agent_id=agent.agent_id if agent else None,
                agent_leg=leg.uuid if leg else None)
    call.ivr_path = [f"callback:{ch.cc_queue}" if callback else f"dial:{ch.cc_number}", "adopted after restart"]
    call.offers = 1
    talking = ch.answered and leg is not None and leg.answered and agent is not None
    if talking:
        call.answered_at = ch.cc_answered_at or ch.created_at
    else:
        call.ending = True
    floor.calls[call.uuid] = call
    floor.special_calls.add(call.uuid)
    if talking:
        logger.warning("%s %s taken over after restart: agent %s is talking to %s", "callback" if callback else
                       "outbound call", call.uuid, agent.employee_no, call.ani)      # type: ignore[union-attr]
        _agent_talking(floor, call, leg, agent, ch.held or leg.held, now, out)     # type: ignore[arg-type]
        return
    logger.warning("%s %s to %s taken over after restart before it was connected: given up%s",
                   "callback" if callback else "outbound call", call.uuid, call.ani,
                   ", the callback goes back to its place" if callback else "")
    if ch.answered and call.agent_id is not None:       # the customer answered and the agent had hung up
        call.answered_at = ch.cc_answered_at or ch.created_at
        call.hangup_side = HangupSide.AGENT
    else:
        call.end_outcome = CallOutcome.ENGINE_STOPPED
    if callback and call.answered_at is None:
        call.callback_of = None         # this attempt is not the callback's: its hang-up writes no callback status
        callbacks.requeue(floor, ch.cc_callback_of, call.ani, call.dnis, ch.cc_queue or "", ch.cc_enqueued_at or now,
                          ch.cc_priority, max(0, ch.cc_attempts - 1), now, out)
    if leg is not None:
        if agent is not None:
            floor.leg_up(leg.uuid, agent.agent_id)
        out.append(Hangup(leg.uuid, "NORMAL_CLEARING" if leg.answered else "ORIGINATOR_CANCEL"))
    out.append(Hangup(call.uuid, "NORMAL_CLEARING" if ch.answered else "ORIGINATOR_CANCEL"))


def _close_after_talk(floor: Floor, ch: LiveChannel, agent: Agent | None, now: float, out: list[Command]) -> None:
    """A caller whose conversation is over (its agent's leg gone: parked after the bridge for the survey or the
    release) when this engine took over: not queued nor sent to the IVR again; released, and recorded once as
    answered by that agent."""
    call = Call(uuid=ch.uuid, ani=ch.ani, dnis=ch.dnis, caller_name=ch.caller_name, started_at=ch.created_at,
                flow=floor.numbers.get(ch.dnis), phase=CallPhase.CONNECTED, queue_code=ch.cc_queue,
                enqueued_at=ch.cc_enqueued_at, answered_at=ch.cc_answered_at or ch.created_at,
                agent_id=agent.agent_id if agent else None)
    _restore(floor, call, ch)
    call.ending = True
    floor.calls[call.uuid] = call
    _logged_as_before(call, out)
    logger.warning("call %s taken over after restart after its conversation: released", call.uuid)
    out.append(Hangup(call.uuid, "NORMAL_CLEARING"))


def _adopt_connected(floor: Floor, ch: LiveChannel, leg: LiveChannel, agent: Agent, now: float,
                     out: list[Command], transferred: bool = False) -> None:
    """Take over a conversation in progress: the call is connected to that agent (the consulted one, on the
    consulted party's leg, when the call had been handed over to them)."""
    call = Call(uuid=ch.uuid, ani=ch.ani, dnis=ch.dnis, caller_name=ch.caller_name, started_at=ch.created_at,
                flow=floor.numbers.get(ch.dnis), phase=CallPhase.CONNECTED, queue_code=leg.cc_queue,
                agent_id=agent.agent_id, agent_leg=leg.uuid, answered_at=ch.cc_answered_at or leg.created_at,
                enqueued_at=ch.cc_enqueued_at)
    _restore(floor, call, ch)
    call.offers = 1
    call.transfers = 1 if transferred else 0
    if transferred:
        call.queue_code = ch.cc_queue
    floor.calls[call.uuid] = call
    logger.warning("call %s taken over after restart: agent %s is talking to %s", call.uuid, agent.employee_no,
                   ch.ani)
    _logged_as_before(call, out)
    _agent_talking(floor, call, leg, agent, ch.held or leg.held, now, out)


def _agent_talking(floor: Floor, call: Call, leg: LiveChannel, agent: Agent, held: bool, now: float,
                   out: list[Command]) -> None:
    """The agent of a conversation taken over talks on it (or holds it), as the switch says, whatever state the
    engine before this one stored."""
    floor.agent_legs[leg.uuid] = call.uuid
    floor.leg_up(leg.uuid, agent.agent_id)
    if agent.state in (AgentState.TALKING, AgentState.ON_HOLD) and agent.call_uuid == call.uuid:
        _held_as_switch_says(floor, agent.agent_id, held, call.uuid, now, out)
        return
    cause = "reconciled: talking on a live call"
    if agent.state is AgentState.WRAP_UP:
        floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
    agent = floor.agents[agent.agent_id]
    if agent.state is AgentState.NOT_READY:
        floor.change_agent(agent.agent_id, AgentTrigger.READY, now, out, cause=cause)
    if floor.agents[agent.agent_id].state is AgentState.READY:
        floor.change_agent(agent.agent_id, AgentTrigger.OFFER, now, out, cause=cause, call_uuid=call.uuid)
    floor.change_agent(agent.agent_id, AgentTrigger.ANSWER, now, out, cause=cause, call_uuid=call.uuid)
    _held_as_switch_says(floor, agent.agent_id, held, call.uuid, now, out)


def _held_as_switch_says(floor: Floor, agent_id: int, held: bool, call_uuid: str, now: float,
                         out: list[Command]) -> None:
    """An adopted conversation on hold (callstate HELD) has its agent on hold, and one taken off hold talking."""
    state = floor.agents[agent_id].state
    if held and state is AgentState.TALKING:
        floor.change_agent(agent_id, AgentTrigger.HOLD, now, out, cause="reconciled: on hold", call_uuid=call_uuid)
    elif not held and state is AgentState.ON_HOLD:
        floor.change_agent(agent_id, AgentTrigger.UNHOLD, now, out, cause="reconciled: off hold",
                           call_uuid=call_uuid)


def _release_if_stuck(floor: Floor, agent: Agent, now: float, out: list[Command]) -> None:
    """An agent shown ringing, talking or in wrap-up without a live call goes back to ready."""
    if agent.call_uuid is not None and agent.call_uuid in floor.calls:
        return
    cause = "reconciled: call no longer exists"
    if agent.state is AgentState.RESERVED:
        floor.change_agent(agent.agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause=cause)
    elif agent.state in (AgentState.TALKING, AgentState.ON_HOLD):
        floor.change_agent(agent.agent_id, AgentTrigger.CALL_END, now, out, cause=cause)
        floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
    elif agent.state is AgentState.WRAP_UP and agent.call_uuid is not None:
        floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
