"""What the core reacts to: facts from the switch, the clock and the console, as frozen dataclasses."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class CallParked:
    """A leg is parked waiting for instructions (a new inbound call, or a caller whose agent hung up)."""

    uuid: str
    ani: str
    dnis: str
    caller_name: str
    inbound: bool
    at: float


@dataclasses.dataclass(frozen=True)
class LegAnswered:
    """A leg was answered."""

    uuid: str
    at: float


@dataclasses.dataclass(frozen=True)
class LegHungUp:
    """A leg ended, with the switch's hang-up cause."""

    uuid: str
    cause: str
    at: float


@dataclasses.dataclass(frozen=True)
class LegBridged:
    """Two legs are now talking to each other."""

    a_uuid: str
    b_uuid: str
    at: float


@dataclasses.dataclass(frozen=True)
class AppFinished:
    """A media application we started on a leg has finished (prompt played, digits collected…)."""

    uuid: str
    app: str
    app_uuid: str
    response: str
    digits: str | None
    read_result: str | None
    at: float
    record_ms: int | None = None        # for record: how long the message is
    hangup: bool = False                # the app ended because the leg hung up (its end follows)
    played_ms: int | None = None        # for playback: how much of the file it played (one pass of a loop)


@dataclasses.dataclass(frozen=True)
class OriginateResult:
    """The outcome of dialling an agent: the leg answered (ok) or the cause it failed with."""

    job_uuid: str
    ok: bool
    leg_uuid: str | None
    cause: str
    at: float


@dataclasses.dataclass(frozen=True)
class CommandFailed:
    """The switch refused or could not run a command the core asked for."""

    key: str
    uuid: str | None
    detail: str
    at: float


@dataclasses.dataclass(frozen=True)
class TimerFired:
    """A timer the core started has expired."""

    key: str
    at: float


@dataclasses.dataclass(frozen=True)
class AgentRequest:
    """An agent or supervisor asks for a state change (login, ready, not_ready, logout)."""

    agent_id: int
    action: str
    reason: str | None
    actor: str
    at: float
    request_id: int | None = None       # the console's request row, answered with SaveRequestResult
    argument: str | None = None         # supervision: the supervisor's extension; transfer/dial: the target
    note: str = ""                      # transfer note shown to the next agent (随路数据)


@dataclasses.dataclass(frozen=True)
class DirectoryLoaded:
    """Agents, queues and numbers as configured in the database (reloaded periodically)."""

    agents: tuple
    queues: tuple
    numbers: Mapping[str, str]          # DID -> flow name
    at: float
    halls: tuple = ()                   # HallRef of the organisation tree
    number_halls: Mapping[str, int | None] = dataclasses.field(default_factory=dict)   # DID -> hall id
    calendar: object = None             # WorkCalendar (statutory holidays, make-up days, local overrides)
    rules: object = None                # RuleSet: routing rules on caller, called number, time, region (R-ACD-2)
    skill_ids: Mapping[str, int] = dataclasses.field(default_factory=dict)   # skill code -> id


@dataclasses.dataclass(frozen=True)
class LiveChannel:
    """One channel the switch has right now (from `show channels`), with the engine's own marks if any."""

    uuid: str
    inbound: bool
    ani: str
    dnis: str
    caller_name: str
    created_at: float
    parked: bool                        # sitting in the park application, waiting for instructions
    answered: bool
    cc_call_uuid: str | None = None     # agent legs: the caller this engine rang them for
    cc_agent: str | None = None         # agent legs: the agent's employee number; callers: who answered them
    cc_queue: str | None = None         # agent legs: the queue it rang for; callers: the queue they wait in
    cc_phase: str | None = None         # callers: "queued" while waiting in cc_queue (engine.acd.queueing marks),
    #                                     "connected" once an agent answered (engine.acd.offers.connect)
    cc_answered_at: float | None = None  # callers: when the agent answered
    cc_enqueued_at: float | None = None  # callers: when they joined the queue (their place and their wait)
    cc_priority: int = 0
    cc_step: int = 0                    # callers: overflow steps of the queue already applied
    cc_flow: str | None = None          # callers in the IVR ("ivr"): the flow, the node they wait at, what they keyed
    cc_node: str | None = None          # (url-encoded) and the path so far (engine.acd.ivr_runner.mark_ivr)
    cc_data: str = ""
    cc_path: str = ""
    held: bool = False                  # callstate HELD: on hold (uuid_hold)
    application: str = ""               # the application it executes now (show channels), e.g. playback
    cc_after: str = ""                  # callers: the flow node that follows their conversation (the survey)
    cc_outcome: str = ""                # callers leaving the queue ("leaving"): why (callback, voicemail, timed_out…)
    cc_voicemail: str = ""              # … and, leaving a voice message, where it is being recorded
    cc_media: str = ""                  # callers in the IVR or leaving: the app uuid of the media they wait on…
    cc_done: str = ""                   # … set to it by the switch when that media ended (ivr_runner.mark_done)
    cc_digits: str = ""                 # what the last digit collection got
    cc_agent_leg: str = ""              # customers' legs (cc_phase "callback"/"dialout", engine.acd.callbacks
    cc_number: str = ""                 # customer_marks): the agent's leg, the number dialled, the callback's
    cc_callback_of: str = ""            # request (the call that asked for it), its DID, its attempts so far
    cc_dnis: str = ""
    cc_attempts: int = 0
    cc_consult_of: str = ""             # a consulted party's leg (cc_phase "consult", engine.acd.consult): the call,
    cc_consulted: str = ""              # the consulted agent's employee number ("" for an outside number), and
    cc_consult_kind: str = ""           # what the consulting agent asked for (agent/number and its target)
    cc_consult_target: str = ""
    cc_consult_bridged: str = ""        # "1" once the consulting agent was bridged to it
    cc_follow_up: str = ""              # an automated follow-up call's leg (cc_phase "followup" until its flow
    #                                     starts, then "ivr": engine.acd.followups): the follow-up's id


@dataclasses.dataclass(frozen=True)
class SwitchSynced:
    """The switch (re)connected; these leg uuids are alive on it right now (and, when known, what they are)."""

    live_uuids: frozenset[str]
    at: float
    channels: tuple[LiveChannel, ...] = ()
    cdrs: tuple["Cdr", ...] = ()        # CDRs the switch posted while this engine was away: how vanished calls ended
    listed_at: float = 0.0              # when `show channels` was asked (its rows lag the channels, see below)
    adopt_only: bool = False            # a second look a moment later: channels the first listing missed are
    #                                     taken over, nothing is closed (the core database lags, switch_core_sqldb.c)


@dataclasses.dataclass(frozen=True)
class SwitchLimits:
    """The switch connected (with its capacity limits as `status` reports them) or went away."""

    connected: bool
    sessions_per_second: int | None     # switch.conf sessions-per-second (fsctl sps), None when unknown
    max_sessions: int | None            # switch.conf max-sessions
    at: float
    sessions: int | None = None         # sessions the switch has now (`status`)
    last_second: int | None = None      # sessions it created in its last second: its session rate in use


@dataclasses.dataclass(frozen=True)
class PhoneProbed:
    """The answer to ProbePhone: is the agent's phone registered (reachable) again?"""

    agent_id: int
    reachable: bool
    detail: str
    at: float


@dataclasses.dataclass(frozen=True)
class LegHeld:
    """A leg was put on hold (held=True) or retrieved."""

    uuid: str
    held: bool
    at: float


@dataclasses.dataclass(frozen=True)
class DigitPressed:
    """The caller pressed a key outside any menu (e.g. while waiting in a queue)."""

    uuid: str
    digit: str
    at: float


@dataclasses.dataclass(frozen=True)
class PendingCallback:
    """A callback stored earlier and not yet completed (reloaded at start-up so no callback is lost)."""

    call_uuid: str
    number: str
    dnis: str
    queue_code: str
    enqueued_at: float
    priority: int
    attempts: int
    status: str = "pending"             # or "dialling": the customer was being dialled when its engine stopped


@dataclasses.dataclass(frozen=True)
class CallbacksLoaded:
    """The pending callbacks found in the database."""

    callbacks: tuple[PendingCallback, ...]
    at: float


@dataclasses.dataclass(frozen=True)
class DueFollowUp:
    """A follow-up visit (回访) of a closed work order the store claimed for an automated call: whom to ring, from
    which number, with which flow, and what its prompts say (the flow's variables: order number, date, ...)."""

    follow_up_id: int
    number: str
    caller_id: str
    flow: str
    variables: Mapping[str, str]
    ring_s: int = 40


@dataclasses.dataclass(frozen=True)
class FollowUpsDue:
    """Automated follow-up calls to place now (engine.follow_up_dialler read them from the store)."""

    follow_ups: tuple[DueFollowUp, ...]
    at: float


@dataclasses.dataclass(frozen=True)
class RecordingStopped:
    """The switch closed a recording file (stop, limit or hang-up), with the length it recorded."""

    uuid: str
    path: str
    record_ms: int | None
    cause: str
    at: float


@dataclasses.dataclass(frozen=True)
class FlowsLoaded:
    """Flow files were (re)loaded: the valid ones serve new calls; invalid files keep their last valid version."""

    flows: Mapping[str, object]
    errors: Mapping[str, tuple[str, ...]]
    at: float


@dataclasses.dataclass(frozen=True)
class PublishStatus:
    """Time to publish the live queue status (the runtime asks every couple of seconds)."""

    at: float


@dataclasses.dataclass(frozen=True)
class Shutdown:
    """The engine is stopping: hang up every call (hangup) or, finally, close the records of calls left (force)."""

    hangup: bool
    force: bool
    at: float


@dataclasses.dataclass(frozen=True)
class Cdr:
    """How a caller's leg ended, as FreeSWITCH itself reported it (mod_xml_cdr): what reconciles calls that ended
    while no engine was connected. Times are epoch seconds; `marks` are the leg's cc_* variables."""

    uuid: str
    direction: str
    ani: str
    dnis: str
    caller_name: str
    started_at: float
    answered_at: float | None
    ended_at: float
    hangup_cause: str
    disposition: str                    # sip_hangup_disposition: recv_bye, send_bye, recv_cancel, send_refuse…
    marks: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def caller_hung_up(self) -> bool:
        """The far end (the caller) ended the call: a BYE or CANCEL came from it (sofia_glue / sofia.c set
        sip_hangup_disposition recv_bye / recv_cancel / recv_refuse when the remote party ends the dialog)."""
        return self.disposition.startswith("recv_")

    def mark(self, name: str) -> str:
        return str(self.marks.get(name) or "")


@dataclasses.dataclass(frozen=True)
class CallTrace:
    """What the database already holds of a call a CDR reports: the kinds of call-event logged for it, and its
    recordings still open (a previous engine died before closing them)."""

    kinds: frozenset[str] = frozenset()
    open_recordings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class CdrsArrived:
    """CDRs of calls that have no call record a while after they ended: their calls are closed from them."""

    cdrs: tuple[Cdr, ...]
    traces: Mapping[str, CallTrace]
    at: float


Event = (CallParked | LegAnswered | LegHungUp | LegBridged | AppFinished | OriginateResult | CommandFailed
         | TimerFired | AgentRequest | DirectoryLoaded | SwitchSynced | Shutdown | DigitPressed
         | CallbacksLoaded | LegHeld | FlowsLoaded
         | RecordingStopped | PublishStatus | SwitchLimits | PhoneProbed | CdrsArrived | FollowUpsDue)
