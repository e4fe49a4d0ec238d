"""The monthly scorecard page honours each item's cap (seed 003: 每项5分, a deduction stops at 0 and the answer
rate's bonus stops at the item's 5 points): 5.00 out of 5, never 8.06; the bonus beyond it is a note; the total is
never above the items' maximum."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.store.calllog import append

LOCAL = dt.timezone(dt.timedelta(hours=8))


def _month(db, answered: int, abandoned: int) -> None:
    """April 2026: `answered` calls answered after 5 s and rated 满意 (5), `abandoned` abandoned after 30 s."""
    start = dt.datetime(2026, 4, 6, 9, 0, tzinfo=LOCAL).timestamp()
    for i in range(answered + abandoned):
        q, uuid = start + 300 * i, f"c{i}"
        append(db, LogCallEvent(uuid, K.QUEUED, q, queued_at=q, queue_code="tax"))
        if i < abandoned:
            append(db, LogCallEvent(uuid, K.ABANDONED, q + 30, queued_at=q, queue_code="tax", wait_s=30.0))
            continue
        append(db, LogCallEvent(uuid, K.ANSWERED, q + 5, queued_at=q, queue_code="tax", wait_s=5.0, agent_id=1))
        append(db, LogCallEvent(uuid, K.TALK_ENDED, q + 65, queued_at=q, queue_code="tax", duration_s=60.0,
                                agent_id=1))
        append(db, LogCallEvent(uuid, K.SURVEY, q + 70, queued_at=q, queue_code="tax", value=5, agent_id=1))
    db.commit()


def _row(html: str, key: str) -> dict[str, str]:
    row = html.split(f'<tr data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    points = re.sub(r"<[^>]+>", "", row.split('data-field="points">', 1)[1].split("<br>", 1)[0].split("</td>", 1)[0])
    return {"points": points.strip(), "out_of": cells[4][0], "row": row}


def test_a_bonus_beyond_the_items_points_is_a_note_not_points(as_supervisor, db):
    _month(db, answered=98, abandoned=2)                      # 人工接通率 98 %: the rule alone gives 5 + 3 = 8
    html = as_supervisor.get("/reports/scorecard", query_string={"month": "2026-04"}).get_data(as_text=True)
    answer = _row(html, "answer_rate")
    assert answer["points"] == "5.00" and answer["out_of"] == "5"
    assert "超出分项分值5分的加分 +3.00，不计入" in answer["row"]       # what the rule gave beyond, shown apart
    api = as_supervisor.get("/reports/api/scorecard.json", query_string={"month": "2026-04"}).get_json()
    assert api["measured_points"] <= api["measured_max"]
    measured = html.split('id="measured-points">', 1)[1].split("<", 1)[0]
    assert float(measured) == api["measured_points"] == pytest.approx(15.0)    # answer rate, wait, satisfaction
    for item in api["items"] + api["business"]:
        if item["points"] is not None:
            assert 0 <= item["points"] <= item["max_points"], item["key"]
            shown = _row(html, item["key"])
            assert float(shown["points"]) <= float(shown["out_of"]), item["key"]


def test_a_deduction_stops_at_zero(as_supervisor, db):
    _month(db, answered=40, abandoned=60)                     # 40 %: 55 points below the target
    html = as_supervisor.get("/reports/scorecard", query_string={"month": "2026-04"}).get_data(as_text=True)
    answer = _row(html, "answer_rate")
    assert answer["points"] == "0.00" and "-" not in answer["points"]
    assert "不计入" not in answer["row"]                        # no bonus note below the target
