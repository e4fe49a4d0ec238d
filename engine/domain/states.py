"""Vocabularies shared by the domain, storage and the console: agent states, not-ready reasons, call outcomes."""
from __future__ import annotations

import enum


class AgentState(str, enum.Enum):
    """Where an agent is in the working day (the states hotline floors use)."""

    LOGGED_OUT = "logged_out"   # 签出
    READY = "ready"             # 示闲: may be offered a call
    NOT_READY = "not_ready"     # 示忙, always with a NotReadyReason
    RESERVED = "reserved"       # a call is being offered: the phone rings
    TALKING = "talking"         # connected to a caller
    ON_HOLD = "on_hold"         # the caller is on hold (music), the agent still owns the call
    WRAP_UP = "wrap_up"         # after-call work, then back to ready


class NotReadyReason(str, enum.Enum):
    """Why an agent is not ready (示忙原因)."""

    BREAK = "break"
    MEAL = "meal"
    TRAINING = "training"
    AFTER_CALL_WORK = "after_call_work"
    MEETING = "meeting"
    NO_ANSWER = "no_answer"     # set by the ACD when an offered call was not answered (R-ACD-5)
    SYSTEM = "system"           # set by the engine: phone unreachable, unregistered, switch fault


class CallOutcome(str, enum.Enum):
    """How a call ended, from the hotline's point of view."""

    ANSWERED = "answered"       # connected to an agent
    ABANDONED = "abandoned"     # caller hung up while waiting in a queue
    IVR_ONLY = "ivr_only"       # caller left in the IVR before asking for an agent
    NO_ROUTE = "no_route"       # unknown number: spoken fallback, then hang-up
    FAILED = "failed"           # the switch or the engine could not complete the call
    TIMED_OUT = "timed_out"     # waited the queue's maximum: "all agents busy", then released
    QUEUE_FULL = "queue_full"   # the queue already held its maximum of waiting calls
    NO_AGENT = "no_agent"       # nobody able to take the queue was logged in
    CALLBACK = "callback"       # the caller left the queue asking to be called back (kept their place)
    VOICEMAIL = "voicemail"     # the caller left a voice message instead of waiting
    TRANSFERRED = "transferred"  # the IVR sent the call to an outside number or an extension
    SWITCH_LOST = "switch_lost"  # cut by a switch failure (it restarted, or the call vanished with no CDR)
    ENGINE_STOPPED = "engine_stopped"   # cut because the engine stopped (and the switch went with it)


#: outcomes of calls cut by a fault of the system, never counted as a caller's abandon
FAULT_OUTCOMES = frozenset({CallOutcome.SWITCH_LOST, CallOutcome.ENGINE_STOPPED})


class HangupSide(str, enum.Enum):
    """Who ended the call."""

    CALLER = "caller"
    AGENT = "agent"
    SYSTEM = "system"


class Role(str, enum.Enum):
    """Console roles: what a user may see and do."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    QUALITY = "quality"         # 质检员: listens to recordings, reads calls and reports; changes nothing
    VIEWER = "viewer"           # read-only: the wallboard, the home page and the reports (the purchaser's monitors)
    DEPARTMENT = "department"   # 承办单位: a responsible department's staff, who see and handle their own orders only
