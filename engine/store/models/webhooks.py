"""Webhooks (issue 15 item 7, R-NF-4): a provincial 12345 platform (or any other system) kept in step with the
work orders. The orders' timeline (work_order_steps) is the change feed, and the follow-up visits done are the
second one: each hook has its cursor in both, and the report workers POST what lies past the cursors, in order,
signed with the hook's secret (admin_web/jobs/webhooks.py). A failed delivery stops the hook where it is and is
tried again later, with a growing pause: nothing is skipped (at least once, in order).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, created_at, intpk
from engine.store.sealed import SealedText

WEBHOOK_EVENTS = ("order.step", "follow_up.result")     # every step of an order's timeline; a follow-up's rating
PING_EVENT = "ping"                                     # the console's test delivery


class Webhook(Base):
    """One receiver: its URL, the secret its deliveries are signed with (sealed at rest), what it wants, and how
    far it has been kept in step. `hall_id` None: every hall of the centre; else the hall's subtree."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_active_next", "active", "next_attempt_at"),)
    id: Mapped[intpk]
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(SealedText())
    events: Mapped[str] = mapped_column(String(128), default=",".join(WEBHOOK_EVENTS))   # comma-separated
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[created_at]
    last_delivered_step_id: Mapped[int] = mapped_column(default=0)           # the timeline's cursor
    last_follow_up_at: Mapped[dt.datetime | None]                            # the follow-ups' cursor: done_at, id
    last_follow_up_id: Mapped[int] = mapped_column(default=0)
    last_delivered_at: Mapped[dt.datetime | None]
    failures: Mapped[int] = mapped_column(default=0)                         # in a row, since the last success
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_error_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]                              # after a failure: not before
    claimed_until: Mapped[dt.datetime | None]                                # a worker delivering it now

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(e for e in (self.events or "").split(",") if e)


class WebhookDelivery(Base):
    """One attempt to deliver one event to one hook, and what came of it (the console shows the latest)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("event IN ('order.step', 'follow_up.result', 'ping')", name="event_known"),
        Index("ix_webhook_deliveries_webhook_at", "webhook_id", "at"),
        Index("ix_webhook_deliveries_at", "at"),
    )
    id: Mapped[intpk]
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int | None]                  # the step's or the follow-up's id (None for a ping)
    delivery: Mapped[str] = mapped_column(String(64))           # the X-Callcenter-Delivery header sent
    status_code: Mapped[int | None]
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[dt.datetime]
    duration_ms: Mapped[int] = mapped_column(default=0)
