"""What the quality pages read from a request (the scorecard editor's rows, a review's item scores) and what they
show of a review (the call's timeline placed on the recording, the items with their marks)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web.calls.detail import CallDetail, call_detail
from admin_web.timeutil import as_utc
from engine.domain.calllog import CallEventKind as K
from engine.store.models import Agent, Recording, User
from engine.store.models.quality import QaFormItem, QaReview
from engine.store.quality import ItemInput

# call-log kinds worth a mark on the recording's bar (the rest are in the timeline list below it)
MARKED = {K.IVR_ENTERED.value: "ivr", K.IVR_COMPLETED.value: "ivr", K.QUEUED.value: "queue",
          K.OFFERED.value: "ring", K.ANSWERED.value: "answer", K.HELD.value: "hold", K.RETRIEVED.value: "retrieve",
          K.TRANSFERRED.value: "transfer", K.OVERFLOWED.value: "queue", K.SUPERVISED.value: "supervise",
          K.SUPERVISION_ENDED.value: "supervise", K.TALK_ENDED.value: "end", K.SURVEY.value: "survey",
          K.ENDED.value: "end"}


class RowsInvalid(ValueError):
    """A number in the editor's rows is not a number."""


@dataclasses.dataclass
class ItemRows:
    """The scorecard editor's rows, as posted (item_category, item_label, item_kind, item_max, item_weight,
    item_guidance: one value per row, in order)."""

    rows: list[dict[str, str]]

    @classmethod
    def from_request(cls, form_data) -> "ItemRows":
        keys = ("category", "label", "kind", "max", "weight", "guidance")
        columns = {k: form_data.getlist(f"item_{k}") for k in keys}
        count = max((len(v) for v in columns.values()), default=0)
        rows = [{k: (columns[k][n] if n < len(columns[k]) else "").strip() for k in keys} for n in range(count)]
        return cls([r for r in rows if r["label"] or r["category"]])

    @classmethod
    def from_items(cls, items: list[QaFormItem]) -> "ItemRows":
        return cls([{"category": i.category, "label": i.label, "kind": "fatal" if i.fatal else "scored",
                     "max": f"{i.max_points:g}", "weight": f"{i.weight:g}", "guidance": i.guidance} for i in items])

    def inputs(self) -> list[ItemInput]:
        out = []
        for r in self.rows:
            fatal = r["kind"] == "fatal"
            try:
                max_points = 0.0 if fatal else float(r["max"] or 0)
                weight = 0.0 if fatal else float(r["weight"] or r["max"] or 1)
            except ValueError as exc:
                raise RowsInvalid(r["label"]) from exc
            out.append(ItemInput(r["category"], r["label"], max_points, weight, fatal, r["guidance"]))
        return out


def posted_marks(review: QaReview, form_data) -> tuple[dict[int, float], set[int]]:
    """The points of each scored item (an empty or unreadable field is left out: the rules then say which item is
    not scored) and the fatal items ticked as violated."""
    points: dict[int, float] = {}
    violated: set[int] = set()
    for item in review.version.items:
        if item.fatal:
            if form_data.get(f"violated-{item.id}"):
                violated.add(item.id)
            continue
        raw = (form_data.get(f"points-{item.id}") or "").strip()
        try:
            points[item.id] = float(raw)
        except ValueError:
            continue
    return points, violated


@dataclasses.dataclass(frozen=True)
class Mark:
    """A call-log event placed on the recording: seconds from the recording's start (negative: before it)."""

    at_s: float
    kind: str
    css: str
    what: str
    detail: str


@dataclasses.dataclass(frozen=True)
class ReviewPage:
    review: QaReview
    recording: Recording
    agent: Agent
    call: CallDetail | None
    duration_s: float | None
    marks: list[Mark]                  # during the recording, on its bar
    before: list[Mark]                 # before it started (the IVR path, the wait in the queue, the ringing)
    marks_by_item: Mapping[int, Mapping[str, object]]   # item id → {"first": mark, "appeal": mark}
    users: Mapping[int, str]


def review_page(session: Session, review: QaReview) -> ReviewPage | None:
    recording = session.get(Recording, review.recording_id)
    agent = session.get(Agent, review.agent_id)
    if recording is None or agent is None:          # out of the user's scope
        return None
    call = call_detail(session, review.call_uuid)
    start = as_utc(recording.started_at)
    marks, before = [], []
    for entry in (call.timeline if call else []):
        at = (as_utc(entry.at) - start).total_seconds()
        mark = Mark(round(at, 1), entry.kind, MARKED.get(entry.kind, "other"), entry.what, entry.detail)
        if at < 0:
            before.append(mark)
        elif entry.kind in MARKED:
            marks.append(mark)
    by_item: dict[int, dict[str, object]] = {}
    for m in review.marks:
        by_item.setdefault(m.item_id, {})[m.stage] = m
    ids = {review.inspector_id, *(c.author_id for c in review.comments)}
    if review.appeal is not None:
        ids |= {review.appeal.filed_by_id, review.appeal.reviewer_id}
    ids.discard(None)
    users = {i: n or u for i, u, n in session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids))
        .execution_options(unscoped=True))} if ids else {}
    duration = recording.duration_s
    if duration is None and recording.stopped_at is not None:
        duration = (as_utc(recording.stopped_at) - start).total_seconds()
    return ReviewPage(review, recording, agent, call, duration, marks, before, by_item, users)


@dataclasses.dataclass(frozen=True)
class Inspections:
    """A call's inspections and the scorecards it could be put to inspection on (the call page's block)."""

    reviews: list[QaReview]
    forms: list[tuple[int, str]]


def inspections_of(session: Session, call_uuid: str) -> Inspections:
    from engine.store.models.quality import QaForm
    reviews = list(session.scalars(select(QaReview).where(QaReview.call_uuid == call_uuid).order_by(QaReview.id)))
    forms = [(f.id, f.name) for f in session.scalars(select(QaForm).where(QaForm.retired.is_(False))
                                                     .order_by(QaForm.name)) if f.current is not None]
    return Inspections(reviews, forms)


def plan_rules(plan) -> list[str]:
    """A plan's rules in words."""
    from flask_babel import gettext as _
    out = []
    if plan.complaint:
        out.append(_("complaint or report order"))
    if plan.unsatisfied:
        out.append(_("unsatisfied rating"))
    if plan.long_call_s:
        out.append(_("talk ≥ %(s)d s", s=plan.long_call_s))
    if plan.short_call_s:
        out.append(_("talk ≤ %(s)d s", s=plan.short_call_s))
    if plan.long_hold_s:
        out.append(_("hold ≥ %(s)d s", s=plan.long_hold_s))
    if plan.transfer:
        out.append(_("transferred"))
    if out and plan.rule_cap:
        out.append(_("at most %(n)d rule picks per agent", n=plan.rule_cap))
    return out


def hms(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60:02d}:{seconds % 60:02d}" if seconds < 3600 else str(dt.timedelta(seconds=seconds))
