"""Staffing: the agents an interval needs for a target, by Erlang C or Erlang A. Pure: stdlib only, no I/O.

Erlang C is the M/M/N queue (callers never hang up); Erlang A is Palm's M/M/N+M queue (each caller hangs up after
an exponential patience whose mean is measured, see estimate_patience). A target is one of: a service level
(X % of offered calls answered within T s), an answer rate (接通率, the share of offered calls answered; Erlang A
only: in Erlang C nobody abandons) or an average speed of answer (ASA <= w s). The productive head count N found
for an interval is grossed up for shrinkage: scheduled = ceil(N / (1 - shrinkage)).

Every formula, its source and its derivation are in docs/staffing.md. Times are seconds, rates per second.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Hashable, Iterable
from typing import Literal, Union

Model = Literal["C", "A"]
AbandonTreatment = Literal["include", "exclude", "exclude_short"]

_EPS = 1e-16                 # relative precision of the series and continued fraction
_TINY = 1e-300               # Lentz's guard against a zero denominator
_MAX_TERMS = 10_000_000      # no series here needs that many terms for any realistic call center
_MAX_AGENTS = 1_000_000
_SLACK = 1e-12               # a target met to within rounding counts as met


@dataclasses.dataclass(frozen=True)
class ServiceLevelTarget:
    """At least `level` (0-1) of the calls answered within `seconds`; abandons counted as in docs/reports.md."""

    level: float
    seconds: float
    abandons: AbandonTreatment = "include"      # include: of all offered; exclude: of answered; exclude_short: of
    short_abandon_seconds: float = 0.0          # offered less the calls that hung up within short_abandon_seconds


@dataclasses.dataclass(frozen=True)
class AnswerRateTarget:
    """接通率: at least `rate` (0-1) of the offered calls answered (the rest hang up while waiting)."""

    rate: float


@dataclasses.dataclass(frozen=True)
class AverageWaitTarget:
    """Average speed of answer (mean wait of the answered calls) at most `seconds`."""

    seconds: float


Target = Union[ServiceLevelTarget, AnswerRateTarget, AverageWaitTarget]


@dataclasses.dataclass(frozen=True)
class QueueMetrics:
    """What N agents deliver in steady state. Shares are 0-1, times seconds."""

    model: Model
    agents: int
    arrival_rate: float          # calls per second
    aht: float                   # average handling time
    patience_mean: float | None  # Erlang A only
    traffic: float               # offered load in erlangs: arrival rate x AHT
    p_wait: float                # share of calls that find every agent busy
    p_abandon: float             # share of calls that hang up before an agent answers (0 in Erlang C)
    answer_rate: float           # 接通率: 1 - p_abandon
    asa: float                   # mean wait of the answered calls
    mean_wait: float             # mean wait of all offered calls (abandoned ones until they hung up)
    occupancy: float             # share of agent time spent on calls: answered load / N

    def service_level(self, seconds: float, abandons: AbandonTreatment = "include",
                      short_abandon_seconds: float = 0.0) -> float:
        """Share of calls answered within `seconds`, over the base the abandon treatment names."""
        if self.model == "C":                    # nobody abandons: every treatment gives the same share
            return service_level(self.traffic, self.agents, self.aht, seconds)
        return erlang_a_service_level(self.arrival_rate, self.aht, self.patience_mean, self.agents, seconds,
                                      abandons, short_abandon_seconds)


@dataclasses.dataclass(frozen=True)
class Staffing:
    """The answer for one interval: N on the phones, and the head count to schedule for it."""

    agents: int                  # productive agents the target needs
    scheduled: int               # ceil(agents / (1 - shrinkage))
    shrinkage: float
    metrics: QueueMetrics | None  # at `agents`; None when no calls are expected


@dataclasses.dataclass(frozen=True)
class IntervalForecast:
    """Calls expected in one interval (15 minutes unless told otherwise) and their handling time."""

    volume: float
    aht: float
    start: Hashable = None            # the caller's label, e.g. the interval's start time; passed through
    patience_mean: float | None = None  # overrides the run's patience for this interval (Erlang A)


@dataclasses.dataclass(frozen=True)
class IntervalStaffing:
    """One interval's forecast with its staffing."""

    forecast: IntervalForecast
    staffing: Staffing


# --- Erlang B and C ---------------------------------------------------------------------------------------------

def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of M/M/N/N by the recurrence B(0)=1, B(n) = A·B(n-1) / (n + A·B(n-1)): no factorials."""
    _check_non_negative("the traffic", traffic)
    _check_agents(agents, minimum=0)
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, agents: int) -> float:
    """P(wait > 0) in M/M/N: C = N·B / (N - A·(1 - B)), B = Erlang B; needs N > A (else the queue never empties)."""
    _check_non_negative("the traffic", traffic)
    _check_agents(agents, minimum=1)
    if agents <= traffic:
        raise ValueError(
            f"Erlang C has no answer with {agents} agents for {traffic:.6g} erlangs: with N <= A the queue grows "
            f"without bound; use at least {math.floor(traffic) + 1} agents, or Erlang A (callers abandon)")
    b = erlang_b(traffic, agents)
    return agents * b / (agents - traffic * (1.0 - b))


def service_level(traffic: float, agents: int, aht: float, seconds: float) -> float:
    """Erlang C share of calls answered within `seconds`: 1 - C·exp(-(N - A)·T / AHT)."""
    _check_positive("AHT", aht)
    _check_non_negative("the service-level time", seconds)
    return 1.0 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * seconds / aht)


def asa(traffic: float, agents: int, aht: float) -> float:
    """Erlang C average speed of answer: C·AHT / (N - A)."""
    _check_positive("AHT", aht)
    return erlang_c(traffic, agents) * aht / (agents - traffic)


def erlang_c_metrics(arrival_rate: float, aht: float, agents: int) -> QueueMetrics:
    """All Erlang C figures for N agents (nobody abandons: answer rate 1, ASA = mean wait)."""
    _check_non_negative("the arrival rate", arrival_rate)
    _check_positive("AHT", aht)
    traffic = arrival_rate * aht
    wait = asa(traffic, agents, aht)
    return QueueMetrics("C", agents, arrival_rate, aht, None, traffic, erlang_c(traffic, agents), 0.0, 1.0,
                        wait, wait, traffic / agents)


# --- Erlang A (M/M/N+M) -------------------------------------------------------------------------------------------

def erlang_a(arrival_rate: float, aht: float, patience_mean: float | None, agents: int) -> QueueMetrics:
    """Erlang A figures for N agents (Mandelbaum & Zeltyn; derivations in docs/staffing.md).

    With x = Nμ/θ, y = λ/θ, ρ = λ/(Nμ), A(x,y) = x·e^y·y^(-x)·γ(x,y) and B = Erlang B(N, λ/μ):
    P(W>0) = A·B / (1 + (A-1)·B);  P(Ab) = P(W>0)·(1/(ρA) + 1 - 1/ρ);  mean wait E[W] = P(Ab)/θ;
    ASA = E[W; served] / P(served) with E[W; served] = (Nμ·π_N/θ²)·Σ_m c_m·H_m (see _served_wait)."""
    q = _ErlangA(arrival_rate, aht, patience_mean, agents)
    served = 1.0 - q.p_abandon
    occupancy = min(1.0, arrival_rate * served * aht / agents)
    return QueueMetrics("A", agents, arrival_rate, aht, patience_mean, q.traffic, q.p_wait, q.p_abandon, served,
                        q.asa(), q.p_abandon * q.patience, occupancy)


def erlang_a_service_level(arrival_rate: float, aht: float, patience_mean: float | None, agents: int,
                           seconds: float, abandons: AbandonTreatment = "include",
                           short_abandon_seconds: float = 0.0) -> float:
    """Erlang A share answered within `seconds`: of offered (include), of answered (exclude), or of offered less
    the calls that hung up within short_abandon_seconds (exclude_short), as docs/reports.md counts them."""
    _check_non_negative("the service-level time", seconds)
    q = _ErlangA(arrival_rate, aht, patience_mean, agents)
    within = q.answered_within(seconds)
    if abandons == "include":
        return within
    if abandons == "exclude":
        return within / (1.0 - q.p_abandon)
    if abandons == "exclude_short":
        _check_non_negative("the short-abandon time", short_abandon_seconds)
        return within / (1.0 - q.abandoned_within(short_abandon_seconds))
    raise ValueError(f"unknown abandon treatment {abandons!r}: use 'include', 'exclude' or 'exclude_short'")


def estimate_patience(total_wait_seconds: float, abandoned_calls: int) -> float:
    """Mean patience from measured calls: θ = P(Ab)/E[W], i.e. total queue time of ALL calls that waited
    (answered and abandoned) / number abandoned (Mandelbaum & Zeltyn §4.6 and §5; the exponential MLE)."""
    _check_non_negative("the total wait", total_wait_seconds)
    if abandoned_calls <= 0:
        raise ValueError("no abandoned calls measured: patience cannot be estimated (use Erlang C)")
    if total_wait_seconds == 0:
        raise ValueError("calls abandoned without waiting: patience would be 0, Erlang A needs a positive one")
    return total_wait_seconds / abandoned_calls


class _ErlangA:
    """The M/M/N+M quantities shared by the Erlang A figures, computed once."""

    def __init__(self, arrival_rate: float, aht: float, patience_mean: float | None, agents: int) -> None:
        _check_non_negative("the arrival rate", arrival_rate)
        _check_positive("AHT", aht)
        if patience_mean is None:
            raise ValueError("Erlang A needs the callers' mean patience (see estimate_patience)")
        _check_positive("the mean patience", patience_mean)
        _check_agents(agents, minimum=1)
        self.patience, self.agents, self.traffic = patience_mean, agents, arrival_rate * aht
        self.theta = 1.0 / patience_mean
        self.n_mu = agents / aht
        self.x, self.y = self.n_mu / self.theta, arrival_rate / self.theta
        self.rho = arrival_rate / self.n_mu
        if arrival_rate == 0:
            self.p_wait = self.p_abandon = self.pi_n = 0.0
            self.log_pi_n = -math.inf
            return
        log_a = _log_a(self.x, self.y)
        inv_a = math.exp(-log_a)                  # A itself overflows when callers outnumber agents by far
        b = erlang_b(self.traffic, agents)
        # P(W>0) = A·B / (1 + (A-1)·B), written as 1 / (1 + (1/B - 1)/A) so a huge A or tiny B cannot overflow
        self.p_wait = 0.0 if b == 0 else 1.0 / (1.0 + (1.0 / b - 1.0) * inv_a)
        self.pi_n = self.p_wait * inv_a                              # P(all N busy, nobody waiting)
        self.log_pi_n = math.log(self.p_wait) - log_a if self.p_wait else -math.inf
        self.p_abandon = max(0.0, self.p_wait * (inv_a / self.rho + 1.0 - 1.0 / self.rho))

    def answered_within(self, t: float) -> float:
        """P(answered within t) = 1 - P(W>0) + π_N·((A-1)/ρ)·(1 - P(x+1, y·e^(-θt)) / P(x+1, y))."""
        if self.p_wait == 0:
            return 1.0
        ratio = math.exp(_log_reg_lower_gamma(self.x + 1, self.y * math.exp(-self.theta * t))
                         - _log_reg_lower_gamma(self.x + 1, self.y)) if t > 0 else 1.0
        return 1.0 - self.p_wait + (self.p_wait - self.pi_n) / self.rho * (1.0 - ratio)

    def abandoned_within(self, s: float) -> float:
        """P(hung up within s) = P(W>0)/(y·P(x,y)) · (F(y) - F(y·e^(-θs))), F(w) = w·P(x,w) - x·P(x+1,w)."""
        if self.p_wait == 0 or s <= 0:
            return 0.0
        x, y = self.x, self.y
        log_p_xy = _log_reg_lower_gamma(x, y)    # P(x,y) itself underflows for long patience: work in ratios

        def f(w: float) -> float:                # F(w) / (y·P(x,y))
            return (w / y * math.exp(_log_reg_lower_gamma(x, w) - log_p_xy)
                    - x / y * math.exp(_log_reg_lower_gamma(x + 1, w) - log_p_xy))
        return max(0.0, self.p_wait * (f(y) - f(y * math.exp(-self.theta * s))))

    def asa(self) -> float:
        """Mean wait of the answered calls."""
        if self.p_wait == 0:
            return 0.0
        return _served_wait(self.x, self.y, self.n_mu, self.theta, self.log_pi_n) / (1.0 - self.p_abandon)


def _log_a(x: float, y: float) -> float:
    """ln A(x,y), A = x·e^y·y^(-x)·γ(x,y) (Mandelbaum & Zeltyn §4.4), via the regularized incomplete gamma."""
    return math.log(x) + y - x * math.log(y) + math.lgamma(x) + _log_reg_lower_gamma(x, y)


def _served_wait(x: float, y: float, n_mu: float, theta: float, log_pi_n: float) -> float:
    """E[W; served] = (Nμ·π_N/θ²)·Σ_{m>=0} c_m·H_m, c_m = y^m / Π_{i=1..m+1}(x+i), H_m = Σ_{i=1..m+1} 1/(x+i).

    All terms are positive; they are summed in log scale (running maximum) so y >> x cannot overflow."""
    log_c = -math.log(x + 1)
    harmonic = 1.0 / (x + 1)
    peak = log_c + math.log(harmonic)
    scaled = 1.0                                   # Σ exp(log term - peak)
    log_y = math.log(y)
    for m in range(1, _MAX_TERMS):
        log_c += log_y - math.log(x + m + 1)
        harmonic += 1.0 / (x + m + 1)
        log_term = log_c + math.log(harmonic)
        if log_term > peak:
            scaled = scaled * math.exp(peak - log_term) + 1.0
            peak = log_term
        else:
            scaled += math.exp(log_term - peak)
        if x + m + 1 > y and log_term < peak + math.log(scaled) - 40.0:   # decreasing and below e^-40 of the sum
            break
    else:
        raise ValueError("the Erlang A wait series did not converge")
    return math.exp(math.log(n_mu) + log_pi_n - 2.0 * math.log(theta) + peak + math.log(scaled))


def _log_reg_lower_gamma(a: float, z: float) -> float:
    """ln P(a, z), P = γ(a,z)/Γ(a): the series for z < a+1, else Lentz's continued fraction for Q = 1 - P
    (Press et al., Numerical Recipes, §6.2 gser/gcf). Exact to double precision for a > 0, z >= 0."""
    if z <= 0:
        return -math.inf
    log_prefix = a * math.log(z) - z - math.lgamma(a)
    if z < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(_MAX_TERMS):
            ap += 1.0
            term *= z / ap
            total += term
            if term < total * _EPS:
                return log_prefix + math.log(total)
        raise ValueError("the incomplete gamma series did not converge")
    b = z + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS * 4:
            return math.log1p(-math.exp(log_prefix) * h)
    raise ValueError("the incomplete gamma continued fraction did not converge")


# --- Staffing ---------------------------------------------------------------------------------------------------

def required_agents(volume: float, aht: float, target: Target, model: Model = "C", patience: float | None = None,
                    shrinkage: float = 0.0, interval_seconds: float = 900.0) -> Staffing:
    """The smallest N that meets `target` for `volume` calls offered in one interval, and ceil(N/(1-shrinkage)).

    The figures rise (service level, answer rate) or fall (ASA) with N, so N is found by doubling then bisection."""
    _check_non_negative("the call volume", volume)
    _check_positive("AHT", aht)
    _check_positive("the interval length", interval_seconds)
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be at least 0 and below 1 (got {shrinkage}): "
                         "at 100 % nobody scheduled is ever on the phones")
    if model not in ("C", "A"):
        raise ValueError(f"unknown model {model!r}: use 'C' (Erlang C) or 'A' (Erlang A)")
    _check_target(target, model)
    if model == "A" and patience is None:
        raise ValueError("Erlang A needs the callers' mean patience (see estimate_patience)")
    if volume == 0:
        return Staffing(0, 0, shrinkage, None)
    rate = volume / interval_seconds
    if model == "C":
        def metrics(n: int) -> QueueMetrics:
            return erlang_c_metrics(rate, aht, n)
        first = math.floor(rate * aht) + 1                    # the fewest agents with a finite Erlang C answer
    else:
        def metrics(n: int) -> QueueMetrics:
            return erlang_a(rate, aht, patience, n)
        first = 1
    n = _smallest(lambda k: _meets(metrics(k), target), first)
    return Staffing(n, _scheduled(n, shrinkage), shrinkage, metrics(n))


def staff_intervals(intervals: Iterable[IntervalForecast], target: Target, model: Model = "C",
                    patience: float | None = None, shrinkage: float = 0.0,
                    interval_seconds: float = 900.0) -> list[IntervalStaffing]:
    """required_agents for each interval of a day's forecast (15-minute intervals unless told otherwise)."""
    return [IntervalStaffing(f, required_agents(f.volume, f.aht, target, model,
                                                f.patience_mean if f.patience_mean is not None else patience,
                                                shrinkage, interval_seconds))
            for f in intervals]


def _meets(m: QueueMetrics, target: Target) -> bool:
    if isinstance(target, ServiceLevelTarget):
        return m.service_level(target.seconds, target.abandons, target.short_abandon_seconds) >= target.level - _SLACK
    if isinstance(target, AnswerRateTarget):
        return m.answer_rate >= target.rate - _SLACK
    return m.asa <= target.seconds + _SLACK


def _smallest(meets: Callable[[int], bool], first: int) -> int:
    """Smallest n >= first with meets(n), for meets monotone in n: double the step until met, then bisect."""
    below, n, step = first - 1, first, 1
    while not meets(n):
        below, n, step = n, n + step, step * 2
        if n > _MAX_AGENTS:
            raise ValueError(f"the target cannot be met with up to {_MAX_AGENTS} agents")
    while n - below > 1:
        mid = (below + n) // 2
        below, n = (below, mid) if meets(mid) else (mid, n)
    return n


def _scheduled(agents: int, shrinkage: float) -> int:
    """ceil(N / (1 - shrinkage)), forgiving float noise: 14 / 0.7 is 20.000000000000004 in binary, and means 20."""
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def _check_target(target: Target, model: Model) -> None:
    if isinstance(target, ServiceLevelTarget):
        if not 0.0 < target.level < 1.0:
            raise ValueError(f"a service level target must be above 0 and below 100 % (got {target.level:.6g}); "
                             "100 % is never reached with random arrivals")
        _check_non_negative("the service-level time", target.seconds)
        if target.abandons not in ("include", "exclude", "exclude_short"):
            raise ValueError(f"unknown abandon treatment {target.abandons!r}")
    elif isinstance(target, AnswerRateTarget):
        if model == "C":
            raise ValueError("an answer-rate (接通率) target needs Erlang A: in Erlang C nobody hangs up, "
                             "so every call is answered with any stable staffing")
        if not 0.0 < target.rate < 1.0:
            raise ValueError(f"an answer-rate target must be above 0 and below 100 % (got {target.rate:.6g})")
    elif isinstance(target, AverageWaitTarget):
        _check_positive("the average-wait target", target.seconds)
    else:
        raise ValueError(f"unknown target {target!r}")


def _check_agents(agents: int, minimum: int) -> None:
    if not isinstance(agents, int) or agents < minimum:
        raise ValueError(f"the number of agents must be a whole number of at least {minimum} (got {agents!r})")


def _check_positive(name: str, value: float) -> None:
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive number (got {value!r})")


def _check_non_negative(name: str, value: float) -> None:
    if not value >= 0 or math.isinf(value):
        raise ValueError(f"{name} must be zero or more (got {value!r})")
