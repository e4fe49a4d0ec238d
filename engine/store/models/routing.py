"""Queues with their skill requirements, and published numbers (DIDs) pointing to IVR flows."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.base import Base, created_at, intpk


class Queue(Base):
    """A queue (技能队列): calls wait here for an agent having the required skills."""

    __tablename__ = "queues"
    __table_args__ = (
        CheckConstraint("ring_timeout_s > 0", name="ring_timeout_positive"),
        CheckConstraint("wrap_up_s >= 0", name="wrap_up_not_negative"),
        CheckConstraint("max_size >= 0", name="max_size_not_negative"),
        CheckConstraint("no_agent_action IN ('wait', 'reject')", name="no_agent_action_known"),
    )
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # the hall whose queue it is; None: the centre's, which a hall's own staff see but do not change (admin_web.scope)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)
    strategy: Mapped[str] = mapped_column(String(32), default="longest_idle")
    ring_timeout_s: Mapped[int] = mapped_column(default=20)
    wrap_up_s: Mapped[int] = mapped_column(default=30)
    max_wait_s: Mapped[int] = mapped_column(default=600)
    moh: Mapped[str] = mapped_column(String(255), default="local_stream://moh")
    priority_step_s: Mapped[int] = mapped_column(default=60, server_default="60")
    max_size: Mapped[int] = mapped_column(default=0, server_default="0")
    no_agent_action: Mapped[str] = mapped_column(String(16), default="wait", server_default="wait")
    # JSON list of overflow steps: [{"after_s": 30, "action": "widen", "skills": {"etax": 1}},
    #   {"after_s": 60, "action": "overflow", "queue": "tax_policy"}, {"after_s": 45, "action": "announce",
    #   "prompt": "all_busy.wav"}]
    overflow_rules: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    # while waiting: announce position and estimated wait every N seconds (0 = never); keys that leave the
    # queue for a callback (the caller keeps their place without holding the line) or a voice message
    announce_every_s: Mapped[int] = mapped_column(default=0, server_default="0")
    callback_key: Mapped[str | None] = mapped_column(String(1))
    voicemail_key: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[created_at]

    skills: Mapped[list["QueueSkill"]] = relationship(back_populates="queue", cascade="all, delete-orphan")


class QueueSkill(Base):
    """A skill a queue requires, with the minimum proficiency level."""

    __tablename__ = "queue_skills"
    __table_args__ = (CheckConstraint("min_level BETWEEN 1 AND 10", name="min_level_range"),)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    min_level: Mapped[int] = mapped_column(default=1)

    queue: Mapped[Queue] = relationship(back_populates="skills")
    skill: Mapped["Skill"] = relationship(lazy="joined")  # noqa: F821 (resolved by the registry)


class PublishedNumber(Base):
    """A published number (DID, 号码) callers dial, and the IVR flow that answers it."""

    __tablename__ = "published_numbers"
    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    flow: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]


class QueueStatus(Base):
    """A queue right now, as the engine last published it (every couple of seconds)."""

    __tablename__ = "queue_status"
    queue_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    waiting: Mapped[int] = mapped_column(default=0)
    longest_wait_since: Mapped[dt.datetime | None]
    agents_ready: Mapped[int] = mapped_column(default=0)
    agents_busy: Mapped[int] = mapped_column(default=0)
    agents_logged_in: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime]


class QueueHallStatus(Base):
    """A queue right now in one hall, as the engine last published it with the queue's row: the waiting calls of
    the hall's numbers and the hall's agents able to take the queue (hall 0: numbers and agents with no hall).
    Only halls with something to show have a row; each publication replaces them all. A hall's supervisor sees
    the queue's figures summed over the halls in their scope (admin_web.scope), everyone else over every hall."""

    __tablename__ = "queue_hall_status"
    queue_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    hall_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    waiting: Mapped[int] = mapped_column(default=0)
    longest_wait_since: Mapped[dt.datetime | None]
    agents_ready: Mapped[int] = mapped_column(default=0)
    agents_busy: Mapped[int] = mapped_column(default=0)
    agents_logged_in: Mapped[int] = mapped_column(default=0)


class TrunkStatus(Base):
    """A trunk group right now, as the engine last published it: channels in use against its capacity."""

    __tablename__ = "trunk_status"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    channels: Mapped[int] = mapped_column(default=0)
    in_use: Mapped[int] = mapped_column(default=0)
    all_busy_since: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
