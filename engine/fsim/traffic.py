"""Demo/load traffic: Poisson arrivals (flat rate or the half-hour 12366 profile), menu choices, patience, talk."""
import csv
import logging
import math
import os
import random

import gevent

logger = logging.getLogger(__name__)

PROFILE_CSV = os.path.join(os.path.dirname(__file__), "data", "12366-workday.csv")
# /work/shared/traffic/README.md: menu 1/2/3 = 55/30/15 %, 5 % press nothing; talk lognormal CV 0.6
MENU = (("1", 0.55, 280.0), ("2", 0.30, 360.0), ("3", 0.15, 240.0))
NO_INPUT_SHARE = 0.05
PATIENCE_MEAN = 180.0
TALK_CV = 0.6


def load_profile(path=PROFILE_CSV, deadline_day=False):
    """[(interval_start 'HH:MM', calls in that half hour)] from the CSV."""
    col = "calls_deadline_day" if deadline_day else "calls_normal_day"
    with open(path, newline="") as f:
        return [(row["interval_start"], int(row[col])) for row in csv.DictReader(f)]


def lognormal(rng, mean, cv=TALK_CV):
    """Lognormal sample with the given mean and coefficient of variation."""
    sigma = math.sqrt(math.log(1 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2
    return rng.lognormvariate(mu, sigma)


class TrafficGenerator:
    """Places calls on a SimSwitch: Poisson arrivals at `calls_per_minute` (or the CSV profile)."""

    def __init__(self, sim, dids=("12366",), calls_per_minute=None, profile=None, seed=None, deadline_day=False):
        self.sim = sim
        self.dids = list(dids)
        self.calls_per_minute = calls_per_minute
        self.profile = profile if profile is not None else (None if calls_per_minute else load_profile(
            deadline_day=deadline_day))
        self.rng = random.Random(seed)
        self.greenlet = None
        self.placed = 0
        self.refused = 0      # calls the switch turned away (503: session rate / max-sessions), not placed

    def caller(self):
        """One caller's script: (digits, patience, talk_time)."""
        if self.rng.random() < NO_INPUT_SHARE:
            digits, talk_mean = "", MENU[0][2]
        else:
            r, acc = self.rng.random(), 0.0
            digits, talk_mean = MENU[-1][0], MENU[-1][2]
            for d, share, mean in MENU:
                acc += share
                if r < acc:
                    digits, talk_mean = d, mean
                    break
        return digits, self.rng.expovariate(1.0 / PATIENCE_MEAN), lognormal(self.rng, talk_mean)

    def _rate_per_second(self, elapsed):
        if self.calls_per_minute:
            return self.calls_per_minute / 60.0
        idx = int(elapsed // 1800) % len(self.profile)
        return self.profile[idx][1] / 1800.0

    def run(self):
        """Arrival loop (simulated seconds, scaled by the switch's time_scale)."""
        elapsed = 0.0
        while True:
            rate = self._rate_per_second(elapsed)
            gap = self.rng.expovariate(rate) if rate > 0 else 60.0
            self.sim.sleep(gap)
            elapsed += gap
            digits, patience, talk = self.caller()
            ani = "138%08d" % self.rng.randrange(10 ** 8)
            try:
                uuid = self.sim.place_call(did=self.rng.choice(self.dids), ani=ani, digits=digits,
                                           patience=patience, talk_time=talk)
                if uuid is None:
                    self.refused += 1
                else:
                    self.placed += 1
            except Exception:
                logger.exception("placing a demo call failed")

    def start(self):
        self.greenlet = gevent.spawn(self.run)
        return self

    def stop(self):
        if self.greenlet is not None:
            self.greenlet.kill(block=False)
