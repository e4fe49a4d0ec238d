"""The switch (FreeSWITCH) right now, as the engine last published it: connection, capacity limits, refusals."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base
from engine.store.sealed import SealedText


class SwitchStatus(Base):
    """One row per switch (the engine's is named 'switch'): whether the engine is connected to it, its limits as read
    at connect (switch.conf sessions-per-second, max-sessions; NULL when not read yet), and the engine's originates it
    refused for its own reasons (session-rate throttle, session limit): since the engine started, in the last 15
    minutes, and when last."""

    __tablename__ = "switch_status"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    connected: Mapped[bool] = mapped_column(default=False)
    sessions_per_second: Mapped[int | None]
    max_sessions: Mapped[int | None]
    exempt: Mapped[bool] = mapped_column(default=False)
    refused_total: Mapped[int] = mapped_column(default=0)
    refused_recent: Mapped[int] = mapped_column(default=0)
    last_refused_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
    #: sessions the switch has now and created in its last second (`status`), read at each publication
    sessions: Mapped[int | None] = mapped_column(default=None)
    sessions_last_second: Mapped[int | None] = mapped_column(default=None)


class SwitchCdr(Base):
    """A CDR FreeSWITCH posted itself (mod_xml_cdr, one per caller leg, a-legs only), kept so that calls that end
    while no engine is connected still get their record: the active engine reconciles every CDR that has no call
    record after a settling time (engine.cdr_sync). `variables` holds the channel's variables as JSON (the cc_*
    marks of engine.acd.queueing among them)."""

    __tablename__ = "switch_cdrs"
    call_uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16), default="")
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    started_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    hangup_cause: Mapped[str] = mapped_column(String(64), default="")
    disposition: Mapped[str] = mapped_column(String(32), default="")     # sip_hangup_disposition: recv_bye…
    variables: Mapped[str] = mapped_column(SealedText(), default="{}")
    reconciled_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reconciled: Mapped[str] = mapped_column(String(16), default="")      # closed (a record from it) | known


class EngineNode(Base):
    """An engine process as it last reported itself (every couple of seconds): active or standby, since when. The
    console shows them and raises an alert when no active engine has reported for a few seconds."""

    __tablename__ = "engine_nodes"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)     # host:pid
    role: Mapped[str] = mapped_column(String(16))                        # active | standby | stopped
    since: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime] = mapped_column(index=True)
    switch_connected: Mapped[bool | None]        # its own connection to the switch is up (None: not known)


class LiveChange(Base):
    """The live feed (engine.store.live): what changed, written by the engine in the same transaction as the change
    itself, read by each console process once for all its streams (admin_web.live). Kept for minutes only."""

    __tablename__ = "live_changes"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    topic: Mapped[str] = mapped_column(String(16))        # agent, queue
    key: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(index=True)
