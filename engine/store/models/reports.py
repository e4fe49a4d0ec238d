"""Report settings and rollups: sums of the call-event log and the agent state log, kept for fast reports.

Rollups are derived data: `engine.reports.rollups.rebuild` recomputes them from the raw logs at any time, and
they stay exactly equal to that recomputation (durations are summed as integer milliseconds, so no float
rounding can creep in). Keys use sentinels instead of NULL (queue '', hall 0, agent 0, trunk '') so that
each key is a primary key the incremental upsert can hit. The trunk key of call entries is '' but for the
entries of a wait after a transfer back to a queue, keyed '~transfer' (engine.reports.rollups.REWAIT), which
the reports leave out of totals: one caller's call is one request.

Buckets are epoch seconds (UTC): the start of the 15-minute interval, or the start of the local day (UTC+8
midnight) for the daily tables. Calls are bucketed by the time they entered their queue (queued_at), other
entries (arrivals, IVR-only calls, outbound calls, trunk events) by their own time.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.base import Base, utcnow

# Service-level thresholds T (seconds) and short-abandon thresholds S the rollups count for: the definitions
# choose among them (answered with wait <= T; abandoned with wait <= S).
SL_THRESHOLDS = (10, 15, 20, 30, 45, 60, 90, 120)
SHORT_ABANDON_THRESHOLDS = (3, 5, 10, 15, 20, 30)

CALL_COUNTS = (
    "arrived", "ivr_entered", "queued", "overflow_in", "overflowed", "offered", "no_answer", "answered",
    *(f"ans_le_{t}" for t in SL_THRESHOLDS),
    "abandoned", "abandoned_ringing", *(f"abn_le_{s}" for s in SHORT_ABANDON_THRESHOLDS),
    "callbacks", "voicemails", "released", "cut", "waited", "holds", "talks", "wrapups", "transfers",
    "dialed", "dialed_answered", "ended", "trunk_busy", "trunk_freed",
    *(f"r{digit}" for digit in range(10)),
)
CALL_SUMS_MS = ("answered_wait_ms", "abandoned_wait_ms", "waited_ms", "ring_ms", "hold_ms", "talk_ms", "wrap_ms",
                "transfer_ms", "dialed_talk_ms", "trunk_busy_ms")
CALL_MAXES_MS = ("max_wait_ms", "trunk_busy_max_ms")
CALL_KEYS = ("direction", "queue_code", "hall_id", "agent_id", "trunk")


def _call_rollup_columns(bucket: str) -> dict:
    cols: dict = {
        bucket: Column(BigInteger, primary_key=True, autoincrement=False),
        "direction": Column(String(8), primary_key=True),
        "queue_code": Column(String(32), primary_key=True),
        "hall_id": Column(Integer, primary_key=True, autoincrement=False),
        "agent_id": Column(Integer, primary_key=True, autoincrement=False),
        "trunk": Column(String(32), primary_key=True),
    }
    for name in CALL_COUNTS:
        cols[name] = Column(Integer, nullable=False, default=0, server_default="0")
    for name in CALL_SUMS_MS + CALL_MAXES_MS:
        cols[name] = Column(BigInteger, nullable=False, default=0, server_default="0")
    return cols


ReportCalls15m = type("ReportCalls15m", (Base,), {
    "__tablename__": "report_calls_15m",
    "__doc__": "Call-event log sums per 15-minute interval × direction × queue × hall × agent × trunk group.",
    **_call_rollup_columns("bucket"),
})

ReportCallsDay = type("ReportCallsDay", (Base,), {
    "__tablename__": "report_calls_day",
    "__doc__": "The same sums per local day (for months, quarters and years).",
    **_call_rollup_columns("day"),
})


class ReportAgentDay(Base):
    """Agent state time per local day × agent × state × not-ready reason × state that followed (ready only).

    Episodes are split at local midnight; `episodes` and `max_ms` count each day's piece once, in its day."""

    __tablename__ = "report_agent_day"
    day = Column(BigInteger, primary_key=True, autoincrement=False)
    agent_id = Column(Integer, primary_key=True, autoincrement=False)
    state = Column(String(16), primary_key=True)
    reason = Column(String(24), primary_key=True)
    ended_into = Column(String(16), primary_key=True)
    seconds_ms = Column(BigInteger, nullable=False, default=0, server_default="0")
    episodes = Column(Integer, nullable=False, default=0, server_default="0")
    max_ms = Column(BigInteger, nullable=False, default=0, server_default="0")


class ReportCallerRegionDay(Base):
    """Inbound arrivals per local day × hall × caller province and city (from the caller's number)."""

    __tablename__ = "report_caller_region_day"
    day = Column(BigInteger, primary_key=True, autoincrement=False)
    hall_id = Column(Integer, primary_key=True, autoincrement=False)
    province = Column(String(32), primary_key=True)
    city = Column(String(32), primary_key=True)
    calls = Column(Integer, nullable=False, default=0, server_default="0")


class ReportSetting(Base):
    """A named report setting (the definitions as JSON) or rollup bookkeeping value."""

    __tablename__ = "report_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportJob(Base):
    """A report, scorecard or export asked for on the console and computed by a report worker process
    (admin_web.jobs): the request only queues it and waits for the result; viewers asking for the same figures in
    the same scope share one computation while it is fresh (cache_key)."""

    __tablename__ = "report_jobs"
    __table_args__ = (Index("ix_report_jobs_state_created", "state", "created_at"),
                      Index("ix_report_jobs_cache_key_finished", "cache_key", "finished_at"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    cache_key: Mapped[str] = mapped_column(String(64))          # sha-256 of kind, parameters, scope, locale, definitions
    params: Mapped[str] = mapped_column(Text, default="{}")      # JSON
    scope: Mapped[str] = mapped_column(Text, default="{}")       # JSON: {"halls": [..] | null, "numbers": [..]}
    locale: Mapped[str] = mapped_column(String(16), default="zh_CN")
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")     # queued, running, done, failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)   # read on demand
    mimetype: Mapped[str] = mapped_column(String(128), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    beat_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
