"""FreeSWITCH's session capacity limits: the session-rate throttle and max-sessions (capture 08, README item 36).

Ground truth is FreeSWITCH git cc93a68 (the build of the captures):

* src/switch_core.c: `runtime.sps_total = 30` (switch_core_init) and switch.conf `sessions-per-second`;
  `max-sessions` sets `session_manager.session_limit` (default 1000, src/switch_core_session.c
  switch_core_session_init). `fsctl sps N` (SCSC_SPS) sets `sps_total` only when N > 0 and never touches the
  current token count; `fsctl max_sessions N` (SCSC_MAX_SESSIONS -> switch_core_session_limit) only when N != 0.
* src/switch_time.c (SWITCH_MODULE_RUNTIME_FUNCTION softtimer, once every 1000000 / microseconds_per_tick ticks,
  i.e. once a second on a fixed phase from the timer thread's start, which set `runtime.sps = runtime.sps_total`):
  `sps_last = sps_total - sps`; every 300 such seconds `sps_peak_fivemin = 0` and `sessions_peak_fivemin =
  session_count`; the peaks are raised from sps_last; then `sps = sps_total`.
* src/switch_core_session.c switch_core_session_request_uuid: a duplicate uuid is refused first ("Duplicate
  UUID!"); then, unless the originate flags carry SOF_NO_LIMITS, `sps = --runtime.sps` and the session is refused
  when `sps <= 0` ("Throttle Error!") or when `count + 1 > session_limit` ("Over Session Limit!"). The decrement
  happens for refused requests too, so the count goes negative under a burst and `sps_last` counts every request
  of that second. N tokens therefore let N-1 sessions through per second (capture 08: sps 3, 7 originates sent at
  once, 2 got a channel). A created session raises `sessions_peak` / `sessions_peak_fivemin` and takes the next
  session id (`status`: `switch_core_session_id() - 1` sessions since startup).

The simulator evaluates the timer lazily: before anything reads or changes the counters it applies every refill
that is due since the switch was created (one per simulated second, `SimSwitch.real(1.0)` of wall clock), in order.
Nothing can observe the counters between two such reads, so this is the timer thread's arithmetic exactly.
"""
import logging
import time

logger = logging.getLogger(__name__)

DEFAULT_SPS = 30            # src/switch_core.c switch_core_init: runtime.sps_total = 30
DEFAULT_MAX_SESSIONS = 1000  # src/switch_core_session.c switch_core_session_init: session_limit = 1000
FIVE_MIN_TICKS = 300        # src/switch_time.c: sps_interval_ticks >= 300
INT32 = 2 ** 32


def int32(n):
    """A uint32_t printed with %d."""
    n %= INT32
    return n - INT32 if n >= 2 ** 31 else n


class SessionLimits:
    """The throttle/limit state of one simulated FreeSWITCH (runtime.sps* and session_manager.session_limit)."""

    def __init__(self, sw, sessions_per_second=DEFAULT_SPS, max_sessions=DEFAULT_MAX_SESSIONS):
        self.sw = sw
        self.sps_total = int(sessions_per_second)
        self.session_limit = int(max_sessions) % INT32
        self.sps = self.sps_total          # switch_time.c: the timer thread starts with runtime.sps = sps_total
        self.sps_last = 0
        self.sps_peak = 0
        self.sps_peak_fivemin = 0
        self.sessions_peak = 0
        self.sessions_peak_fivemin = 0
        self._interval_ticks = 0
        self._origin = time.monotonic()
        self._ticks = 0
        self.refused_invites = 0           # inbound INVITEs answered 503 Maximum Calls In Progress
        self.refused_originates = 0        # originated legs whose session could not be created
        self.refused_log = []              # refused INVITEs: {t, did, ani, reason}

    # ------------------------------------------------------------------ the timer (switch_time.c)
    def _period(self):
        return max(self.sw.real(1.0), 1e-9)

    def catch_up(self):
        """Apply every once-a-second refill due since the switch started (fixed phase)."""
        due = int((time.monotonic() - self._origin) / self._period())
        n = due - self._ticks
        if n <= 0:
            return
        self._ticks = due
        self._tick()
        if n > 1:
            self._idle_ticks(n - 1)

    def next_refill_in(self):
        """Wall seconds until the next refill (tests and the fidelity replay use it to line up with the phase)."""
        period = self._period()
        return period - ((time.monotonic() - self._origin) % period)

    def _tick(self):
        if self.sps <= 0:
            logger.warning("Over Session Rate of %d!", self.sps_total)
        self.sps_last = self.sps_total - self.sps
        if self._interval_ticks >= FIVE_MIN_TICKS:
            self.sps_peak_fivemin = 0
            self._interval_ticks = 0
            self.sessions_peak_fivemin = self.sw.live_sessions()
        self._interval_ticks += 1
        if self.sps_last > self.sps_peak_fivemin:
            self.sps_peak_fivemin = self.sps_last
        if self.sps_last > self.sps_peak:
            self.sps_peak = self.sps_last
        self.sps = self.sps_total

    def _idle_ticks(self, m):
        """m further seconds in which nobody asked for a session: sps_last 0, only the five-minute reset moves."""
        self.sps_last = 0
        first_reset = max(1, FIVE_MIN_TICKS + 1 - self._interval_ticks)
        if m >= first_reset:
            self.sps_peak_fivemin = 0
            self.sessions_peak_fivemin = self.sw.live_sessions()
            self._interval_ticks = 1 + (m - first_reset) % FIVE_MIN_TICKS
        else:
            self._interval_ticks += m

    # ------------------------------------------------------------------ switch_core_session_request_uuid
    def request(self, no_limits=False, uuid=None):
        """Ask for a new session: None when it is created, else why not ('duplicate', 'throttle', 'limit')."""
        self.catch_up()
        if uuid and self.sw.channel(uuid) is not None:
            logger.warning("Duplicate UUID! %s", uuid)
            return "duplicate"
        if not no_limits:
            count = self.sw.live_sessions()
            self.sps -= 1
            if self.sps <= 0:
                logger.warning("Throttle Error! %d", count)
                return "throttle"
            if count + 1 > self.session_limit:
                logger.warning("Over Session Limit! %d", self.session_limit)
                return "limit"
        self.sw.session_count += 1         # session->id = session_manager.session_id++
        count = self.sw.live_sessions() + 1
        self.sessions_peak = max(self.sessions_peak, count)
        self.sessions_peak_fivemin = max(self.sessions_peak_fivemin, count)
        return None

    def refuse_invite(self, did, ani, reason):
        """sofia.c sofia_handle_sip_i_invite: no session -> `503 Maximum Calls In Progress` (Retry-After: 300)."""
        self.refused_invites += 1
        self.refused_log.append({"t": self.sw.clock.now(), "did": did, "ani": ani, "reason": reason,
                                 "response": "503 Maximum Calls In Progress", "retry_after": 300})

    # ------------------------------------------------------------------ fsctl / status (mod_commands.c)
    def set_sps(self, n):
        """SCSC_SPS: sps_total = n when n > 0; the token count changes at the next refill."""
        self.catch_up()
        if n > 0:
            self.sps_total = n
        return self.sps_total

    def set_max_sessions(self, n):
        """SCSC_MAX_SESSIONS -> switch_core_session_limit(n): set when n != 0 (uint32_t)."""
        if n:
            self.session_limit = n % INT32
        return int32(self.session_limit)

    def last_sps(self):
        self.catch_up()
        return self.sps_last

    def reset_sps_peak(self):
        """SCSC_SPS_PEAK with -1."""
        self.catch_up()
        self.sps_peak = 0

    def figures(self):
        """What `status` and HEARTBEAT read (after the refills due)."""
        self.catch_up()
        return {
            "sessions_since_startup": self.sw.session_count, "sessions": self.sw.live_sessions(),
            "sessions_peak": self.sessions_peak, "sessions_peak_fivemin": self.sessions_peak_fivemin,
            "sps_last": self.sps_last, "sessions_per_second": self.sps_total, "sps_tokens": self.sps,
            "sps_peak": self.sps_peak, "sps_peak_fivemin": self.sps_peak_fivemin,
            "max_sessions": int32(self.session_limit),
            "refused_invites": self.refused_invites, "refused_originates": self.refused_originates,
        }
