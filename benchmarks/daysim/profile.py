"""The traffic profile every simulation uses (/work/shared/traffic/README.md), in one overridable place."""
from __future__ import annotations

import csv
import dataclasses
import math
import os
import random
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_CSV = Path("/work/shared/traffic/12366-workday.csv")
PACKAGED_CSV = PROJECT_ROOT / "engine" / "fsim" / "data" / "12366-workday.csv"
DAY_START_S = 8 * 3600          # 08:00
DAY_END_S = 18 * 3600           # 18:00
HALF_HOUR_S = 1800


def default_csv() -> Path:
    """The shared profile, or the copy shipped with the simulator when the shared folder is absent."""
    override = os.environ.get("DAYSIM_PROFILE_CSV")
    if override:
        return Path(override)
    return SHARED_CSV if SHARED_CSV.exists() else PACKAGED_CSV


@dataclasses.dataclass(frozen=True)
class QueueTraffic:
    """One business line of the menu: the key, its queue/skill, its share of calls and its talk time."""

    key: str
    queue: str
    name: str
    share: float
    talk_mean_s: float
    wrap_up_s: float


@dataclasses.dataclass(frozen=True)
class Profile:
    """Planning assumptions of a provincial 12366 center on a workday (README of /work/shared/traffic)."""

    half_hours: tuple[tuple[int, float], ...]     # (start, seconds since midnight; share of the day's calls)
    calls_per_day: float = 5000.0
    deadline_factor: float = 1.8
    queues: tuple[QueueTraffic, ...] = (
        QueueTraffic("1", "tax_policy", "税收政策", 0.55, 280.0, 50.0),
        QueueTraffic("2", "etax", "电子税务局与发票", 0.30, 360.0, 60.0),
        QueueTraffic("3", "social_fee", "社保费", 0.15, 240.0, 40.0),
    )
    no_input_share: float = 0.05        # press nothing: the menu's default (tax_policy), part of its 55 %
    talk_cv: float = 0.6
    patience_mean_s: float = 180.0
    no_answer_share: float = 0.01       # of offers
    answer_delay_s: tuple[float, float] = (2.0, 6.0)   # an agent picks up after this long (per phone)

    def volume(self, deadline_day: bool) -> float:
        return self.calls_per_day * (self.deadline_factor if deadline_day else 1.0)

    def rate(self, t: float, deadline_day: bool = False) -> float:
        """Arrivals per second at t (seconds since midnight): the half hour's share of the day's volume."""
        for start, share in self.half_hours:
            if start <= t < start + HALF_HOUR_S:
                return self.volume(deadline_day) * share / HALF_HOUR_S
        return 0.0

    def expected_calls(self, start: float, end: float, deadline_day: bool = False) -> float:
        total = 0.0
        for hh, share in self.half_hours:
            overlap = max(0.0, min(end, hh + HALF_HOUR_S) - max(start, hh))
            total += self.volume(deadline_day) * share * overlap / HALF_HOUR_S
        return total


def load_profile(path: str | os.PathLike | None = None, calls_per_day: float | None = None) -> Profile:
    """Read the half-hour shares from the CSV (columns interval_start, share_pct)."""
    path = Path(path) if path else default_csv()
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hh, mm = row["interval_start"].split(":")
            rows.append((int(hh) * 3600 + int(mm) * 60, float(row["share_pct"]) / 100.0))
    total = sum(share for _, share in rows)
    rows = [(start, share / total) for start, share in rows]       # shares sum to exactly 1
    return Profile(tuple(rows), **({"calls_per_day": calls_per_day} if calls_per_day else {}))


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A lognormal sample with this mean and coefficient of variation."""
    sigma = math.sqrt(math.log(1 + cv * cv))
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


@dataclasses.dataclass(frozen=True)
class Caller:
    """One planned call: when, what the caller presses, how long they wait and talk."""

    at: float               # seconds since midnight (simulated)
    digits: str             # "" = presses nothing
    queue: str
    patience_s: float       # in the queue (the IVR time is added when the call is placed)
    talk_s: float


def arrivals(profile: Profile, start: float, end: float, rng: random.Random, deadline_day: bool = False,
             volume_factor: float = 1.0) -> list[Caller]:
    """Poisson arrivals within each half hour (rate from its share), with each caller's choices drawn."""
    out: list[Caller] = []
    for hh, _ in profile.half_hours:
        lo, hi = max(start, hh), min(end, hh + HALF_HOUR_S)
        if lo >= hi:
            continue
        rate = profile.rate(hh, deadline_day) * volume_factor
        t = lo
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= hi:
                break
            out.append(draw_caller(profile, t, rng))
    return out


def draw_caller(profile: Profile, t: float, rng: random.Random) -> Caller:
    r, acc = rng.random(), 0.0
    line = profile.queues[-1]
    for q in profile.queues:
        acc += q.share
        if r < acc:
            line = q
            break
    digits = line.key
    if line is profile.queues[0] and rng.random() < profile.no_input_share / line.share:
        digits = ""             # the 5 % who press nothing land in the default queue (tax_policy)
    return Caller(t, digits, line.queue, rng.expovariate(1 / profile.patience_mean_s),
                  lognormal(rng, line.talk_mean_s, profile.talk_cv))


def hhmm(t: float) -> str:
    t = int(round(t))
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def parse_hhmm(text: str) -> float:
    hh, _, mm = text.partition(":")
    return int(hh) * 3600 + int(mm or 0) * 60
