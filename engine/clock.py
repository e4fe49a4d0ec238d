"""One clock for the engine and the simulated switch: the wall clock, or an accelerated one (the digital twin).

Everything that decides *when* — the core loop's timers (ring guard, queue steps and maximum wait, wrap-up,
retries), the timestamps the engine stamps on events it makes itself (timer fired, originate failed, switch
synced…), and on the simulated switch every duration it plays out and every timestamp it puts on an event —
asks the clock it was given instead of `time`/`gevent`. The clock is passed in (Engine(clock=…),
SimSwitch(clock=…)), never patched in globally.

* `RealClock`: the wall clock; its methods are the `time`/`gevent` functions themselves, so nothing changes in
  behaviour or cost.
* `ScaledClock(scale, start)`: virtual time that starts at `start` (epoch seconds, e.g. 08:00 of a forecast day)
  and runs 1/scale times faster than the wall clock (scale 0.01: a simulated hour in 36 s). It is an affine map
  of the wall clock, so gevent still does the waiting: a virtual duration d is a wall duration d × scale.
  Timestamps the engine writes to the database (call records, state changes) come from event times, which come
  from this clock on both sides: a twin run of a past or a future day writes records dated that day.

Processing time is magnified by 1/scale (10 ms of wall clock are 1 virtual second at scale 0.01): an accelerated
run is as precise as the engine is fast compared to the scale (docs/twin.md).
"""
from __future__ import annotations

import time

import gevent


class RealClock:
    """The wall clock (epoch seconds), gevent's sleep and timers."""

    scale = 1.0
    accelerated = False
    now = staticmethod(time.time)
    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(gevent.sleep)

    @staticmethod
    def real(seconds: float) -> float:
        """Wall-clock seconds of a duration on this clock."""
        return max(0.0, float(seconds))

    def timer(self, seconds: float, callback, *args):
        """A hub loop timer calling callback(*args) in the hub after `seconds`; close() cancels it (cheaper than a
        greenlet: most timers of a call are cancelled before they fire)."""
        loop = gevent.get_hub().loop
        loop.update_now()       # the loop's cached time may be behind (a busy greenlet): count from now, not then
        t = loop.timer(self.real(seconds))
        t.start(callback, *args)
        return t

    def spawn_later(self, seconds: float, fn, *args, **kw) -> gevent.Greenlet:
        """fn(*args, **kw) in a greenlet after `seconds`."""
        return gevent.spawn_later(self.real(seconds), fn, *args, **kw)

    def virtual(self, wall_seconds: float) -> float:
        """Seconds on this clock of a wall-clock duration."""
        return float(wall_seconds) / self.scale

    def sleep_until(self, at: float) -> None:
        """Sleep until `at` (epoch seconds on this clock); at once when it is past."""
        self.sleep(max(0.0, at - self.now()))

    def __repr__(self) -> str:
        return "RealClock()"


class ScaledClock(RealClock):
    """Virtual time from `start` (epoch seconds; default: now) running 1/scale times as fast as the wall clock.

    wall_dates=True keeps the wall clock's dates (now() is time.time()) and scales durations only: the simulated
    switch's historical `--time-scale` for a controller that runs in real time (its timestamps must stay on the
    controller's clock)."""

    accelerated = True

    def __init__(self, scale: float, start: float | None = None, wall_dates: bool = False):
        if not scale > 0:
            raise ValueError(f"the time scale must be positive, not {scale!r}")
        self.scale = float(scale)
        self.wall_dates = wall_dates
        self._mono0 = time.monotonic()
        self.start = time.time() if start is None else float(start)
        if wall_dates:
            self.now = time.time            # instance attributes: no per-call dispatch on the flag
        self.accelerated = not wall_dates and self.scale != 1.0

    def now(self) -> float:             # type: ignore[override]
        """Virtual epoch seconds."""
        return self.start + (time.monotonic() - self._mono0) / self.scale

    def monotonic(self) -> float:       # type: ignore[override]
        """Virtual seconds on a monotonic scale (differences are virtual durations)."""
        return time.monotonic() / self.scale

    def real(self, seconds: float) -> float:    # type: ignore[override]
        return max(0.0, float(seconds) * self.scale)

    def sleep(self, seconds: float = 0.0) -> None:  # type: ignore[override]
        gevent.sleep(self.real(seconds))

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale:g}, start={self.start:.0f}, wall_dates={self.wall_dates})"


REAL = RealClock()


def for_scale(time_scale: float) -> RealClock:
    """The simulated switch's clock for a `--time-scale` alone: the wall clock at 1, else durations scaled with
    wall-clock dates (its behaviour before the shared clock)."""
    return REAL if float(time_scale) == 1.0 else ScaledClock(time_scale, wall_dates=True)
