"""Per-scenario replay specifications: the SIP actors of freeswitch-captures/harness/s01.py ... s07.py.

The ESL side of each scenario is replayed verbatim from the transcript. What is declared here is what the
transcript cannot say: which SIP phones exist and how each agent phone answers each originate, and the list of
far-end actions the replay must end up applying (checked, so a stimulus is never invented or dropped silently).
"""
from __future__ import annotations

from dataclasses import dataclass, field

ANSWER = ("answer", 1.0)          # sipp UAS: 180, then 200 after ~1 s
BUSY = ("busy", 1.0)              # sipp UAS: 486 Busy Here
NO_ANSWER = ("no_answer", 1.0)    # sipp UAS: 180, rings forever


@dataclass
class Spec:
    name: str
    # directory users: ext -> registered?  (1001/1002 registered by scenario 02 before 03..07 ran)
    users: dict = field(default_factory=lambda: {"1001": True, "1002": True, "1003": False, "1005": False})
    # behaviour of the agent phone for the n-th originate to that extension
    behaviours: dict = field(default_factory=dict)
    # far-end actions the replay must apply, in order (kind target-role), checked after the replay
    expect: list = field(default_factory=list)
    did: str = "12366"
    ani: str = "13800138000"
    caller_name: str = "张三"
    time_scale: float = 0.02
    # the first conference member id the captured process handed out (mod_conference's counter is process-global)
    member_ids_from: int = 1
    # commands (regex) after which the harness let FreeSWITCH's session-rate timer refill the token count before
    # the next command (`fsctl sps N` takes effect at the next once-a-second refill, src/switch_time.c): the
    # replay waits for the simulator's next refill (SessionLimits.next_refill_in) the same way
    refill_after: tuple = ()

    def phone_behaviour(self, ext, n):
        seq = self.behaviours.get(ext) or [ANSWER]
        return seq[min(n, len(seq) - 1)]


SPECS = {s.name: s for s in [
    Spec("01_esl_basics", expect=["call"]),
    Spec("01b_esl_json_background_job"),
    # every phone starts unregistered; REGISTERs (1001, refresh, 1003 wrong password, un-REGISTER 1001, 1003 with
    # Expires: 20 left to lapse, 1001 and 1002 again) come from the capture's sofia::pre_register / expire events
    Spec("02_registration", users={"1001": False, "1002": False, "1003": False, "1005": False},
         expect=["register", "register", "register_failure", "unregister", "register", "expire", "register",
                 "register"]),
    # uuid_recv_dtmf lands 0.8 s into the 2.67 s menu prompt: the prompt must last long enough on the wall clock
    Spec("03_inbound_call_ivr", expect=["call", "bye"], time_scale=0.1),
    Spec("03b_inbound_call_ivr_json", expect=["call", "bye"], time_scale=0.1),
    Spec("03c_rfc2833_dtmf_from_caller", expect=["call", "dtmf", "dtmf", "bye"]),
    Spec("04a_bridge_to_agent", expect=["call", "bye"]),
    Spec("04b_agent_busy_and_no_answer", behaviours={"1001": [BUSY, NO_ANSWER, NO_ANSWER]},
         expect=["call", "bye"]),
    Spec("04c_agent_hangs_up_first_default", expect=["call", "bye"]),
    Spec("04c_agent_hangs_up_first_park_after_bridge", expect=["call", "bye", "bye"]),
    Spec("04c_agent_hangs_up_first_hangup_after_bridge_true", expect=["call", "bye"]),
    Spec("04c_agent_hangs_up_first_hangup_after_bridge_false", expect=["call", "bye"]),
    Spec("05a_supervisor_eavesdrop_whisper", expect=["call", "bye", "bye", "bye"]),
    Spec("05b_supervisor_three_way_conference", expect=["call", "bye", "bye", "bye", "bye"], member_ids_from=4),
    Spec("06a_blind_transfer_caller", expect=["call", "bye"]),
    Spec("06b_blind_transfer_bleg", expect=["call", "bye"]),
    # moh.wav (20 s) must still be playing when `uuid_bridge C A2` interrupts it
    Spec("06c_attended_transfer", expect=["call", "bye"], time_scale=0.1),
    Spec("06d_transfer_to_unrouted_extension", expect=["call"]),
    # sps 3, then 6 bgapi + 1 api originates at once to a SIP address where nothing listens: 2 get a session (they
    # fail NORMAL_TEMPORARY_FAILURE), 5 are refused DESTINATION_OUT_OF_ORDER with no channel; one more api originate
    # in the same second is refused too. Real-time clock: the whole burst must fall in one simulated second.
    Spec("08_session_rate_throttle", time_scale=1.0, refill_after=(r"^api fsctl sps \d+",)),
]}
