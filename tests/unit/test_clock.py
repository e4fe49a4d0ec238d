"""engine.clock: the wall clock is time/gevent themselves; the accelerated clock starts at the day it is given and
runs 1/scale times as fast, its timers and sleeps in scaled wall-clock time."""
from __future__ import annotations

import time

import gevent
import pytest

from engine.clock import REAL, ScaledClock, for_scale


def test_the_real_clock_is_the_wall_clock():
    assert REAL.now is time.time and REAL.monotonic is time.monotonic and REAL.sleep is gevent.sleep
    assert REAL.real(2.5) == 2.5 and REAL.real(-1) == 0.0 and not REAL.accelerated


def test_an_accelerated_clock_starts_on_its_day_and_runs_faster():
    day = 1796688000.0                      # 2026-12-08 08:00 +08:00
    clock = ScaledClock(0.01, start=day)
    assert clock.accelerated and clock.now() == pytest.approx(day, abs=0.5)
    m0, t0 = clock.monotonic(), time.monotonic()
    gevent.sleep(0.05)
    elapsed = time.monotonic() - t0
    assert clock.now() - day == pytest.approx(elapsed / 0.01, rel=0.2)
    assert clock.monotonic() - m0 == pytest.approx(elapsed / 0.01, rel=0.2)


def test_timers_and_sleeps_take_the_scaled_wall_time():
    clock = ScaledClock(0.01)
    fired = []
    t0 = time.monotonic()
    clock.timer(5.0, lambda: fired.append(time.monotonic() - t0))       # 5 virtual s = 50 ms
    g = clock.spawn_later(3.0, lambda: time.monotonic() - t0)
    clock.sleep(10.0)
    assert fired and fired[0] == pytest.approx(0.05, abs=0.03)
    assert g.value == pytest.approx(0.03, abs=0.03)
    start = clock.now()
    clock.sleep_until(start + 4.0)
    assert clock.now() - start == pytest.approx(4.0, abs=2.0)


def test_a_cancelled_timer_never_fires():
    clock = ScaledClock(0.01)
    fired = []
    t = clock.timer(1.0, fired.append, 1)
    t.close()
    gevent.sleep(0.03)
    assert fired == []


def test_the_switchs_time_scale_alone_keeps_wall_clock_dates():
    assert for_scale(1.0) is REAL
    clock = for_scale(0.05)
    assert clock.real(20.0) == pytest.approx(1.0) and not clock.accelerated
    assert clock.now() == pytest.approx(time.time(), abs=0.05)
    with pytest.raises(ValueError):
        ScaledClock(0)


def test_a_guard_against_a_silent_switch_waits_its_wall_clock_time_even_when_accelerated():
    """A twin at ×100 on a busy machine: the offer guard (ring time + 10 s) must not give up on the switch after
    100 ms of wall clock (the switch's latency is wall-clock time); a business timer (wrap-up) stays scaled."""
    from engine.domain.commands import StartTimer
    from engine.domain.events import TimerFired
    from engine.runtime import Runtime

    fired: dict[str, float] = {}

    class Center:
        def handle(self, event):
            if isinstance(event, TimerFired):
                fired[event.key] = time.monotonic()
            return []

    clock = ScaledClock(0.01, start=time.time())
    runtime = Runtime(Center(), lambda _c: None, lambda _b: None, clock=clock)
    runtime.start()
    try:
        began = time.monotonic()
        runtime._dispatch(StartTimer("wrapup:1", 5.0))                         # 50 ms of wall clock
        runtime._dispatch(StartTimer("offer:job", 5.0, wall_min=0.3))          # at least 300 ms of wall clock
        gevent.sleep(0.6)
    finally:
        runtime.stop()
    assert 0.03 <= fired["wrapup:1"] - began < 0.25
    assert fired["offer:job"] - began >= 0.3
    # with the wall clock the guard's own delay decides
    assert REAL.virtual(0.3) == 0.3
