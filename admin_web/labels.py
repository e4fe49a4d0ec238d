"""Translated display names for the engine's vocabularies (agent states, reasons, outcomes, roles)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason, Role

STATE_LABELS = {
    AgentState.LOGGED_OUT: _l("Logged out"),
    AgentState.READY: _l("Ready"),
    AgentState.NOT_READY: _l("Not ready"),
    AgentState.RESERVED: _l("Ringing"),
    AgentState.TALKING: _l("Talking"),
    AgentState.ON_HOLD: _l("On hold"),
    AgentState.WRAP_UP: _l("Wrap-up"),
}

REASON_LABELS = {
    NotReadyReason.BREAK: _l("Break"),
    NotReadyReason.MEAL: _l("Meal"),
    NotReadyReason.TRAINING: _l("Training"),
    NotReadyReason.AFTER_CALL_WORK: _l("After-call work"),
    NotReadyReason.MEETING: _l("Meeting"),
    NotReadyReason.NO_ANSWER: _l("No answer"),
    NotReadyReason.SYSTEM: _l("System"),
}

OUTCOME_LABELS = {
    CallOutcome.ANSWERED: _l("Answered"),
    CallOutcome.ABANDONED: _l("Abandoned"),
    CallOutcome.IVR_ONLY: _l("IVR only"),
    CallOutcome.NO_ROUTE: _l("No route"),
    CallOutcome.FAILED: _l("Failed"),
    CallOutcome.TIMED_OUT: _l("Waited too long"),
    CallOutcome.QUEUE_FULL: _l("Queue full"),
    CallOutcome.NO_AGENT: _l("No agent logged in"),
    CallOutcome.CALLBACK: _l("Callback requested"),
    CallOutcome.VOICEMAIL: _l("Voice message"),
    CallOutcome.TRANSFERRED: _l("Transferred by the IVR"),
    CallOutcome.SWITCH_LOST: _l("Cut off: switch failure"),
    CallOutcome.ENGINE_STOPPED: _l("Cut off: engine stopped"),
}

SIDE_LABELS = {
    HangupSide.CALLER: _l("Caller"),
    HangupSide.AGENT: _l("Agent"),
    HangupSide.SYSTEM: _l("System"),
}

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AGENT: _l("Agent"),
    Role.QUALITY: _l("Quality inspector"),
    Role.VIEWER: _l("Viewer (read-only)"),
    Role.DEPARTMENT: _l("Department (handles its orders)"),
}


def label(mapping: dict, value: object) -> str:
    """The translated label of an enum member (or its raw value if unknown, '' for None)."""
    if value is None:
        return ""
    return str(mapping.get(value, getattr(value, "value", value)))


COMMAND_LABELS = {
    "login": _l("Sign in for work"),
    "ready": _l("Set ready"),
    "logout": _l("Sign out from work"),
    "extend_wrap_up": _l("Extend wrap-up"),
}


def command_label(command: str) -> str:
    """Label of a state command: 'not_ready:meal' reads 'Not ready: Meal'."""
    if command.startswith("not_ready:"):
        reason = NotReadyReason(command.split(":", 1)[1])
        return f"{STATE_LABELS[AgentState.NOT_READY]}: {REASON_LABELS[reason]}"
    return str(COMMAND_LABELS[command])
