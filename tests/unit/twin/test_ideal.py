"""The ideal queue the twin is set against (engine.twin.ideal) is Erlang A's queue: over long sample paths its
service level, abandons and waits converge on the Erlang A figures; on a hand-made path it serves first come first
served and lets a caller go when their patience runs out before the answer."""
from __future__ import annotations

import random

import pytest

from engine.domain.staffing import erlang_a, erlang_a_service_level
from engine.twin.ideal import Caller, simulate


def test_callers_are_served_in_turn_and_leave_when_their_patience_runs_out():
    callers = [Caller(0.0, None, 100.0, 1.0), Caller(10.0, 30.0, 50.0, 1.0), Caller(20.0, 200.0, 50.0, 1.0)]
    out = simulate(callers, lambda _t: 1)
    assert [(o.answered, o.wait) for o in out] == [(True, 1.0), (False, 30.0), (True, 81.0)]


def test_agents_beyond_the_head_count_take_no_new_call():
    callers = [Caller(0.0, None, 100.0), Caller(1.0, None, 100.0), Caller(500.0, None, 10.0),
               Caller(501.0, None, 10.0)]
    out = simulate(callers, lambda t: 2 if t < 400 else 1)
    assert [o.wait for o in out] == [0.0, 0.0, 0.0, 9.0]


@pytest.mark.parametrize("rate, aht, patience, agents", [(0.2, 60.0, 90.0, 14), (1 / 15, 300.0, 120.0, 22)])
def test_over_long_paths_the_ideal_queue_is_erlang_a(rate, aht, patience, agents):
    rng = random.Random(17)
    callers, t = [], 0.0
    while t < 200 * 3600:
        t += rng.expovariate(rate)
        callers.append(Caller(t, rng.expovariate(1 / patience), rng.expovariate(1 / aht)))
    out = simulate(callers, lambda _t: agents)
    served = [o for o in out if o.answered]
    m = erlang_a(rate, aht, patience, agents)
    assert len(served) / len(out) == pytest.approx(m.answer_rate, abs=0.005)
    sl = sum(o.wait <= 20 for o in served) / len(out)
    assert sl == pytest.approx(erlang_a_service_level(rate, aht, patience, agents, 20.0), abs=0.01)
    assert sum(o.wait for o in out) / len(out) == pytest.approx(m.mean_wait, rel=0.1)
