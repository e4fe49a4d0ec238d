"""Report time: the center's local time (UTC+8, no daylight saving), 15-minute intervals and coarser grains.

Rollup buckets are epoch seconds. Because the offset is a whole number of hours, a 15-minute interval in
UTC is also a 15-minute interval in local time; a local day starts at 16:00 UTC the day before.
"""
from __future__ import annotations

import datetime as dt

TZ_OFFSET_S = 8 * 3600            # the center's wall clock (engine.acd.floor.Floor.tz_offset_s)
LOCAL = dt.timezone(dt.timedelta(seconds=TZ_OFFSET_S))
INTERVAL_S = 900
DAY_S = 86400

GRAINS = ("interval", "hour", "day", "month", "quarter", "year", "range")
SUB_DAY_GRAINS = ("interval", "hour")


def epoch(value: dt.datetime) -> float:
    """Aware (or naive UTC, as SQLite returns) datetime → epoch seconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def interval_start(ts: float) -> int:
    """Start of the 15-minute interval containing epoch `ts`."""
    return int(ts // INTERVAL_S) * INTERVAL_S


def day_start(ts: float) -> int:
    """Start (epoch) of the local day containing epoch `ts`."""
    return int((ts + TZ_OFFSET_S) // DAY_S) * DAY_S - TZ_OFFSET_S


def local(ts: float) -> dt.datetime:
    """Epoch → local datetime."""
    return dt.datetime.fromtimestamp(ts, LOCAL)


def local_midnight(day: dt.date) -> int:
    """Epoch of local midnight starting `day`."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=LOCAL).timestamp())


def period_of(ts: int, grain: str) -> tuple[int, str]:
    """(start epoch, label) of the period of `grain` containing epoch `ts` (for "range": one period)."""
    t = local(ts)
    if grain == "interval":
        start = interval_start(ts)
        return start, local(start).strftime("%Y-%m-%d %H:%M")
    if grain == "hour":
        start = int(ts // 3600) * 3600
        return start, local(start).strftime("%Y-%m-%d %H:00")
    if grain == "day":
        return day_start(ts), t.strftime("%Y-%m-%d")
    if grain == "month":
        return local_midnight(t.date().replace(day=1)), t.strftime("%Y-%m")
    if grain == "quarter":
        q = (t.month - 1) // 3
        return local_midnight(dt.date(t.year, 3 * q + 1, 1)), f"{t.year}Q{q + 1}"
    if grain == "year":
        return local_midnight(dt.date(t.year, 1, 1)), str(t.year)
    if grain == "range":
        return 0, ""
    raise ValueError(f"unknown grain {grain!r}")


def month_range(year: int, month: int) -> tuple[int, int]:
    """[start, end) epochs of a local calendar month."""
    start = local_midnight(dt.date(year, month, 1))
    end = local_midnight(dt.date(year + (month == 12), month % 12 + 1, 1))
    return start, end


def day_range(first: dt.date, last: dt.date) -> tuple[int, int]:
    """[start, end) epochs covering the local days first..last inclusive."""
    return local_midnight(first), local_midnight(last + dt.timedelta(days=1))
