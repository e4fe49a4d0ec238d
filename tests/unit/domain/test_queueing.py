"""Waiting order: priority with aging, no starvation beyond the configured bound."""
from hypothesis import given, strategies as st

from engine.domain.queueing import WaitingList, wait_key


def test_a_vip_goes_ahead_of_calls_that_waited_less_than_its_priority_advance():
    waiting = WaitingList()
    waiting.add("ordinary-early", wait_key(0.0, 0, 60))
    waiting.add("ordinary-late", wait_key(100.0, 0, 60))
    waiting.add("vip", wait_key(110.0, 5, 60))        # 5 x 60 s advance: counts as arriving at -190
    assert list(waiting) == ["vip", "ordinary-early", "ordinary-late"]
    waiting.remove("vip")
    assert list(waiting) == ["ordinary-early", "ordinary-late"] and len(waiting) == 2 and "vip" not in waiting
    assert waiting.position("ordinary-late") == 2


def test_equal_keys_keep_arrival_order_and_readding_moves_a_call():
    waiting = WaitingList()
    for name in "abc":
        waiting.add(name, 10.0)
    assert list(waiting) == ["a", "b", "c"]
    waiting.add("a", 10.0)
    assert list(waiting) == ["b", "c", "a"]


@given(st.lists(st.tuples(st.integers(0, 3_600_000).map(lambda ms: 1.8e9 + ms / 1000), st.integers(0, 10)),
                min_size=2, max_size=40),
       st.integers(1, 600))
def test_no_call_is_overtaken_by_one_that_arrived_later_than_the_starvation_bound(calls, step):
    waiting = WaitingList()
    for i, (arrived, priority) in enumerate(calls):
        waiting.add(str(i), wait_key(arrived, priority, step))
    order = [int(u) for u in waiting]
    served_before = {u: set(order[:k]) for k, u in enumerate(order)}
    max_priority = max(p for _, p in calls)
    for i, (arrived_i, prio_i) in enumerate(calls):
        bound = (max_priority - prio_i) * step
        for j in served_before[i]:
            arrived_j, prio_j = calls[j]
            assert arrived_j <= arrived_i + bound          # nobody arriving after the bound went first
            if prio_j == prio_i:
                assert arrived_j <= arrived_i              # same priority: strict arrival order
