"""Unit tests: the session-rate throttle and max-sessions arithmetic (engine/fsim/limits.py) on a controlled clock.

Each case is the C of FreeSWITCH cc93a68 replayed by hand: src/switch_core_session.c
switch_core_session_request_uuid (`sps = --runtime.sps; if (sps <= 0) Throttle Error!`, then
`count + 1 > session_limit`), src/switch_time.c (once a second: `sps_last = sps_total - sps`, five-minute peaks,
`sps = sps_total`), src/switch_core.c SCSC_SPS / SCSC_MAX_SESSIONS.
"""
import pytest

from engine.fsim import limits as limits_mod
from engine.fsim.cstrings import atoi, switch_true
from engine.fsim.limits import SessionLimits, int32
from engine.fsim.originate import no_limits


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class FakeSwitch:
    """What SessionLimits needs from SimSwitch: the scaled clock, live sessions, the session counter."""

    def __init__(self, time_scale=1.0):
        self.time_scale = time_scale
        self.session_count = 0
        self.live = 0
        self.chans = set()

    def real(self, seconds):
        return seconds * self.time_scale

    def live_sessions(self):
        return self.live

    def channel(self, uuid):
        return uuid if uuid in self.chans else None


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(limits_mod.time, "monotonic", c)
    return c


def make(clock, sps=30, max_sessions=1000, time_scale=1.0):
    sw = FakeSwitch(time_scale)
    return sw, SessionLimits(sw, sps, max_sessions)


def take(lim, n, **kw):
    return [lim.request(**kw) for _ in range(n)]


def test_n_tokens_let_n_minus_one_sessions_through_per_second(clock):
    sw, lim = make(clock, sps=3)
    # capture 08: sps 3, seven originates at once -> two sessions, five refused
    assert take(lim, 7) == [None, None] + ["throttle"] * 5
    assert sw.session_count == 2 and lim.sps == -4        # refused requests take a token too
    clock.t += 1.0
    assert take(lim, 3) == [None, None, "throttle"]


def test_refill_is_once_a_second_on_a_fixed_phase(clock):
    sw, lim = make(clock, sps=2, time_scale=0.5)            # one simulated second = 0.5 s of wall clock
    clock.t += 0.49
    assert take(lim, 2) == [None, "throttle"]
    assert lim.next_refill_in() == pytest.approx(0.01)
    clock.t += 0.02                                           # 0.51: the refill at 0.5 (not 0.5 after a request)
    assert take(lim, 2) == [None, "throttle"]
    clock.t += 0.48                                           # 0.99: same second
    assert take(lim, 1) == ["throttle"]
    clock.t += 0.02                                           # 1.01: the next refill
    assert take(lim, 1) == [None]


def test_sps_last_counts_every_request_of_the_second_and_the_peaks(clock):
    sw, lim = make(clock, sps=3)
    take(lim, 8)                                              # capture 08: 8 requests in one second
    clock.t += 1.0
    f = lim.figures()
    assert (f["sps_last"], f["sps_peak"], f["sps_peak_fivemin"]) == (8, 8, 8)
    clock.t += 1.0
    f = lim.figures()
    assert (f["sps_last"], f["sps_peak"], f["sps_peak_fivemin"]) == (0, 8, 8)   # "0 ... out of max 3, ... 8"


def test_fsctl_sps_changes_the_limit_only_and_the_tokens_at_the_next_refill(clock):
    sw, lim = make(clock, sps=3)
    clock.t += 1.0
    lim.catch_up()                                            # tokens 3
    assert lim.set_sps(30) == 30 and lim.sps == 3             # SCSC_SPS sets sps_total only
    assert take(lim, 3) == [None, None, "throttle"]           # still the old count this second
    clock.t += 1.0
    # the refill computes sps_last with the new sps_total and the old count: 30 - 0
    assert lim.figures()["sps_last"] == 30
    assert lim.sps == 30


def test_the_capture_08_quirk_27_per_second_after_raising_the_rate(clock):
    sw, lim = make(clock, sps=3)
    clock.t += 1.0
    lim.catch_up()                                            # a second with no session: tokens back at 3
    lim.set_sps(30)
    clock.t += 1.0
    assert lim.figures()["sps_last"] == 27                    # 30 - 3
    assert lim.figures()["sps_peak_fivemin"] == 27


def test_lowering_the_rate_shows_a_negative_count_for_one_second(clock):
    sw, lim = make(clock, sps=30)
    lim.set_sps(3)
    clock.t += 1.0
    assert lim.figures()["sps_last"] == -27 and lim.sps == 3


def test_fsctl_values_that_change_nothing(clock):
    sw, lim = make(clock)
    assert lim.set_sps(0) == 30 and lim.set_sps(-4) == 30     # SCSC_SPS: only N > 0
    assert lim.set_max_sessions(0) == 1000                    # switch_core_session_limit(0) reads
    assert lim.set_max_sessions(2) == 2
    assert lim.set_max_sessions(-5) == -5 and lim.session_limit == 2 ** 32 - 5   # uint32_t, printed with %d


def test_max_sessions_refuses_after_taking_a_token(clock):
    sw, lim = make(clock, sps=30, max_sessions=2)
    sw.live = 2
    assert lim.request() == "limit"
    assert lim.sps == 29                                      # the decrement comes before the limit check
    sw.live = 1
    assert lim.request() is None


def test_no_limits_takes_no_token_and_ignores_max_sessions(clock):
    sw, lim = make(clock, sps=1, max_sessions=1)              # sps 1: nothing gets through
    sw.live = 5
    assert take(lim, 3, no_limits=True) == [None, None, None]
    assert lim.sps == 1 and sw.session_count == 3
    assert lim.request() == "throttle"


def test_duplicate_uuid_is_refused_before_any_token(clock):
    sw, lim = make(clock, sps=30)
    sw.chans.add("u1")
    assert lim.request(uuid="u1") == "duplicate" and lim.sps == 30
    assert lim.request(no_limits=True, uuid="u1") == "duplicate"


def test_session_peaks_and_the_five_minute_reset(clock):
    sw, lim = make(clock, sps=30)
    for n in range(3):
        assert lim.request() is None
        sw.live += 1
    assert (lim.sessions_peak, lim.sessions_peak_fivemin) == (3, 3)
    sw.live = 1
    take(lim, 4)                                              # 4 more sessions that second (they end at once)
    clock.t += 1.0
    lim.catch_up()
    assert lim.sps_peak_fivemin == 7
    clock.t += 299.0                                          # the 300th tick: no reset yet
    lim.catch_up()
    assert (lim.sps_peak_fivemin, lim.sessions_peak_fivemin) == (7, 3)
    clock.t += 1.0                                            # tick 301: sps_interval_ticks >= 300 -> reset
    lim.catch_up()
    assert (lim.sps_peak_fivemin, lim.sessions_peak_fivemin, lim.sps_peak) == (0, 1, 7)


def test_lazy_catch_up_equals_one_tick_at_a_time(clock):
    """The closed form for idle seconds gives what the timer thread computes second by second."""
    sw1, a = make(clock, sps=5)
    sw2, b = make(clock, sps=5)
    start = clock.t
    for step in (1, 2, 299, 300, 301, 302, 599, 600, 601, 1234):
        take(a, 3)
        take(b, 3)
        sw1.live = sw2.live = step % 7
        clock.t = start + step + 0.5
        a.catch_up()                                          # a: one jump
        # b: one second at a time
        for t in range(b._ticks + 1, int(clock.t - start) + 1):
            clock.t = start + t + 0.5
            b.catch_up()
        assert (a.sps, a.sps_last, a.sps_peak, a.sps_peak_fivemin, a.sessions_peak_fivemin, a._interval_ticks) == \
               (b.sps, b.sps_last, b.sps_peak, b.sps_peak_fivemin, b.sessions_peak_fivemin, b._interval_ticks), step


def test_c_helpers():
    assert [atoi(s) for s in ("3", " 42x", "-5", "+7", "abc", "", None)] == [3, 42, -5, 7, 0, 0, 0]
    assert int32(2 ** 32 - 1) == -1 and int32(1000) == 1000
    assert all(switch_true(v) for v in ("true", "TRUE", "yes", "on", "t", "enabled", "active", "allow", "1", "7"))
    assert not any(switch_true(v) for v in ("false", "no", "off", "0", "", None, "maybe"))


def test_no_throttle_limits_in_braces_or_in_brackets_of_a_user_leg():
    # src/switch_ivr_originate.c reads no_throttle_limits from the originate's {} variables; [] ones reach it only
    # through mod_dptools user_outgoing_channel's inner originate (user/ legs)
    g = [("no_throttle_limits", "true")]
    assert no_limits("user/1001", g, g) and no_limits("sofia/gateway/trunk/1", g, g)
    assert no_limits("user/1001", [("no_throttle_limits", "true")], [])
    assert not no_limits("sofia/internal/1001@127.0.0.1", [("no_throttle_limits", "true")], [])
    assert not no_limits("user/1001", [("no_throttle_limits", "false")], [])
