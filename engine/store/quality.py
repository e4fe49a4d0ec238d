"""Quality inspection in the store: saving a form's version, drawing a plan's week, scoring, commenting, appealing,
deciding, and the figures of the QA report and the agents' monthly assessment.

The rules are engine.domain.quality's; this module reads what they look at (recordings, call records, ratings,
work orders, holds) and writes what they decide. Every write is the caller's transaction: nothing here commits.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.calllog import CallEventKind
from engine.domain.followup import RequestType
from engine.domain.quality import (Candidate, CardScore, Decision, Item, QualityError, Reason, ReviewState, Rules,
                                   calibration, check_appeal, check_items, check_second_reviewer, draw, score_card,
                                   share_out, week_start)
from engine.reports.definitions import Definitions
from engine.reports.periods import LOCAL, epoch, local
from engine.store.base import utcnow
from engine.store.models import Agent, CallEvent, CallRecord, Recording, SurveyResult, WorkOrder
from engine.store.models.quality import (QaAppeal, QaComment, QaForm, QaFormItem, QaFormVersion, QaItemMark, QaPlan,
                                         QaReview)

APPEAL_WINDOW = dt.timedelta(days=7)      # an agent may appeal within a week of the score
OPEN_STATES = (ReviewState.ASSIGNED,)      # an inspector's open work (an appeal is decided by someone else)


def _utc(value: dt.datetime | None) -> dt.datetime:
    """An instant as the store keeps it: aware UTC (SQLite would keep a Beijing time's wall clock as if UTC)."""
    return (value or utcnow()).astimezone(dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class ItemInput:
    category: str
    label: str
    max_points: float = 0.0
    weight: float = 1.0
    fatal: bool = False
    guidance: str = ""


def domain_items(version: QaFormVersion) -> list[Item]:
    return [Item(i.id, i.category, i.label, i.max_points, i.weight, i.fatal) for i in version.items]


def save_version(session: Session, form: QaForm, items: Sequence[ItemInput], user_id: int | None) -> QaFormVersion:
    """A new version of the form with these items (QualityError when they do not make a form); earlier versions,
    and the reviews scored on them, stay as they are."""
    check_items([Item(n, i.category, i.label, i.max_points, i.weight, i.fatal) for n, i in enumerate(items)])
    number = (form.current.version + 1) if form.current else 1
    version = QaFormVersion(version=number, created_by_id=user_id, items=[
        QaFormItem(position=n, category=i.category.strip(), label=i.label.strip(), guidance=i.guidance.strip(),
                   max_points=0.0 if i.fatal else float(i.max_points), weight=0.0 if i.fatal else float(i.weight),
                   fatal=i.fatal)
        for n, i in enumerate(items)])
    form.versions.append(version)
    session.flush()
    return version


def _local_week(week: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(week_start(week), dt.time(), tzinfo=LOCAL)
    return start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=7)).astimezone(dt.timezone.utc)


def candidates(session: Session, plan: QaPlan, week: dt.date, definitions: Definitions) -> list[Candidate]:
    """The week's complete recordings of answered calls within the plan's reach (queue, group, the session's
    scope), with what the rules look at."""
    start, end = _local_week(week)
    q = (select(Recording, CallRecord).join(CallRecord, CallRecord.call_uuid == Recording.call_uuid)
         .where(Recording.started_at >= start, Recording.started_at < end, Recording.status == "complete",
                Recording.agent_id.is_not(None)))
    if plan.queue_code:
        q = q.where(Recording.queue_code == plan.queue_code)
    if plan.group_id:
        q = q.where(Recording.agent_id.in_(select(Agent.id).where(Agent.group_id == plan.group_id)))
    if plan.hall_id:
        q = q.where(Recording.agent_id.in_(select(Agent.id).where(Agent.hall_id == plan.hall_id)))
    rows = session.execute(q).all()
    uuids = [rec.call_uuid for rec, _ in rows]
    if not uuids:
        return []
    valid, satisfied = set(definitions.valid_ratings), set(definitions.satisfied_ratings)
    ratings = dict(session.execute(select(SurveyResult.call_uuid, SurveyResult.rating)
                                   .where(SurveyResult.call_uuid.in_(uuids))).all())
    complaints = set(session.scalars(select(WorkOrder.call_uuid).where(
        WorkOrder.call_uuid.in_(uuids), WorkOrder.request_type.in_((RequestType.COMPLAINT, RequestType.REPORT)))))
    holds = dict(session.execute(select(CallEvent.call_uuid, func.sum(CallEvent.duration_s)).where(
        CallEvent.call_uuid.in_(uuids), CallEvent.kind == CallEventKind.RETRIEVED.value)
        .group_by(CallEvent.call_uuid)).all())
    out = []
    for rec, call in rows:
        talk = rec.duration_s
        if call.answered_at is not None:
            talk = (call.ended_at - call.answered_at).total_seconds()
        rating = ratings.get(rec.call_uuid)
        out.append(Candidate(rec.id, rec.agent_id, rec.started_at, float(talk or 0.0),
                             unsatisfied=rating in valid and rating not in satisfied,
                             complaint=rec.call_uuid in complaints, transferred=call.transfers > 0,
                             hold_s=float(holds.get(rec.call_uuid) or 0.0)))
    return out


def rules_of(plan: QaPlan) -> Rules:
    return Rules(per_agent=plan.per_agent, long_call_s=plan.long_call_s, short_call_s=plan.short_call_s,
                 unsatisfied=plan.unsatisfied, complaint=plan.complaint, transfer=plan.transfer,
                 long_hold_s=plan.long_hold_s, rule_cap=plan.rule_cap)


def open_load(session: Session, inspectors: Iterable[int]) -> dict[int, int]:
    ids = list(inspectors)
    return dict(session.execute(select(QaReview.inspector_id, func.count()).where(
        QaReview.inspector_id.in_(ids), QaReview.state.in_(OPEN_STATES)).group_by(QaReview.inspector_id)).all())


@dataclasses.dataclass(frozen=True)
class DrawResult:
    added: int
    by_reason: dict[Reason, int]
    short: dict[int, int]                 # agent id → recordings missing to reach the plan's number


def draw_week(session: Session, plan: QaPlan, week: dt.date, definitions: Definitions,
              now: dt.datetime | None = None) -> DrawResult:
    """Draw the plan's sample of the week and share it among the plan's inspectors (QualityError: no inspector,
    the form retired or without a version). Drawing a week again adds only what it lacks."""
    now = _utc(now)
    version = plan.form.current
    if version is None or plan.form.retired:
        raise QualityError("form_unusable")
    if not plan.active:
        raise QualityError("plan_inactive")
    inspectors = [i.user_id for i in plan.inspectors]
    if not inspectors:
        raise QualityError("no_inspector")
    week = week_start(week)
    # the plan's own picks of the week, and the calls put to inspection by hand (they count towards the agent's
    # number, and are not inspected twice)
    taken = set(session.scalars(select(QaReview.recording_id).where(
        QaReview.week == week, (QaReview.plan_id == plan.id) | QaReview.plan_id.is_(None))))
    sample = draw(candidates(session, plan, week, definitions), rules_of(plan), f"{plan.id}:{week}", taken)
    who = share_out(len(sample.picks), inspectors, open_load(session, inspectors))
    uuids = dict(session.execute(select(Recording.id, Recording.call_uuid).where(
        Recording.id.in_([p.candidate.recording_id for p in sample.picks]))).all())
    by_reason: dict[Reason, int] = {}
    for pick, inspector in zip(sample.picks, who):
        session.add(QaReview(plan_id=plan.id, recording_id=pick.candidate.recording_id,
                             call_uuid=uuids[pick.candidate.recording_id], agent_id=pick.candidate.agent_id,
                             version_id=version.id, week=week, reason=pick.reason, inspector_id=inspector,
                             due_at=now + dt.timedelta(days=plan.due_days), state=ReviewState.ASSIGNED,
                             created_at=now))
        by_reason[pick.reason] = by_reason.get(pick.reason, 0) + 1
    session.flush()
    return DrawResult(len(sample.picks), by_reason, sample.short)


@dataclasses.dataclass(frozen=True)
class AutoDraw:
    plan_id: int
    week: dt.date
    result: DrawResult | None
    refused: str | None = None            # the QualityError's code when the plan could not draw


def due_plans(session: Session, today: dt.date) -> list[QaPlan]:
    """Active plans that have not drawn the last full week (Monday to Sunday) before `today` yet."""
    week = week_start(today) - dt.timedelta(days=7)
    return list(session.scalars(select(QaPlan).where(
        QaPlan.active.is_(True), (QaPlan.drawn_week.is_(None)) | (QaPlan.drawn_week < week)).order_by(QaPlan.id)))


def auto_draw(session: Session, plan: QaPlan, today: dt.date, definitions: Definitions,
              now: dt.datetime | None = None) -> AutoDraw:
    """Draw the last full week for an active plan, once: the week is marked drawn even when the plan cannot draw
    (no inspector, its form retired: `refused`), so that the workers do not retry it every sweep; a supervisor
    draws it by hand once the plan is fixed."""
    week = week_start(today) - dt.timedelta(days=7)
    try:
        result, refused = draw_week(session, plan, week, definitions, now), None
    except QualityError as exc:
        result, refused = None, exc.code
    plan.drawn_week = week
    session.flush()
    return AutoDraw(plan.id, week, result, refused)


def add_by_hand(session: Session, recording: Recording, form: QaForm, inspector_id: int, due_days: int = 3,
                now: dt.datetime | None = None) -> QaReview:
    """A recording put to inspection by hand (from its page), with the form's current version."""
    if recording.agent_id is None or recording.status != "complete":
        raise QualityError("recording_unusable")
    if form.current is None or form.retired:
        raise QualityError("form_unusable")
    if session.scalar(select(QaReview.id).where(QaReview.recording_id == recording.id,
                                                QaReview.state != ReviewState.DECIDED).limit(1)) is not None:
        raise QualityError("already_inspected")
    now = _utc(now)
    review = QaReview(plan_id=None, recording_id=recording.id, call_uuid=recording.call_uuid,
                      agent_id=recording.agent_id, version_id=form.current.id,
                      week=week_start(local(epoch(recording.started_at)).date()), reason=Reason.MANUAL,
                      inspector_id=inspector_id, due_at=now + dt.timedelta(days=due_days), created_at=now)
    session.add(review)
    session.flush()
    return review


def _marks(review: QaReview, stage: str, points: dict[int, float], violated: set[int]) -> None:
    """The stage's mark of each item of the review's version; scoring again updates them in place (deleting and
    re-inserting them would break the one-mark-per-item constraint: a flush inserts before it deletes)."""
    existing = {m.item_id: m for m in review.marks if m.stage == stage}
    for item in review.version.items:
        mark = existing.get(item.id)
        if mark is None:
            mark = QaItemMark(item_id=item.id, stage=stage)
            review.marks.append(mark)
        mark.points = None if item.fatal else points.get(item.id)
        mark.violated = item.id in violated


def score(session: Session, review: QaReview, points: dict[int, float], violated: Iterable[int], summary: str,
          user_id: int, now: dt.datetime | None = None) -> CardScore:
    """The inspector scores the review on its own form version (QualityError as the form's rules say; only the
    assigned inspector, and only before the agent appealed)."""
    if review.state not in (ReviewState.ASSIGNED, ReviewState.SCORED):
        raise QualityError("not_open")
    if review.inspector_id is not None and review.inspector_id != user_id:
        raise QualityError("not_your_review")
    violated = set(violated)
    card = score_card(domain_items(review.version), points, violated)
    _marks(review, "first", points, violated)
    review.first_score = review.score = card.score
    review.fatal = card.fatal
    review.summary = summary.strip()
    review.inspector_id = user_id
    review.state = ReviewState.SCORED
    review.scored_at = _utc(now)
    session.flush()
    return card


def comment(session: Session, review: QaReview, at_ms: int, text: str, user_id: int) -> QaComment:
    if not text.strip():
        raise QualityError("comment_empty")
    if at_ms < 0:
        raise QualityError("mark_negative")
    if review.state is ReviewState.DECIDED:
        raise QualityError("not_open")
    row = QaComment(at_ms=int(at_ms), text=text.strip(), author_id=user_id)
    review.comments.append(row)
    review.comments.sort(key=lambda c: c.at_ms)
    session.flush()
    return row


def appeal(session: Session, review: QaReview, reason: str, user_id: int, now: dt.datetime | None = None) -> QaAppeal:
    """The agent appeals once, within APPEAL_WINDOW of the score, with a reason."""
    now = _utc(now)
    if not reason.strip():
        raise QualityError("appeal_reason")
    scored_at = review.scored_at
    if scored_at is not None and scored_at.tzinfo is None:       # SQLite hands UTC back naive
        scored_at = scored_at.replace(tzinfo=dt.timezone.utc)
    check_appeal(review.state, review.appeal is not None, now, scored_at, APPEAL_WINDOW)
    review.appeal = QaAppeal(reason=reason.strip(), filed_by_id=user_id, filed_at=now)
    review.state = ReviewState.APPEALED
    session.flush()
    return review.appeal


def decide(session: Session, review: QaReview, reviewer_id: int, decision: Decision, note: str,
           points: dict[int, float] | None = None, violated: Iterable[int] = (),
           now: dt.datetime | None = None) -> float:
    """A second reviewer (not the first inspector) upholds the score or revises it with new item scores; returns
    the score that stands."""
    if review.state is not ReviewState.APPEALED or review.appeal is None:
        raise QualityError("not_appealed")
    check_second_reviewer(review.inspector_id, reviewer_id)
    if not note.strip():
        raise QualityError("decision_note")
    if decision is Decision.REVISED:
        violated = set(violated)
        card = score_card(domain_items(review.version), points or {}, violated)
        _marks(review, "appeal", points or {}, violated)
        review.score, review.fatal = card.score, card.fatal
    review.appeal.reviewer_id = reviewer_id
    review.appeal.decision = decision
    review.appeal.decision_note = note.strip()
    review.appeal.decided_at = _utc(now)
    review.state = ReviewState.DECIDED
    session.flush()
    return review.score


# --- the report -------------------------------------------------------------------------------------------------

FINISHED = (ReviewState.SCORED, ReviewState.APPEALED, ReviewState.DECIDED)


@dataclasses.dataclass(frozen=True)
class Figures:
    reviews: int
    mean: float | None
    fatal: int
    appeals: int
    revised: int


def _figures(rows: Sequence[QaReview]) -> Figures:
    scores = [r.score for r in rows if r.score is not None]
    return Figures(len(rows), round(statistics.fmean(scores), 1) if scores else None, sum(1 for r in rows if r.fatal),
                   sum(1 for r in rows if r.appeal is not None),
                   sum(1 for r in rows if r.appeal is not None and r.appeal.decision is Decision.REVISED))


def finished_reviews(session: Session, start: dt.datetime, end: dt.datetime) -> list[QaReview]:
    """Reviews scored within [start, end) (the session's scope applies through the agents)."""
    start, end = _utc(start), _utc(end)
    agents = select(Agent.id)        # scoped: a hall's user sees its own agents' reviews
    return list(session.scalars(select(QaReview).where(
        QaReview.state.in_(FINISHED), QaReview.scored_at >= start, QaReview.scored_at < end,
        QaReview.agent_id.in_(agents)).order_by(QaReview.scored_at)))


@dataclasses.dataclass(frozen=True)
class Report:
    overall: Figures
    by_agent: dict[int, Figures]
    by_group: dict[int | None, Figures]
    by_item: dict[tuple[str, str], tuple[int, float]]   # (category, label) → (marks, mean share of the maximum %)
    by_week: dict[dt.date, Figures]
    calibration: object
    sampled: int                                         # reviews drawn in the period, scored or not
    overdue: int


def report(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> Report:
    now, start, end = _utc(now), _utc(start), _utc(end)
    rows = finished_reviews(session, start, end)
    groups = dict(session.execute(select(Agent.id, Agent.group_id)).all())
    by_agent: dict[int, list[QaReview]] = {}
    by_group: dict[int | None, list[QaReview]] = {}
    by_week: dict[dt.date, list[QaReview]] = {}
    items: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        by_agent.setdefault(r.agent_id, []).append(r)
        by_group.setdefault(groups.get(r.agent_id), []).append(r)
        by_week.setdefault(r.week, []).append(r)
        stage = "appeal" if any(m.stage == "appeal" for m in r.marks) else "first"
        defs = {i.id: i for i in r.version.items}
        for m in r.marks:
            item = defs.get(m.item_id)
            if m.stage != stage or item is None or item.fatal or m.points is None:
                continue
            items.setdefault((item.category, item.label), []).append(100.0 * m.points / item.max_points)
    agents = select(Agent.id)
    drawn = session.scalar(select(func.count()).select_from(QaReview).where(
        QaReview.created_at >= start, QaReview.created_at < end, QaReview.agent_id.in_(agents))) or 0
    overdue = session.scalar(select(func.count()).select_from(QaReview).where(
        QaReview.state == ReviewState.ASSIGNED, QaReview.due_at < now, QaReview.agent_id.in_(agents))) or 0
    return Report(_figures(rows), {a: _figures(v) for a, v in by_agent.items()},
                  {g: _figures(v) for g, v in by_group.items()},
                  {k: (len(v), round(statistics.fmean(v), 1)) for k, v in sorted(items.items())},
                  {w: _figures(v) for w, v in sorted(by_week.items())},
                  calibration((r.inspector_id, r.first_score) for r in rows
                              if r.inspector_id is not None and r.first_score is not None),
                  drawn, overdue)


def complaint_inspection_rate(session: Session, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """Seed 003's 投诉举报类工单质检率: of the complaint and report orders registered from calls in [start, end),
    how many were inspected (their call scored) — (inspected orders, orders)."""
    start, end = _utc(start), _utc(end)
    calls = list(session.scalars(select(WorkOrder.call_uuid).where(
        WorkOrder.request_type.in_((RequestType.COMPLAINT, RequestType.REPORT)), WorkOrder.call_uuid.is_not(None),
        WorkOrder.created_at >= start, WorkOrder.created_at < end)))
    if not calls:
        return 0, 0
    inspected = set(session.scalars(select(QaReview.call_uuid).where(QaReview.call_uuid.in_(set(calls)),
                                                                     QaReview.state.in_(FINISHED))))
    return sum(1 for c in calls if c in inspected), len(calls)
