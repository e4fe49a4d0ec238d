"""Workforce planning's history (engine.store.wfm) equals the service-level reports' figures, on SQLite and
PostgreSQL: the hand-made day of tests/integration/reports/day_fixture.py written on the demo center through the
engine's normal path (engine.store.calllog.append), and the same day a week later."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from pytest import approx

from engine.domain.staffing import estimate_patience
from engine.reports.definitions import Definitions
from engine.reports.periods import day_range, local_midnight
from engine.reports.queries import call_report
from engine.store import wfm
from engine.store.calllog import append
from tests.integration.reports.day_fixture import DAY, entries

WEEK_LATER = DAY + dt.timedelta(days=7)


def _write(session, shift_days: int) -> None:
    shift = shift_days * 86400
    for e in entries():
        append(session, dataclasses.replace(e, at=e.at + shift,
                                            queued_at=None if e.queued_at is None else e.queued_at + shift))
        session.commit()


@pytest.fixture
def session(sessions):
    with sessions() as s:
        _write(s, 0)
        _write(s, 7)
        yield s


def _report(session, day, grain, **where):
    return call_report(session, *day_range(day, day), grain, "all", Definitions(), where=where or None)


def _report_rows(session, day, queue):
    """{interval start: requests} of the 15-minute report, all queues or per queue (the report's queue rows)."""
    if queue is None:
        rows = _report(session, day, "interval").rows
    else:
        rows = [r for r in call_report(session, *day_range(day, day), "interval", "queue", Definitions()).rows
                if r.key == queue]
    return {r.period_start: r.figures["requests"] for r in rows if r.figures["requests"]}


@pytest.mark.parametrize("queue", [None, "tax", "etax"])
def test_calls_per_interval_are_the_reports_requests(session, queue):
    h = wfm.history(session, DAY - dt.timedelta(days=3), WEEK_LATER, queue)
    # observed from the first day with any rollup (the fixture day), days without calls in between count as 0
    assert h.first == DAY and min(h.calls) == DAY and max(h.calls) == WEEK_LATER and len(h.calls) == 8
    assert all(len(v) == wfm.INTERVALS for v in h.calls.values())
    where = {"queue": queue} if queue else {}
    for day in (DAY, WEEK_LATER):
        got = {local_midnight(day) + i * 900: n for i, n in enumerate(h.calls[day]) if n}
        assert got == _report_rows(session, day, queue)
        assert sum(h.calls[day]) == _report(session, day, "day", **where).total.figures["requests"]
    assert sum(h.calls[DAY + dt.timedelta(days=1)]) == 0


def test_hand_counted_requests_and_handling(session):
    h = wfm.history(session, DAY, DAY)
    nine = 9 * 4                                    # the 09:00 interval: C1, C2, C3 (queued 09:14:50)
    assert h.calls[DAY][nine:nine + 4] == (3, 1, 2, 0)   # 09:15 C4; 09:30 C5 and C6 (its rewait is no request)
    assert sum(h.calls[DAY]) == 8
    tax = wfm.history(session, DAY, DAY, "tax")
    assert sum(tax.calls[DAY]) == 8                 # C1 C2 C3 C4 C5 C10, C6 sent back and C7 overflowed into tax
    # AHT: talk (hold included) + wrap-up per call handled, as the report's aht_s
    total = _report(session, DAY, "day").total.figures
    assert wfm.overall_aht(h) == approx(total["aht_s"])
    assert wfm.overall_aht(h) == approx((300 + 30 + 240 + 30 + 80 + 20 + 240 + 30 + 120) / 5)
    aht = wfm.interval_aht(h)
    assert aht[nine] == approx((300 + 30 + 240 + 30) / 2)          # C1 and C3 counted at 09:00
    assert aht[3] == approx(wfm.overall_aht(h))                    # 00:45: nobody handled a call then


def test_patience_from_the_waits_of_the_rollups(session):
    h = wfm.history(session, DAY, WEEK_LATER)
    f = _report(session, DAY, "day").total.figures
    assert h.waited == 2 * f["waited"] and h.abandoned == 2 * f["abandoned"] == 4
    assert h.waited_ms == approx(2 * f["queue_time_s"] * 1000)
    assert wfm.patience(h) == approx(estimate_patience(2 * f["queue_time_s"], 4))
    assert wfm.patience(h) == approx((8 + 20 + 40 + 330 + 20 + 3 + 60 + 600) / 2)   # per day: 1081 s / 2 abandons
    assert wfm.patience(h.since(WEEK_LATER)) == approx(wfm.patience(h))
    assert sum(sum(v) for v in h.since(WEEK_LATER).calls.values()) == 8


def test_the_demo_without_history_is_empty(sessions):
    with sessions() as s:
        h = wfm.history(s, DAY, WEEK_LATER)
        assert h.empty and h.calls == {} and wfm.overall_aht(h) is None and wfm.patience(h) is None
