"""Agent selection: only ready agents with the queue's skills, ordered by each strategy, deterministic ties."""
import dataclasses

import pytest
from hypothesis import given, strategies as st

from engine.domain.agent import Agent
from engine.domain.routing import STRATEGIES, QueueSpec, select_agent
from engine.domain.states import AgentState

QUEUE = QueueSpec(queue_id=1, code="etax", name="电子税务局", required_skills={2: 5})


def mk(i, state=AgentState.READY, skills=None, idle=0.0, active=True, **kw):
    return Agent(agent_id=i, employee_no=f"A{i:04d}", name=str(i), extension=str(1000 + i),
                 skills=skills if skills is not None else {2: 5}, state=state, idle_since=idle, active=active, **kw)


def q(strategy, **kw):
    return dataclasses.replace(QUEUE, strategy=strategy, **kw)


def test_longest_idle_ready_agent_with_the_skill_wins_and_the_reason_says_why():
    agents = [mk(1, idle=30), mk(2, idle=10), mk(3, idle=5, skills={2: 4}), mk(4, AgentState.NOT_READY, idle=1),
              mk(5, idle=2, active=False)]
    chosen = select_agent(agents, QUEUE)
    assert chosen.agent.agent_id == 2
    assert chosen.reason == "longest_idle among 2 ready agents with skills {2: 5}: A0002 has idle since 10.000"


@pytest.mark.parametrize("strategy,expected", [
    ("longest_idle", 3),        # ready since t=1
    ("fewest_calls", 2),        # 1 call today
    ("least_talk_time", 1),     # 100 s
    ("top_down", 2),            # position 0
    ("highest_skill", 1),       # level 9
])
def test_each_strategy_picks_by_its_own_measure(strategy, expected):
    agents = [mk(1, idle=5, skills={2: 9}, calls_answered=4, talk_s=100, position=3),
              mk(2, idle=9, skills={2: 6}, calls_answered=1, talk_s=900, position=0),
              mk(3, idle=1, skills={2: 5}, calls_answered=7, talk_s=500, position=1)]
    chosen = select_agent(agents, q(strategy))
    assert [a.agent_id for a in chosen.agents] == [expected]
    assert chosen.reason.startswith(f"{strategy} among 3 ready agents")


def test_round_robin_goes_on_after_the_last_offered_agent_and_wraps():
    agents = [mk(i, position=i) for i in (1, 2, 3)]
    assert select_agent(agents, q("round_robin")).agent.agent_id == 1
    assert select_agent(agents, q("round_robin"), last_offered=(1, "A0001")).agent.agent_id == 2
    assert select_agent(agents, q("round_robin"), last_offered=(3, "A0003")).agent.agent_id == 1


def test_ring_all_offers_every_eligible_agent_in_agent_order():
    chosen = select_agent([mk(3, position=2), mk(1, position=1), mk(2, skills={1: 9})], q("ring_all"))
    assert [a.agent_id for a in chosen.agents] == [1, 3]


def test_widened_requirement_overrides_the_queue_skills():
    assert select_agent([mk(1, skills={2: 3})], QUEUE) is None
    assert select_agent([mk(1, skills={2: 3})], QUEUE, required={2: 3}).agent.agent_id == 1


def test_nobody_eligible_gives_none_and_ties_break_by_employee_number():
    assert select_agent([mk(1, skills={1: 9}), mk(2, AgentState.TALKING)], QUEUE) is None
    for strategy in STRATEGIES:
        assert select_agent([mk(9, idle=3), mk(3, idle=3)], q(strategy)).agent.agent_id == 3


agent_specs = st.lists(st.tuples(st.sampled_from(list(AgentState)), st.dictionaries(st.integers(1, 3),
                                 st.integers(1, 10)), st.floats(0, 1e6, allow_nan=False), st.integers(0, 50),
                                 st.booleans()), max_size=30)


@given(agent_specs, st.sampled_from(STRATEGIES))
def test_never_selects_an_agent_lacking_the_skill_or_not_ready(specs, strategy):
    agents = [mk(i, state, skills, idle, active, calls_answered=calls)
              for i, (state, skills, idle, calls, active) in enumerate(specs)]
    chosen = select_agent(agents, q(strategy))
    eligible = [a for a in agents if a.state is AgentState.READY and a.active and a.skills.get(2, 0) >= 5]
    if chosen is None:
        assert not eligible
        return
    assert all(a in eligible for a in chosen.agents)
    assert len({a.agent_id for a in chosen.agents}) == len(chosen.agents)
    if strategy == "longest_idle":
        assert chosen.agent.idle_since == min(a.idle_since for a in eligible)
    if strategy == "ring_all":
        assert len(chosen.agents) == len(eligible)
    else:
        assert len(chosen.agents) == 1
