"""The report definitions a center may set differently, stored as one JSON setting (see docs/reports.md).

Everything else is fixed and written down in docs/reports.md: a request for an agent is a `queued` entry (a
transfer back to a queue is not a new one: engine.reports.rollups.REWAIT), figures are attributed to the 15-minute interval in which the call entered its queue, durations are summed
in milliseconds.
"""
from __future__ import annotations

import dataclasses
import json

from sqlalchemy.orm import Session

from engine.store.base import utcnow
from engine.store.models.reports import SHORT_ABANDON_THRESHOLDS, SL_THRESHOLDS, ReportSetting

SETTING_NAME = "definitions"

# How abandoned calls count in the denominators of the service level (15秒接通率) and, chosen separately, of the
# answer rate (人工接通率): the same three treatments and the same short-abandon threshold S.
ABANDONS_INCLUDE = "include"              # answered (within T) / requests
ABANDONS_EXCLUDE = "exclude"              # answered (within T) / (requests − abandoned)
ABANDONS_EXCLUDE_SHORT = "exclude_short"  # answered (within T) / (requests − abandoned within S)
ABANDON_TREATMENTS = (ABANDONS_INCLUDE, ABANDONS_EXCLUDE, ABANDONS_EXCLUDE_SHORT)

# What a stored rating (survey_results.rating, the `survey` entry's value) means. Codes 1–5 are the five-key
# scale the survey had first (5 非常满意, 4 满意, 3 一般, 2 不满意, 1 非常不满意); 基本满意 came later and was given a
# code of its own, 6, so that every rating stored before keeps its meaning (a 3 stays 一般, not satisfied). The
# shipped flows say "非常满意请按5，满意请按4，基本满意请按3，不满意请按2，非常不满意请按1" and store key 3 as 6
# (ivr_flows/tax_main.yaml, the survey node's `ratings`).
RATING_MEANINGS = {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意", 6: "基本满意"}
BASICALLY_SATISFIED = 6
RATING_CODES_VERSION = 2                  # 1: definitions saved before code 6 existed

# How the seed 003 "每下降一个百分点扣1分" rules turn a shortfall into points.
ROUND_PROPORTIONAL = "proportional"       # 0.4 points below → 0.4 × the per-point deduction
ROUND_WHOLE_POINTS = "whole_points"       # only whole percentage points count (0.4 below → nothing)
ROUNDINGS = (ROUND_PROPORTIONAL, ROUND_WHOLE_POINTS)

# Not-ready reasons that count as rest (休息) in agent statistics; every not-ready reason counts as 置忙.
NOT_READY_REASONS = ("break", "meal", "training", "after_call_work", "meeting", "no_answer", "system")


@dataclasses.dataclass(frozen=True)
class Definitions:
    """Configurable definitions; the defaults follow the 12366/12345 practice and seed 003's scorecard."""

    service_level_s: int = 15                       # T: answered within T seconds (15秒接通率); one of SL_THRESHOLDS
    abandons_in_service_level: str = ABANDONS_EXCLUDE_SHORT
    short_abandon_s: int = 5                        # S: abandoned within S seconds is a short abandon
    abandons_in_answer_rate: str = ABANDONS_INCLUDE  # the answer rate's own treatment (default: answered / requests)
    valid_ratings: tuple[int, ...] = (1, 2, 3, 4, 5, 6)   # stored ratings that are a rating (RATING_MEANINGS)
    satisfied_ratings: tuple[int, ...] = (4, 5, 6)        # those meaning satisfied: 满意, 非常满意, 基本满意
    rating_codes: int = RATING_CODES_VERSION        # which rating codes the sets above were chosen among
    rest_reasons: tuple[str, ...] = ("break", "meal")  # not-ready reasons counted as rest (休息)
    # seed 003 monthly targets (考核表: 热线运行 / 服务质量保证)
    target_answer_rate: float = 95.0                # 呼入接通率 ≥ 95 %
    target_avg_wait_s: float = 60.0                 # 平均等待时长 < 60 s
    target_timely_rate: float = 95.0                # 及时解答率 ≥ 95 %
    target_satisfaction: float = 95.0               # 坐席服务满意度 ≥ 95 %
    scorecard_rounding: str = ROUND_PROPORTIONAL
    # wallboard alerts
    alert_waiting: int = 10                         # alert when more than N calls wait in a queue
    alert_service_level: float = 80.0               # alert when the service level of the last interval is below

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise ValueError("; ".join(problems))

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Definitions":
        """Stored form back; unknown keys are ignored and missing ones take the default. Rating sets saved before
        基本满意 had its code (no `rating_codes`) are brought up to date (`with_basically_satisfied`)."""
        data = json.loads(text or "{}")
        names = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key in names:
                kwargs[key] = tuple(value) if isinstance(value, list) else value
        if data and "rating_codes" not in data:
            kwargs.update(with_basically_satisfied(kwargs.get("valid_ratings", cls.valid_ratings),
                                                   kwargs.get("satisfied_ratings", cls.satisfied_ratings)))
        return cls(**kwargs)


def with_basically_satisfied(valid: tuple[int, ...], satisfied: tuple[int, ...]) -> dict:
    """Rating sets chosen before 基本满意 (code 6) existed, with it: valid where the old five-key scale (codes within
    1–5) was, satisfied where 满意 (4) was. No rating stored before had code 6 (the shipped survey took keys 1–5
    and stored them as pressed), so no stored rating changes meaning."""
    valid, satisfied = tuple(valid), tuple(satisfied)
    if BASICALLY_SATISFIED in valid or not set(valid) <= set(range(1, 6)):
        return {"valid_ratings": valid, "satisfied_ratings": satisfied, "rating_codes": RATING_CODES_VERSION}
    if 4 in satisfied:
        satisfied = tuple(sorted({*satisfied, BASICALLY_SATISFIED}))
    return {"valid_ratings": tuple(sorted({*valid, BASICALLY_SATISFIED})), "satisfied_ratings": satisfied,
            "rating_codes": RATING_CODES_VERSION}


def validate(d: Definitions) -> list[str]:
    """What is wrong with a set of definitions (empty when it is usable)."""
    problems = []
    if d.service_level_s not in SL_THRESHOLDS:
        problems.append(f"service level threshold must be one of {SL_THRESHOLDS}")
    if d.short_abandon_s not in SHORT_ABANDON_THRESHOLDS:
        problems.append(f"short-abandon threshold must be one of {SHORT_ABANDON_THRESHOLDS}")
    if d.abandons_in_service_level not in ABANDON_TREATMENTS:
        problems.append(f"abandon treatment must be one of {ABANDON_TREATMENTS}")
    if d.abandons_in_answer_rate not in ABANDON_TREATMENTS:
        problems.append(f"abandon treatment of the answer rate must be one of {ABANDON_TREATMENTS}")
    if d.scorecard_rounding not in ROUNDINGS:
        problems.append(f"scorecard rounding must be one of {ROUNDINGS}")
    if not d.valid_ratings or any(not 0 <= r <= 9 for r in d.valid_ratings):
        problems.append("valid ratings are keys 0–9, at least one")
    if not set(d.satisfied_ratings) <= set(d.valid_ratings):
        problems.append("satisfied ratings must be valid ratings")
    if not set(d.rest_reasons) <= set(NOT_READY_REASONS):
        problems.append(f"rest reasons must be among {NOT_READY_REASONS}")
    return problems


def load_definitions(session: Session) -> Definitions:
    """The center's definitions (the defaults until an admin saves some)."""
    row = session.get(ReportSetting, SETTING_NAME)
    return Definitions.from_json(row.value) if row is not None else Definitions()


def save_definitions(session: Session, d: Definitions) -> None:
    """Store the definitions (the caller commits). Rollups need no rebuild: they count every threshold offered."""
    row = session.get(ReportSetting, SETTING_NAME)
    if row is None:
        session.add(ReportSetting(name=SETTING_NAME, value=d.to_json(), updated_at=utcnow()))
    else:
        row.value, row.updated_at = d.to_json(), utcnow()
    session.flush()
