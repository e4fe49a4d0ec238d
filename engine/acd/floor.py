"""The live floor: every agent, queue, number and call the ACD knows, plus helpers that change agents."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from engine.domain import agent as agent_fsm
from engine.domain.agent import Agent, AgentTrigger
from engine.domain.call import Call
from engine.domain.commands import Command, SaveAgentState
from engine.domain.errors import InvalidTransition
from engine.domain.routing import QueueSpec
from engine.domain.states import NotReadyReason
from engine.ivr.model import Flow

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Offer:
    """An agent's phone being rung for a call: the originate job, the new leg, the agent."""

    job_uuid: str
    caller_uuid: str
    agent_id: int
    leg_uuid: str


@dataclasses.dataclass
class Floor:
    """Mutable state owned by the single ACD loop (no locks: one serial loop applies every event)."""

    flows: dict[str, Flow]
    prompts_dir: str
    new_id: Callable[[], str]
    agents: dict[int, Agent] = dataclasses.field(default_factory=dict)
    queues: dict[str, QueueSpec] = dataclasses.field(default_factory=dict)
    numbers: dict[str, str] = dataclasses.field(default_factory=dict)
    calls: dict[str, Call] = dataclasses.field(default_factory=dict)
    agent_legs: dict[str, str] = dataclasses.field(default_factory=dict)    # agent leg uuid -> caller uuid
    offers: dict[str, Offer] = dataclasses.field(default_factory=dict)      # originate job uuid -> offer
    directory_loaded: bool = False

    def prompt(self, name: str) -> str:
        """Absolute path (or stream URL) of a prompt."""
        if "://" in name or name.startswith("/"):
            return name
        return f"{self.prompts_dir.rstrip('/')}/{name}"

    def queue_by_id(self, queue_id: int | None) -> QueueSpec | None:
        """The queue with that database id."""
        return next((q for q in self.queues.values() if q.queue_id == queue_id), None)

    def change_agent(self, agent_id: int, trigger: AgentTrigger, now: float, out: list[Command], *,
                     reason: NotReadyReason | None = None, cause: str = "", actor: str = "system",
                     call_uuid: str | None = None) -> bool:
        """Apply a trigger to an agent and queue the store command; log and keep the state if refused."""
        agent = self.agents.get(agent_id)
        if agent is None:
            logger.warning("agent %s unknown: %s ignored", agent_id, trigger.value)
            return False
        try:
            updated, change = agent_fsm.apply(agent, trigger, now, reason=reason, cause=cause, actor=actor,
                                              call_uuid=call_uuid)
        except InvalidTransition as exc:
            logger.warning("%s", exc)
            return False
        self.agents[agent_id] = updated
        out.append(SaveAgentState(change))
        logger.info("agent %s %s -> %s (%s%s)", agent.employee_no, change.from_state.value, change.to_state.value,
                    cause or trigger.value, f", {reason.value}" if reason else "")
        return True
