"""Agents the system set not ready because their phone could not be reached come back by themselves.

An offer that fails because the phone is unreachable or busy (not registered, 503, 486 …) sets the agent not
ready (system): ringing them again at once would only fail again. The phone is then checked after a back-off
(5 s, doubling up to 5 minutes): a registered phone (sofia_contact answers a contact) puts the agent back to
ready, logged as such; a remote agent's outside line cannot be checked, so the next offer is the check. Any
state change the agent or a supervisor asks for ends the checks.
"""
from __future__ import annotations

import logging

from engine.acd.floor import Floor
from engine.domain.agent import AgentTrigger
from engine.domain.commands import Command, ProbePhone, StartTimer
from engine.domain.events import PhoneProbed
from engine.domain.states import AgentState, NotReadyReason

logger = logging.getLogger(__name__)
FIRST_CHECK_S = 5.0
MAX_CHECK_S = 300.0


def check_later(floor: Floor, agent_id: int, out: list[Command]) -> None:
    """Schedule the next check of this agent's phone (back-off doubles with each failed check)."""
    checks = floor.rechecks.get(agent_id, 0)
    floor.rechecks[agent_id] = checks + 1
    out.append(StartTimer(f"recheck:{agent_id}", min(MAX_CHECK_S, FIRST_CHECK_S * 2 ** checks)))


def _still_set_aside(floor: Floor, agent_id: int) -> bool:
    agent = floor.agents.get(agent_id)
    return (agent is not None and agent_id in floor.rechecks and agent.active
            and agent.state is AgentState.NOT_READY and agent.reason is NotReadyReason.SYSTEM)


def due(floor: Floor, agent_id: int, out: list[Command]) -> None:
    """The back-off is over: ask the switch whether the phone is registered."""
    if not _still_set_aside(floor, agent_id):
        floor.rechecks.pop(agent_id, None)
        return
    agent = floor.agents[agent_id]
    out.append(ProbePhone(agent_id, agent.extension, agent.remote_number))


def on_probed(floor: Floor, ev: PhoneProbed, out: list[Command]) -> None:
    """The phone is back (ready again) or still away (check later)."""
    if not _still_set_aside(floor, ev.agent_id):
        floor.rechecks.pop(ev.agent_id, None)
        return
    if not ev.reachable:
        logger.info("agent %s: phone still unreachable (%s)", floor.agents[ev.agent_id].employee_no, ev.detail)
        check_later(floor, ev.agent_id, out)
        return
    floor.rechecks.pop(ev.agent_id, None)
    if floor.change_agent(ev.agent_id, AgentTrigger.READY, ev.at, out, cause=f"phone reachable again ({ev.detail})"):
        logger.info("agent %s back to ready: phone reachable again (%s)", floor.agents[ev.agent_id].employee_no,
                    ev.detail)


def forget(floor: Floor, agent_id: int) -> None:
    """The agent (or a supervisor) changed the state: no more automatic checks."""
    floor.rechecks.pop(agent_id, None)
