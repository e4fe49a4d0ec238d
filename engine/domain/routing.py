"""Agent selection for a queued call: who is eligible, and who goes first. Pure functions."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from engine.domain.agent import Agent
from engine.domain.states import AgentState


@dataclasses.dataclass(frozen=True)
class QueueSpec:
    """A queue as the ACD sees it: required skills with minimum levels, and its timings."""

    queue_id: int
    code: str
    name: str
    required_skills: Mapping[int, int]      # skill id -> minimum level
    strategy: str = "longest_idle"
    ring_timeout_s: int = 20
    wrap_up_s: int = 30
    max_wait_s: int = 600
    moh: str = "local_stream://moh"


@dataclasses.dataclass(frozen=True)
class Selection:
    """The chosen agent and why (every offer is explainable)."""

    agent: Agent
    reason: str


def is_eligible(agent: Agent, queue: QueueSpec, exclude: frozenset[int] = frozenset()) -> bool:
    """Ready, active, not excluded, and holding every required skill at its minimum level."""
    return (agent.active and agent.state is AgentState.READY and agent.agent_id not in exclude
            and all(agent.has_skill(skill, level) for skill, level in queue.required_skills.items()))


def select_agent(agents: Iterable[Agent], queue: QueueSpec,
                 exclude: frozenset[int] = frozenset()) -> Selection | None:
    """Longest-idle eligible agent; ties broken by employee number so the choice is deterministic."""
    eligible = [a for a in agents if is_eligible(a, queue, exclude)]
    if not eligible:
        return None
    best = min(eligible, key=lambda a: (a.idle_since, a.employee_no))
    return Selection(best, f"longest idle among {len(eligible)} ready agents with skills "
                           f"{dict(queue.required_skills)} (idle since {best.idle_since:.3f})")
