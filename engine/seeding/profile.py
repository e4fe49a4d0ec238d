"""The workday traffic profile (/work/shared/traffic) and the calendar of working and filing-deadline days."""
from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

SHARED_CSV = Path("/work/shared/traffic/12366-workday.csv")
PACKAGED_CSV = Path(__file__).resolve().parents[1] / "fsim" / "data" / "12366-workday.csv"
HALF_HOUR_S = 1800
CALLS_REACHING_MENU = 5000      # a normal workday of the 124-seat center (traffic README)
DEADLINE_FACTOR = 1.8           # the filing-deadline day (the 15th, or the next working day)
CENTER_SEATS = 124


def profile_csv() -> Path:
    """$CALLCENTER_TRAFFIC_CSV, else the shared profile, else the copy shipped with the simulator."""
    override = os.environ.get("CALLCENTER_TRAFFIC_CSV")
    if override:
        return Path(override)
    return SHARED_CSV if SHARED_CSV.exists() else PACKAGED_CSV


def half_hour_shares(path: str | os.PathLike | None = None) -> list[tuple[int, float]]:
    """[(start, seconds after local midnight; share of the day's calls)], shares summing to 1."""
    rows = []
    with open(path or profile_csv(), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hh, mm = row["interval_start"].split(":")
            rows.append((int(hh) * 3600 + int(mm) * 60, float(row["share_pct"])))
    total = sum(share for _, share in rows)
    return [(start, share / total) for start, share in rows]


def is_workday(day: dt.date) -> bool:
    """The State Council calendar (chinese_calendar) where it has the year, else Monday to Friday."""
    try:
        import chinese_calendar
        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() < 5


def working_days(start: dt.date, days: int) -> list[tuple[dt.date, bool]]:
    """Each working day in [start, start + days) with whether it is the month's filing deadline."""
    out: list[tuple[dt.date, bool]] = []
    deadline_done: set[tuple[int, int]] = set()
    for i in range(days):
        day = start + dt.timedelta(days=i)
        if not is_workday(day):
            continue
        month = (day.year, day.month)
        deadline = day.day >= 15 and month not in deadline_done
        if deadline:
            deadline_done.add(month)
        out.append((day, deadline))
    return out
