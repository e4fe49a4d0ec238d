"""Call detail records and the agent state change log."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason
from engine.store.base import Base, intpk, str_enum
from engine.store.sealed import Sealed, SealedText


class CallRecord(Base):
    """One inbound call, written once when it ends (话单)."""

    __tablename__ = "call_records"
    __table_args__ = (Index("ix_call_records_started_at", "started_at"),
                      # an agent's calls of a day (the CTI API's /me/calls/today), and the rows an agent's
                      # deletion sets to NULL
                      Index("ix_call_records_agent_started_at", "agent_id", "started_at"),
                      # the call search by number (/calls/?number=): numbers are sealed deterministically (AES-SIV),
                      # so an exact match is an index lookup
                      Index("ix_call_records_ani", "ani"), Index("ix_call_records_dnis", "dnis"),
                      CheckConstraint("direction IN ('inbound', 'outbound')", name="direction_known"))
    id: Mapped[intpk]
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    ani: Mapped[str] = mapped_column(Sealed(64))
    dnis: Mapped[str] = mapped_column(Sealed(64))
    flow: Mapped[str | None] = mapped_column(String(64))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    agent_leg_uuid: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime]
    enqueued_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime]
    outcome: Mapped[CallOutcome] = mapped_column(str_enum(CallOutcome, "call_outcome"))
    hangup_cause: Mapped[str] = mapped_column(String(48))
    hangup_side: Mapped[HangupSide] = mapped_column(str_enum(HangupSide, "hangup_side"))
    ivr_path: Mapped[str] = mapped_column(SealedText(), default="")    # with the data collected: sealed
    offers: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=0, server_default="0")
    direction: Mapped[str] = mapped_column(String(8), default="inbound", server_default="inbound")
    transfers: Mapped[int] = mapped_column(default=0, server_default="0")


class CallOffer(Base):
    """One offer of a call to an agent: when, which strategy chose the agent and why, and how it ended."""

    __tablename__ = "call_offers"
    __table_args__ = (Index("ix_call_offers_call_uuid", "call_uuid"), Index("ix_call_offers_agent_at", "agent_id",
                                                                            "offered_at"))
    id: Mapped[intpk]
    call_uuid: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    queue_code: Mapped[str] = mapped_column(String(32))
    offered_at: Mapped[dt.datetime]
    settled_at: Mapped[dt.datetime]
    result: Mapped[str] = mapped_column(String(24))
    cause: Mapped[str] = mapped_column(String(48), default="")
    strategy: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")


class AgentRequest(Base):
    """A state change asked from the console (agent or supervisor), carried out by the engine."""

    __tablename__ = "agent_requests"
    __table_args__ = (
        Index("ix_agent_requests_pending", "processed_at", "id"),
        # every agent's requests of the last minutes (the agents page's state.json, polled every 2 s)
        Index("ix_agent_requests_requested_at", "requested_at"),
        # an agent's latest requests (the CTI API's /me and its event stream, the last consultation step)
        Index("ix_agent_requests_agent_id", "agent_id", "id"),
        # an agent's requests since a time (the call card: a consultation, who transferred the call)
        Index("ix_agent_requests_agent_requested_at", "agent_id", "requested_at"),
    )
    id: Mapped[intpk]
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))          # login, ready, not_ready, logout
    reason: Mapped[NotReadyReason | None] = mapped_column(str_enum(NotReadyReason, "request_reason"))
    actor: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime]
    processed_at: Mapped[dt.datetime | None]
    result: Mapped[str] = mapped_column(String(255), default="")
    argument: Mapped[str | None] = mapped_column(Sealed(64))      # supervision: the supervisor's extension
    note: Mapped[str] = mapped_column(SealedText(), default="", server_default="")   # transfer note for the next agent


class AgentStateChange(Base):
    """Every change of an agent's state: when, from what, to what, why and by whom."""

    __tablename__ = "agent_state_changes"
    __table_args__ = (
        Index("ix_agent_state_changes_agent_at", "agent_id", "at"),
        # every agent's changes of the day (the floor view's figures, summed once a second)
        Index("ix_agent_state_changes_at", "at"),
        # an agent's changes on one call, in order (the CTI API's call card: when and how the call reached them);
        # both equalities lead, so that SQLite prefers it to the agent's whole log in time order
        Index("ix_agent_state_changes_call_agent_at", "call_uuid", "agent_id", "at"),
    )
    id: Mapped[intpk]
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    from_state: Mapped[AgentState] = mapped_column(str_enum(AgentState, "from_state"))
    to_state: Mapped[AgentState] = mapped_column(str_enum(AgentState, "to_state"))
    reason: Mapped[NotReadyReason | None] = mapped_column(str_enum(NotReadyReason, "reason"))
    cause: Mapped[str] = mapped_column(String(64), default="")
    actor: Mapped[str] = mapped_column(String(64), default="system")
    call_uuid: Mapped[str | None] = mapped_column(String(64))


class Callback(Base):
    """A caller who asked to be called back: keeps their place in the queue and is dialled when an agent is free."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_status", "status", "requested_at"),
                      Index("ix_callbacks_requested_at", "requested_at"))   # the console's list, every status
    id: Mapped[intpk]
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)    # the call that asked for it
    number: Mapped[str] = mapped_column(Sealed(64))
    queue_code: Mapped[str] = mapped_column(String(32))
    enqueued_at: Mapped[dt.datetime]            # the original place in the queue
    requested_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending, dialling (under way), done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    completed_at: Mapped[dt.datetime | None]
    last_cause: Mapped[str] = mapped_column(String(48), default="")


class Voicemail(Base):
    """A voice message left by a caller (语音留言): who, which number and queue, when, and the file."""

    __tablename__ = "voicemails"
    __table_args__ = (Index("ix_voicemails_recorded_at", "recorded_at"),
                      Index("ix_voicemails_status", "status", "recorded_at"))    # the console's list, by status
    id: Mapped[intpk]
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    ani: Mapped[str] = mapped_column(Sealed(64))
    dnis: Mapped[str] = mapped_column(Sealed(64))
    queue_code: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[dt.datetime]
    file_path: Mapped[str] = mapped_column(String(512))
    duration_s: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="new")       # new, handled
