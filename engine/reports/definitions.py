"""The report definitions a center may set differently, stored as one JSON setting (see docs/reports.md).

Everything else is fixed and written down in docs/reports.md: a request for an agent is a `queued` entry,
figures are attributed to the 15-minute interval in which the call entered its queue, durations are summed
in milliseconds.
"""
from __future__ import annotations

import dataclasses
import json

from sqlalchemy.orm import Session

from engine.store.base import utcnow
from engine.store.models.reports import SHORT_ABANDON_THRESHOLDS, SL_THRESHOLDS, ReportSetting

SETTING_NAME = "definitions"

# How abandoned calls count in the service level (15秒接通率) denominator.
ABANDONS_INCLUDE = "include"              # answered within T / requests
ABANDONS_EXCLUDE = "exclude"              # answered within T / (requests − abandoned)
ABANDONS_EXCLUDE_SHORT = "exclude_short"  # answered within T / (requests − abandoned within S)
ABANDON_TREATMENTS = (ABANDONS_INCLUDE, ABANDONS_EXCLUDE, ABANDONS_EXCLUDE_SHORT)

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
    valid_ratings: tuple[int, ...] = (1, 2, 3, 4, 5)   # survey keys that are a rating (others: invalid key)
    satisfied_ratings: tuple[int, ...] = (4, 5)        # survey keys meaning satisfied: the shipped survey says
                                                       # 5 非常满意, 4 满意 … 1 非常不满意 (ivr_flows/prompts)
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
        """Stored form back; unknown keys are ignored and missing ones take the default."""
        data = json.loads(text or "{}")
        names = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key in names:
                kwargs[key] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)


def validate(d: Definitions) -> list[str]:
    """What is wrong with a set of definitions (empty when it is usable)."""
    problems = []
    if d.service_level_s not in SL_THRESHOLDS:
        problems.append(f"service level threshold must be one of {SL_THRESHOLDS}")
    if d.short_abandon_s not in SHORT_ABANDON_THRESHOLDS:
        problems.append(f"short-abandon threshold must be one of {SHORT_ABANDON_THRESHOLDS}")
    if d.abandons_in_service_level not in ABANDON_TREATMENTS:
        problems.append(f"abandon treatment must be one of {ABANDON_TREATMENTS}")
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
