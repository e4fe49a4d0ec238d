"""What the switch has right now, as the core understands it: `show channels as json`, each row with the marks this
engine (or an engine before it) put on the channel with uuid_setvar_multi, read back with uuid_getvar.

Ground truth (capture 09, README items 37-38): a caller waiting in a queue is not parked but executing the hold
music (`application=playback`), and keeps its `cc_*` variables; `show channels` reads FreeSWITCH's core database,
which can keep a row for a channel that no longer exists, whose uuid_getvar answers `-ERR No such channel!`.
Translation only: what to do with the channels is the core's business (engine.acd.directory).
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from engine.domain.events import LiveChannel

logger = logging.getLogger(__name__)

AGENT_LEG_MARKS = ("cc_call_uuid", "cc_agent", "cc_queue")      # engine.acd.effects.ring_agent's leg variables
WAITING_MARKS = ("cc_queue", "cc_enqueued_at", "cc_priority", "cc_step")   # engine.acd.queueing.mark_waiting
ANSWERED_MARKS = ("cc_answered_at", "cc_agent")                              # engine.acd.offers.connect
IVR_MARKS = ("cc_flow", "cc_node", "cc_data", "cc_path", "cc_media", "cc_done", "cc_digits")   # ivr_runner.mark_ivr
FLOW_MARKS = ("cc_flow", "cc_after", "cc_path")                              # engine.acd.queueing.mark_waiting
LEAVING_MARKS = ("cc_outcome", "cc_voicemail", "cc_media", "cc_done")       # engine.acd.effects.mark_leaving
CUSTOMER_MARKS = ("cc_agent_leg", "cc_number", "cc_callback_of", "cc_dnis")   # engine.acd.callbacks.customer_marks
CUSTOMER_PHASES = ("callback", "dialout")
FOLLOW_UP_PHASES = ("followup", "ivr")      # a citizen rung for a follow-up: answered, then in its flow
CONSULT_MARKS = ("cc_consult_of", "cc_consulted", "cc_consult_kind", "cc_consult_target",   # engine.acd.consult
                 "cc_consult_bridged")
NO_SUCH_CHANNEL = "No such channel"


def list_channels(api: Callable[[str], str]) -> tuple[LiveChannel, ...]:
    """Every channel the switch really has (ghost rows left out), with its marks. Raises ValueError when the list
    is not JSON; the api's own errors pass through."""
    raw = api("show channels as json")
    rows = json.loads(raw).get("rows", []) if raw.strip().startswith("{") else []
    channels = (live_channel(api, row) for row in rows)
    return tuple(ch for ch in channels if ch is not None)


def live_channel(api: Callable[[str], str], row: dict) -> LiveChannel | None:
    """One `show channels` row; None for a ghost."""
    uuid = row.get("uuid", "")
    inbound = row.get("direction") == "inbound"
    marks: dict[str, object] = {}
    for name in ("cc_phase",) if inbound else AGENT_LEG_MARKS:
        value = api(f"uuid_getvar {uuid} {name}").strip()
        if value.startswith("-ERR") and NO_SUCH_CHANNEL in value:
            logger.warning("switch lists channel %s (%s) that does not exist: ignored", uuid, row.get("name"))
            return None
        marks[name] = _value(value)
    if not inbound and marks.get("cc_call_uuid") is None:     # not an agent's leg: a customer's we dialled?
        phase = _value(api(f"uuid_getvar {uuid} cc_phase").strip())
        if phase in CUSTOMER_PHASES:
            marks.update(_customer_marks(api, uuid, phase))
        elif phase == "consult":
            marks["cc_phase"] = phase
            marks.update({name: _value(api(f"uuid_getvar {uuid} {name}").strip()) or "" for name in CONSULT_MARKS})
        elif phase in FOLLOW_UP_PHASES:     # an automated follow-up call (engine.acd.followups)
            marks["cc_phase"] = phase
            marks["cc_follow_up"] = _value(api(f"uuid_getvar {uuid} cc_follow_up").strip()) or ""
    if marks.get("cc_phase") in ("queued", "connected"):
        marks.update(_waiting_marks(api, uuid))
        marks.update({name: _value(api(f"uuid_getvar {uuid} {name}").strip()) or "" for name in FLOW_MARKS})
    if marks.get("cc_phase") == "leaving":
        marks.update({name: _value(api(f"uuid_getvar {uuid} {name}").strip()) or "" for name in LEAVING_MARKS})
        marks.update({name: _value(api(f"uuid_getvar {uuid} {name}").strip()) or "" for name in FLOW_MARKS})
    if marks.get("cc_phase") == "ivr":
        marks.update({name: _value(api(f"uuid_getvar {uuid} {name}").strip()) or "" for name in IVR_MARKS})
    if marks.get("cc_phase") in ("connected", "ivr"):     # an answered call may have gone on to a survey
        answered = {name: _value(api(f"uuid_getvar {uuid} {name}").strip()) for name in ANSWERED_MARKS}
        try:
            marks["cc_answered_at"] = float(answered["cc_answered_at"] or "")
        except ValueError:
            marks["cc_answered_at"] = None
        marks["cc_agent"] = answered["cc_agent"]
    try:
        created = float(row.get("created_epoch") or 0)
    except ValueError:
        created = 0.0
    return LiveChannel(uuid=uuid, inbound=inbound, ani=row.get("cid_num", ""), dnis=row.get("dest", ""),
                       caller_name=row.get("cid_name", ""), created_at=created or time.time(),
                       parked=row.get("application") == "park",
                       answered=row.get("callstate") in ("ACTIVE", "HELD", "UNHELD"),
                       held=row.get("callstate") == "HELD", application=row.get("application") or "", **marks)


def _value(reply: str) -> str | None:
    return None if reply in ("_undef_", "") or reply.startswith("-ERR") else reply


def _customer_marks(api: Callable[[str], str], uuid: str, phase: str) -> dict[str, object]:
    """A customer's leg of a callback or of an agent's outbound call: whose, which request, when answered."""
    marks: dict[str, object] = {"cc_phase": phase}
    marks.update({name: _value(api(f"uuid_getvar {uuid} {name}").strip()) or "" for name in CUSTOMER_MARKS})
    if marks["cc_callback_of"]:
        raw = {name: _value(api(f"uuid_getvar {uuid} {name}").strip())
               for name in ("cc_enqueued_at", "cc_priority", "cc_attempts")}
        try:
            marks.update({"cc_enqueued_at": float(raw["cc_enqueued_at"] or ""), "cc_priority": int(raw["cc_priority"]
                          or 0), "cc_attempts": int(raw["cc_attempts"] or 0)})
        except ValueError:
            logger.warning("callback leg %s: unreadable marks %s", uuid, raw)
    try:
        marks["cc_answered_at"] = float(_value(api(f"uuid_getvar {uuid} cc_answered_at").strip()) or "")
    except ValueError:
        marks["cc_answered_at"] = None
    return marks


def _waiting_marks(api: Callable[[str], str], uuid: str) -> dict[str, object]:
    """A waiting caller's queue, enqueue time, priority and overflow steps applied."""
    raw = {name: _value(api(f"uuid_getvar {uuid} {name}").strip()) for name in WAITING_MARKS}
    try:
        return {"cc_queue": raw["cc_queue"], "cc_enqueued_at": float(raw["cc_enqueued_at"] or ""),
                "cc_priority": int(raw["cc_priority"] or 0), "cc_step": int(raw["cc_step"] or 0)}
    except ValueError:
        logger.warning("caller %s: unreadable queue marks %s; treated as unmarked", uuid, raw)
        return {"cc_phase": None}
