"""Staffing by Erlang C and Erlang A, checked against published worked examples, the M/M/N+M chain and simulation.

Erlang C: every example below is a published one; the figures are asserted to the precision the source prints.
Erlang A: no published Erlang A example with figures was found (searched: Mandelbaum & Zeltyn's Erlang-A notes,
4CallCenters, Garnett-Mandelbaum-Reiman, calculator documentation). It is checked instead by its limits
(patience -> infinity gives Erlang C, patience -> 0 gives the Erlang B loss system), by the birth-death chain solved
directly (no incomplete gamma involved), and by a seeded discrete-event simulation of M/M/N+M.
"""
import heapq
import math
import random

import pytest
from hypothesis import given, settings, strategies as st

from engine.domain.staffing import (
    AnswerRateTarget, AverageWaitTarget, IntervalForecast, ServiceLevelTarget, erlang_a, erlang_a_service_level,
    erlang_b, erlang_c, erlang_c_metrics, estimate_patience, required_agents, service_level, staff_intervals, asa)


# --- Erlang C: published worked examples ---------------------------------------------------------------------

def test_call_centre_helper_worked_example():
    # Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example",
    # https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm : 100 calls in 30 minutes, AHT 180 s,
    # 80 % in 20 s, shrinkage 30 %. Published: 14 agents, Pw = 0.1741, service level 88.8 %, ASA 7.8 s,
    # 82.6 % answered immediately, occupancy 71.4 %, 14 / 0.7 = 20 agents with shrinkage.
    staffing = required_agents(100, 180, ServiceLevelTarget(0.80, 20), shrinkage=0.30, interval_seconds=1800)
    m = staffing.metrics
    assert staffing.agents == 14 and staffing.scheduled == 20
    assert round(m.p_wait, 4) == 0.1741
    assert round(m.service_level(20) * 100, 1) == 88.8
    assert round(m.asa, 1) == 7.8
    assert round((1 - m.p_wait) * 100, 1) == 82.6
    assert round(m.occupancy * 100, 1) == 71.4
    # The same example as printed, to double precision, by pyworkforce 0.1.0's README
    # (https://pypi.org/project/pyworkforce/0.1.0/): raw_positions 14, positions 20,
    # service_level 0.8883500191794669, occupancy 0.7142857142857143, waiting_probability 0.1741319335950498.
    assert m.service_level(20) == pytest.approx(0.8883500191794669, abs=1e-15)
    assert m.occupancy == pytest.approx(0.7142857142857143, abs=1e-15)
    assert m.p_wait == pytest.approx(0.1741319335950498, abs=1e-15)
    # And by the CRAN package ErlangC 0.1.0's README (https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/
    # README.html): wait_probability 0.1741319, service_level 0.88835, average_speed_of_answer
    # "7.83593701177724s", immediate_answer_probability 0.8258681, occupancy 0.7142857; its search table starts at
    # 11 agents with wait_probability 0.6821182 and service_level 0.3896138.
    assert round(m.p_wait, 7) == 0.1741319 and round(m.service_level(20), 5) == 0.88835
    assert m.asa == pytest.approx(7.83593701177724, abs=1e-13)
    assert round(1 - m.p_wait, 7) == 0.8258681 and round(m.occupancy, 7) == 0.7142857
    assert round(erlang_c(10.0, 11), 7) == 0.6821182
    assert round(service_level(10.0, 11, 180, 20), 7) == 0.3896138


def test_westbay_mitan_erlang_c_example_of_360_calls_per_half_hour():
    # "The Erlang-C formula" (Mitan / Westbay, http://www.mitan.co.uk/erlang/elgcmath.htm): 360 calls per half
    # hour, 4-minute calls, 55 agents, 15 s target. The page itself was not readable here; its figures as quoted by
    # the worked reproduction "Expected Waiting Time Formulas in Maxima" (stored copy, which states they "agree with
    # those stated on the web page"): Ec = 0.2387, Tw = 8.184 s, P(wait <= 15 s) = 0.8459.
    traffic = 360 / 1800 * 240
    assert traffic == pytest.approx(48.0)
    assert round(erlang_c(traffic, 55), 4) == 0.2387
    assert round(asa(traffic, 55, 240), 3) == 8.184
    assert round(service_level(traffic, 55, 240, 15), 4) == 0.8459


def test_westbay_cc_excel_forum_example():
    # Westbay Engineers' support forum (erlang.com), topic "CCXLService", 12 January 2021, as stored: 21 agents,
    # 57 calls per hour of 1110 s, target 180 s -> "it says 80.7 %" (confirmed with Westbay Traffic Calculators
    # by Tom Howard, who adds that a 20-second target raises the agents required "from 21 to 23"; the thread
    # frames the requirement as 80 % of calls answered within the target time).
    assert round(service_level(57 * 1110 / 3600, 21, 1110, 180) * 100, 1) == 80.7
    assert required_agents(57, 1110, ServiceLevelTarget(0.80, 180), interval_seconds=3600).agents == 21
    assert required_agents(57, 1110, ServiceLevelTarget(0.80, 20), interval_seconds=3600).agents == 23


def test_turbotab_staffing_example_with_shrinkage():
    # turbotab on PyPI (https://pypi.org/project/turbotab/), Quick Start: "turbotab staffing required --sla 0.80
    # --service-time 20 --contacts-per-interval 25 --aht 180 --shrinkage 0.30" with interval 600 s ->
    # productive_agents 11, scheduled_agents 16.
    staffing = required_agents(25, 180, ServiceLevelTarget(0.80, 20), shrinkage=0.30, interval_seconds=600)
    assert (staffing.agents, staffing.scheduled) == (11, 16)


def test_erlang_b_recurrence_stays_finite_where_factorials_overflow():
    # 10 000 agents: 10000! overflows a double; the recurrence must agree with a log-space sum of A^k / k!.
    traffic, agents = 9_800.0, 10_000
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents + 1)]
    top = max(logs)
    direct = math.exp(logs[-1] - top) / sum(math.exp(v - top) for v in logs)
    assert erlang_b(traffic, agents) == pytest.approx(direct, rel=1e-9)
    assert 0 < erlang_c(traffic, agents) < 1


# --- Erlang A: limits -----------------------------------------------------------------------------------------

def test_erlang_a_with_endless_patience_is_erlang_c():
    c = erlang_c_metrics(0.2, 240, 55)
    a = erlang_a(0.2, 240, 1e8, 55)          # patience of three years
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-5)
    assert a.asa == pytest.approx(c.asa, rel=1e-5)
    assert a.service_level(15) == pytest.approx(c.service_level(15), rel=1e-6)
    assert a.p_abandon < 1e-7 and a.answer_rate > 1 - 1e-7


def test_erlang_a_with_no_patience_is_the_erlang_b_loss_system():
    blocked = erlang_b(48.0, 55)
    a = erlang_a(0.2, 240, 1e-6, 55)         # callers hang up the moment they would have to wait
    assert a.p_wait == pytest.approx(blocked, rel=1e-6)
    assert a.p_abandon == pytest.approx(blocked, rel=1e-6)
    assert a.answer_rate == pytest.approx(1 - blocked, rel=1e-6)
    assert a.asa < 1e-9 and a.service_level(1) == pytest.approx(1 - blocked, rel=1e-6)


def test_erlang_a_answers_where_erlang_c_has_no_steady_state():
    with pytest.raises(ValueError, match="queue grows without bound"):
        erlang_c(48.0, 48)
    with pytest.raises(ValueError, match="use at least 49 agents"):
        erlang_c_metrics(0.2, 240, 40)
    a = erlang_a(0.2, 240, 120, 40)          # 48 erlangs on 40 agents: callers abandon, the queue stays finite
    assert 0 < a.answer_rate < 40 / 48 + 1e-9          # agents can answer at most 40/48 of the offered load
    assert a.occupancy > 0.95 and math.isfinite(a.asa)


# --- Erlang A: the M/M/N+M chain solved directly ---------------------------------------------------------------

def _chain(rate, aht, patience, agents):
    """Stationary law of M/M/N+M by its birth-death balance equations, truncated where the tail is below 1e-22."""
    mu, theta = 1 / aht, 1 / patience
    logs = [j * math.log(rate / mu) - math.lgamma(j + 1) for j in range(agents + 1)]
    k = 0
    while True:
        k += 1
        logs.append(logs[-1] + math.log(rate / (agents * mu + k * theta)))
        if k > 10 and logs[-1] < max(logs) - 50:
            break
    top = max(logs)
    total = sum(math.exp(v - top) for v in logs)
    return [math.exp(v - top) / total for v in logs], mu, theta


def _chain_metrics(rate, aht, patience, agents):
    pi, mu, theta = _chain(rate, aht, patience, agents)
    n_mu = agents * mu
    waiting = pi[agents:]                        # an arrival finding k callers waiting, k = 0, 1, ...
    p_wait = sum(waiting)
    queue = sum(k * p for k, p in enumerate(waiting))
    p_abandon = theta * queue / rate             # abandons per second / arrivals per second
    served_wait = 0.0                            # E[W; served]: k+1 stages, each at rate N·mu + (j+1)·theta
    for k, p in enumerate(waiting):
        served_wait += p * n_mu / (n_mu + (k + 1) * theta) * sum(1 / (n_mu + (j + 1) * theta) for j in range(k + 1))
    return p_wait, p_abandon, served_wait / (1 - p_abandon), queue / rate, pi, n_mu, theta


def _chain_within(pi, agents, n_mu, theta, t, steps=4000):
    """P(answered within t) and P(hung up within t) by integrating, with RK4, the tagged caller's passage through
    the stages: u_j' = (N·mu + j·theta)·u_{j-1} - r_j·u_j (served), v_j' = theta + (N·mu + j·theta)·v_{j-1} -
    r_j·v_j (abandoned), r_j = N·mu + (j+1)·theta, j callers ahead, u_-1 = 1, v_-1 = 0."""
    stages = len(pi) - agents
    adv = [n_mu + j * theta for j in range(stages)]
    out = [n_mu + (j + 1) * theta for j in range(stages)]

    def deriv(u, v):
        du = [adv[j] * (u[j - 1] if j else 1.0) - out[j] * u[j] for j in range(stages)]
        dv = [theta + adv[j] * (v[j - 1] if j else 0.0) - out[j] * v[j] for j in range(stages)]
        return du, dv

    u, v, h = [0.0] * stages, [0.0] * stages, t / steps
    for _ in range(steps):
        k1 = deriv(u, v)
        k2 = deriv([a + h / 2 * b for a, b in zip(u, k1[0])], [a + h / 2 * b for a, b in zip(v, k1[1])])
        k3 = deriv([a + h / 2 * b for a, b in zip(u, k2[0])], [a + h / 2 * b for a, b in zip(v, k2[1])])
        k4 = deriv([a + h * b for a, b in zip(u, k3[0])], [a + h * b for a, b in zip(v, k3[1])])
        u = [a + h / 6 * (b + 2 * c + 2 * d + e) for a, b, c, d, e in zip(u, k1[0], k2[0], k3[0], k4[0])]
        v = [a + h / 6 * (b + 2 * c + 2 * d + e) for a, b, c, d, e in zip(v, k1[1], k2[1], k3[1], k4[1])]
    free = sum(pi[:agents])
    return free + sum(p * x for p, x in zip(pi[agents:], u)), sum(p * x for p, x in zip(pi[agents:], v))


@pytest.mark.parametrize("agents", [40, 48, 50, 60])
def test_erlang_a_equals_the_birth_death_chain(agents):
    rate, aht, patience = 0.2, 240, 120
    p_wait, p_abandon, asa_, mean_wait, *_ = _chain_metrics(rate, aht, patience, agents)
    m = erlang_a(rate, aht, patience, agents)
    assert m.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert m.p_abandon == pytest.approx(p_abandon, rel=1e-9)
    assert m.answer_rate == pytest.approx(1 - p_abandon, rel=1e-9)
    assert m.asa == pytest.approx(asa_, rel=1e-9)
    assert m.mean_wait == pytest.approx(mean_wait, rel=1e-9)


def test_erlang_a_service_levels_equal_the_chain_in_time():
    rate, aht, patience, agents = 0.05, 60, 45, 3
    *_, pi, n_mu, theta = _chain_metrics(rate, aht, patience, agents)
    within, hung_up = _chain_within(pi, agents, n_mu, theta, 10.0)
    m = erlang_a(rate, aht, patience, agents)
    assert m.service_level(10) == pytest.approx(within, abs=1e-9)
    assert m.service_level(10, "exclude") == pytest.approx(within / m.answer_rate, abs=1e-9)
    assert m.service_level(10, "exclude_short", 10) == pytest.approx(within / (1 - hung_up), abs=1e-9)
    assert m.service_level(0) == pytest.approx(1 - m.p_wait, abs=1e-12)
    assert m.service_level(1e6) == pytest.approx(m.answer_rate, abs=1e-12)


# --- Erlang A: simulation --------------------------------------------------------------------------------------

def _simulate(rate, aht, patience, agents, calls, seed, warmup=2000):
    """M/M/N+M, first come first served: each caller takes the first agent to come free unless its patience runs
    out before; callers who hang up take no agent. Returns (found all busy, abandoned, wait) per caller."""
    rng = random.Random(seed)
    free, now, out = [0.0] * agents, 0.0, []
    for i in range(calls + warmup):
        now += rng.expovariate(rate)
        patience_i = rng.expovariate(1 / patience)
        start = max(now, free[0])              # free[0]: the soonest any agent is free
        if start - now <= patience_i:
            heapq.heapreplace(free, start + rng.expovariate(1 / aht))
            caller = (start > now, False, start - now)
        else:
            caller = (True, True, patience_i)
        if i >= warmup:
            out.append(caller)
    return out


@pytest.mark.parametrize("agents", [3, 4])
def test_erlang_a_agrees_with_a_simulation_of_100k_calls(agents):
    # 3 agents for 3 erlangs is where Erlang C has no answer. Tolerances: 0.01 on shares, 3 % on waits; across
    # 8 seeds the simulated figures spread by a standard deviation of about 0.002 and 1 %.
    rate, aht, patience = 0.05, 60, 45
    calls = _simulate(rate, aht, patience, agents, 100_000, seed=17)
    n = len(calls)
    answered = [w for _, gone, w in calls if not gone]
    short = sum(1 for _, gone, w in calls if gone and w <= 5)
    within = sum(1 for w in answered if w <= 10)
    m = erlang_a(rate, aht, patience, agents)
    assert m.p_wait == pytest.approx(sum(busy for busy, _, _ in calls) / n, abs=0.01)
    assert m.p_abandon == pytest.approx(1 - len(answered) / n, abs=0.01)
    assert m.asa == pytest.approx(sum(answered) / len(answered), rel=0.03)
    assert m.mean_wait == pytest.approx(sum(w for *_, w in calls) / n, rel=0.03)
    assert m.service_level(10) == pytest.approx(within / n, abs=0.01)
    assert m.service_level(10, "exclude") == pytest.approx(within / len(answered), abs=0.01)
    assert m.service_level(10, "exclude_short", 5) == pytest.approx(within / (n - short), abs=0.01)
    # The patience estimate from what the center measures (all queue time / abandons) recovers the 45 s.
    abandoned = n - len(answered)
    assert estimate_patience(sum(w for *_, w in calls), abandoned) == pytest.approx(patience, rel=0.05)


# --- Staffing ---------------------------------------------------------------------------------------------------

def test_erlang_a_needs_fewer_agents_than_erlang_c_and_meets_each_kind_of_target():
    volume, aht, patience = 300, 240, 120          # per 15 minutes: 80 erlangs
    sl = ServiceLevelTarget(0.80, 20)
    c, a = required_agents(volume, aht, sl), required_agents(volume, aht, sl, model="A", patience=patience)
    assert a.agents < c.agents
    for staffing, model in ((c, "C"), (a, "A")):
        assert staffing.metrics.service_level(20) >= 0.80
        fewer = required_agents(volume, aht, ServiceLevelTarget(0.5, 20), model=model, patience=patience)
        assert fewer.agents < staffing.agents
    below = erlang_a(volume / 900, aht, patience, a.agents - 1)
    assert below.service_level(20) < 0.80 <= a.metrics.service_level(20)
    rate = required_agents(volume, aht, AnswerRateTarget(0.95), model="A", patience=patience)
    assert rate.metrics.answer_rate >= 0.95 > erlang_a(volume / 900, aht, patience, rate.agents - 1).answer_rate
    wait = required_agents(volume, aht, AverageWaitTarget(15), model="A", patience=patience)
    assert wait.metrics.asa <= 15 < erlang_a(volume / 900, aht, patience, wait.agents - 1).asa
    wait_c = required_agents(volume, aht, AverageWaitTarget(15))
    assert wait_c.metrics.asa <= 15 < erlang_c_metrics(volume / 900, aht, wait_c.agents - 1).asa


def test_a_day_of_fifteen_minute_intervals():
    day = [IntervalForecast(0, 200, start="08:00"), IntervalForecast(40, 200, start="08:15"),
           IntervalForecast(120, 220, start="08:30"), IntervalForecast(120, 220, start="08:45", patience_mean=30)]
    target = ServiceLevelTarget(0.80, 15)
    rows = staff_intervals(day, target, model="A", patience=90, shrinkage=0.25)
    assert [r.forecast.start for r in rows] == ["08:00", "08:15", "08:30", "08:45"]
    assert rows[0].staffing.agents == 0 and rows[0].staffing.metrics is None
    assert rows[1].staffing == required_agents(40, 200, target, "A", 90, 0.25)
    assert rows[2].staffing == required_agents(120, 220, target, "A", 90, 0.25)
    assert rows[3].staffing == required_agents(120, 220, target, "A", 30, 0.25)   # its own measured patience
    assert rows[3].staffing.agents <= rows[2].staffing.agents                     # impatient callers leave sooner
    for r in rows[1:]:
        assert r.staffing.scheduled == math.ceil(r.staffing.agents / 0.75 - 1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: required_agents(-1, 180, ServiceLevelTarget(0.8, 20)), "call volume must be zero or more"),
    (lambda: required_agents(10, 180, ServiceLevelTarget(0.8, 20), shrinkage=1.0), "shrinkage must be .* below 1"),
    (lambda: required_agents(10, 180, ServiceLevelTarget(0.8, 20), shrinkage=-0.1), "shrinkage must be at least 0"),
    (lambda: required_agents(10, 0, ServiceLevelTarget(0.8, 20)), "AHT must be a positive number"),
    (lambda: required_agents(10, 180, ServiceLevelTarget(1.0, 20)), "never reached"),
    (lambda: required_agents(10, 180, AnswerRateTarget(0.9)), "needs Erlang A"),
    (lambda: required_agents(10, 180, ServiceLevelTarget(0.8, 20), model="A"), "mean patience"),
    (lambda: required_agents(10, 180, ServiceLevelTarget(0.8, 20), model="X"), "unknown model"),
    (lambda: required_agents(10, 180, AverageWaitTarget(0)), "average-wait target must be a positive"),
    (lambda: erlang_a(0.1, 180, 0, 3), "mean patience must be a positive"),
    (lambda: erlang_a(0.1, 180, 60, 0), "at least 1"),
    (lambda: erlang_a_service_level(0.1, 180, 60, 3, 20, "sometimes"), "unknown abandon treatment"),
    (lambda: estimate_patience(100.0, 0), "no abandoned calls"),
])
def test_impossible_input_is_refused_with_a_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- Properties ---------------------------------------------------------------------------------------------------

volumes = st.integers(0, 400)
ahts = st.integers(30, 600)
levels = st.floats(0.05, 0.98)
models = st.sampled_from(["C", "A"])
patiences = st.integers(5, 600)


@settings(max_examples=60, deadline=None)
@given(volumes, volumes, ahts, levels, st.integers(0, 60), models, patiences)
def test_required_agents_never_fall_as_volume_rises(v1, v2, aht, level, seconds, model, patience):
    low, high = sorted((v1, v2))
    target = ServiceLevelTarget(level, seconds)
    assert (required_agents(low, aht, target, model, patience).agents
            <= required_agents(high, aht, target, model, patience).agents)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), ahts, levels, levels, st.integers(0, 60), st.integers(0, 60), models, patiences)
def test_required_agents_never_fall_as_the_target_tightens(volume, aht, l1, l2, s1, s2, model, patience):
    (low, high), (short, long_) = sorted((l1, l2)), sorted((s1, s2))
    n = lambda level, seconds: required_agents(volume, aht, ServiceLevelTarget(level, seconds), model, patience).agents
    assert n(low, long_) <= n(high, long_) and n(high, long_) <= n(high, short)
    if model == "A":
        rate = lambda r: required_agents(volume, aht, AnswerRateTarget(r), "A", patience).agents
        assert rate(low) <= rate(high)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 2.0), ahts, patiences, st.integers(1, 150), st.integers(0, 120))
def test_service_level_rises_and_waits_fall_with_every_added_agent(rate, aht, patience, agents, seconds):
    a, more = erlang_a(rate, aht, patience, agents), erlang_a(rate, aht, patience, agents + 1)
    assert more.service_level(seconds) >= a.service_level(seconds) - 1e-12
    assert more.answer_rate >= a.answer_rate - 1e-12 and more.asa <= a.asa * (1 + 1e-9) + 1e-12
    traffic = rate * aht
    if agents > traffic:
        assert service_level(traffic, agents + 1, aht, seconds) >= service_level(traffic, agents, aht, seconds)
