"""Flow nodes: what an IVR flow is made of (play, menu, queue, hang-up)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class PlayNode:
    """Play a prompt, then go to `next`."""

    id: str
    prompt: str
    next: str


@dataclasses.dataclass(frozen=True)
class MenuNode:
    """Play a prompt and take one key; each choice leads to a node; `default` after no or invalid input."""

    id: str
    prompt: str
    invalid_prompt: str
    choices: Mapping[str, str]
    default: str
    tries: int = 3
    timeout_ms: int = 5000


@dataclasses.dataclass(frozen=True)
class QueueNode:
    """Ask for an agent in a queue (转人工)."""

    id: str
    queue: str
    priority: int = 0


@dataclasses.dataclass(frozen=True)
class HangupNode:
    """Optionally play a goodbye prompt, then hang up."""

    id: str
    prompt: str | None = None
    cause: str = "NORMAL_CLEARING"


Node = PlayNode | MenuNode | QueueNode | HangupNode


@dataclasses.dataclass(frozen=True)
class Flow:
    """A validated flow: a named graph of nodes with a start node."""

    name: str
    start: str
    nodes: Mapping[str, Node]
    source: str = ""
    description: str = ""

    def node(self, node_id: str) -> Node:
        """The node with that id (validated flows never dangle)."""
        return self.nodes[node_id]
