"""Report definitions: the rating codes (基本满意 has a code of its own, 6, so that stored ratings keep their
meaning), definitions saved before it, and the answer rate's abandon treatment."""
from __future__ import annotations

import json

import pytest

from engine.reports.definitions import (ABANDONS_EXCLUDE_SHORT, BASICALLY_SATISFIED, RATING_MEANINGS, Definitions)
from engine.reports.figures import call_figures, empty_sums


def test_basically_satisfied_is_a_code_of_its_own_and_counts_as_satisfied():
    assert RATING_MEANINGS[3] == "一般" and RATING_MEANINGS[BASICALLY_SATISFIED] == "基本满意"
    d = Definitions()
    assert d.valid_ratings == (1, 2, 3, 4, 5, 6) and d.satisfied_ratings == (4, 5, 6)
    sums = {**empty_sums(), "r5": 6, "r4": 1, "r6": 2, "r3": 1}     # a 3 stored by the first survey: 一般
    f = call_figures(sums, d)
    assert (f["rated"], f["satisfied"]) == (10, 9) and f["satisfaction_rate"] == pytest.approx(90.0)


def test_definitions_saved_before_code_6_get_it_and_old_ratings_keep_their_meaning():
    saved = json.dumps({"valid_ratings": [1, 2, 3, 4, 5], "satisfied_ratings": [4, 5], "service_level_s": 20})
    d = Definitions.from_json(saved)
    assert d.valid_ratings == (1, 2, 3, 4, 5, 6) and d.satisfied_ratings == (4, 5, 6) and d.service_level_s == 20
    assert 3 not in d.satisfied_ratings                              # 一般 stays not satisfied
    strict = Definitions.from_json(json.dumps({"valid_ratings": [1, 2, 3, 4, 5], "satisfied_ratings": [5]}))
    assert strict.valid_ratings == (1, 2, 3, 4, 5, 6) and strict.satisfied_ratings == (5,)   # only 非常满意
    other = Definitions.from_json(json.dumps({"valid_ratings": [0, 1, 2, 7, 8, 9], "satisfied_ratings": [8, 9]}))
    assert other.valid_ratings == (0, 1, 2, 7, 8, 9)                 # another scale: left as chosen
    # saved with the codes known: taken as they are, even without 6
    chosen = Definitions(valid_ratings=(1, 2, 3, 4, 5), satisfied_ratings=(4, 5))
    assert Definitions.from_json(chosen.to_json()) == chosen
    assert Definitions.from_json("") == Definitions()


def test_the_answer_rate_has_its_own_abandon_treatment():
    sums = {**empty_sums(), "queued": 10, "answered": 8, "abandoned": 2, "abn_le_5": 1, "abn_le_10": 2}
    assert call_figures(sums, Definitions())["answer_rate"] == pytest.approx(80.0)
    short = Definitions(abandons_in_answer_rate=ABANDONS_EXCLUDE_SHORT)
    assert call_figures(sums, short)["answer_rate"] == pytest.approx(100 * 8 / 9)
    assert call_figures(sums, Definitions(abandons_in_answer_rate=ABANDONS_EXCLUDE_SHORT, short_abandon_s=10))[
        "answer_rate"] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="answer rate"):
        Definitions(abandons_in_answer_rate="sometimes")
