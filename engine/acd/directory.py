"""Configuration reloads (agents, queues, numbers) and reconciliation with what the switch really has."""
from __future__ import annotations

import dataclasses
import logging

from engine.acd import offers
from engine.acd.endings import on_agent_leg_hangup, on_caller_hangup
from engine.acd.floor import Floor
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import CallPhase
from engine.domain.commands import Command
from engine.domain.events import DirectoryLoaded, SwitchSynced
from engine.domain.states import AgentState

logger = logging.getLogger(__name__)
RESYNC_CAUSE = "SWITCH_RESYNC"      # hang-up cause recorded for calls that ended while the switch was unreachable


def on_directory_loaded(floor: Floor, ev: DirectoryLoaded, out: list[Command]) -> None:
    """Merge configured agents into the floor, keeping the live state of agents already known."""
    seen: set[int] = set()
    for configured in ev.agents:
        seen.add(configured.agent_id)
        live = floor.agents.get(configured.agent_id)
        if live is None:
            floor.put_agent(configured)
        elif (live.employee_no, live.name, live.extension, live.skills, live.active, live.position) != (
                configured.employee_no, configured.name, configured.extension, configured.skills,
                configured.active, configured.position):
            floor.put_agent(dataclasses.replace(
                live, employee_no=configured.employee_no, name=configured.name, extension=configured.extension,
                skills=configured.skills, active=configured.active, position=configured.position))
    for agent_id in list(floor.agents):
        if agent_id not in seen:
            agent = floor.agents[agent_id]
            if agent.call_uuid is None:
                floor.drop_agent(agent_id)
            else:
                floor.put_agent(dataclasses.replace(agent, active=False))
    floor.queues = {q.code: q for q in ev.queues}
    floor.numbers = dict(ev.numbers)
    floor.directory_loaded = True
    offers.dispatch_all(floor, ev.at, out)


def on_switch_synced(floor: Floor, ev: SwitchSynced, out: list[Command]) -> None:
    """After (re)connecting: end calls the switch no longer has, free agents stuck on calls that do not exist."""
    for call in list(floor.calls.values()):
        if call.callback_of and call.answered_at is None and call.phase is not CallPhase.CONNECTED:
            continue            # a callback still waiting: it has no leg on the switch yet
        if call.uuid not in ev.live_uuids:
            logger.warning("call %s vanished while the switch was unreachable", call.uuid)
            on_caller_hangup(floor, call, RESYNC_CAUSE, ev.at, out)
        elif call.agent_leg and call.answered_at and call.agent_leg not in ev.live_uuids:
            on_agent_leg_hangup(floor, call, RESYNC_CAUSE, ev.at, out)
    for agent in list(floor.agents.values()):
        _release_if_stuck(floor, agent, ev.at, out)
    offers.dispatch_all(floor, ev.at, out)


def _release_if_stuck(floor: Floor, agent: Agent, now: float, out: list[Command]) -> None:
    """An agent shown ringing, talking or in wrap-up without a live call goes back to ready."""
    if agent.call_uuid is not None and agent.call_uuid in floor.calls:
        return
    cause = "reconciled: call no longer exists"
    if agent.state is AgentState.RESERVED:
        floor.change_agent(agent.agent_id, AgentTrigger.OFFER_CANCELLED, now, out, cause=cause)
    elif agent.state is AgentState.TALKING:
        floor.change_agent(agent.agent_id, AgentTrigger.CALL_END, now, out, cause=cause)
        floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
    elif agent.state is AgentState.WRAP_UP and agent.call_uuid is not None:
        floor.change_agent(agent.agent_id, AgentTrigger.WRAP_UP_DONE, now, out, cause=cause)
