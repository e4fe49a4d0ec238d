"""Seed 004's 业务指标 scored by hand: ceilings and floors exactly as the purchaser writes them, exact rates."""
from __future__ import annotations

import pytest

from engine.reports.seed004 import BusinessCounts, score


def points(**counts):
    base = dict(reviews=100, review_errors=0, late_dispatches=0, dispatched=100, dispatched_accurately=100,
                due_follow_up=100, followed_up=100)
    return {item.key: item.points for item in score(BusinessCounts(**{**base, **counts}))}


@pytest.mark.parametrize("reviews,errors,expected", [
    (100, 3, 10.0),         # exactly 3 %: no deduction (not 3.0000000004 %)
    (100, 4, 9.5),          # 4 %: one point above, 0.5 off
    (1000, 31, 9.5),        # 3.1 %: a started point counts (向上取整)
    (33, 1, 9.5),           # 3.03 %
    (1000, 45, 9.0),        # 4.5 %: two started points
    (1000, 230, 0.0),       # 23 %: 20 points above, all 10 lost
    (1000, 250, 0.0),       # 扣满为止: never below 0
])
def test_review_error_rate(reviews, errors, expected):
    assert points(reviews=reviews, review_errors=errors)["review_error_rate"] == expected


@pytest.mark.parametrize("late,expected", [(0, 10.0), (3, 8.5), (20, 0.0), (25, 0.0)])
def test_dispatch_timeliness(late, expected):
    assert points(late_dispatches=late)["dispatch_timeliness"] == expected


@pytest.mark.parametrize("dispatched,accurate,expected", [
    (1000, 970, 10.0), (1000, 965, 10.0),      # 96.5 %: under a whole point below (向下取整)
    (1000, 955, 9.0), (1000, 940, 7.0), (1000, 800, 0.0)])
def test_dispatch_accuracy(dispatched, accurate, expected):
    assert points(dispatched=dispatched, dispatched_accurately=accurate)["dispatch_accuracy"] == expected


@pytest.mark.parametrize("due,done,expected", [
    (1000, 900, 10.0), (1000, 895, 10.0), (1000, 850, 9.0), (1000, 881, 9.8), (10, 0, 0.0)])
def test_follow_up_rate(due, done, expected):
    assert points(due_follow_up=due, followed_up=done)["follow_up_rate"] == pytest.approx(expected)


def test_nothing_to_measure_is_not_scored():
    items = {i.key: i for i in score(BusinessCounts(0, 0, 0, 0, 0, 0, 0))}
    assert items["review_error_rate"].points is None and items["dispatch_accuracy"].points is None
    assert items["follow_up_rate"].points is None and items["dispatch_timeliness"].points == 10.0


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        BusinessCounts(10, 11, 0, 0, 0, 0, 0)
    with pytest.raises(ValueError):
        BusinessCounts(0, 0, -1, 0, 0, 0, 0)
