"""What the core asks the world to do, as frozen dataclasses; the runtime executes them."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from engine.domain.agent import AgentStateChanged
from engine.domain.calllog import CallEventKind
from engine.domain.states import CallOutcome, HangupSide


@dataclasses.dataclass(frozen=True)
class Answer:
    """Answer a parked leg."""

    uuid: str


@dataclasses.dataclass(frozen=True)
class Play:
    """Play a prompt (file path or stream URL) on a leg; app_uuid identifies the completion. `loop`: played again
    and again until stopped (hold music), each pass completing with the same app_uuid."""

    uuid: str
    source: str
    app_uuid: str
    loop: bool = False


@dataclasses.dataclass(frozen=True)
class Collect:
    """Play a prompt and collect DTMF digits (play_and_get_digits)."""

    uuid: str
    app_uuid: str
    prompt: str
    invalid_prompt: str
    min_digits: int
    max_digits: int
    tries: int
    timeout_ms: int
    regex: str
    terminators: str = "#"
    digit_timeout_ms: int = 3000


@dataclasses.dataclass(frozen=True)
class StopMedia:
    """Stop whatever is playing on a leg."""

    uuid: str


@dataclasses.dataclass(frozen=True)
class DialAgent:
    """Ring an agent's phone; the new leg gets leg_uuid; the outcome arrives as OriginateResult(job_uuid)."""

    job_uuid: str
    leg_uuid: str
    extension: str
    timeout_s: int
    caller_id_number: str
    caller_id_name: str
    variables: Mapping[str, str]
    remote_number: str | None = None    # a remote or mobile agent: dial this outside number instead


@dataclasses.dataclass(frozen=True)
class ProbePhone:
    """Is this agent's phone reachable (registered)? The answer comes back as PhoneProbed."""

    agent_id: int
    extension: str
    remote_number: str | None = None    # an outside line cannot be probed: reachable after the back-off


@dataclasses.dataclass(frozen=True)
class UpdateDisplay:
    """Show another caller on a ringing phone (uuid_display; phones that support a display update)."""

    uuid: str
    name: str
    number: str


@dataclasses.dataclass(frozen=True)
class SetLegVars:
    """Set channel variables on a leg: the engine's marks that survive a restart. By default at once from the event
    socket (uuid_setvar_multi); `in_channel` for a caller executing the engine's apps: queued to the channel and
    set by its own thread (sendmsg multiset), which leaves the socket's command thread free."""

    uuid: str
    variables: Mapping[str, str]
    in_channel: bool = False


@dataclasses.dataclass(frozen=True)
class DialCustomer:
    """Call a customer back (outside line); the new leg gets leg_uuid; the outcome arrives as OriginateResult."""

    job_uuid: str
    leg_uuid: str
    number: str
    timeout_s: int
    caller_id_number: str
    variables: Mapping[str, str]
    extension: bool = False     # an internal extension (agent dial string) rather than an outside number


@dataclasses.dataclass(frozen=True)
class Record:
    """Record what the caller says into a file (a voice message), up to max_s, ended by # or hang-up."""

    uuid: str
    path: str
    max_s: int
    app_uuid: str


@dataclasses.dataclass(frozen=True)
class StartRecording:
    """Record a leg in stereo (left: this leg's party, right: what it hears) until stopped or hung up."""

    uuid: str
    path: str


@dataclasses.dataclass(frozen=True)
class Supervise:
    """Ring a supervisor's phone into a session on an agent's call: listen, whisper (coach) or barge."""

    supervisor_extension: str
    agent_leg: str
    mode: str                   # listen | whisper | barge
    leg_uuid: str
    job_uuid: str


@dataclasses.dataclass(frozen=True)
class HoldCall:
    """Put a leg on hold (music to it) or take it off hold."""

    uuid: str
    on: bool


@dataclasses.dataclass(frozen=True)
class Bridge:
    """Connect two answered legs."""

    a_uuid: str
    b_uuid: str


@dataclasses.dataclass(frozen=True)
class PhoneEvent:
    """Tell a SIP phone to act: ``talk`` answers a ringing phone (or resumes), remote control through a SIP
    NOTIFY (``uuid_phone_event``, mod_commands.c; mod_sofia.c SWITCH_MESSAGE_INDICATE_PHONE_EVENT)."""

    uuid: str
    event: str = "talk"


@dataclasses.dataclass(frozen=True)
class PlayMusic:
    """Loop music to a parked leg until it is bridged again, e.g. a caller set aside for a consult."""

    uuid: str
    source: str


@dataclasses.dataclass(frozen=True)
class JoinConference:
    """Move a leg (and, with both, its bridged partner) into a conference room (``uuid_transfer`` inline)."""

    uuid: str
    room: str
    both: bool = False


@dataclasses.dataclass(frozen=True)
class Hangup:
    """Hang up a leg with a cause."""

    uuid: str
    cause: str = "NORMAL_CLEARING"


@dataclasses.dataclass(frozen=True)
class StartTimer:
    """Fire TimerFired(key) after delay seconds (replaces a timer with the same key).

    `wall_min` makes a guard against a silent switch wait at least that many seconds of the wall clock: the
    switch's latency is wall-clock time whatever the engine's clock, so in an accelerated run (engine.clock,
    the digital twin) a guard of 10 s must not give up after 100 ms of a busy machine. With the wall clock it
    changes nothing (a guard's delay is never below its own wall_min)."""

    key: str
    delay: float
    wall_min: float = 0.0


@dataclasses.dataclass(frozen=True)
class CancelTimer:
    """Forget a timer."""

    key: str


@dataclasses.dataclass(frozen=True)
class SaveAgentState:
    """Store an agent's transition and current state."""

    change: AgentStateChanged


@dataclasses.dataclass(frozen=True)
class SaveCallRecord:
    """Store the record of a finished call."""

    call_uuid: str
    ani: str
    dnis: str
    flow: str | None
    queue_id: int | None
    agent_id: int | None
    agent_leg_uuid: str | None
    started_at: float
    enqueued_at: float | None
    answered_at: float | None
    ended_at: float
    outcome: CallOutcome
    hangup_cause: str
    hangup_side: HangupSide
    ivr_path: str
    offers: int
    priority: int = 0
    direction: str = "inbound"
    transfers: int = 0


@dataclasses.dataclass(frozen=True)
class SaveOffer:
    """Store one offer of a call to an agent: when, why that agent, and how it ended."""

    call_uuid: str
    agent_id: int
    queue_code: str
    offered_at: float
    settled_at: float
    result: str                 # answered, no_answer, rejected, busy, unreachable, caller_left, lost_race, failed
    cause: str
    strategy: str
    reason: str


@dataclasses.dataclass(frozen=True)
class SaveRequestResult:
    """Tell the console whether a state change it asked for was carried out, or why not."""

    request_id: int
    accepted: bool
    message: str
    agent_id: int | None = None         # whose request (the console's live feed wakes that agent's desktop)


@dataclasses.dataclass(frozen=True)
class SaveCallback:
    """Store a callback request, or its progress (keyed by the call that asked for it)."""

    call_uuid: str
    number: str
    queue_code: str
    enqueued_at: float
    at: float
    status: str                 # pending, done, failed
    attempts: int = 0
    agent_id: int | None = None
    cause: str = ""


@dataclasses.dataclass(frozen=True)
class SaveVoicemail:
    """Store a voice message left by a caller."""

    call_uuid: str
    ani: str
    dnis: str
    queue_code: str
    recorded_at: float
    path: str
    duration_s: float


@dataclasses.dataclass(frozen=True)
class SaveSurveyResult:
    """Store a caller's satisfaction rating (好差评) with the call and the agent who served it."""

    call_uuid: str
    agent_id: int | None
    rating: int
    queue_code: str | None
    at: float


FOLLOW_UP_OUTCOMES = ("rated", "department", "unanswered", "deferred")


@dataclasses.dataclass(frozen=True)
class SaveFollowUpResult:
    """What an automated follow-up call (回访) came to: the citizen's rating of the handling (`rated`: the visit is
    done, 不满意 reopens the order), their rating of the department (`department`), nobody answered or nobody rated
    (`unanswered`: retried within the calling hours), or not placed after all (`deferred`: no attempt counted)."""

    follow_up_id: int
    outcome: str
    at: float
    rating: str | None = None           # engine.domain.followup.Rating value
    call_uuid: str | None = None
    cause: str = ""                     # the switch's cause of an unanswered attempt (NO_ANSWER, USER_BUSY, ...)

    def __post_init__(self) -> None:
        if self.outcome not in FOLLOW_UP_OUTCOMES:
            raise ValueError(f"unknown follow-up outcome {self.outcome!r}")


@dataclasses.dataclass(frozen=True)
class SaveRecording:
    """Store a recording's metadata when it starts; completed (duration, size, checksum) when it stops."""

    path: str
    call_uuid: str
    ani: str
    dnis: str
    extension: str
    agent_id: int | None
    employee_no: str
    queue_code: str | None
    started_at: float
    stopped_at: float | None = None        # set when the switch reports the file complete
    record_ms: int | None = None


@dataclasses.dataclass(frozen=True)
class SaveCdrReconciled:
    """A switch CDR has been accounted for: `closed` (its call was closed from it) or `known` (the call already had
    its record). Written in the same batch as the record, so a CDR is reconciled exactly once."""

    call_uuid: str
    how: str
    at: float


Command = (Answer | Play | Collect | StopMedia | DialAgent | Bridge | Hangup | StartTimer | CancelTimer
           | SaveAgentState | SaveCallRecord | SaveOffer
           | SaveRequestResult | DialCustomer | Record | SaveCallback | SaveVoicemail
           | SaveSurveyResult | StartRecording | SaveRecording | Supervise | HoldCall | ProbePhone
           | UpdateDisplay | SetLegVars | SaveFollowUpResult)

@dataclasses.dataclass(frozen=True)
class HallFigures:
    """One queue right now in one hall: the waiting calls of the hall's numbers, the hall's agents able to take
    it (hall 0: numbers and agents with no hall)."""

    hall_id: int
    waiting: int
    longest_wait_since: float | None
    agents_ready: int
    agents_busy: int
    agents_logged_in: int


@dataclasses.dataclass(frozen=True)
class QueueSnapshot:
    """One queue right now, and the same figures hall by hall (only halls with something to show)."""

    queue_code: str
    waiting: int
    longest_wait_since: float | None
    agents_ready: int
    agents_busy: int
    agents_logged_in: int
    halls: tuple[HallFigures, ...] = ()


@dataclasses.dataclass(frozen=True)
class SaveQueueStatus:
    """Publish every queue's live status (waiting calls, longest wait, agents) for the floor view."""

    queues: tuple[QueueSnapshot, ...]
    at: float


# Commands the store executes (everything else, but timers, goes to the switch)
@dataclasses.dataclass(frozen=True)
class LogCallEvent:
    """Append one entry to the immutable call-event log (see ``engine.domain.calllog``)."""

    call_uuid: str
    kind: CallEventKind
    at: float
    queue_code: str | None = None
    agent_id: int | None = None
    queued_at: float | None = None      # when the call entered its queue: reports attribute the entry to that interval
    ani: str = ""
    dnis: str = ""
    hall_id: int | None = None
    direction: str = "inbound"
    wait_s: float | None = None
    duration_s: float | None = None
    value: int | None = None
    detail: str = ""
    private: str = ""                   # the caller's own data (name, collected IDs): stored sealed
    unless_logged: bool = False         # written only if the call has no entry of this kind yet (a takeover:
    #                                     the engine that died may or may not have written it)


@dataclasses.dataclass(frozen=True)
class SaveTrunkStatus:
    """Publish the trunk group's channels in use (for the wallboard)."""

    name: str
    channels: int
    in_use: int
    all_busy_since: float | None
    at: float


@dataclasses.dataclass(frozen=True)
class SaveSwitchStatus:
    """Publish what the engine knows of the switch (for the wallboard's switch alert): whether it is connected,
    its capacity limits as read at connect (switch.conf sessions-per-second and max-sessions), and how many of the
    engine's originates the switch refused for its own reasons (session-rate throttle, session limit: cause
    DESTINATION_OUT_OF_ORDER with no channel created, src/switch_core_session.c switch_core_session_request_uuid)."""

    connected: bool
    sessions_per_second: int | None     # None: not read (yet)
    max_sessions: int | None
    exempt: bool                        # agent legs carry no_throttle_limits=true (switch_ivr_originate.c)
    refused_total: int                  # since the engine started
    refused_recent: int                 # in the last 15 minutes
    last_refused_at: float | None
    at: float
    sessions: int | None = None         # the switch's sessions now, as `status` last said
    sessions_last_second: int | None = None   # sessions it created in its last second


STORE_COMMANDS = (LogCallEvent, SaveTrunkStatus, SaveAgentState, SaveCallRecord, SaveOffer, SaveRequestResult, SaveCallback, SaveVoicemail,
                  SaveSurveyResult, SaveRecording, SaveQueueStatus, SaveSwitchStatus, SaveCdrReconciled,
                  SaveFollowUpResult)
