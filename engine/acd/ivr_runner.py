"""Runs a call through its IVR flow: turns flow nodes into media commands and media results into next nodes."""
from __future__ import annotations

import logging

from engine.acd.floor import Floor
from engine.domain.call import Call
from engine.domain.commands import Collect, Command, Hangup, Play
from engine.domain.events import AppFinished
from engine.ivr.model import HangupNode, MenuNode, PlayNode, QueueNode

logger = logging.getLogger(__name__)

FALLBACK_PROMPT = "unknown_number.wav"     # spoken when a number has no flow (unknown DID)


def enter_node(floor: Floor, call: Call, node_id: str, out: list[Command]) -> QueueNode | None:
    """Start a node; returns the queue node when the node asks for an agent, else None."""
    flow = floor.flows[call.flow]  # type: ignore[index]
    node = flow.node(node_id)
    call.node = node_id
    call.ivr_path.append(node_id)
    if isinstance(node, PlayNode):
        call.pending_app = floor.new_id()
        out.append(Play(call.uuid, floor.prompt(node.prompt), call.pending_app))
    elif isinstance(node, MenuNode):
        call.pending_app = floor.new_id()
        keys = "".join(sorted(node.choices))
        out.append(Collect(call.uuid, call.pending_app, floor.prompt(node.prompt), floor.prompt(node.invalid_prompt),
                           1, 1, node.tries, node.timeout_ms, f"^[{_regex_class(keys)}]$"))
    elif isinstance(node, QueueNode):
        call.pending_app = None
        return node
    elif isinstance(node, HangupNode):
        call.pending_app = None
        if node.prompt:
            call.pending_app = floor.new_id()
            out.append(Play(call.uuid, floor.prompt(node.prompt), call.pending_app))
        else:
            call.ending = True
            out.append(Hangup(call.uuid, node.cause))
    return None


def _regex_class(keys: str) -> str:
    """A regex character class matching exactly these DTMF keys."""
    return "".join("\\" + k if k in "*#" else k for k in keys)


def next_node(floor: Floor, call: Call, result: AppFinished, out: list[Command]) -> str | None:
    """The node after a finished media app; None when the call is being hung up."""
    flow = floor.flows[call.flow]  # type: ignore[index]
    node = flow.node(call.node)  # type: ignore[arg-type]
    if isinstance(node, PlayNode):
        return node.next
    if isinstance(node, MenuNode):
        if result.read_result == "success" and result.digits in node.choices:
            call.ivr_path.append(f"key:{result.digits}")
            return node.choices[result.digits]
        call.ivr_path.append("key:default")
        logger.info("call %s: no valid key in menu %s (%s), taking the default", call.uuid, node.id,
                    result.read_result)
        return node.default
    if isinstance(node, HangupNode):
        call.ending = True
        out.append(Hangup(call.uuid, node.cause))
        return None
    return None
