"""The switch (FreeSWITCH) right now, as the engine last published it: connection, capacity limits, refusals."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base


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
