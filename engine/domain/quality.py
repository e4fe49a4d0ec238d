"""Quality inspection (质检), the rules without I/O: scoring a scorecard, drawing a week's sample of recordings,
sharing it among the inspectors, the life of a review (scored → appealed once → decided by a second reviewer) and
the inspectors' calibration.

Scoring. A form is a list of items grouped by category (服务态度, 业务能力, 技术能力, 记录规范, or as the centre
configures). A scored item has a maximum of points and a weight; a fatal item (致命项: 泄露纳税人信息, 辱骂来电人 …)
has no points, it is either kept or violated. The card's score is out of 100:

    score = 100 × Σ weightᵢ × pointsᵢ / maxᵢ  ÷  Σ weightᵢ          (over the scored items)

so with every weight equal to the item's maximum it is the plain sum of points over the sum of maxima, and with
equal weights each item counts the same whatever its scale. A violated fatal item zeroes the card, whatever the
other items scored. Every scored item must be scored, within 0 … its maximum.

Sampling (seed 001 §质量控制: at least two recordings per agent per week, scored). For each agent and week, the
recordings that match a plan's rules are all taken (long calls, short calls, an unsatisfied rating, a complaint or
report order registered from the call, a transfer, a long hold), each with the first rule it matched as its reason;
then as many others are drawn at random as make up the plan's number per agent. The draw is seeded by the plan and
the week, so drawing the same week again gives the same sample (and adds nothing already drawn). An agent with
fewer recordings than the number gets them all, and the shortfall is reported.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence

MAX_SCORE = 100.0


class Reason(str, enum.Enum):
    """Why a recording is in the sample, in the order the rules are tried."""

    COMPLAINT = "complaint"     # a complaint (投诉) or report (举报) order was registered from the call
    UNSATISFIED = "unsatisfied"  # the caller rated the service unsatisfied
    LONG_CALL = "long_call"
    SHORT_CALL = "short_call"
    LONG_HOLD = "long_hold"
    TRANSFER = "transfer"
    RANDOM = "random"
    MANUAL = "manual"           # added by hand from the recording's page


class ReviewState(str, enum.Enum):
    """A review's life: assigned to an inspector → scored (the agent sees it) → appealed (申诉, once) → decided by a
    second reviewer. A scored review that is not appealed stands."""

    ASSIGNED = "assigned"
    SCORED = "scored"
    APPEALED = "appealed"
    DECIDED = "decided"


class Decision(str, enum.Enum):
    UPHELD = "upheld"           # 维持原评分
    REVISED = "revised"         # 改判: the second reviewer's scores replace the first


class QualityError(ValueError):
    """A refusal, with a code the console words (admin_web.quality.labels.REFUSALS)."""

    def __init__(self, code: str, **detail) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class Item:
    """One item of a form's version."""

    id: int
    category: str
    label: str
    max_points: float = 0.0
    weight: float = 1.0
    fatal: bool = False


def check_items(items: Sequence[Item]) -> None:
    """A form version must have at least one scored item; scored items have a positive maximum and a weight ≥ 0
    (not all zero); fatal items have no points."""
    scored = [i for i in items if not i.fatal]
    if not scored:
        raise QualityError("no_scored_item")
    for item in items:
        if not item.label.strip() or not item.category.strip():
            raise QualityError("item_unnamed")
        if item.fatal:
            continue
        if item.max_points <= 0:
            raise QualityError("item_max", item=item.label)
        if item.weight < 0:
            raise QualityError("item_weight", item=item.label)
    if sum(i.weight for i in scored) <= 0:
        raise QualityError("weights_zero")


@dataclasses.dataclass(frozen=True)
class CardScore:
    score: float                         # 0 … 100, rounded to 0.1
    fatal: bool                          # a fatal item was violated: the score is 0
    by_category: dict[str, float]        # each category's own score out of 100 (before a fatal item zeroes it)


def score_card(items: Sequence[Item], points: Mapping[int, float], violated: Iterable[int] = ()) -> CardScore:
    """The card's score from each scored item's points and the fatal items violated (QualityError when an item is
    unscored, out of its range, or unknown)."""
    check_items(items)
    known = {i.id: i for i in items}
    violated = set(violated)
    for item_id in [*points, *violated]:
        if item_id not in known:
            raise QualityError("item_unknown", item=item_id)
    for item_id in violated:
        if not known[item_id].fatal:
            raise QualityError("not_fatal", item=known[item_id].label)
    total_w = total = 0.0
    cats: dict[str, list[float]] = {}
    for item in items:
        if item.fatal:
            continue
        if item.id not in points or points[item.id] is None:
            raise QualityError("item_unscored", item=item.label)
        value = float(points[item.id])
        if not 0 <= value <= item.max_points:
            raise QualityError("points_range", item=item.label, max=item.max_points)
        share = value / item.max_points
        total += item.weight * share
        total_w += item.weight
        c = cats.setdefault(item.category, [0.0, 0.0])
        c[0] += item.weight * share
        c[1] += item.weight
    fatal = bool(violated)
    by_category = {k: round(MAX_SCORE * s / w, 1) if w else MAX_SCORE for k, (s, w) in cats.items()}
    return CardScore(0.0 if fatal else round(MAX_SCORE * total / total_w, 1), fatal, by_category)


@dataclasses.dataclass(frozen=True)
class Rules:
    """A plan's rules; None (or False) turns a rule off."""

    per_agent: int = 2                   # random recordings per agent and week, on top of the rules' picks
    long_call_s: float | None = None     # talk at least this long
    short_call_s: float | None = None    # talk at most this long
    unsatisfied: bool = False
    complaint: bool = True               # every complaint or report order's call (seed 003: 质检率 ≥ 99 %)
    transfer: bool = False
    long_hold_s: float | None = None     # on hold at least this long in all
    rule_cap: int | None = None          # at most this many rule picks per agent and week (None: all of them),
                                         # complaint calls always, even beyond it


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A complete recording of the week, with what the rules look at."""

    recording_id: int
    agent_id: int
    started_at: dt.datetime
    talk_s: float
    unsatisfied: bool = False
    complaint: bool = False
    transferred: bool = False
    hold_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class Pick:
    candidate: Candidate
    reason: Reason


@dataclasses.dataclass(frozen=True)
class Sample:
    picks: list[Pick]
    short: dict[int, int]                # agent → how many recordings were missing to reach the number


def rule_reason(c: Candidate, rules: Rules) -> Reason | None:
    """The first rule the recording matches, in Reason's order."""
    if rules.complaint and c.complaint:
        return Reason.COMPLAINT
    if rules.unsatisfied and c.unsatisfied:
        return Reason.UNSATISFIED
    if rules.long_call_s is not None and c.talk_s >= rules.long_call_s:
        return Reason.LONG_CALL
    if rules.short_call_s is not None and c.talk_s <= rules.short_call_s:
        return Reason.SHORT_CALL
    if rules.long_hold_s is not None and c.hold_s >= rules.long_hold_s:
        return Reason.LONG_HOLD
    if rules.transfer and c.transferred:
        return Reason.TRANSFER
    return None


def draw(candidates: Iterable[Candidate], rules: Rules, seed: str, taken: Iterable[int] = ()) -> Sample:
    """The week's sample of one plan: the rules' picks and the random draw, per agent. `taken` are recordings
    already in the plan's sample (a second draw of the week adds only what the first lacked)."""
    taken = set(taken)
    by_agent: dict[int, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: (c.started_at, c.recording_id)):
        by_agent.setdefault(c.agent_id, []).append(c)
    picks: list[Pick] = []
    short: dict[int, int] = {}
    for agent_id in sorted(by_agent):
        pool = by_agent[agent_id]
        rng = random.Random(f"{seed}:{agent_id}")
        matched = [(c, r) for c in pool if (r := rule_reason(c, rules)) is not None]
        if rules.rule_cap is not None and len(matched) > rules.rule_cap:
            # complaint calls are never dropped by the cap: every one of them is to be inspected; the other rule
            # matches fill what the cap leaves, at random
            others = [n for n, m in enumerate(matched) if m[1] is not Reason.COMPLAINT]
            room = max(0, rules.rule_cap - (len(matched) - len(others)))
            keep = set(rng.sample(others, room))
            matched = [m for n, m in enumerate(matched) if n in keep or m[1] is Reason.COMPLAINT]
        chosen = {c.recording_id for c, _ in matched}
        rest = [c for c in pool if c.recording_id not in chosen]
        already_random = sum(1 for c in rest if c.recording_id in taken)
        fresh = [c for c in rest if c.recording_id not in taken]
        wanted = max(0, rules.per_agent - already_random)
        drawn = rng.sample(fresh, min(wanted, len(fresh)))
        if len(drawn) < wanted:
            short[agent_id] = wanted - len(drawn)
        picks += [Pick(c, r) for c, r in matched if c.recording_id not in taken]
        picks += [Pick(c, Reason.RANDOM) for c in sorted(drawn, key=lambda c: (c.started_at, c.recording_id))]
    return Sample(picks, short)


def share_out(count: int, inspectors: Sequence[int], load: Mapping[int, int]) -> list[int]:
    """Who inspects each of `count` new reviews: each to the inspector with the fewest open reviews so far (ties
    by the order given), counting those just given."""
    if not inspectors:
        raise QualityError("no_inspector")
    load = {i: load.get(i, 0) for i in inspectors}
    out = []
    for _ in range(count):
        who = min(inspectors, key=lambda i: load[i])
        load[who] += 1
        out.append(who)
    return out


def week_start(day: dt.date) -> dt.date:
    """The Monday of the day's week (sampling weeks run Monday to Sunday)."""
    return day - dt.timedelta(days=day.weekday())


def check_appeal(state: ReviewState, appealed_before: bool, now: dt.datetime, scored_at: dt.datetime | None,
                 window: dt.timedelta) -> None:
    """An agent may appeal a scored review once, within the window after it was scored."""
    if appealed_before:
        raise QualityError("appealed_before")
    if state is not ReviewState.SCORED or scored_at is None:
        raise QualityError("not_scored")
    if now > scored_at + window:
        raise QualityError("appeal_late")


def check_second_reviewer(first_inspector: int | None, reviewer: int) -> None:
    """The appeal is decided by someone other than the inspector who scored the call."""
    if first_inspector is not None and reviewer == first_inspector:
        raise QualityError("same_reviewer")


@dataclasses.dataclass(frozen=True)
class Calibration:
    """How far the inspectors' scoring drifts apart: each one's mean against the mean of all."""

    overall_mean: float | None
    by_inspector: dict[int, tuple[int, float, float]]   # inspector → (reviews, mean score, mean − overall mean)
    spread: float | None                                # highest inspector mean − lowest (None: under two)


def calibration(scores: Iterable[tuple[int, float]]) -> Calibration:
    """From (inspector, score) pairs."""
    per: dict[int, list[float]] = {}
    everything: list[float] = []
    for who, score in scores:
        per.setdefault(who, []).append(score)
        everything.append(score)
    if not everything:
        return Calibration(None, {}, None)
    overall = statistics.fmean(everything)
    by = {who: (len(v), round(statistics.fmean(v), 1), round(statistics.fmean(v) - overall, 1))
          for who, v in per.items()}
    means = [m for _, m, _ in by.values()]
    return Calibration(round(overall, 1), by, round(max(means) - min(means), 1) if len(means) > 1 else None)
