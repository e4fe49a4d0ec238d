"""A call's IVR path in words (issue 16): call_records.ivr_path is the engine's trail of the call, steps joined by
" > " (engine.acd: each flow node entered, by its id, and marks such as ``key:1``, ``queue:tax_policy``,
``transfer:agent:1002:by 1001``). Node ids are read against the flow files (the node's type, the queue it asks for,
the variable it collects, the flow a goto continues in, following gotos from the call's first flow); marks are put
in words; a step of an unknown shape is shown as it is. Each step keeps its raw text for the title attribute."""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_web.flows.describe import NODE_TYPES
from engine.ivr.loader import load_flows
from engine.ivr.model import CollectNode, Flow, GotoNode, QueueNode, SurveyNode, TransferNode
from engine.reports.definitions import RATING_MEANINGS

logger = logging.getLogger(__name__)
SIMPLE_MARKS = {"no_input": _l("No key pressed"), "invalid_key": _l("A key the menu does not take"),
                "not_rated": _l("No rating given"), "callback": _l("Asked to be called back"),
                "voicemail": _l("Went on to leave a voice message"),
                "closed from the switch's CDR": _l("Closed from the switch's call record")}
SUPERVISION = {"listen": _l("listened in"), "whisper": _l("whispered to the agent"), "barge": _l("barged in")}


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of the path: what it says, and the engine's own text of it."""

    words: str
    raw: str


def steps_of(path: str | None) -> list[str]:
    """The raw steps of a stored path."""
    return [s.strip() for s in (path or "").split(" > ") if s.strip()]


def load(folder) -> dict[str, Flow]:
    """The valid flows of the flows directory by name ({} when there is none)."""
    if folder is None or not folder.is_dir():
        return {}
    flows, _errors = load_flows(folder)
    return flows


def _kind(kind: str, target: str, queues: Mapping[str, str]) -> str:
    if kind == "queue":
        return _("queue %(queue)s", queue=queues.get(target, target))
    if kind == "agent":
        return _("agent %(agent)s", agent=target)
    if kind == "flow":
        return _("IVR flow %(flow)s", flow=target)
    if kind == "number":
        return _("number %(number)s", number=target) if target else _("an outside number")
    if kind == "extension":
        return _("extension %(extension)s", extension=target)
    return f"{kind} {target}".strip()


def _node(node, flows: Mapping[str, Flow], queues: Mapping[str, str]) -> str:
    label = str(NODE_TYPES.get(type(node), ("", node.id))[1])
    if isinstance(node, QueueNode):
        return _("%(type)s: %(queue)s", type=label, queue=queues.get(node.queue, node.queue))
    if isinstance(node, CollectNode):
        return _("%(type)s: %(variable)s", type=label, variable=node.variable)
    if isinstance(node, GotoNode):
        flow = flows.get(node.flow)
        return _("%(type)s: %(flow)s", type=label, flow=(flow.description or flow.name) if flow else node.flow)
    if isinstance(node, TransferNode):
        kind, _sep, target = node.target.partition(":")
        return _("%(type)s: %(target)s", type=label, target=_kind(kind, target, queues))
    return label


def _mark(step: str, queues: Mapping[str, str], survey: SurveyNode | None) -> str | None:
    """A mark the engine writes (not a node id) in words; None when the step is not one."""
    head, _sep, rest = step.partition(":")
    parts = rest.split(":")
    if step == "key:default":
        return _("No valid key: the menu's default")
    if head == "key" and rest:
        return _("Pressed %(key)s", key=rest)
    if head == "rated" and rest:        # the meaning only from the survey node that took the key (keys map to codes)
        rating = survey.rating_of(rest) if survey is not None else None
        meaning = RATING_MEANINGS.get(rating) if rating is not None else None
        return _("Rated with key %(key)s (%(meaning)s)", key=rest, meaning=meaning) if meaning \
            else _("Rated with key %(key)s", key=rest)
    if head == "queue" and rest:
        return _("Entered the queue %(queue)s", queue=queues.get(rest, rest))
    if step in SIMPLE_MARKS:
        return str(SIMPLE_MARKS[step])
    if head == "follow_up" and rest:
        return _("Follow-up call for visit %(visit)s", visit=rest)
    if step == "queue_full":
        return _("The queue was full")
    if head == "rule" and rest:
        return _("Routing rule %(rule)s applied", rule=rest)
    if step == "fallback:unknown_number":
        return _("Number without a flow: the general greeting")
    if head == "callback" and rest:
        return _("Callback to the caller (queue %(queue)s)", queue=queues.get(rest, rest))
    if head == "prompt_missing":
        return _("Prompt missing at %(node)s", node=rest)
    if head in ("transfer", "consult") and len(parts) >= 3:
        kind, target, by = parts[0], ":".join(parts[1:-1]), parts[-1]
        agent = by.removeprefix("by ") if by.startswith("by ") else ""
        words = (_("Agent %(agent)s transferred the call to %(target)s", agent=agent, target=_kind(kind, target, queues))
                 if head == "transfer" else
                 _("Agent %(agent)s consulted %(target)s", agent=agent, target=_kind(kind, target, queues)))
        if by == "adopted after restart":
            words = _("Consultation with %(target)s, taken over after an engine restart",
                      target=_kind(kind, target, queues))
        return words
    if head == "takeover" and len(parts) >= 2:
        return _("%(actor)s took the call over from extension %(extension)s", actor=parts[0], extension=parts[1])
    if head in SUPERVISION and rest:
        return _("%(actor)s: %(action)s", actor=rest, action=SUPERVISION[head])
    if head == "dial" and rest:
        number, _sep, by = rest.rpartition(":by ")
        return (_("Agent %(agent)s dialled %(number)s", agent=by, number=number) if number
                else _("Dialled %(number)s", number=rest))
    if step == "conference":
        return _("Three-party conference")
    if step == "adopted after restart":
        return _("Taken over after an engine restart")
    if head == "customer" and rest:
        return _("The customer was not reached (%(cause)s)", cause=rest)
    if step == "after_call":
        return _("The agent hung up first: the flow went on")
    if head == "transferred" and rest:
        kind, _sep, target = rest.partition(":")
        return _("Transferred by the IVR to %(target)s", target=_kind(kind, target, queues))
    if head == "transfer_failed":
        return _("The IVR's transfer failed (%(cause)s)", cause=rest)
    if head == "switch_error":
        return _("Switch error (%(what)s)", what=rest)
    return None


def in_words(path: str | None, first_flow: str | None, flows: Mapping[str, Flow],
             queues: Mapping[str, str]) -> list[Step]:
    """Every step of the path in words, node ids read in the flow the call was in at that step (queues: code ->
    name)."""
    current = flows.get(first_flow or "")
    survey: SurveyNode | None = None
    out = []
    for step in steps_of(path):
        node = current.nodes.get(step) if current is not None else None
        if node is None and ":" not in step and " " not in step:
            # a node of another flow (the call went on by a goto the path shows, or the flow file changed)
            owner = next((f for f in flows.values() if step in f.nodes), None)
            if owner is not None:
                current, node = owner, owner.nodes[step]
        if node is not None:
            survey = node if isinstance(node, SurveyNode) else None     # a rating's key is the last node's
            out.append(Step(_node(node, flows, queues), step))
            if isinstance(node, GotoNode) and node.flow in flows:
                current = flows[node.flow]
            continue
        words = _mark(step, queues, survey)
        out.append(Step(words if words is not None else step, step))
    return out
