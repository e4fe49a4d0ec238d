"""Schedules (排班): shift templates, rotations, schedules and their shifts (issue 17; engine.domain.scheduling).

Templates and rotations belong to a hall, or to the centre (no hall: shared, seen by every hall, changed only by
users who see every hall — like queues and teams, admin_web.scope). A schedule is a week of shifts for the agents of
a hall, a team or a queue; once published its shifts are what the agents see ("my shifts") and what adherence and
attendance (出勤率) are measured against.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.base import Base, created_at, intpk

SCHEDULE_STATUSES = ("draft", "published")


class ShiftTemplate(Base):
    """A shift (班次): start (local minutes after midnight), length, breaks, the weekdays it runs (bit 0: Monday)."""

    __tablename__ = "shift_templates"
    __table_args__ = (
        CheckConstraint("start_minute >= 0 AND start_minute < 1440", name="start_within_day"),
        CheckConstraint("length_minutes > 0 AND length_minutes <= 1440", name="length_range"),
        CheckConstraint("unpaid_break_minutes >= 0 AND unpaid_break_minutes < length_minutes",
                        name="unpaid_break_range"),
        CheckConstraint("paid_break_minutes >= 0", name="paid_break_not_negative"),
        CheckConstraint("weekdays > 0 AND weekdays < 128", name="weekdays_range"),
    )
    id: Mapped[intpk]
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(16))           # 早, 中, 夜: what the grid shows
    name: Mapped[str] = mapped_column(String(64))
    start_minute: Mapped[int]
    length_minutes: Mapped[int]
    unpaid_break_minutes: Mapped[int] = mapped_column(default=0)
    paid_break_minutes: Mapped[int] = mapped_column(default=0)
    break_after_minutes: Mapped[int | None]
    weekdays: Mapped[int] = mapped_column(default=127)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class Rotation(Base):
    """A cycle of shifts teams take in turn (e.g. 四班三运转): per day of the cycle a template (null: day off)."""

    __tablename__ = "shift_rotations"
    __table_args__ = (CheckConstraint("teams > 0", name="teams_positive"),)
    id: Mapped[intpk]
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    pattern: Mapped[list[Any]] = mapped_column(JSON, default=list)     # [template id | null, ...]
    teams: Mapped[int] = mapped_column(default=4)
    anchor: Mapped[dt.date]                                            # team 1 is at the pattern's first day
    created_at: Mapped[created_at]


class Schedule(Base):
    """A week's schedule for a hall's, a team's or a queue's agents, generated from the planned requirement."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        CheckConstraint("pool IN ('hall', 'group', 'queue')", name="pool_known"),
        Index("ix_schedules_week_start", "week_start"),
    )
    id: Mapped[intpk]
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    week_start: Mapped[dt.date]                                        # a Monday (local)
    pool: Mapped[str] = mapped_column(String(8))                       # whose agents: hall, group or queue
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_groups.id", ondelete="SET NULL"))
    queue_code: Mapped[str | None] = mapped_column(String(32))         # the requirement's queue (None: all)
    rotation_id: Mapped[int | None] = mapped_column(ForeignKey("shift_rotations.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    required: Mapped[list[Any]] = mapped_column(JSON, default=list)   # agents per quarter hour of the week (672)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # the plan's target and the rules used
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[created_at]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str] = mapped_column(String(64), default="")

    shifts: Mapped[list["ScheduledShift"]] = relationship(back_populates="schedule", cascade="all, delete-orphan",
                                                          order_by="ScheduledShift.start_at")


class ScheduledShift(Base):
    """One agent's shift of a schedule, in real time (its unpaid break too)."""

    __tablename__ = "scheduled_shifts"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_scheduled_shifts_agent_start", "agent_id", "start_at"),
        Index("ix_scheduled_shifts_start", "start_at"),
    )
    id: Mapped[intpk]
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("shift_templates.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(16))                      # the template's code when generated
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    break_start: Mapped[dt.datetime | None]
    break_end: Mapped[dt.datetime | None]
    paid_break_minutes: Mapped[int] = mapped_column(default=0)

    schedule: Mapped[Schedule] = relationship(back_populates="shifts")
