"""Recordings of answered calls and satisfaction ratings."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, intpk
from engine.store.sealed import Sealed, SealedText


class Recording(Base):
    """A call recording (录音): the file FreeSWITCH wrote and what is known about it (R-REC-1)."""

    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_started_at", "started_at"),
        Index("ix_recordings_call_uuid", "call_uuid"),
        # the console's search by number (caller or dialled, sealed deterministically: equality works) and by
        # agent (the employee number recorded, or the agent's id), whatever the dates asked for
        Index("ix_recordings_ani", "ani"),
        Index("ix_recordings_dnis", "dnis"),
        Index("ix_recordings_employee_no", "employee_no"),
        Index("ix_recordings_agent_id", "agent_id"),
        CheckConstraint("status IN ('recording', 'complete', 'missing', 'damaged')", name="status_known"),
    )
    id: Mapped[intpk]
    path: Mapped[str] = mapped_column(String(512), unique=True)
    call_uuid: Mapped[str] = mapped_column(String(64))
    ani: Mapped[str] = mapped_column(Sealed(64))
    dnis: Mapped[str] = mapped_column(Sealed(64))
    extension: Mapped[str] = mapped_column(String(32), default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    employee_no: Mapped[str] = mapped_column(String(32), default="")
    queue_code: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime]
    stopped_at: Mapped[dt.datetime | None]
    duration_s: Mapped[float | None]              # read from the file (pydub), not trusted from the switch
    switch_ms: Mapped[int | None]                 # what the switch said it recorded (record_ms)
    size_bytes: Mapped[int | None]
    checksum: Mapped[str | None] = mapped_column(String(64))   # sha256 of the file
    status: Mapped[str] = mapped_column(String(16), default="recording")
    problem: Mapped[str] = mapped_column(String(255), default="")


class SurveyResult(Base):
    """A caller's satisfaction rating (好差评), with the call and the agent who served it (R-IVR-3)."""

    __tablename__ = "survey_results"
    __table_args__ = (CheckConstraint("rating BETWEEN 0 AND 9", name="rating_range"),
                      Index("ix_survey_results_rated_at", "rated_at"))
    id: Mapped[intpk]
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    queue_code: Mapped[str | None] = mapped_column(String(32))
    rating: Mapped[int]
    rated_at: Mapped[dt.datetime]


class CallNote(Base):
    """The agent's wrap-up of a call (话后小结): a disposition and a free-text summary."""

    __tablename__ = "call_notes"
    __table_args__ = (Index("ix_call_notes_call_uuid", "call_uuid"),)
    id: Mapped[intpk]
    call_uuid: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    disposition: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(SealedText(), default="")    # the agent's words about the citizen: sealed
    written_at: Mapped[dt.datetime]
