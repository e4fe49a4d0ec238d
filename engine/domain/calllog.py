"""The kinds of entry in the immutable call-event log every report is computed from.

Each entry is one thing that happened to a call, at one instant. The log is append-only: figures
are attributed to the interval in which the call entered its queue (``queued_at`` on every entry
written after that moment), so any figure can be traced back to the calls behind it.
"""
from __future__ import annotations

import enum


class CallEventKind(str, enum.Enum):
    """What happened."""

    ARRIVED = "arrived"                 # the caller's leg reached the engine (DID, ANI, hall)
    IVR_ENTERED = "ivr_entered"         # an IVR flow started (detail: flow name)
    IVR_COMPLETED = "ivr_completed"     # the caller went through the IVR to a queue (detail: the path, keys and
                                        # digits collected, as the agent's call card shows them)
    QUEUED = "queued"                   # the caller asked for an agent: entered a queue (a request for an agent)
    OFFERED = "offered"                 # an agent's phone rang for the call (agent_id)
    NO_ANSWER = "no_answer"             # an offer ended without an answer (detail: result/cause; duration_s: ring time)
    ANSWERED = "answered"               # an agent answered (wait_s: time since queued_at; duration_s: ring time)
    HELD = "held"                       # the agent put the caller on hold
    RETRIEVED = "retrieved"             # the caller was taken off hold (duration_s: hold time)
    TRANSFERRED = "transferred"         # the agent transferred the call (detail: target; duration_s: talk before it)
    OVERFLOWED = "overflowed"           # an overflow step moved or widened the call (detail: the step)
    ABANDONED = "abandoned"             # the caller hung up while waiting (wait_s; detail: "ringing" if an agent was ringing)
    CALLBACK_REQUESTED = "callback_requested"   # the caller left the queue asking to be called back (wait_s)
    VOICEMAIL = "voicemail"             # the caller left the queue to leave a voice message (wait_s)
    RELEASED = "released"               # the queue sent the caller away (detail: timed_out, queue_full, no_agent)
    CUT = "cut"                         # a waiting caller was cut off by a fault, not by their own hang-up (wait_s;
                                        # detail: switch_lost or engine_stopped)
    TALK_ENDED = "talk_ended"           # the conversation with an agent ended (duration_s: talk time incl. hold)
    WRAP_UP_ENDED = "wrap_up_ended"     # the agent finished after-call work for the call (duration_s: wrap-up time)
    SURVEY = "survey"                   # the caller rated the service (value: the rating; detail: satisfied/unsatisfied)
    SUPERVISED = "supervised"           # a supervisor's phone joined the agent's call (detail: listen/whisper/barge)
    SUPERVISION_ENDED = "supervision_ended"   # … and left it (duration_s: how long they were in it)
    DIALED = "dialed"                   # an outbound call placed by an agent (detail: number; duration_s: talk, 0 if unanswered)
    ENDED = "ended"                     # the caller's leg ended (detail: outcome; duration_s: whole call)
    TRUNK_ALL_BUSY = "trunk_all_busy"   # every trunk channel became busy (value: channels)
    TRUNK_FREE = "trunk_free"           # a trunk channel came free after all were busy (duration_s: all-busy time)
