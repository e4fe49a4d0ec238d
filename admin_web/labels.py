"""Translated display names for the engine's vocabularies (agent states, reasons, outcomes, roles)."""
from __future__ import annotations

import logging
import re

from flask_babel import lazy_gettext as _l

from engine.domain.states import AgentState, CallOutcome, HangupSide, NotReadyReason, Role

logger = logging.getLogger(__name__)

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


# the switch's hang-up causes (FreeSWITCH's names of the Q.850 causes, src/switch_channel.c CAUSE_CHART) as the
# console shows them; the code itself stays in the cell's title for the technicians, and an unknown one shows as is
HANGUP_CAUSE_LABELS = {
    "NORMAL_CLEARING": _l("Normal hang-up"), "NORMAL_UNSPECIFIED": _l("Normal hang-up"),
    "ORIGINATOR_CANCEL": _l("Cancelled by the caller"), "NO_ANSWER": _l("No answer"),
    "NO_USER_RESPONSE": _l("No response"), "USER_BUSY": _l("Busy"), "CALL_REJECTED": _l("Rejected"),
    "UNALLOCATED_NUMBER": _l("Number not in service"), "INVALID_NUMBER_FORMAT": _l("Number cannot be dialled"),
    "NO_ROUTE_DESTINATION": _l("No route to the number"), "USER_NOT_REGISTERED": _l("Phone not registered"),
    "SUBSCRIBER_ABSENT": _l("Phone not registered"), "NORMAL_TEMPORARY_FAILURE": _l("Temporary failure"),
    "DESTINATION_OUT_OF_ORDER": _l("Destination out of order"), "RECOVERY_ON_TIMER_EXPIRE": _l("Timed out"),
    "ALLOTTED_TIMEOUT": _l("Timed out"), "MEDIA_TIMEOUT": _l("Media timed out"), "LOSE_RACE": _l("Answered elsewhere"),
    "PICKED_OFF": _l("Picked up elsewhere"), "SYSTEM_SHUTDOWN": _l("System shut down"),
    "MANAGER_REQUEST": _l("Hung up by the system"), "BLIND_TRANSFER": _l("Transferred"),
    "ATTENDED_TRANSFER": _l("Transferred"), "EXCHANGE_ROUTING_ERROR": _l("Routing error"),
    "INCOMPATIBLE_DESTINATION": _l("Incompatible destination"), "NETWORK_OUT_OF_ORDER": _l("Network out of order"),
}


def cause_label(code: str | None) -> str:
    """A hang-up cause in words ('' for none; an unknown code as it is)."""
    if not code:
        return ""
    return str(HANGUP_CAUSE_LABELS.get(code, code))


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


# -- what the call log's entries are (the drill-down lists them) ------------------------------------------------

CALL_EVENT_LABELS = {
    "arrived": _l("Caller arrived"), "ivr_entered": _l("Entered the IVR"), "ivr_completed": _l("Went through the IVR"),
    "queued": _l("Entered a queue"), "offered": _l("Offered to an agent"), "no_answer": _l("Offer not answered"),
    "answered": _l("Answered"), "held": _l("Held by the agent"), "retrieved": _l("Retrieved from hold"),
    "transferred": _l("Transferred by the agent"), "overflowed": _l("Overflowed"), "abandoned": _l("Abandoned"),
    "callback_requested": _l("Callback requested"), "voicemail": _l("Voice message"),
    "released": _l("Released by the queue"), "cut": _l("Cut off by a system fault"),
    "talk_ended": _l("Talk ended"), "wrap_up_ended": _l("Wrap-up ended"), "survey": _l("Rated the service"),
    "dialed": _l("Outbound call"), "ended": _l("Caller left"), "trunk_all_busy": _l("All trunk channels busy"),
    "trunk_free": _l("A trunk channel came free"), "supervised": _l("A supervisor joined"),
    "supervision_ended": _l("The supervisor left"),
}
# The codes a log entry's detail may hold (other details are data: a flow name, a number, an IVR path).
EVENT_DETAIL_LABELS = {
    "ringing": _l("while an agent's phone rang"), "satisfied": _l("satisfied"), "unsatisfied": _l("not satisfied"),
    "listen": _l("listening"), "whisper": _l("whispering to the agent"), "barge": _l("barged in"),
    "timed_out": _l("waited too long"), "queue_full": _l("queue full"), "no_agent": _l("no agent logged in"),
    "switch_lost": _l("switch failure"), "engine_stopped": _l("engine stopped"), "transfer": _l("transfer"),
    "callback": _l("callback offered"), "reoffer": _l("offered again"),
}


def event_label(kind: str | None) -> str:
    """A call-log entry kind's name ('abandoned' reads 放弃 in Chinese)."""
    return "" if kind is None else str(CALL_EVENT_LABELS.get(str(getattr(kind, "value", kind)), kind))


def detail_label(detail: str | None) -> str:
    """A log entry's detail with its leading code named ('ringing …' reads 坐席振铃时 …); data is left as it is."""
    if not detail:
        return ""
    code, sep, rest = str(detail).partition(" ")
    named = EVENT_DETAIL_LABELS.get(code)
    return f"{named}{sep}{rest}" if named is not None else str(detail)


def reason_choices(codes) -> list[tuple[str, object]]:
    """(code, label) of not-ready reason codes, for forms (the labels stay lazy: translated when shown)."""
    return [(code, REASON_LABELS[NotReadyReason(code)]) for code in codes]


# -- the engine's refusals and validation messages, in the console's language -----------------------------------
# The engine (and its store) says why it refuses something in English, for its log and the API. Every such
# message a console page shows goes through engine_message(), which finds it in ENGINE_MESSAGES: the engine's
# wording with {placeholders}, and the console's translated sentence with the same names. A message not in the
# table is logged (so it can be added) and shown inside a translated sentence.

TRIGGER_LABELS = {
    "login": _l("sign in"), "ready": _l("set ready"), "not_ready": _l("set not ready"), "logout": _l("sign out"),
    "offer": _l("be offered a call"), "answer": _l("answer"), "hold": _l("put the call on hold"),
    "unhold": _l("take the call off hold"), "call_end": _l("end the call"), "wrap_up_done": _l("end wrap-up"),
}


def _state_name(value: str) -> str:
    try:
        return label(STATE_LABELS, AgentState(value))
    except ValueError:
        return value


def _trigger_name(value: str) -> str:
    return str(TRIGGER_LABELS.get(value, value))


ENGINE_MESSAGES: tuple[tuple[str, object], ...] = (
    # agent requests (engine.domain.agent, engine.acd.agent_actions, engine.acd.center, engine.store.repos)
    ("agent {agent}: cannot {action} while {state}", _l("Agent %(agent)s cannot %(action)s while %(state)s.")),
    ("agent {agent}: {action} needs a not-ready reason", _l("Agent %(agent)s: %(action)s needs a not-ready reason.")),
    ("agent {agent} is not known to the engine", _l("Agent %(agent)s is not known to the engine.")),
    ("agent {agent}: reoffer needs the new call", _l("Agent %(agent)s: the call to offer again is missing.")),
    ("unknown request {action}/{reason}", _l("The engine does not know the request %(action)s/%(reason)s.")),
    ("agent {agent} has no call in conversation", _l("Agent %(agent)s has no call in conversation.")),
    ("agent {agent} is not consulting anyone", _l("Agent %(agent)s is not consulting anyone.")),
    ("agent {agent} is being consulted: only hanging up is possible",
     _l("Agent %(agent)s is being consulted: only hanging up is possible.")),
    ("the consulted party has not answered yet", _l("The consulted party has not answered yet.")),
    ("finish the consultation first (transfer, conference or back to the caller)",
     _l("Finish the consultation first (transfer, conference or back to the caller).")),
    ("the call is already in conference", _l("The call is already in conference.")),
    ("agent {agent}'s call is not on hold", _l("Agent %(agent)s's call is not on hold.")),
    ("agent {agent}'s call is already on hold", _l("Agent %(agent)s's call is already on hold.")),
    ("a consultation is already in progress", _l("A consultation is already in progress.")),
    ("agent {agent} is not ready to be consulted", _l("Agent %(agent)s is not ready to be consulted.")),
    ("no agent of queue {queue} is ready to be consulted", _l("No agent of queue %(queue)s is ready to be consulted.")),
    ("agent {agent} has no ringing call", _l("Agent %(agent)s has no ringing call.")),
    ("consult target must be agent:<工号>, queue:<code> or number:<digits>",
     _l("Consult an agent (agent:工号), a queue (queue:code) or a number (number:digits).")),
    ("transfer target must be queue:<code>, agent:<工号>, flow:<name> or number:<digits>",
     _l("Transfer to a queue (queue:code), an agent (agent:工号), a flow (flow:name) or a number (number:digits).")),
    ("no queue {queue}", _l("There is no queue %(queue)s.")),
    ("no flow {flow}", _l("There is no flow %(flow)s.")),
    ("a number has digits only", _l("A number has digits only.")),
    ("agent {agent} is not ready to take a transfer", _l("Agent %(agent)s is not ready to take a transfer.")),
    ("agent {agent} is not in a conversation", _l("Agent %(agent)s is not in a conversation.")),
    ("the supervisor's extension is needed (digits)", _l("The supervisor's extension is needed (digits).")),
    ("dial target must be number:<digits>", _l("Dial a number (number:digits).")),
    ("agent {agent} cannot dial while {state}", _l("Agent %(agent)s cannot dial while %(state)s.")),
    ("agent {agent}: the phone's last call is still being released",
     _l("Agent %(agent)s: the phone's last call is still being released.")),
    ("agent {agent}: can only extend wrap-up during wrap-up",
     _l("Agent %(agent)s: wrap-up can only be extended during wrap-up.")),
    ("agent {agent} is already logged in", _l("Agent %(agent)s is already signed in.")),
    ("the engine stopped before carrying it out; ask again",
     _l("The engine stopped before carrying it out; please ask again.")),
    # report definitions (engine.reports.definitions.validate)
    ("service level threshold must be one of {values}", _l("The service level threshold must be one of %(values)s.")),
    ("short-abandon threshold must be one of {values}", _l("The short-abandon threshold must be one of %(values)s.")),
    ("abandon treatment must be one of {values}", _l("Choose how abandoned calls count in the service level.")),
    ("abandon treatment of the answer rate must be one of {values}",
     _l("Choose how abandoned calls count in the answer rate.")),
    ("scorecard rounding must be one of {values}", _l("Choose how the scorecard counts percentage points.")),
    ("valid ratings are keys 0–9, at least one", _l("Valid ratings are keys 0–9, at least one.")),
    ("satisfied ratings must be valid ratings", _l("Satisfied keys must also be rating keys.")),
    ("rest reasons must be among {values}", _l("Rest reasons must be not-ready reasons.")),
    # queue overflow rules (engine.store.repos.parse_overflow)
    ("queue {queue}: {detail}", _l("Queue %(queue)s: %(detail)s")),
    ("overflow rules must be a JSON list", _l("The overflow rules must be a list.")),
    ("each overflow rule must be an object", _l("Each overflow rule must be a set of fields.")),
    ("rule {rule}: needs after_s >= 0 and action in {actions}",
     _l("Rule %(rule)s needs a wait of 0 s or more and an action (widen, overflow or announce).")),
    ("rule {rule}: 'skills' must map known skill codes to minimum levels",
     _l("Rule %(rule)s: give known skills with their minimum levels.")),
    ("rule {rule}: 'queue' must name an existing queue", _l("Rule %(rule)s: choose an existing queue.")),
    ("rule {rule}: 'prompt' is required", _l("Rule %(rule)s: a prompt is required.")),
    # holiday calendar (engine.store.numbers.set_override)
    ("{day}: kind must be holiday or workday, not {kind}", _l("%(day)s: choose a holiday or a working day.")),
    ("{day}: name longer than 64 characters", _l("%(day)s: the name is longer than 64 characters.")),
    # prompts (engine.prompts)
    ("prompt name {name} must be 1-64 letters, digits, _ or -",
     _l("The prompt name %(name)s must be 1–64 letters, digits, _ or -.")),
    ("cannot decode .{format} files here: install ffmpeg, or upload a WAV file",
     _l("This server cannot read .%(format)s files (ffmpeg is not installed): upload a WAV file.")),
    ("{file}: not a readable {format} audio file ({error})", _l("%(file)s is not a readable %(format)s audio file.")),
    ("{file}: the recording is empty", _l("%(file)s: the recording is empty.")),
    ("{file}: longer than {seconds} s", _l("%(file)s is longer than %(seconds)s seconds.")),
    # IVR flows (engine.ivr.loader): the problems a flow file can have, shown on the flows page
    ('leads to unknown node {target}', _l('Leads to a node that does not exist: %(target)s.')),
    ('unreachable from start {start}', _l('No path from the start node %(start)s reaches it.')),
    ('loop without exit (only play/set nodes in the cycle)', _l('It loops forever: only prompts and settings in the cycle.')),
    ('prompt file {prompt} not found in {folder}', _l('The prompt file %(prompt)s is not in the prompts folder.')),
    ('queue {queue} is not configured', _l('The queue %(queue)s is not configured.')),
    ('start node {start} does not exist', _l('The start node %(start)s does not exist.')),
    ('must be a mapping', _l('A node must be a set of fields.')),
    ("missing '{key}'", _l('The field %(key)s is missing.')),
    ('unknown node type {kind} ({known})', _l('Unknown node type %(kind)s.')),
    ("'choices' must map keys (0-9, *, #) to node ids", _l('The choices must map keys (0-9, *, #) to nodes.')),
    ('choice keys must be single DTMF keys, got {keys}', _l('Each choice must be a single key: %(keys)s.')),
    ('tries must be 1-9 and timeout_ms 1000-60000', _l('Tries must be 1–9 and the timeout 1000–60000 ms.')),
    ('min_digits/max_digits must satisfy 1 <= min <= max <= 64', _l('The digit counts must satisfy 1 ≤ minimum ≤ maximum ≤ 64.')),
    ('regex must not contain spaces (FreeSWITCH splits the arguments on spaces)', _l('The pattern must not contain spaces.')),
    ('terminator must be #, * or none', _l('The end key must be #, * or none.')),
    ('variable must be a name of letters, digits and _', _l('The variable name may have letters, digits and _ only.')),
    ('no_input_prompt must be a prompt file name without spaces', _l('The no-input prompt must be a file name without spaces.')),
    ('priority must be 0-100', _l('The priority must be 0–100.')),
    ("'data' must map names to values", _l('The attached data must map names to values.')),
    ("'values' must map variable names to values", _l('The values must map variable names to values.')),
    ("'to' must be number:<digits> or extension:<ext>", _l('The target must be number:<digits> or extension:<ext>.')),
    ('max_s must be 5-600', _l('The longest message must be 5–600 s.')),
    ('low/high must be keys 0-9 with low < high', _l('The lowest and highest keys must be 0–9, lowest first.')),
    ("two keys of 'ratings' store the same rating", _l('Two keys store the same rating.')),
    ('rating keys must be single keys 0-9, got {key}', _l('Rating keys must be single keys 0–9: %(key)s.')),
    ('key {key} must store a rating 0-9, got {rating}', _l('Key %(key)s must store a rating 0–9, not %(rating)s.')),
    ('key {key} must store one of {known}, got {rating}', _l('Key %(key)s must store satisfied, basically or unsatisfied, not %(rating)s.')),
    ("'of' is handling (the order's handling) or department", _l("'of' is handling or department.")),
    ('unknown condition {unknown} (known: {known})', _l('Unknown condition %(unknown)s.')),
    ("each branch needs 'when' (a mapping) and 'next'", _l('Each branch needs a condition (when) and a next node.')),
)

_CONVERT = {"state": _state_name, "action": _trigger_name}


def _compile(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    # a value never spans "; ", which separates the problems of one message
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>(?:(?!; ).)+?)" for i, p in enumerate(parts))
    return re.compile(pattern, re.DOTALL)


_COMPILED = tuple((_compile(template), sentence) for template, sentence in ENGINE_MESSAGES)


def _parts(text: str) -> list[str]:
    """A message as the table knows it: whole, or its "; "-separated parts (definitions list every problem)."""
    if any(p.fullmatch(text) for p, _s in _COMPILED):
        return [text]
    return text.split("; ")


def engine_message_known(text: str) -> bool:
    """Whether an engine message (or each of its parts) is in ENGINE_MESSAGES."""
    return all(any(p.fullmatch(part) for p, _s in _COMPILED) for part in _parts(str(text)))


def _one(part: str) -> str:
    for pattern, sentence in _COMPILED:
        match = pattern.fullmatch(part)
        if match:
            values = {k: (engine_message(v) if k == "detail" else _CONVERT.get(k, str)(v))
                      for k, v in match.groupdict().items()}
            return str(sentence) % values
    logger.warning("engine message not in admin_web.labels.ENGINE_MESSAGES: %s", part)
    return str(_l("The engine refused this: %(detail)s")) % {"detail": part}


def engine_message(text: object) -> str:
    """An engine refusal or validation message (or exception) in the console's language."""
    return " ".join(_one(part) for part in _parts(str(text)))


# -- an agent's request as the agents page notes it ----------------------------------------------------------------

REQUEST_ACTION_LABELS = {
    "answer": _l("Answer"), "hangup": _l("Hang up"), "hold": _l("Hold"), "unhold": _l("Retrieve"),
    "transfer": _l("Transfer the call"), "dial": _l("Dial"), "consult": _l("Consult another party"),
    "consult_transfer": _l("Transfer after the consultation"), "conference": _l("Three-party conference"),
    "consult_cancel": _l("End the consultation"), "listen": _l("Listen"), "whisper": _l("Whisper"),
    "barge": _l("Barge in"), "takeover": _l("Take the call over"),
}


def request_action_label(action: str, reason: str | None = None) -> str:
    """What was asked: 'not_ready' with 'meal' reads 示忙: 用餐; a call action its name; an unknown one as it is."""
    if action == "not_ready" and reason in {r.value for r in NotReadyReason}:
        return command_label(f"not_ready:{reason}")
    if action in COMMAND_LABELS:
        return command_label(action)
    return str(REQUEST_ACTION_LABELS.get(action, action))


def request_result_label(result: str | None) -> str:
    """The engine's answer to a request: pending, done, or refused with its reason in the user's language."""
    if not result or result == "pending":
        return str(_l("pending"))
    if result == "ok":
        return str(_l("done"))
    why = result.partition(":")[2].strip() if result.startswith("refused") else result
    return f"{_l('refused')}: {engine_message(why)}" if why else str(_l("refused"))
