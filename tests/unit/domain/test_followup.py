"""Follow-up visits: which closed orders are called (every complaint and report, an exact, repeatable sample of
the rest), when an unanswered citizen is rung again (inside the calling hours, never on a statutory holiday),
and what a rating does."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.calendar_source import build_calendar
from engine.domain.followup import FollowUpRule, Rating, RequestType, RetryPolicy

TZ = ZoneInfo("Asia/Shanghai")
CAL = build_calendar([2026])


def at(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def test_every_complaint_and_report_is_followed_up_and_a_repeatable_share_of_the_rest():
    rule = FollowUpRule(sample_percent=20)
    assert all(rule.selects(f"GD{i:06d}", RequestType.COMPLAINT) for i in range(200))
    assert all(rule.selects(f"GD{i:06d}", RequestType.REPORT, on_the_spot=True) for i in range(200))
    picked = [n for n in (f"GD{i:06d}" for i in range(10_000)) if rule.selects(n, RequestType.CONSULTATION)]
    assert 1_850 <= len(picked) <= 2_150                            # 20 %, give or take the hash
    assert picked == [n for n in (f"GD{i:06d}" for i in range(10_000))
                      if FollowUpRule(sample_percent=20).selects(n, RequestType.CONSULTATION)]   # the same again
    assert not any(rule.selects(n, RequestType.CONSULTATION, on_the_spot=True) for n in picked)
    assert all(FollowUpRule(sample_percent=100).selects(f"X{i}", RequestType.HELP) for i in range(100))
    assert not any(FollowUpRule(sample_percent=0).selects(f"X{i}", RequestType.HELP) for i in range(100))
    with pytest.raises(ValueError):
        FollowUpRule(sample_percent=120)


@pytest.mark.parametrize("closed,expected", [
    (at(3, 2, 10), at(3, 2, 10)),                 # within the calling hours: at once
    (at(3, 2, 12, 30), at(3, 2, 14)),             # lunch: after it
    (at(3, 2, 21), at(3, 3, 9)),                  # evening: next morning
    (at(2, 14, 19, 50), at(2, 14, 19, 50)),       # a make-up Saturday is a calling day
    (at(2, 15, 10), at(2, 24, 9)),                # the Spring Festival: nobody is rung until Tuesday 24
    (at(3, 7, 10), at(3, 7, 10)),                 # an ordinary Saturday is a calling day too
])
def test_the_first_call_waits_for_the_calling_hours(closed, expected):
    assert RetryPolicy().first_attempt(closed, CAL, TZ) == expected


def test_an_unanswered_citizen_is_rung_again_after_the_gap_then_given_up():
    policy = RetryPolicy(attempts=3, gap=dt.timedelta(hours=2))
    assert policy.next_attempt(at(3, 2, 9), 1, CAL, TZ) == at(3, 2, 11)
    assert policy.next_attempt(at(3, 2, 11), 2, CAL, TZ) == at(3, 2, 14)       # 13:00 is lunch
    assert policy.next_attempt(at(3, 2, 19), 2, CAL, TZ) == at(3, 3, 9)        # 21:00 is too late
    assert policy.next_attempt(at(3, 2, 14), 3, CAL, TZ) is None               # three tries: done
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_ratings():
    assert Rating.SATISFIED.satisfied and Rating.BASICALLY_SATISFIED.satisfied      # 基本满意 counts as satisfied
    assert not Rating.UNSATISFIED.satisfied and Rating.UNSATISFIED.reopens and not Rating.SATISFIED.reopens
