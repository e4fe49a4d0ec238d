"""Quality inspection (质检) rules without I/O (engine.domain.quality): worked examples of a 100-point scorecard in
four categories (服务态度 25, 业务能力 40, 技术能力 20, 记录规范 15, with two fatal items), the refusals a scorer
sees, and property tests of the week's sampling over random recordings and plans (every rule match, complaint calls
even under a cap, the random number per agent or all of them with the shortfall, nothing twice, the same sample for
the same seed, a second draw adds nothing), of sharing reviews among inspectors, of appeals and of calibration."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st

from engine.domain.quality import (Candidate, Item, QualityError, Reason, ReviewState, Rules, calibration,
                                   check_appeal, check_items, check_second_reviewer, draw, rule_reason, score_card,
                                   share_out, week_start)

# A 100-point form: weights equal to the maxima, so the score is the plain sum of points.
FORM = [
    Item(1, "服务态度", "礼貌用语", 10, 10), Item(2, "服务态度", "耐心倾听", 15, 15),
    Item(3, "业务能力", "政策解答准确", 30, 30), Item(4, "业务能力", "流程指引清楚", 10, 10),
    Item(5, "技术能力", "系统操作熟练", 10, 10), Item(6, "技术能力", "转接规范", 10, 10),
    Item(7, "记录规范", "工单要素完整", 10, 10), Item(8, "记录规范", "分类准确", 5, 5),
    Item(9, "服务态度", "泄露纳税人信息", fatal=True), Item(10, "服务态度", "辱骂来电人", fatal=True),
]
GOOD = {1: 8, 2: 12, 3: 27, 4: 10, 5: 9, 6: 7, 7: 10, 8: 4}          # 87 points


def refused(code: str, call, *args, **kwargs) -> QualityError:
    with pytest.raises(QualityError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


# --- scoring ----------------------------------------------------------------------------------------------------

def test_weights_equal_to_the_maxima_give_the_plain_sum_and_each_category_its_share():
    card = score_card(FORM, GOOD)
    assert (card.score, card.fatal) == (87.0, False)
    assert card.by_category == {"服务态度": 80.0, "业务能力": 92.5, "技术能力": 80.0, "记录规范": 93.3}
    assert score_card(FORM, {i.id: i.max_points for i in FORM if not i.fatal}).score == 100.0
    assert score_card(FORM, {i.id: 0 for i in FORM if not i.fatal}).score == 0.0


def test_equal_weights_count_each_item_the_same_whatever_its_scale():
    items = [Item(1, "服务态度", "礼貌用语", 10), Item(2, "记录规范", "分类准确", 5)]
    # half of the first, all of the second: (0.5 + 1) / 2, not the plain 10 / 15
    assert score_card(items, {1: 5, 2: 5}).score == 75.0
    weighted = [Item(1, "服务态度", "礼貌用语", 10, weight=3), Item(2, "记录规范", "分类准确", 5, weight=1)]
    assert score_card(weighted, {1: 5, 2: 5}).score == 62.5        # (3 × 0.5 + 1 × 1) / 4


def test_a_violated_fatal_item_zeroes_the_card_whatever_the_rest_scored():
    card = score_card(FORM, {i.id: i.max_points for i in FORM if not i.fatal}, violated=[9])
    assert (card.score, card.fatal) == (0.0, True)
    assert card.by_category["服务态度"] == 100.0                    # the categories as scored, before the zero
    kept = score_card(FORM, GOOD, violated=[])
    assert (kept.score, kept.fatal) == (87.0, False)


def test_an_unscored_out_of_range_or_unknown_item_is_refused_with_its_code():
    missing = dict(GOOD)
    del missing[3]
    assert refused("item_unscored", score_card, FORM, missing).detail == {"item": "政策解答准确"}
    assert refused("item_unscored", score_card, FORM, {**GOOD, 3: None}).detail == {"item": "政策解答准确"}
    assert refused("points_range", score_card, FORM, {**GOOD, 3: 31}).detail == {"item": "政策解答准确", "max": 30}
    refused("points_range", score_card, FORM, {**GOOD, 8: -1})
    refused("points_range", score_card, FORM, {**GOOD, 8: float("nan")})
    refused("item_unknown", score_card, FORM, {**GOOD, 99: 1})
    refused("item_unknown", score_card, FORM, GOOD, violated=[99])
    assert refused("not_fatal", score_card, FORM, GOOD, violated=[1]).detail == {"item": "礼貌用语"}
    assert score_card(FORM, {**GOOD, 3: 30, 8: 0}).score == 86.0        # both ends of the range are allowed


def test_a_form_needs_named_scored_items_with_a_positive_maximum_and_some_weight():
    refused("no_scored_item", check_items, [Item(1, "服务态度", "辱骂来电人", fatal=True)])
    refused("item_unnamed", check_items, [Item(1, "服务态度", "  ", 10)])
    refused("item_unnamed", check_items, [Item(1, "", "礼貌用语", 10)])
    refused("item_max", check_items, [Item(1, "服务态度", "礼貌用语", 0)])
    refused("item_weight", check_items, [Item(1, "服务态度", "礼貌用语", 10, weight=-1)])
    refused("weights_zero", check_items, [Item(1, "服务态度", "礼貌用语", 10, weight=0)])
    check_items(FORM)


# --- sampling: worked example -----------------------------------------------------------------------------------

MONDAY = dt.datetime(2026, 11, 16, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def cand(rid: int, agent: int, talk: float = 200.0, **kwargs) -> Candidate:
    return Candidate(rid, agent, MONDAY + dt.timedelta(minutes=rid), talk, **kwargs)


def test_a_week_takes_every_rule_match_with_its_first_reason_and_two_others_at_random():
    pool = [cand(1, 7, talk=900, complaint=True), cand(2, 7, talk=900), cand(3, 7, unsatisfied=True),
            cand(4, 7), cand(5, 7), cand(6, 7), cand(7, 8), cand(8, 8, transferred=True, hold_s=300)]
    rules = Rules(per_agent=2, long_call_s=600, unsatisfied=True, transfer=True, long_hold_s=120)
    sample = draw(pool, rules, "plan-1:2026-11-16")
    reasons = {p.candidate.recording_id: p.reason for p in sample.picks}
    # the complaint call is also long: the complaint is its reason; the long hold comes before the transfer
    assert {r: reasons[r] for r in (1, 2, 3, 8)} == {1: Reason.COMPLAINT, 2: Reason.LONG_CALL,
                                                     3: Reason.UNSATISFIED, 8: Reason.LONG_HOLD}
    assert len([r for r in (4, 5, 6) if reasons.get(r) is Reason.RANDOM]) == 2
    assert reasons[7] is Reason.RANDOM                     # agent 8 has one other recording: taken, one short
    assert sample.short == {8: 1}
    assert len(sample.picks) == 7


def test_a_rule_cap_keeps_the_complaint_calls_and_fills_the_rest_of_the_cap():
    pool = [cand(1, 7, complaint=True), *(cand(n, 7, talk=900) for n in range(2, 6)), cand(6, 7), cand(7, 7)]
    rules = Rules(per_agent=1, long_call_s=600, rule_cap=2)
    for seed in range(30):
        picks = draw(pool, rules, f"seed-{seed}").picks
        by_reason = [p.reason for p in picks]
        assert by_reason.count(Reason.COMPLAINT) == 1
        assert by_reason.count(Reason.LONG_CALL) == 1           # the cap of 2, the complaint being one
        assert by_reason.count(Reason.RANDOM) == 1
    many = [cand(n, 7, complaint=True) for n in range(1, 5)]
    assert [p.reason for p in draw(many, Rules(per_agent=0, rule_cap=2), "s").picks] == [Reason.COMPLAINT] * 4


# --- sampling: properties over random weeks ---------------------------------------------------------------------

candidates_st = st.lists(
    st.tuples(st.integers(1, 4), st.sampled_from((20.0, 200.0, 900.0)), st.booleans(),
              st.sampled_from((False, False, True)), st.booleans(), st.sampled_from((0.0, 30.0, 200.0)),
              st.integers(0, 7 * 24 * 60)),
    max_size=40,
).map(lambda rows: [Candidate(n + 1, agent, MONDAY + dt.timedelta(minutes=minute), talk, unsatisfied=unsat,
                              complaint=complaint, transferred=transferred, hold_s=hold)
                    for n, (agent, talk, unsat, complaint, transferred, hold, minute) in enumerate(rows)])
rules_st = st.builds(Rules, per_agent=st.integers(0, 4), long_call_s=st.sampled_from((None, 600.0)),
                     short_call_s=st.sampled_from((None, 30.0)), unsatisfied=st.booleans(), complaint=st.booleans(),
                     transfer=st.booleans(), long_hold_s=st.sampled_from((None, 120.0)),
                     rule_cap=st.sampled_from((None, None, 0, 1, 2, 3)))
seeds = st.text(min_size=1, max_size=12)


def by_agent(items):
    out: dict[int, list] = {}
    for c in items:
        out.setdefault(c.agent_id, []).append(c)
    return out


@settings(max_examples=300, deadline=None)
@given(pool=candidates_st, rules=rules_st, seed=seeds)
def test_sample_properties(pool, rules, seed):
    sample = draw(pool, rules, seed)
    ids = [p.candidate.recording_id for p in sample.picks]
    assert len(ids) == len(set(ids))                                   # nothing picked twice
    assert set(ids) <= {c.recording_id for c in pool}
    picked = {p.candidate.recording_id: p.reason for p in sample.picks}
    expected_short = {}
    for agent, own in by_agent(pool).items():
        matches = [c for c in own if rule_reason(c, rules) is not None]
        complaints = [c for c in matches if rule_reason(c, rules) is Reason.COMPLAINT]
        rule_picks = [c for c in own if picked.get(c.recording_id) not in (None, Reason.RANDOM)]
        for c in rule_picks:
            assert picked[c.recording_id] is rule_reason(c, rules)     # the first rule it matched
        for c in complaints:                                           # every complaint call, cap or not
            assert picked[c.recording_id] is Reason.COMPLAINT
        if rules.rule_cap is None or len(matches) <= rules.rule_cap:
            assert {c.recording_id for c in rule_picks} == {c.recording_id for c in matches}
        else:
            assert len(rule_picks) == max(rules.rule_cap, len(complaints))
        rest = [c for c in own if picked.get(c.recording_id) not in {Reason.COMPLAINT, Reason.UNSATISFIED,
                                                                     Reason.LONG_CALL, Reason.SHORT_CALL,
                                                                     Reason.LONG_HOLD, Reason.TRANSFER}]
        randoms = [c for c in own if picked.get(c.recording_id) is Reason.RANDOM]
        if len(rest) >= rules.per_agent:
            assert len(randoms) == rules.per_agent
        else:
            assert len(randoms) == len(rest)                            # all of them …
            expected_short[agent] = rules.per_agent - len(rest)          # … and the shortfall, exactly
    assert sample.short == expected_short


@settings(max_examples=200, deadline=None)
@given(pool=candidates_st, rules=rules_st, seed=seeds, order=st.randoms(use_true_random=False))
def test_the_same_seed_gives_the_same_sample_whatever_the_order_and_a_second_draw_adds_nothing(pool, rules, seed,
                                                                                              order):
    first = draw(pool, rules, seed)
    shuffled = list(pool)
    order.shuffle(shuffled)
    assert draw(shuffled, rules, seed) == first
    again = draw(shuffled, rules, seed, taken=[p.candidate.recording_id for p in first.picks])
    assert again.picks == []
    assert again.short == first.short


@settings(max_examples=200, deadline=None)
@given(pool=candidates_st, rules=rules_st, seed=seeds, lost=st.randoms(use_true_random=False))
def test_a_second_draw_after_reviews_were_lost_makes_each_agent_whole_again(pool, rules, seed, lost):
    first = draw(pool, rules, seed)
    kept = [p for p in first.picks if lost.random() < 0.5]
    again = draw(pool, rules, seed, taken=[p.candidate.recording_id for p in kept])
    assert not {p.candidate.recording_id for p in kept} & {p.candidate.recording_id for p in again.picks}
    count = lambda picks: {a: len(v) for a, v in by_agent(p.candidate for p in picks).items()}  # noqa: E731
    assert count(kept + again.picks) == count(first.picks)


# --- sharing out ------------------------------------------------------------------------------------------------

def test_share_out_gives_each_review_to_the_least_loaded_ties_in_the_order_given():
    assert share_out(3, [7, 5, 9], {}) == [7, 5, 9]
    assert share_out(4, [1, 2], {1: 3}) == [2, 2, 2, 1]
    assert share_out(0, [1], {}) == []
    refused("no_inspector", share_out, 1, [], {})


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 60), inspectors=st.lists(st.integers(1, 50), min_size=1, max_size=6, unique=True),
       start=st.integers(0, 5), extra=st.dictionaries(st.integers(1, 50), st.integers(0, 9)))
def test_share_out_keeps_the_loads_level(count, inspectors, start, extra):
    out = share_out(count, inspectors, {i: start for i in inspectors})
    loads = [start + out.count(i) for i in inspectors]
    assert len(out) == count and set(out) <= set(inspectors)
    assert max(loads) - min(loads) <= 1
    # from uneven loads, the spread never grows beyond what it was (or 1)
    load = {i: extra.get(i, 0) for i in inspectors}
    out = share_out(count, inspectors, load)
    after = [load[i] + out.count(i) for i in inspectors]
    assert max(after) - min(after) <= max(1, max(load.values()) - min(load.values()))


# --- appeals, second reviewers, calibration ---------------------------------------------------------------------

def test_an_agent_appeals_a_scored_review_once_within_the_window():
    scored = dt.datetime(2026, 11, 17, 10, tzinfo=dt.timezone.utc)
    week = dt.timedelta(days=7)
    check_appeal(ReviewState.SCORED, False, scored + week, scored, week)       # the last moment is still in time
    refused("appeal_late", check_appeal, ReviewState.SCORED, False, scored + week + dt.timedelta(seconds=1), scored,
            week)
    refused("appealed_before", check_appeal, ReviewState.DECIDED, True, scored, scored, week)
    refused("not_scored", check_appeal, ReviewState.ASSIGNED, False, scored, None, week)
    refused("not_scored", check_appeal, ReviewState.APPEALED, False, scored, scored, week)


def test_the_appeal_is_decided_by_someone_else_than_the_first_inspector():
    refused("same_reviewer", check_second_reviewer, 5, 5)
    check_second_reviewer(5, 6)
    check_second_reviewer(None, 6)


def test_calibration_is_each_inspectors_mean_against_everyones():
    cal = calibration([(1, 80.0), (1, 90.0), (2, 70.0), (3, 100.0)])
    assert cal.overall_mean == 85.0
    assert cal.by_inspector == {1: (2, 85.0, 0.0), 2: (1, 70.0, -15.0), 3: (1, 100.0, 15.0)}
    assert cal.spread == 30.0
    assert calibration([(1, 80.0), (1, 60.0)]).spread is None           # one inspector: nothing to compare
    assert calibration([]) == calibration(iter(()))
    assert (calibration([]).overall_mean, calibration([]).by_inspector, calibration([]).spread) == (None, {}, None)


def test_sampling_weeks_run_monday_to_sunday():
    assert week_start(dt.date(2026, 11, 16)) == dt.date(2026, 11, 16)
    assert week_start(dt.date(2026, 11, 22)) == dt.date(2026, 11, 16)
    assert week_start(dt.date(2026, 11, 23)) == dt.date(2026, 11, 23)
    assert week_start(dt.date(2027, 1, 1)) == dt.date(2026, 12, 28)


def test_the_seed_alone_decides_the_random_picks():
    pool = [cand(n, 7) for n in range(1, 21)]
    picks = lambda seed: [p.candidate.recording_id for p in draw(pool, Rules(per_agent=3), seed).picks]  # noqa: E731
    assert picks("plan-1:2026-11-16") == picks("plan-1:2026-11-16")
    assert len({tuple(picks(f"plan-{n}:2026-11-16")) for n in range(10)}) > 1      # another plan, another sample
    random.seed(1)
    first = picks("plan-1:2026-11-16")
    random.seed(2)                                                 # the process's own generator plays no part
    assert picks("plan-1:2026-11-16") == first
