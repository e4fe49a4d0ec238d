"""Pure translation of ESL events into domain events (or None when the core does not care)."""
from __future__ import annotations

import logging

from engine.domain.events import (AppFinished, CallParked, DigitPressed, Event, LegAnswered, LegBridged, LegHeld,
                                  LegHungUp, OriginateResult, RecordingStopped)
from engine.switch.frames import EslEvent

logger = logging.getLogger(__name__)

MEDIA_APPS = frozenset({"playback", "play_and_get_digits", "endless_playback", "record"})
DIGITS_VAR = "cc_digits"        # channel variable play_and_get_digits collects into (see encode.collect_arg)


def timestamp(ev: EslEvent) -> float:
    """Event time in epoch seconds (Event-Date-Timestamp is in microseconds)."""
    raw = ev.get("Event-Date-Timestamp")
    try:
        return int(raw) / 1_000_000 if raw else 0.0
    except ValueError:
        return 0.0


def decode(ev: EslEvent, now: float | None = None) -> Event | None:
    """Map one ESL event to a domain event; malformed events are logged and dropped (never raise)."""
    at = timestamp(ev) or (now or 0.0)
    try:
        decoder = _DECODERS.get(ev.name)
        return decoder(ev, at) if decoder else None
    except (KeyError, ValueError) as exc:
        logger.warning("malformed %s event dropped: %s", ev.name, exc)
        return None


def _require(ev: EslEvent, name: str) -> str:
    """A header that must be present."""
    value = ev.get(name)
    if not value:
        raise KeyError(f"missing header {name}")
    return value


def _park(ev: EslEvent, at: float) -> CallParked:
    return CallParked(
        uuid=_require(ev, "Unique-ID"),
        ani=ev.get("Caller-Caller-ID-Number") or ev.get("Caller-ANI") or "",
        dnis=ev.var("cc_did") or ev.get("Caller-Destination-Number") or "",
        caller_name=ev.get("Caller-Caller-ID-Name") or "",
        inbound=ev.get("Call-Direction") == "inbound",
        at=at,
    )


def _answer(ev: EslEvent, at: float) -> LegAnswered:
    return LegAnswered(_require(ev, "Unique-ID"), at)


def _hangup(ev: EslEvent, at: float) -> LegHungUp:
    """CHANNEL_HANGUP_COMPLETE: the leg is gone. It is fired in CS_REPORTING, after the hang-up state's handlers
    ran (mod_sofia has sent the BYE or CANCEL, src/switch_core_state_machine.c), so an agent's phone is free of
    its last call by then; CHANNEL_HANGUP comes before that (capture 04a: the agent leg's CS_HANGUP state, then
    HANGUP_COMPLETE). A failed originate may report its BACKGROUND_JOB before or after it (capture 04b)."""
    return LegHungUp(_require(ev, "Unique-ID"), ev.get("Hangup-Cause") or "NORMAL_CLEARING", at)


def _bridge(ev: EslEvent, at: float) -> LegBridged:
    return LegBridged(_require(ev, "Bridge-A-Unique-ID"), _require(ev, "Bridge-B-Unique-ID"), at)


def _execute_complete(ev: EslEvent, at: float) -> AppFinished | None:
    app = ev.get("Application") or ""
    if app not in MEDIA_APPS:
        return None
    return AppFinished(
        uuid=_require(ev, "Unique-ID"), app=app, app_uuid=ev.get("Application-UUID") or "",
        response=ev.get("Application-Response") or "", digits=ev.var(DIGITS_VAR) if app == "play_and_get_digits" else None,
        read_result=ev.var("read_result") if app == "play_and_get_digits" else None, at=at,
        record_ms=_int(ev.var("record_ms")) if app == "record" else None,
        hangup=ev.get("Answer-State") == "hangup",     # after CHANNEL_HANGUP (captures 03, 04b)
        # switch_ivr_play_file sets playback_ms (samples read) before PLAYBACK_STOP (capture 03: 2759 for 2.76 s)
        played_ms=_int(ev.var("playback_ms")) if app == "playback" else None,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _record_stop(ev: EslEvent, at: float) -> RecordingStopped:
    """RECORD_STOP: Record-File-Path, record_ms and Record-Completion-Cause (switch_ivr_async.c)."""
    return RecordingStopped(_require(ev, "Unique-ID"), _require(ev, "Record-File-Path"), _int(ev.var("record_ms")),
                            ev.get("Record-Completion-Cause") or ev.var("record_completion_cause") or "", at)


def _hold(ev: EslEvent, at: float) -> LegHeld:
    return LegHeld(_require(ev, "Unique-ID"), ev.name == "CHANNEL_HOLD", at)


def _dtmf(ev: EslEvent, at: float) -> DigitPressed:
    return DigitPressed(_require(ev, "Unique-ID"), _require(ev, "DTMF-Digit"), at)


def _background_job(ev: EslEvent, at: float) -> OriginateResult | None:
    """The result of a bgapi originate: `+OK <uuid>` or `-ERR <CAUSE>`."""
    if (ev.get("Job-Command") or "") != "originate":
        return None
    body = (ev.body or "").strip()
    job = _require(ev, "Job-UUID")
    if body.startswith("+OK"):
        return OriginateResult(job, True, body[3:].strip() or None, "", at)
    cause = body[4:].strip() if body.startswith("-ERR") else (body or "UNKNOWN")
    return OriginateResult(job, False, None, cause.split()[0] if cause else "UNKNOWN", at)


_DECODERS = {
    "CHANNEL_PARK": _park,
    "CHANNEL_ANSWER": _answer,
    "CHANNEL_HANGUP_COMPLETE": _hangup,
    "CHANNEL_BRIDGE": _bridge,
    "CHANNEL_EXECUTE_COMPLETE": _execute_complete,
    "BACKGROUND_JOB": _background_job,
    "DTMF": _dtmf,
    "CHANNEL_HOLD": _hold,
    "CHANNEL_UNHOLD": _hold,
    "RECORD_STOP": _record_stop,
}

SUBSCRIBED_EVENTS = ("CHANNEL_PARK CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE_COMPLETE BACKGROUND_JOB DTMF CHANNEL_HOLD "
                     "CHANNEL_UNHOLD RECORD_STOP",)
# Of the subscribed events, only these reach the engine: every one it decodes, and the completions of the media
# applications only (not of the dialplan's set/export/answer/park). mod_event_socket.c event_handler sends a
# subscribed event to a listener with filters only when a positive filter matches one of its headers, so the
# switch neither serializes nor sends the rest (the CPU of the call is mostly events).
SUBSCRIPTION_FILTERS = tuple([("Event-Name", name) for name in ("CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE",
                                                                  "BACKGROUND_JOB", "DTMF", "CHANNEL_HOLD",
                                                                  "CHANNEL_UNHOLD", "RECORD_STOP")]
                             + [("Application", app) for app in sorted(MEDIA_APPS)])
