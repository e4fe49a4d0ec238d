"""Quality inspection (质检): scorecard forms and their versions, sampling plans, reviews, appeals.

A form's items live in a version; saving a form's items makes a new version, and a review keeps the version it was
scored on, so an old score keeps its form (items, maxima, weights) however the form changes later. What inspectors
and agents write about a call (the summary, the comments at time marks, the appeal and its decision) may repeat what
the citizen said: sealed at rest like the agent's wrap-up note.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.domain.quality import Decision, Reason, ReviewState
from engine.store.base import Base, created_at, intpk, str_enum
from engine.store.sealed import SealedText


class QaForm(Base):
    """A scorecard (质检评分表). A hall's own, or the centre's (no hall) that every hall may use."""

    __tablename__ = "qa_forms"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    versions: Mapped[list["QaFormVersion"]] = relationship(back_populates="form", order_by="QaFormVersion.version",
                                                           cascade="all, delete-orphan")

    @property
    def current(self) -> "QaFormVersion | None":
        return self.versions[-1] if self.versions else None


class QaFormVersion(Base):
    """One version of a form's items; never changed once saved."""

    __tablename__ = "qa_form_versions"
    __table_args__ = (UniqueConstraint("form_id", "version"),)
    id: Mapped[intpk]
    form_id: Mapped[int] = mapped_column(ForeignKey("qa_forms.id", ondelete="CASCADE"))
    version: Mapped[int]
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    form: Mapped[QaForm] = relationship(back_populates="versions")
    items: Mapped[list["QaFormItem"]] = relationship(order_by="QaFormItem.position", cascade="all, delete-orphan",
                                                     lazy="selectin")


class QaFormItem(Base):
    """An item of a form's version: scored (points out of a maximum, with a weight) or fatal (kept / violated)."""

    __tablename__ = "qa_form_items"
    __table_args__ = (CheckConstraint("max_points >= 0 AND weight >= 0", name="points_positive"),)
    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("qa_form_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    category: Mapped[str] = mapped_column(String(32))        # 服务态度, 业务能力, 技术能力, 记录规范 …
    label: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(String(500), default="")
    max_points: Mapped[float] = mapped_column(default=0.0)
    weight: Mapped[float] = mapped_column(default=1.0)
    fatal: Mapped[bool] = mapped_column(default=False)


class QaPlan(Base):
    """A sampling plan (抽检计划): which recordings of each agent's week are inspected, with which form, by whom,
    within how many days."""

    __tablename__ = "qa_plans"
    __table_args__ = (CheckConstraint("per_agent >= 0 AND due_days >= 1", name="counts_positive"),)
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("qa_forms.id", ondelete="RESTRICT"))
    queue_code: Mapped[str | None] = mapped_column(String(32))          # only this queue's calls (None: all)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_groups.id", ondelete="SET NULL"))
    per_agent: Mapped[int] = mapped_column(default=2)                   # seed 001: at least two per agent and week
    due_days: Mapped[int] = mapped_column(default=3)
    long_call_s: Mapped[int | None]
    short_call_s: Mapped[int | None]
    unsatisfied: Mapped[bool] = mapped_column(default=True)
    complaint: Mapped[bool] = mapped_column(default=True)
    transfer: Mapped[bool] = mapped_column(default=False)
    long_hold_s: Mapped[int | None]
    rule_cap: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    drawn_week: Mapped[dt.date | None] = mapped_column(Date)           # the last week the workers drew by themselves
    created_at: Mapped[created_at]

    form: Mapped[QaForm] = relationship(lazy="joined")
    inspectors: Mapped[list["QaPlanInspector"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class QaPlanInspector(Base):
    __tablename__ = "qa_plan_inspectors"
    plan_id: Mapped[int] = mapped_column(ForeignKey("qa_plans.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class QaReview(Base):
    """One recording to inspect, and its inspection: assigned → scored → (appealed → decided)."""

    __tablename__ = "qa_reviews"
    __table_args__ = (
        UniqueConstraint("plan_id", "recording_id"),
        Index("ix_qa_reviews_inspector_state", "inspector_id", "state"),
        Index("ix_qa_reviews_agent_week", "agent_id", "week"),
        Index("ix_qa_reviews_call_uuid", "call_uuid"),
    )
    id: Mapped[intpk]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("qa_plans.id", ondelete="SET NULL"))
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    call_uuid: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("qa_form_versions.id", ondelete="RESTRICT"))
    week: Mapped[dt.date] = mapped_column(Date)                  # the Monday of the call's week
    reason: Mapped[Reason] = mapped_column(str_enum(Reason, "qa_reason"))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[dt.datetime]
    state: Mapped[ReviewState] = mapped_column(str_enum(ReviewState, "qa_review_state"), default=ReviewState.ASSIGNED)
    first_score: Mapped[float | None]                            # the inspector's
    score: Mapped[float | None]                                  # what stands: the first, or the appeal's revision
    fatal: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(SealedText(), default="")
    scored_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]

    version: Mapped[QaFormVersion] = relationship(lazy="joined")
    plan: Mapped[QaPlan | None] = relationship()
    marks: Mapped[list["QaItemMark"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    comments: Mapped[list["QaComment"]] = relationship(order_by="QaComment.at_ms", cascade="all, delete-orphan",
                                                       lazy="selectin")
    appeal: Mapped["QaAppeal | None"] = relationship(back_populates="review", cascade="all, delete-orphan",
                                                     lazy="selectin", uselist=False)


class QaItemMark(Base):
    """What one item scored on a review: at the first inspection, or the second reviewer's revision."""

    __tablename__ = "qa_item_marks"
    __table_args__ = (UniqueConstraint("review_id", "item_id", "stage"),
                      CheckConstraint("stage IN ('first', 'appeal')", name="stage_known"))
    id: Mapped[intpk]
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("qa_form_items.id", ondelete="RESTRICT"))
    stage: Mapped[str] = mapped_column(String(8), default="first")
    points: Mapped[float | None]
    violated: Mapped[bool] = mapped_column(default=False)


class QaComment(Base):
    """An inspector's comment at a time mark of the recording."""

    __tablename__ = "qa_comments"
    id: Mapped[intpk]
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id", ondelete="CASCADE"), index=True)
    at_ms: Mapped[int]                                            # position in the recording
    text: Mapped[str] = mapped_column(SealedText())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class QaAppeal(Base):
    """The agent's appeal (申诉) of a review, at most one, and the second reviewer's decision."""

    __tablename__ = "qa_appeals"
    id: Mapped[intpk]
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(SealedText())
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[dt.datetime]
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision, "qa_decision"))
    decision_note: Mapped[str] = mapped_column(SealedText(), default="")
    decided_at: Mapped[dt.datetime | None]

    review: Mapped[QaReview] = relationship(back_populates="appeal")
