"""Seed 004's 业务指标 (40 of its 100 points): the four work-order items, scored exactly as written, from the
month's counts. Pure; the counts come from the work-order store (issue 15, item 6).

* 工单初审差错率 (10): ≤ 3 % scores 10; "在3%基础上每大于1%（向上取整）扣0.5分" — 0.5 per started point above 3 %.
* 派单及时性 (10): "每超时一单扣0.5分" — 0.5 per order dispatched later than 3 hours (or not at all).
* 派单准确率 (10): ≥ 97 % scores 10; "在97%基础上每低于1%（向下取整）扣1分" — 1 per whole point below 97 %.
* 回访率 (10): ≥ 90 % scores 10; "在90%基础上每低于1%（向下取整）扣0.2分" — 0.2 per whole point below 90 %.

Every item "扣满为止": never below 0. Rates are computed as exact fractions of the counts, so that 3 errors in 100
reviews is exactly 3 %, never 3.0000000004 % (which rounded up would cost half a point). An item whose base
count is zero is not measured (None), as a month without orders has no rate.
"""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

__all__ = ["BusinessCounts", "BusinessItem", "score", "TARGETS", "RULES"]

ITEM_POINTS = 10
TARGETS = {"review_error_rate": "≤ 3%", "dispatch_timeliness": "3小时内派单", "dispatch_accuracy": "≥ 97%",
           "follow_up_rate": "≥ 90%"}
RULES = {  # as seed 004's 考核标准 writes them
    "review_error_rate": "工单初审差错率=每月工单初审差错量/每月工单初审总量；在3%基础上每大于1%（向上取整）扣0.5分，扣满为止",
    "dispatch_timeliness": "工单在3小时内完成派单，每超时一单扣0.5分，扣满为止",
    "dispatch_accuracy": "派单准确率=每月派单准确工单量/每月派单工单总量；在97%基础上每低于1%（向下取整）扣1分，扣满为止",
    "follow_up_rate": "回访率=每月已回访工单量/每月被纳入回访的工单总量；在90%基础上每低于1%（向下取整）扣0.2分，扣满为止",
}


@dataclasses.dataclass(frozen=True)
class BusinessCounts:
    """One month of one hall's (or the centre's) work orders."""

    reviews: int                    # 每月工单初审总量
    review_errors: int              # 每月工单初审差错量
    late_dispatches: int            # orders dispatched after 3 hours, or still waiting past them
    dispatched: int                 # 每月派单工单总量
    dispatched_accurately: int      # 每月派单准确工单量 (never returned as not the department's)
    due_follow_up: int              # 每月被纳入回访的工单总量
    followed_up: int                # 每月已回访工单量

    def __post_init__(self) -> None:
        for name, part, whole in (("review_errors", self.review_errors, self.reviews),
                                  ("dispatched_accurately", self.dispatched_accurately, self.dispatched),
                                  ("followed_up", self.followed_up, self.due_follow_up)):
            if not 0 <= part <= whole:
                raise ValueError(f"{name} must be between 0 and its total, got {part} of {whole}")
        if self.late_dispatches < 0:
            raise ValueError("late_dispatches cannot be negative")


@dataclasses.dataclass(frozen=True)
class BusinessItem:
    key: str
    name: str
    rate_percent: float | None      # None: a count item (派单及时性) or nothing to measure
    points: float | None
    max_points: int = ITEM_POINTS


def _percent(part: int, whole: int) -> Fraction | None:
    return None if whole == 0 else Fraction(100 * part, whole)


def _floor0(points: Fraction) -> float:
    return float(max(Fraction(0), points))


def score(c: BusinessCounts) -> list[BusinessItem]:
    """The four items with the points each scores (None where there is nothing to measure)."""
    error_rate = _percent(c.review_errors, c.reviews)
    accuracy = _percent(c.dispatched_accurately, c.dispatched)
    follow_up = _percent(c.followed_up, c.due_follow_up)
    items = []
    if error_rate is None:
        items.append(BusinessItem("review_error_rate", "工单初审差错率", None, None))
    else:
        over = error_rate - 3
        lost = Fraction(1, 2) * math.ceil(over) if over > 0 else Fraction(0)
        items.append(BusinessItem("review_error_rate", "工单初审差错率", float(error_rate),
                                  _floor0(ITEM_POINTS - lost)))
    items.append(BusinessItem("dispatch_timeliness", "派单及时性", None,
                              _floor0(ITEM_POINTS - Fraction(1, 2) * c.late_dispatches)))
    if accuracy is None:
        items.append(BusinessItem("dispatch_accuracy", "派单准确率", None, None))
    else:
        under = 97 - accuracy
        lost = Fraction(math.floor(under)) if under > 0 else Fraction(0)
        items.append(BusinessItem("dispatch_accuracy", "派单准确率", float(accuracy), _floor0(ITEM_POINTS - lost)))
    if follow_up is None:
        items.append(BusinessItem("follow_up_rate", "回访率", None, None))
    else:
        under = 90 - follow_up
        lost = Fraction(1, 5) * math.floor(under) if under > 0 else Fraction(0)
        items.append(BusinessItem("follow_up_rate", "回访率", float(follow_up), _floor0(ITEM_POINTS - lost)))
    return items
