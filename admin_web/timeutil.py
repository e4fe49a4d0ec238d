"""Time helpers: the store keeps UTC (SQLite hands it back naive); the console thinks in the centre's zone."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (naive values from SQLite are UTC by convention of engine.store)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now_utc() -> dt.datetime:
    """The current time, aware UTC."""
    return dt.datetime.now(UTC)


def day_range(zone: str, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the local day containing `now` in the IANA `zone`, as aware UTC datetimes.

    Takes a zone *name* and uses zoneinfo: a pytz zone passed to datetime(tzinfo=) would be off (LMT).
    """
    tz = ZoneInfo(str(zone))
    local = (now or now_utc()).astimezone(tz)
    start = dt.datetime.combine(local.date(), dt.time(), tzinfo=tz)
    end = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    """Whole seconds from start to end (None if either is missing; never negative)."""
    if start is None or end is None:
        return None
    return max(0, int((as_utc(end) - as_utc(start)).total_seconds()))


def console_today() -> tuple[dt.datetime, dt.datetime]:
    """Today in the console's time zone (Flask-Babel's), as a UTC [start, end) range; needs a request."""
    from flask_babel import get_timezone

    return day_range(str(get_timezone()))
