"""Work orders (工单) and what hangs on them: departments (承办单位), the category tree (归口分类), each department's
part, the timeline, deadline alerts (提醒/超时/督办) and follow-up visits (回访) — issue 15, R-TKT-1..3.

The order's life is engine.domain.workorder's state machine; these rows are its state where it survives the
engine and the console (engine.store.orders loads an order into the machine, takes the step and writes it back).
The citizen's words and contact are key data, sealed at rest (engine.store.sealed): the phone deterministically
(the desktop finds a caller's earlier orders by number), the rest with a random nonce.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.domain.followup import Rating, RequestType
from engine.domain.order_clocks import Urgency
from engine.domain.workorder import Action, OrderState, PartState
from engine.store.base import Base, created_at, intpk, str_enum, utcnow
from engine.store.sealed import Sealed, SealedText

ORDER_SOURCES = ("call", "voicemail", "manual")
FOLLOW_UP_STATES = ("pending", "calling", "done", "unreachable", "cancelled")
FOLLOW_UP_MODES = ("manual", "automated")
ALERT_KINDS = ("special", "reminder", "overdue", "escalation", "calendar")


class Department(Base):
    """A responsible department (承办单位) of a hall: orders are dispatched to it and its users reply."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hall_id", "name"),)
    id: Mapped[intpk]
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    contact: Mapped[str] = mapped_column(String(64), default="")      # the person who takes special notices
    phone: Mapped[str] = mapped_column(String(32), default="")        # their office phone (a public number)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class OrderCategory(Base):
    """A node of the category tree (归口分类), shared by the centre: 税费政策 › 个人所得税 › 专项附加扣除."""

    __tablename__ = "order_categories"
    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)
    id: Mapped[intpk]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("order_categories.id", ondelete="RESTRICT"),
                                                  index=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class WorkOrder(Base):
    """One citizen request that needs handling (or was answered on the spot)."""

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint("source IN ('call', 'voicemail', 'manual')", name="source_known"),
        Index("ix_work_orders_created_at", "created_at"),
        Index("ix_work_orders_state_created", "state", "created_at"),
        Index("ix_work_orders_citizen_phone", "citizen_phone"),
        Index("ix_work_orders_call_uuid", "call_uuid"),
        # the deadline sweep (engine.store.orders.sweep) every 30 s: open orders by deadline, calendar gaps
        Index("ix_work_orders_state_dispatch_due", "state", "dispatch_due"),
        Index("ix_work_orders_calendar_gap", "calendar_gap"),
    )
    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(24), unique=True)          # 202612060001: the citizen's reference
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    state: Mapped[OrderState] = mapped_column(str_enum(OrderState, "order_state"), default=OrderState.REGISTERED)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    request_type: Mapped[RequestType] = mapped_column(str_enum(RequestType, "request_type"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("order_categories.id", ondelete="SET NULL"),
                                                    index=True)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency, "order_urgency"), default=Urgency.GENERAL)
    hard: Mapped[bool] = mapped_column(default=False)                     # 疑难: the longer reply clock
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(SealedText(), default="")
    citizen_name: Mapped[str] = mapped_column(SealedText(), default="")
    citizen_phone: Mapped[str] = mapped_column(Sealed(64), default="")
    citizen_address: Mapped[str] = mapped_column(SealedText(), default="")
    reply_wanted: Mapped[bool] = mapped_column(default=True)              # 需要回复
    confidential: Mapped[bool] = mapped_column(default=False)             # 保密: the name is not passed on
    wishes: Mapped[str] = mapped_column(SealedText(), default="")         # 诉求
    region: Mapped[str] = mapped_column(String(64), default="")           # the caller's region, from the call
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    call_facts_at: Mapped[dt.datetime | None]      # when the call's facts were taken (at once, or after its hang-up)
    # the number another platform gave the order (来源编号: a provincial 12345 platform's), for imports and sync
    external_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    voicemail_id: Mapped[int | None] = mapped_column(ForeignKey("voicemails.id", ondelete="SET NULL"))
    ivr_data: Mapped[str] = mapped_column(SealedText(), default="")       # the IVR path and data, from the call
    queue_code: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer: Mapped[str] = mapped_column(SealedText(), default="")         # 当场答复 / the closing summary
    on_the_spot: Mapped[bool] = mapped_column(default=False)
    review_errors: Mapped[int] = mapped_column(default=0)
    reviewed_at: Mapped[dt.datetime | None]
    misdispatches: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    dispatch_due: Mapped[dt.datetime | None]
    dispatched_at: Mapped[dt.datetime | None]                              # first dispatch
    late_dispatch: Mapped[bool] = mapped_column(default=False)
    reply_due: Mapped[dt.datetime | None]                                  # the earliest part's
    replied_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]                               # 督办
    calendar_gap: Mapped[int | None]                                       # a year the calendar does not know

    category: Mapped[OrderCategory | None] = relationship(lazy="joined")
    parts: Mapped[list["WorkOrderPart"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                        order_by="WorkOrderPart.id")


class WorkOrderPart(Base):
    """One department's share of an order, with its own reply clock."""

    __tablename__ = "work_order_parts"
    __table_args__ = (UniqueConstraint("order_id", "department_id"),
                      Index("ix_work_order_parts_department_state", "department_id", "state"),
                      Index("ix_work_order_parts_state_reply_due", "state", "reply_due"))
    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    state: Mapped[PartState] = mapped_column(str_enum(PartState, "order_part_state"), default=PartState.DISPATCHED)
    extension_asked: Mapped[bool] = mapped_column(default=False)
    extensions: Mapped[int] = mapped_column(default=0)
    reply: Mapped[str] = mapped_column(SealedText(), default="")
    dispatched_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    replied_at: Mapped[dt.datetime | None]
    reply_due: Mapped[dt.datetime | None]
    notice_needed: Mapped[bool] = mapped_column(default=False)             # special orders: phone the department
    noticed_at: Mapped[dt.datetime | None]

    order: Mapped[WorkOrder] = relationship(back_populates="parts")
    department: Mapped[Department] = relationship(lazy="joined")


class WorkOrderStep(Base):
    """One line of the order's timeline: what, who, when, for which department, and the words given."""

    __tablename__ = "work_order_steps"
    __table_args__ = (Index("ix_work_order_steps_order", "order_id", "id"),
                      Index("ix_work_order_steps_action_at", "action", "at"))
    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    action: Mapped[Action] = mapped_column(str_enum(Action, "order_action"))
    actor: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime]
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(SealedText(), default="")

    department: Mapped[Department | None] = relationship(lazy="joined")


class OrderAlert(Base):
    """Something about an order that somebody must see or do: a special order's phone notice to its department,
    a reminder before a deadline, a warning after it, a 督办 escalation, a deadline the calendar cannot compute.
    `key` makes the scheduler's writes idempotent (one reminder per deadline, whichever console raised it)."""

    __tablename__ = "order_alerts"
    __table_args__ = (
        CheckConstraint("kind IN ('special', 'reminder', 'overdue', 'escalation', 'calendar')", name="kind_known"),
        Index("ix_order_alerts_open", "done_at", "at"),
    )
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("work_order_parts.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)
    at: Mapped[dt.datetime]
    due: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
    done_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(255), default="")

    order: Mapped[WorkOrder] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")


class FollowUp(Base):
    """A follow-up visit (回访) of a closed order: by an agent from the desktop or by an automated call that plays
    the order's summary and collects the rating. `round` counts closings (a reopened order is visited again)."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("order_id", "round"),
        CheckConstraint("state IN ('pending', 'calling', 'done', 'unreachable', 'cancelled')", name="state_known"),
        CheckConstraint("mode IN ('manual', 'automated')", name="mode_known"),
        Index("ix_follow_ups_state_next", "state", "next_attempt_at"),
    )
    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    mode: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[created_at]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]
    last_result: Mapped[str] = mapped_column(String(32), default="", server_default="")   # the last attempt's cause
    call_uuid: Mapped[str | None] = mapped_column(String(64), index=True)
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating, "follow_up_rating"))
    department_rating: Mapped[Rating | None] = mapped_column(str_enum(Rating, "follow_up_department_rating"))
    note: Mapped[str] = mapped_column(SealedText(), default="")
    done_by: Mapped[str] = mapped_column(String(64), default="")
    done_at: Mapped[dt.datetime | None]

    order: Mapped[WorkOrder] = relationship(lazy="joined")
