"""The immutable call-event log: one row per thing that happened to a call (see ``engine.domain.calllog``).

Rows are only ever inserted. Agents and queues are referred to by id and code without foreign keys,
so that deleting an agent or a queue from the console never rewrites history.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base
from engine.store.sealed import Sealed, SealedText

bigintpk = BigInteger().with_variant(Integer(), "sqlite")


class CallEvent(Base):
    """One entry of the call-event log."""

    __tablename__ = "call_events"
    __table_args__ = (
        Index("ix_call_events_at", "at"),
        Index("ix_call_events_call_uuid", "call_uuid"),
        Index("ix_call_events_queued_at", "queued_at"),
        Index("ix_call_events_agent_id_at", "agent_id", "at"),
    )
    id: Mapped[int] = mapped_column(bigintpk, primary_key=True)
    at: Mapped[dt.datetime]
    call_uuid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str] = mapped_column(String(8), default="inbound")
    ani: Mapped[str] = mapped_column(Sealed(64), default="")
    dnis: Mapped[str] = mapped_column(Sealed(64), default="")
    hall_id: Mapped[int | None]
    queue_code: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[int | None]
    queued_at: Mapped[dt.datetime | None]
    wait_s: Mapped[float | None]
    duration_s: Mapped[float | None]
    value: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(255), default="")         # codes: what reports group and filter by
    # what identifies the caller (caller name, the data the IVR collected, a number transferred to): sealed
    private: Mapped[str] = mapped_column(SealedText(), default="", server_default="")
