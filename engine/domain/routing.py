"""Agent selection: who may take a call (skills and levels) and who goes first (the queue's strategy).

Pure functions. Every selection carries the reason it was made, so each offer is explainable.
Strategies:  longest_idle     the agent ready for the longest time
             fewest_calls     fewest calls answered today, then longest idle
             least_talk_time  least talk time today, then longest idle
             round_robin      the next agent after the last one offered by this queue, in agent order
             top_down         always the first agent in agent order (position, then 工号)
             highest_skill    highest proficiency in the queue's skills, then longest idle
             ring_all         every eligible agent at once; the first to answer takes the call
Ties always end on the employee number (工号), so the choice is deterministic.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from engine.domain.agent import Agent
from engine.domain.states import AgentState

STRATEGIES = ("longest_idle", "fewest_calls", "least_talk_time", "round_robin", "top_down", "highest_skill",
              "ring_all")


@dataclasses.dataclass(frozen=True)
class QueueSpec:
    """A queue as the ACD sees it: required skills with minimum levels, strategy, timings, limits."""

    queue_id: int
    code: str
    name: str
    required_skills: Mapping[int, int]      # skill id -> minimum level
    strategy: str = "longest_idle"
    ring_timeout_s: int = 20
    wrap_up_s: int = 30
    max_wait_s: int = 600
    moh: str = "local_stream://moh"
    priority_step_s: int = 60               # one priority point is worth this many seconds of waiting
    max_size: int = 0                       # most calls waiting at once (0 = no limit)
    overflow: tuple = ()                    # OverflowStep rules, in order of after_s
    no_agent_action: str = "wait"           # "wait", or "reject" when nobody able to take the queue is logged in
    announce_every_s: int = 0               # announce position and estimated wait every N s (0 = never)
    callback_key: str | None = None         # key that turns waiting into a callback
    voicemail_key: str | None = None        # key that leaves a voice message instead


@dataclasses.dataclass(frozen=True)
class Selection:
    """The chosen agent(s) — several only for ring_all — and why."""

    agents: tuple[Agent, ...]
    reason: str

    @property
    def agent(self) -> Agent:
        """The first (for every strategy but ring_all, the only) agent."""
        return self.agents[0]


def qualifies(agent: Agent, required: Mapping[int, int]) -> bool:
    """Holds every required skill at its minimum level or above."""
    return all(agent.skills.get(skill, 0) >= level for skill, level in required.items())


def is_eligible(agent: Agent, required: Mapping[int, int], exclude: frozenset[int] = frozenset()) -> bool:
    """Ready, active, not excluded, and qualified."""
    return (agent.active and agent.state is AgentState.READY and agent.agent_id not in exclude
            and qualifies(agent, required))


def agent_order(agent: Agent) -> tuple:
    """The configured agent order (top-down, round-robin)."""
    return (agent.position, agent.employee_no)


def _skill_score(agent: Agent, required: Mapping[int, int]) -> int:
    return sum(agent.skills.get(skill, 0) for skill in required) if required else 0


_RANK = {
    "longest_idle": lambda a, req: (a.idle_since, a.employee_no),
    "fewest_calls": lambda a, req: (a.calls_answered, a.idle_since, a.employee_no),
    "least_talk_time": lambda a, req: (a.talk_s, a.idle_since, a.employee_no),
    "top_down": lambda a, req: agent_order(a),
    "highest_skill": lambda a, req: (-_skill_score(a, req), a.idle_since, a.employee_no),
}


def select_agent(candidates: Iterable[Agent], queue: QueueSpec, required: Mapping[int, int] | None = None,
                 exclude: frozenset[int] = frozenset(), last_offered: tuple | None = None) -> Selection | None:
    """Choose among the candidates by the queue's strategy; None when nobody is eligible.

    `required` overrides the queue's skills (after an overflow step widened them); `last_offered` is the
    agent order of the agent this queue offered last (round robin)."""
    required = queue.required_skills if required is None else required
    eligible = [a for a in candidates if is_eligible(a, required, exclude)]
    if not eligible:
        return None
    strategy = queue.strategy if queue.strategy in STRATEGIES else "longest_idle"
    why = f"{strategy} among {len(eligible)} ready agents with skills {dict(required)}"
    if strategy == "ring_all":
        return Selection(tuple(sorted(eligible, key=agent_order)), why + ": ring all")
    if strategy == "round_robin":
        ordered = sorted(eligible, key=agent_order)
        after = [a for a in ordered if last_offered is not None and agent_order(a) > last_offered]
        best = (after or ordered)[0]
        return Selection((best,), why + f": next after {last_offered[1] if last_offered else 'start'}")
    best = min(eligible, key=lambda a: _RANK[strategy](a, required))
    detail = {"longest_idle": f"idle since {best.idle_since:.3f}", "fewest_calls": f"{best.calls_answered} calls today",
              "least_talk_time": f"{best.talk_s:.0f} s talk today", "top_down": f"position {best.position}",
              "highest_skill": f"skill score {_skill_score(best, required)}"}[strategy]
    return Selection((best,), f"{why}: {best.employee_no} has {detail}")
