"""Call state machine: an inbound call from arrival to its record.

    IVR -1-> QUEUED -2-> OFFERING -3-> CONNECTED -4-> ENDED
              ^            |5
              +------------+
 1 the flow asks for an agent   2 an agent is rung   3 the agent answered and is bridged
 4 either side hangs up   5 the offer failed: back to the queue, keeping its place.
 Any phase -> ENDED when the caller hangs up (IVR: left in IVR, QUEUED/OFFERING: abandoned).
"""
from __future__ import annotations

import dataclasses
import enum

from engine.domain.errors import InvalidTransition
from engine.domain.states import CallOutcome, HangupSide


class CallPhase(str, enum.Enum):
    """Where a call is."""

    IVR = "ivr"
    QUEUED = "queued"
    OFFERING = "offering"
    CONNECTED = "connected"
    ENDED = "ended"


P = CallPhase
TRANSITIONS: frozenset[tuple[CallPhase, CallPhase]] = frozenset({
    (P.IVR, P.QUEUED), (P.QUEUED, P.OFFERING), (P.OFFERING, P.CONNECTED), (P.OFFERING, P.QUEUED),
    (P.IVR, P.ENDED), (P.QUEUED, P.ENDED), (P.OFFERING, P.ENDED), (P.CONNECTED, P.ENDED),
    (P.CONNECTED, P.IVR),                   # the agent hung up first: the caller goes on (e.g. to a survey)
    (P.CONNECTED, P.QUEUED),                # blind transfer to a queue or an agent
})


@dataclasses.dataclass
class Consult:
    """An agent consulting a third party (another agent or an outside number) about a call in hand: rung while
    the caller still talks to the agent, then talked to while the caller waits with music; it ends in a transfer,
    a three-party conference, or back to the caller."""

    job_uuid: str
    leg_uuid: str
    kind: str                           # agent | number
    target: str                         # 工号 or digits
    agent_id: int | None                # the consulted agent
    by_agent: int                       # the consulting agent
    answered: bool = False
    conference: str | None = None       # the room, once the three parties are in conference


@dataclasses.dataclass
class Call:
    """One inbound call as the ACD tracks it (keyed by the caller leg's uuid)."""

    uuid: str
    ani: str
    dnis: str
    caller_name: str
    started_at: float
    flow: str | None = None
    node: str | None = None
    pending_app: str | None = None          # app uuid of the media command we wait for
    media_started_at: float = 0.0
    phase: CallPhase = P.IVR
    queue_code: str | None = None
    enqueued_at: float | None = None
    priority: int = 0                       # higher is served sooner (VIP, callback, transferred)
    required: dict[int, int] = dataclasses.field(default_factory=dict)   # skills needed now (widened by overflow)
    next_step: int = 0                      # index of the queue's next overflow step
    ringing: dict[str, str] = dataclasses.field(default_factory=dict)    # originate job uuid -> agent leg uuid
    agent_id: int | None = None             # the agent connected to the caller
    agent_leg: str | None = None
    offers: int = 0
    end_outcome: CallOutcome | None = None  # set when the engine ends the call for a reason of its own
    callback_of: str | None = None          # a callback: the call that asked for it (this call has no live
                                            # caller leg until the customer is dialled, with uuid = self.uuid)
    callback_attempts: int = 0
    customer_job: str | None = None         # the originate job dialling the customer back
    voicemail_path: str | None = None
    hold_count: int = 0
    flow_def: object = None                 # the Flow version this call runs (kept across reloads)
    variables: dict[str, str] = dataclasses.field(default_factory=dict)   # collected digits, set values, data
    after_call: str | None = None           # flow node for the caller when the agent hangs up first
    transfer_job: str | None = None         # a transfer from the IVR to a number/extension in progress
    transfer_leg: str | None = None
    transferred: bool = False
    recording_path: str | None = None
    hall_chain: tuple[int, ...] = ()        # tiered dispatch: the number's hall, then its parents (R-ACD-3)
    decision: object = None                 # the routing rule that matched this call, if any (R-ACD-2)
    direction: str = "inbound"              # outbound: an agent dialled out
    transfers: int = 0                      # times an agent transferred the call
    pending_transfer: tuple[str, str] | None = None   # (queue|agent|flow|number, target) once the agent leaves
    due_while_ringing: set[str] = dataclasses.field(default_factory=set)   # step/max wait timers that fired
                                            # while an agent's phone rang: applied if the call goes back
    answered_at: float | None = None
    ivr_path: list[str] = dataclasses.field(default_factory=list)
    hangup_side: HangupSide | None = None
    ending: bool = False                    # the engine asked the switch to hang the caller up
    consult: Consult | None = None          # the agent is consulting someone about this call

    def move(self, phase: CallPhase) -> None:
        """Change phase, refusing moves the machine does not allow."""
        if (self.phase, phase) not in TRANSITIONS:
            raise InvalidTransition(f"call {self.uuid}: cannot go from {self.phase.value} to {phase.value}")
        self.phase = phase

    def outcome(self) -> CallOutcome:
        """The outcome implied by how far the call got."""
        if self.end_outcome is not None:
            return self.end_outcome
        if self.answered_at is not None:
            return CallOutcome.ANSWERED
        if self.transferred:
            return CallOutcome.TRANSFERRED
        if self.direction == "outbound":
            return CallOutcome.FAILED
        if self.enqueued_at is not None:
            return CallOutcome.ABANDONED
        if self.flow is None:
            return CallOutcome.NO_ROUTE
        return CallOutcome.IVR_ONLY
