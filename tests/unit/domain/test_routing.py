"""Agent selection: only ready agents with the queue's skills, longest idle first, deterministic ties."""
from hypothesis import given, strategies as st

from engine.domain.agent import Agent
from engine.domain.routing import QueueSpec, select_agent
from engine.domain.states import AgentState

QUEUE = QueueSpec(queue_id=1, code="etax", name="电子税务局", required_skills={2: 5})


def mk(i, state=AgentState.READY, skills=None, idle=0.0, active=True):
    return Agent(agent_id=i, employee_no=f"A{i:04d}", name=str(i), extension=str(1000 + i),
                 skills=skills if skills is not None else {2: 5}, state=state, idle_since=idle, active=active)


def test_longest_idle_ready_agent_with_the_skill_wins_and_the_reason_says_why():
    agents = [mk(1, idle=30), mk(2, idle=10), mk(3, idle=5, skills={2: 4}), mk(4, AgentState.NOT_READY, idle=1),
              mk(5, idle=2, active=False)]
    chosen = select_agent(agents, QUEUE)
    assert chosen.agent.agent_id == 2
    assert "longest idle among 2 ready agents" in chosen.reason


def test_nobody_eligible_gives_none_and_ties_break_by_employee_number():
    assert select_agent([mk(1, skills={1: 9}), mk(2, AgentState.TALKING)], QUEUE) is None
    assert select_agent([mk(9, idle=3), mk(3, idle=3)], QUEUE).agent.agent_id == 3


@given(st.lists(st.tuples(st.sampled_from(list(AgentState)), st.dictionaries(st.integers(1, 3), st.integers(1, 10)),
                          st.floats(0, 1e6, allow_nan=False)), max_size=30))
def test_never_selects_an_agent_lacking_the_skill_or_not_ready(specs):
    agents = [mk(i, state, skills, idle) for i, (state, skills, idle) in enumerate(specs)]
    chosen = select_agent(agents, QUEUE)
    eligible = [a for a in agents if a.state is AgentState.READY and a.skills.get(2, 0) >= 5]
    if chosen is None:
        assert not eligible
    else:
        assert chosen.agent in eligible
        assert chosen.agent.idle_since == min(a.idle_since for a in eligible)
