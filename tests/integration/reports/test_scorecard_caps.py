"""Seed 003's monthly scorecard never shows an item above its 5 points (分项分值), nor a total above the items'
maximum: the answer rate's bonus ("每提高一个百分点加1分") is shown apart, not counted (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest
from pytest import approx

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.reports.definitions import Definitions
from engine.reports.scorecard import CAP_RULE, monthly_scorecard
from engine.store.calllog import append
from engine.store.session import make_engine, make_session_factory

LOCAL = dt.timezone(dt.timedelta(hours=8))
D = Definitions()


@pytest.fixture
def session(database_url):
    """April 2026: 50 calls, 49 answered after 5 s and rated, one abandoned after 30 s (answer rate 98 %)."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as s:
        start = dt.datetime(2026, 4, 6, 9, 0, tzinfo=LOCAL).timestamp()
        for i in range(50):
            q, uuid = start + 600 * i, f"c{i}"
            append(s, LogCallEvent(uuid, K.QUEUED, q, queued_at=q, queue_code="tax"))
            if i == 0:
                append(s, LogCallEvent(uuid, K.ABANDONED, q + 30, queued_at=q, queue_code="tax", wait_s=30.0))
                continue
            append(s, LogCallEvent(uuid, K.ANSWERED, q + 5, queued_at=q, queue_code="tax", wait_s=5.0, agent_id=1))
            append(s, LogCallEvent(uuid, K.TALK_ENDED, q + 65, queued_at=q, queue_code="tax", duration_s=60.0,
                                   agent_id=1))
            # 基本满意 (6) counts as satisfied; one 一般 (3) does not
            rating = 3 if i == 1 else (6 if i % 3 == 0 else 5)
            append(s, LogCallEvent(uuid, K.SURVEY, q + 70, queued_at=q, queue_code="tax", value=rating, agent_id=1))
        s.commit()
        yield s
    engine.dispose()


def test_no_item_and_no_total_above_its_maximum(session):
    card = monthly_scorecard(session, 2026, 4, D)
    items = {i.key: i for i in card.items}
    answer = items["answer_rate"]
    assert answer.value == approx(98.0)
    assert answer.points == 5.0 and answer.max_points == 5.0          # the rule alone would give 5 + 3 = 8
    assert answer.bonus_beyond_max == approx(3.0)                      # shown apart, not counted
    assert items["avg_wait"].points == 5.0 and items["timely"].points is None      # no consultation orders
    assert items["satisfaction"].value == approx(100 * 48 / 49) and items["satisfaction"].points == 5.0
    assert all(i.points is None or 0 <= i.points <= i.max_points for i in card.items)
    assert card.measured_points == 15.0 and card.measured_max == 15.0
    assert card.cap_rule == CAP_RULE and "不超过分项分值" in CAP_RULE
    assert "基本满意" in items["satisfaction"].rule
    assert all(i.bonus_beyond_max is None for i in card.items if i.key != "answer_rate")


def test_a_rate_below_the_target_loses_points_down_to_zero_and_has_no_bonus(session):
    card = {i.key: i for i in monthly_scorecard(session, 2026, 4, Definitions(target_answer_rate=99.5)).items}
    assert card["answer_rate"].points == approx(3.5) and card["answer_rate"].bonus_beyond_max is None
    card = {i.key: i for i in monthly_scorecard(session, 2026, 4, Definitions(target_answer_rate=90.0)).items}
    assert card["answer_rate"].points == 5.0 and card["answer_rate"].bonus_beyond_max == approx(8.0)
