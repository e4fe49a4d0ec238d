"""Workforce planning's history, read from the call rollups (issue 17): calls per local 15-minute interval per day,
their handling time and the callers' measured patience, for engine.domain.forecast and engine.domain.staffing.

The figures are the service-level reports' own (engine.reports.queries, docs/reports.md), so the forecast's
history equals what the reports show for the same days:

* calls = **requests for an agent** (人工请求): `queued` entries; for one queue also the calls overflowed or sent
  back into it (every wait counts per queue), for all queues one caller's call counts once;
* AHT = (talk, hold included, + wrap-up) / calls handled (`talk_ended` entries);
* patience (Erlang A) = total queue time of every call that waited / abandoned calls (staffing.estimate_patience;
  the rollups keep `waited_ms`, the wait of every call that left the queue, and `abandoned`).

Attribution is the reports': a call counts in the interval in which it entered its queue. Queries go through the
ORM rollup model, so a console session scoped to some halls (admin_web.scope) reads only its halls' calls.

A day counts as observed from the first local day that has any call rollup (any queue, any figure: the center
was running) up to the last day asked for; an observed day without requests is a day with 0 calls. Days before
that first day are left out of the history (not observed), as engine.domain.forecast expects.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.staffing import estimate_patience
from engine.reports.definitions import Definitions
from engine.reports.figures import call_figures
from engine.reports.periods import DAY_S, INTERVAL_S, day_range, local
from engine.reports.queries import sums_by
from engine.store.models.reports import ReportCalls15m

INTERVALS = DAY_S // INTERVAL_S      # 96 local 15-minute intervals a day (UTC+8 has no daylight saving)
_D = Definitions()                   # requests and AHT do not depend on the configurable definitions


@dataclasses.dataclass(frozen=True)
class History:
    """What the rollups hold for a queue (None: all queues) over local days first..last (only observed days)."""

    queue_code: str | None
    first: dt.date
    last: dt.date
    calls: dict[dt.date, tuple[int, ...]]          # requests per interval (INTERVALS a day), per observed day
    talks: dict[dt.date, tuple[int, ...]]          # calls handled per interval
    handle_ms: dict[dt.date, tuple[int, ...]]      # talk (hold included) + wrap-up, ms, per interval
    waits: dict[dt.date, tuple[int, int, int]]     # per day: calls that left the queue (answered, abandoned,
    #                                                callback, voice message, released), their total wait ms, abandoned

    @property
    def waited(self) -> int:
        return sum(w[0] for w in self.waits.values())

    @property
    def waited_ms(self) -> int:
        return sum(w[1] for w in self.waits.values())

    @property
    def abandoned(self) -> int:
        return sum(w[2] for w in self.waits.values())

    @property
    def empty(self) -> bool:
        """No observed day with a request: nothing to forecast from."""
        return not any(sum(day) for day in self.calls.values())

    def day_totals(self) -> dict[dt.date, int]:
        return {d: sum(v) for d, v in self.calls.items()}

    def since(self, first: dt.date) -> "History":
        """The same history from `first` on."""
        keep = {d for d in self.calls if d >= first}
        return dataclasses.replace(self, first=max(first, self.first),
                                   waits={d: v for d, v in self.waits.items() if d in keep},
                                   calls={d: v for d, v in self.calls.items() if d in keep},
                                   talks={d: v for d, v in self.talks.items() if d in keep},
                                   handle_ms={d: v for d, v in self.handle_ms.items() if d in keep})


def first_observed_day(session: Session) -> dt.date | None:
    """The first local day with any call rollup (the center's first day of operation in these rollups)."""
    first = session.scalar(select(func.min(ReportCalls15m.bucket)))
    return None if first is None else local(int(first)).date()


def history(session: Session, first: dt.date, last: dt.date, queue_code: str | None = None) -> History:
    """Requests, handling and waits per local 15-minute interval of the days first..last (both included)."""
    observed = first_observed_day(session)
    start_day = first if observed is None else max(first, observed)
    days = ([start_day + dt.timedelta(days=i) for i in range((last - start_day).days + 1)]
            if observed is not None and start_day <= last else [])      # no rollup at all: nothing observed
    calls = {d: [0] * INTERVALS for d in days}
    talks = {d: [0] * INTERVALS for d in days}
    handle = {d: [0] * INTERVALS for d in days}
    waits = {d: [0, 0, 0] for d in days}
    if days:
        start, end = day_range(days[0], days[-1])
        where = {"queue": queue_code} if queue_code is not None else None
        for (bucket, _key), sums in sums_by(session, start, end, "interval", "all", where).items():
            t = local(bucket)
            day, slot = t.date(), (t.hour * 60 + t.minute) * 60 // INTERVAL_S
            f = call_figures(sums, _D, per_queue=queue_code is not None)
            calls[day][slot] += f["requests"]
            talks[day][slot] += sums["talks"]
            handle[day][slot] += sums["talk_ms"] + sums["wrap_ms"]
            w = waits[day]
            w[0], w[1], w[2] = w[0] + sums["waited"], w[1] + sums["waited_ms"], w[2] + sums["abandoned"]
    return History(queue_code, start_day, last, {d: tuple(v) for d, v in calls.items()},
                   {d: tuple(v) for d, v in talks.items()}, {d: tuple(v) for d, v in handle.items()},
                   {d: (w[0], w[1], w[2]) for d, w in waits.items()})


def overall_aht(h: History) -> float | None:
    """Handling time per call handled over the whole history, seconds (None: no call handled)."""
    talks = sum(sum(v) for v in h.talks.values())
    return sum(sum(v) for v in h.handle_ms.values()) / talks / 1000.0 if talks else None


def interval_aht(h: History) -> list[float | None]:
    """AHT per interval of the day (seconds) over the history's days; an interval without a call handled takes
    the history's overall AHT (None for every interval when no call was handled at all)."""
    overall = overall_aht(h)
    out: list[float | None] = []
    for i in range(INTERVALS):
        talks = sum(v[i] for v in h.talks.values())
        out.append(sum(v[i] for v in h.handle_ms.values()) / talks / 1000.0 if talks else overall)
    return out


def patience(h: History) -> float | None:
    """Callers' mean patience (seconds) for Erlang A, by staffing.estimate_patience from the total queue time of
    every call that waited and the abandoned calls; None when no call was abandoned (or none waited)."""
    try:
        return estimate_patience(h.waited_ms / 1000.0, h.abandoned)
    except ValueError:
        return None
