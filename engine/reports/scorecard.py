"""The purchaser's monthly scorecard: the month's KPIs against seed 003's targets, with the points each scores.

Seed 003 (太仓市税务局 12366 坐席服务, 考核要求 → 热线运行 → 服务质量保证, each item worth 5 points):

* 热线电话呼入接通率达95%以上 — "呼入接通率每下降一个百分点扣1分, 呼入接通率大于95%的, 每提高一个百分点加1分".
  Here: 人工接通率 = answered / requests for an agent (short abandons left out if the definitions say so; a
  transfer back to a queue is not a new request); 5 − 1 per point below 95 %, + 1 per point above.
* 平均等待时长低于60秒 — "60秒≤平均等待时长<90秒, 扣1分, 90秒≤平均等待时长<120秒, 扣2分, 平均等待时长≥120秒, 扣5分".
* 及时解答率达到95%以上 — "及时解答率每下降一个百分点扣0.5分". Here: consultation orders answered on the spot (当场答复并
  办结, seed 000's 咨询即时答复率) in % of the month's consultation orders; not measured in a month without them.
* 坐席服务满意度达到95%以上 — "服务满意度每下降一个百分点扣1分". Here: 满意率 = satisfied / valid ratings, satisfied being
  非常满意, 满意 and 基本满意 by default (engine.reports.definitions.RATING_MEANINGS).
* 事假、病假情况 — "出勤率不低于98%/月, 不扣分; 出勤率未达标, 每低于一个百分点, 扣0.5分". Here: 出勤率 = attended
  shifts / shifts of the published schedules that started in the month and are over (engine.store.schedules,
  definitions in docs/schedules.md); not measured in a month without published shifts.
* 投诉举报类工单质检率 ≥ 99 % — "质检率每下降一个百分点扣1分". Here: of the month's complaint (投诉) and report
  (举报) orders registered from calls, those whose call was scored by quality inspection (engine.store.quality,
  docs/quality.md), in %; not measured in a month without such orders.

Every item scores between 0 and its 分项分值 (5): the seed gives each item 5 points (热线运行 50 = ten items × 5,
the card 100 in all) and writes no other ceiling, so a deduction stops at 0 and the bonus of the answer rate
("每提高一个百分点加1分") cannot take the item above its 5 points. What the rule gives above them is shown apart
(`bonus_beyond_max`), never added to the item or to the total: whether the purchaser lets it make up for a
deduction elsewhere is the purchaser's call, made by hand. Seed 003 pays the full fee at ≥ 85 points overall and
1 % less per point below; the other items of the card are assessed by hand.
"""
from __future__ import annotations

import dataclasses
import math

from sqlalchemy.orm import Session

from engine.reports.definitions import RATING_MEANINGS, ROUND_WHOLE_POINTS, Definitions
from engine.reports.figures import call_figures
from engine.reports.periods import month_range
from engine.reports.queries import call_report

ITEM_POINTS = 5.0
TARGET_ATTENDANCE = 98.0       # seed 003: 出勤率不低于98%/月
TARGET_INSPECTION = 99.0       # seed 003: 投诉举报类工单质检率 ≥ 99 %
CAP_RULE = "每项得分在0分至分项分值（5分）之间：扣分扣至0分为止，加分后不超过分项分值，超出部分单列、不计入得分和合计"


@dataclasses.dataclass(frozen=True)
class ScoreItem:
    """One line of the card."""

    key: str
    name: str                  # as the seed names it
    figure: str | None         # the report figure it is measured by (None: not in the call log)
    value: float | None
    unit: str                  # "%" or "s"
    target: str                # e.g. "≥ 95%"
    rule: str                  # the seed's scoring rule, quoted
    max_points: float
    points: float | None       # None: no data, or not measured here; else within 0 … max_points
    met: bool | None
    bonus_beyond_max: float | None = None   # what the rule gives above max_points (not counted), when it does

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Scorecard:
    year: int
    month: int
    start: int
    end: int
    items: list[ScoreItem]
    figures: dict
    cap_rule: str = CAP_RULE
    business: list[ScoreItem] = dataclasses.field(default_factory=list)    # seed 004's 业务指标 (work orders)

    @property
    def measured_points(self) -> float:
        return round(sum(i.points for i in self.items if i.points is not None), 2)

    @property
    def measured_max(self) -> float:
        return sum(i.max_points for i in self.items if i.points is not None)

    def as_dict(self) -> dict:
        return {"year": self.year, "month": self.month, "items": [i.as_dict() for i in self.items],
                "measured_points": self.measured_points, "measured_max": self.measured_max,
                "cap_rule": self.cap_rule, "business": [i.as_dict() for i in self.business]}


def _steps(shortfall: float, d: Definitions) -> float:
    """Percentage points that count: all of them, or only whole ones."""
    if shortfall <= 0:
        return 0.0
    return float(math.floor(shortfall + 1e-9)) if d.scorecard_rounding == ROUND_WHOLE_POINTS else shortfall


def within_item(points: float, max_points: float = ITEM_POINTS) -> float:
    """An item's points kept within 0 … its 分项分值 (CAP_RULE)."""
    return min(max_points, max(0.0, points))


def answer_rate_rule(rate: float, d: Definitions) -> float:
    """What seed 003's rule gives before the item's bounds: 5 − 1 per point below the target, + 1 per point above
    it (may be below 0 or above 5)."""
    target = d.target_answer_rate
    return ITEM_POINTS - _steps(target - rate, d) + _steps(rate - target, d)


def answer_rate_points(rate: float, d: Definitions) -> float:
    """The answer rate's points: the rule's, within 0 … 5 (CAP_RULE)."""
    return within_item(answer_rate_rule(rate, d))


def avg_wait_points(wait_s: float, d: Definitions) -> float:
    """5 under the target; −1 up to 30 s over, −2 up to 60 s over, −5 beyond (seed 003: 60/90/120 s)."""
    limit = d.target_avg_wait_s
    if wait_s < limit:
        return ITEM_POINTS
    if wait_s < limit + 30:
        return ITEM_POINTS - 1
    if wait_s < limit + 60:
        return ITEM_POINTS - 2
    return 0.0


def timely_points(rate: float, d: Definitions) -> float:
    """5 − 0.5 per point below the target (seed 003)."""
    return max(0.0, ITEM_POINTS - 0.5 * _steps(d.target_timely_rate - rate, d))


def satisfaction_points(rate: float, d: Definitions) -> float:
    """5 − 1 per point below the target (seed 003)."""
    return max(0.0, ITEM_POINTS - _steps(d.target_satisfaction - rate, d))


_BEST_FIRST = (5, 4, 6, 3, 2, 1, 0, 7, 8, 9)      # 非常满意, 满意, 基本满意, 一般 … 非常不满意, then other codes


def inspection_points(rate: float, d: Definitions) -> float:
    """5 − 1 per point below 99 % (seed 003, 投诉举报类工单质检率)."""
    return max(0.0, ITEM_POINTS - 1.0 * _steps(TARGET_INSPECTION - rate, d))


def inspection_rate(session: Session, start: int, end: int) -> float | None:
    """投诉举报类工单质检率 of the month's complaint and report orders (None: none)."""
    from engine.store.quality import complaint_inspection_rate
    inspected, orders = complaint_inspection_rate(session, _instant(start), _instant(end))
    return round(100.0 * inspected / orders, 2) if orders else None


def attendance_points(rate: float, d: Definitions) -> float:
    """5 − 0.5 per point below 98 % (seed 003, 事假、病假情况)."""
    return max(0.0, ITEM_POINTS - 0.5 * _steps(TARGET_ATTENDANCE - rate, d))


def attendance_rate(session: Session, start: int, end: int) -> float | None:
    """出勤率 of the month's published shifts that are over (None: none)."""
    from engine.store.base import utcnow
    from engine.store.schedules import attendance_between
    rate = attendance_between(session, _instant(start), _instant(end), utcnow()).attendance_rate
    return None if rate is None else round(rate, 2)


def _meanings(codes) -> str:
    """Rating codes as the survey names them, best first, e.g. "非常满意、满意、基本满意"."""
    return "、".join(RATING_MEANINGS.get(c, str(c)) for c in sorted(codes, key=_BEST_FIRST.index))


def monthly_scorecard(session: Session, year: int, month: int, definitions: Definitions) -> Scorecard:
    """The month's KPIs (whole local calendar month) and the points seed 003 would give them."""
    d = definitions
    start, end = month_range(year, month)
    report = call_report(session, start, end, "range", "all", d)
    f = dict(call_figures(report.total.sums, d))
    f["on_the_spot_rate"] = on_the_spot_rate(session, start, end)
    attendance = attendance_rate(session, start, end)
    inspection = inspection_rate(session, start, end)

    def item(key, name, figure, unit, target, rule, scorer, met, uncapped=None):
        value = f[figure]
        points = bonus = None
        if value is not None:
            points = round(within_item(scorer(value, d)), 2)
            if uncapped is not None:
                beyond = round(uncapped(value, d) - ITEM_POINTS, 2)
                bonus = beyond if beyond > 0 else None
        return ScoreItem(key, name, figure, value, unit, target, rule, ITEM_POINTS, points,
                         None if value is None else met(value), bonus)

    items = [
        item("answer_rate", "热线电话呼入接通率", "answer_rate", "%", f"≥ {d.target_answer_rate:g}%",
             f"呼入接通率每下降一个百分点扣1分，大于{d.target_answer_rate:g}%的每提高一个百分点加1分"
             f"（加分后不超过分项分值{ITEM_POINTS:g}分）", answer_rate_points,
             lambda v: v >= d.target_answer_rate, uncapped=answer_rate_rule),
        item("avg_wait", "平均等待时长", "avg_wait_s", "s", f"< {d.target_avg_wait_s:g}秒",
             "60秒≤平均等待时长<90秒扣1分，90秒≤平均等待时长<120秒扣2分，≥120秒扣5分", avg_wait_points,
             lambda v: v < d.target_avg_wait_s),
        item("timely", "及时解答率", "on_the_spot_rate", "%", f"≥ {d.target_timely_rate:g}%",
             "及时解答率每下降一个百分点扣0.5分（及时解答：咨询工单当场答复并办结）", timely_points,
             lambda v: v >= d.target_timely_rate),
        item("satisfaction", "坐席服务满意度", "satisfaction_rate", "%", f"≥ {d.target_satisfaction:g}%",
             f"服务满意度每下降一个百分点扣1分（满意评价：{_meanings(d.satisfied_ratings)}）", satisfaction_points,
             lambda v: v >= d.target_satisfaction),
        ScoreItem("ticket_inspection", "投诉举报类工单质检率", None, inspection, "%", f"≥ {TARGET_INSPECTION:g}%",
                  "质检率每下降一个百分点扣1分（质检率：来电登记的投诉、举报工单中，其通话已完成质检评分的比例）",
                  ITEM_POINTS, None if inspection is None else round(inspection_points(inspection, d), 2),
                  None if inspection is None else inspection >= TARGET_INSPECTION),
        ScoreItem("attendance", "出勤率", None, attendance, "%", f"≥ {TARGET_ATTENDANCE:g}%",
                  "出勤率不低于98%/月不扣分，未达标每低于一个百分点扣0.5分（出勤率：已发布排班中出勤的班次/已结束的排班班次）",
                  ITEM_POINTS, None if attendance is None else round(attendance_points(attendance, d), 2),
                  None if attendance is None else attendance >= TARGET_ATTENDANCE),
    ]
    return Scorecard(year, month, start, end, items, f, business=business_items(session, start, end))


def _instant(ts: int):
    import datetime as dt
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def on_the_spot_rate(session: Session, start: int, end: int) -> float | None:
    """及时解答率 (seed 000: 咨询即时答复率, 当场答复并办结): consultation orders registered in the month that were
    answered on the spot, in % of the month's consultation orders (None: no consultation orders)."""
    from sqlalchemy import func, select
    from engine.domain.followup import RequestType
    from engine.store.models import WorkOrder
    month = (WorkOrder.created_at >= _instant(start), WorkOrder.created_at < _instant(end),
             WorkOrder.request_type == RequestType.CONSULTATION)
    total = session.scalar(select(func.count(WorkOrder.id)).where(*month)) or 0
    if not total:
        return None
    spot = session.scalar(select(func.count(WorkOrder.id)).where(*month, WorkOrder.on_the_spot.is_(True))) or 0
    return round(100.0 * spot / total, 2)


def business_items(session: Session, start: int, end: int) -> list[ScoreItem]:
    """Seed 004's four 业务指标 (10 points each) from the month's work orders (engine.store.orders.business_counts,
    scored by engine.reports.seed004)."""
    from engine.reports import seed004
    from engine.store.orders import business_counts
    counts = business_counts(session, _instant(start), _instant(end))
    out = []
    for b in seed004.score(counts):
        late = b.key == "dispatch_timeliness"
        value = float(counts.late_dispatches) if late else b.rate_percent
        met = None if b.points is None else b.points >= b.max_points
        out.append(ScoreItem(b.key, b.name, "work_orders", value, "单" if late else "%", seed004.TARGETS[b.key],
                             seed004.RULES[b.key], float(b.max_points), b.points, met))
    return out
