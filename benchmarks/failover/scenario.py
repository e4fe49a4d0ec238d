"""What a failover run does, all drawn from one seeded RNG so that the same seed gives the same run.

The center: two queues (fo_a with a callback key, fo_b), agents on simulated phones that answer after `ring`
seconds and hang up after a talk time of their own (PHONE_TALK_S), a wrap-up of `wrap_up_s`, and `consultants`
agents of no queue (a back office: never offered a caller, ready to be consulted; on a loaded floor a queue agent
is ready only for the moment before the next offer). Two numbers:

* IVR_DID runs `fo_ivr`: a welcome prompt, a three-way menu (1: fo_a, 2: an id collected digit by digit then fo_b,
  3: fo_a at priority 5), and after the conversation, when the agent hangs up first, a satisfaction survey;
* DIRECT_DID runs `fo_direct`: straight to fo_a, no prompt.

The callers arrive as a Poisson stream at `cps`. Most are patient (PATIENT_S: long enough to be served after a
takeover even at the end of the run), some are not (IMPATIENT_S: they give up on their own, in the IVR or the
queue); they take DTMF_DELAY_S to press keys, and hang up TALK_S after being bridged unless the agent hangs up
first. Some direct callers press the callback key once they have waited a few seconds in the queue (the floor
driver presses it through POST /calls/<uuid>/dtmf). The floor driver also puts conversations on hold now and then
through the console's CTI API, and one HOLD_BEFORE_KILL_S before each kill, so that a kill finds a caller on hold.
In the same way, now and then (CONSULT_EVERY_S) and once shortly before each kill (CONSULT_BEFORE_KILL_S: the kill
finds the third party's phone ringing, the two agents talking or the three in conference), an agent who has talked
CONSULT_AFTER_S consults another ready agent; CONSULT_DECIDE_S after that agent answers, the first one joins the
three in a conference (and hangs up CONFERENCE_S later: the consulted agent keeps the caller), transfers the caller
to the consulted agent, or goes back to the caller (CONSULT_ENDINGS).
The kills fall at random moments of the arrivals, at least `min_kill_gap_s` apart.
"""
from __future__ import annotations

import dataclasses
import random

IVR_DID, DIRECT_DID = "96601", "96602"
QUEUE_A, QUEUE_B = "fo_a", "fo_b"
CALLBACK_KEY = "9"
FIRST_EXTENSION = 8001
PATIENT_S = (100.0, 160.0)
IMPATIENT_S = (12.0, 35.0)
IMPATIENT_SHARE = 0.2
TALK_S = (5.0, 16.0)
DTMF_DELAY_S = (1.0, 3.5)       # how long a caller thinks before pressing keys at a menu, a collection, the survey
PHONE_TALK_S = (8.0, 14.0)
DIRECT_SHARE = 0.35
CALLBACK_SHARE = 0.12           # of the patient direct callers
CALLBACK_AFTER_S = (3.0, 8.0)   # waited in the queue before pressing the key
HOLD_EVERY_S = 8.0              # mean gap between the floor's own holds (besides one just before each kill)
HOLD_S = (4.0, 8.0)
HOLD_BEFORE_KILL_S = 2.0
CONSULT_EVERY_S = 15.0          # mean gap between the floor's own consultations (besides one shortly before each kill)
CONSULT_BEFORE_KILL_S = (1.0, 7.0)
CONSULT_AFTER_S = 2.0           # talked at least this long before the agent consults
CONSULT_DECIDE_S = (1.5, 3.0)   # the consulted agent answered: this long later, the consulting agent decides
CONFERENCE_S = (1.0, 2.5)       # in conference: this long later, the consulting agent hangs up (if not done already)
CONSULT_ENDINGS = ("conference", "consult_transfer", "consult_cancel")

FLOWS = {
    "fo_ivr": f"""# written by benchmarks/failover: a prompt, a menu, digit collection, two queues and a survey
name: fo_ivr
description: failover benchmark (IVR)
start: welcome
nodes:
  welcome: {{type: play, prompt: welcome.wav, next: menu}}
  menu:
    type: menu
    prompt: tax_menu.wav
    invalid_prompt: invalid.wav
    tries: 2
    timeout_ms: 5000
    choices: {{"1": to_a, "2": collect_id, "3": to_a_vip}}
    default: to_a
  collect_id:
    type: collect
    prompt: enter_id.wav
    invalid_prompt: invalid.wav
    variable: taxpayer_id
    min_digits: 6
    max_digits: 6
    terminator: "#"
    tries: 2
    timeout_ms: 5000
    next: to_b
    on_failure: to_b
  to_a: {{type: queue, queue: {QUEUE_A}, after_call: survey}}
  to_a_vip: {{type: queue, queue: {QUEUE_A}, priority: 5, after_call: survey}}
  to_b: {{type: queue, queue: {QUEUE_B}, after_call: survey}}
  survey: {{type: survey, prompt: survey.wav, invalid_prompt: invalid.wav, low: 1, high: 5, next: thanks}}
  thanks: {{type: hangup, prompt: survey_thanks.wav}}
""",
    "fo_direct": f"""# written by benchmarks/failover: straight to the queue
name: fo_direct
description: failover benchmark (no prompt)
start: to_a
nodes:
  to_a: {{type: queue, queue: {QUEUE_A}}}
""",
}


@dataclasses.dataclass
class Scenario:
    kills: int = 5
    seconds: float = 90.0           # of arrivals
    cps: float = 1.0                # mean arrival rate (Poisson)
    agents: int = 12
    seed: int = 12366
    consultants: int = 2            # agents of no queue, after the queue agents: only ever consulted
    database_url: str | None = None  # a PostgreSQL server (a scratch database is created on it); None: SQLite
    keep: bool = False
    ring: float = 1.5               # every phone answers after this: one value, so bridges follow offers' order
    wrap_up_s: int = 2
    ring_timeout_s: int = 15
    min_kill_gap_s: float = 10.0    # the killed engine restarts and waits as standby before the next kill
    first_kill_after_s: float = 8.0
    drain_timeout_s: float = 240.0

    def extensions(self) -> list[str]:
        return [str(FIRST_EXTENSION + i) for i in range(self.agents + self.consultants)]

    def skills(self, index: int) -> dict[str, int]:
        """Every fourth agent takes both queues, every sixth fo_b only, the others fo_a (most callers go there); the
        consultants none."""
        if index >= self.agents:
            return {}
        if index % 4 == 3:
            return {QUEUE_A: 5, QUEUE_B: 5}
        return {QUEUE_B: 5} if index % 6 == 2 else {QUEUE_A: 5}


@dataclasses.dataclass(frozen=True)
class Caller:
    index: int
    at: float                       # seconds after the start of the arrivals
    did: str
    ani: str
    digits: tuple[str, ...]         # one answer per input the switch asks for (menu, id, survey)
    patience: float
    talk: float
    dtmf_delay: float
    callback_after: float | None    # presses the callback key after waiting this long in the queue

    def body(self) -> dict:
        """The POST /calls body."""
        return {"did": self.did, "ani": self.ani, "digits": list(self.digits), "patience": self.patience,
                "talk_time": self.talk, "dtmf_delay": self.dtmf_delay}


@dataclasses.dataclass(frozen=True)
class Plan:
    callers: tuple[Caller, ...]
    kill_at: tuple[float, ...]       # seconds after the start of the arrivals
    hold_at: tuple[float, ...]
    phone_talk: dict[str, float]
    consult_at: tuple[float, ...] = ()


def plan(scn: Scenario) -> Plan:
    rng = random.Random(scn.seed)
    callers = _callers(scn, rng)
    kills = _kill_moments(scn, rng)
    holds = sorted({*_poisson(rng, 1.0 / HOLD_EVERY_S, 3.0, scn.seconds),
                    *(k - HOLD_BEFORE_KILL_S for k in kills)})
    talk = {ext: round(rng.uniform(*PHONE_TALK_S), 1) for ext in scn.extensions()}
    consults = sorted({*_poisson(rng, 1.0 / CONSULT_EVERY_S, 3.0, scn.seconds),     # drawn last: the same seed
                       *(round(k - rng.uniform(*CONSULT_BEFORE_KILL_S), 3) for k in kills)})  # keeps its callers
    return Plan(tuple(callers), tuple(kills), tuple(holds), talk, tuple(consults))


def _poisson(rng: random.Random, rate: float, start: float, end: float) -> list[float]:
    out, t = [], start
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            return out
        out.append(round(t, 3))


def _callers(scn: Scenario, rng: random.Random) -> list[Caller]:
    out = []
    for i, at in enumerate(_poisson(rng, scn.cps, -1.0 / scn.cps, scn.seconds)):
        direct = rng.random() < DIRECT_SHARE
        patient = rng.random() >= IMPATIENT_SHARE
        patience = round(rng.uniform(*(PATIENT_S if patient else IMPATIENT_S)), 1)
        if direct:
            digits: tuple[str, ...] = ()
            wants_callback = patient and rng.random() < CALLBACK_SHARE
            callback_after = round(rng.uniform(*CALLBACK_AFTER_S), 1) if wants_callback else None
        else:
            key = rng.choice("1123")
            digits = (key,) + ((f"{rng.randrange(10 ** 6):06d}#",) if key == "2" else ()) + (rng.choice("12345"),)
            callback_after = None
        out.append(Caller(i, max(0.0, at), DIRECT_DID if direct else IVR_DID, f"1390{scn.seed % 1000:03d}{i:04d}",
                          digits, patience, round(rng.uniform(*TALK_S), 1), round(rng.uniform(*DTMF_DELAY_S), 1),
                          callback_after))
    return out


def _kill_moments(scn: Scenario, rng: random.Random) -> list[float]:
    """`kills` moments in the arrivals, at least min_kill_gap_s apart (drawn again until they are)."""
    lo, hi = scn.first_kill_after_s, scn.seconds - 3.0
    if scn.kills <= 0:
        return []
    if hi - lo < (scn.kills - 1) * scn.min_kill_gap_s:
        raise ValueError(f"{scn.kills} kills {scn.min_kill_gap_s:g} s apart do not fit in {scn.seconds:g} s of "
                         f"arrivals (need about {lo + 3 + (scn.kills - 1) * scn.min_kill_gap_s:.0f} s)")
    for _ in range(10_000):
        kills = sorted(round(rng.uniform(lo, hi), 2) for _ in range(scn.kills))
        if all(b - a >= scn.min_kill_gap_s for a, b in zip(kills, kills[1:])):
            return kills
    step = (hi - lo) / max(1, scn.kills - 1)        # crowded: evenly spaced, each moved a little
    return [round(lo + k * step + rng.uniform(-0.1, 0.1) * (step - scn.min_kill_gap_s), 2) for k in range(scn.kills)]
