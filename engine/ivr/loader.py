"""Load and validate flow files (ivr_flows/*.yaml); every problem names the file, the node and what is wrong."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import yaml

from engine.ivr.model import Flow, HangupNode, MenuNode, Node, PlayNode, QueueNode

logger = logging.getLogger(__name__)


class FlowError(Exception):
    """A flow file is invalid; `problems` lists every message."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def load_flow(path: str | os.PathLike, prompts_dir: str | os.PathLike | None = None,
              queues: Iterable[str] | None = None) -> Flow:
    """Parse one flow file and validate it; raise FlowError with every problem found."""
    path = Path(path)
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError([f"{where}: cannot read flow: {exc}"]) from None
    return parse_flow(data, where, prompts_dir, queues)


def parse_flow(data: object, where: str, prompts_dir: str | os.PathLike | None = None,
               queues: Iterable[str] | None = None) -> Flow:
    """Validate already-parsed flow data."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise FlowError([f"{where}: a flow must be a mapping with name, start and nodes"])
    name = data.get("name") or Path(where).stem
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        raise FlowError([f"{where}: 'nodes' must be a non-empty mapping of node id to node"])
    nodes: dict[str, Node] = {}
    for node_id, spec in raw_nodes.items():
        node = _parse_node(str(node_id), spec, f"{where}: node {node_id}", problems)
        if node is not None:
            nodes[str(node_id)] = node
    start = str(data.get("start", ""))
    if start not in raw_nodes:
        problems.append(f"{where}: start node {start!r} does not exist")
    _check_links(nodes, where, problems)
    _check_reachable(nodes, start, where, problems)
    if prompts_dir is not None:
        _check_prompts(nodes, Path(prompts_dir), where, problems)
    if queues is not None:
        known = set(queues)
        for node in nodes.values():
            if isinstance(node, QueueNode) and node.queue not in known:
                problems.append(f"{where}: node {node.id}: queue {node.queue!r} is not configured")
    if problems:
        raise FlowError(problems)
    return Flow(name=str(name), start=start, nodes=nodes, source=where,
                description=str(data.get("description", "")))


def _parse_node(node_id: str, spec: object, where: str, problems: list[str]) -> Node | None:
    """One node from its mapping; problems are appended, None returned when unusable."""
    if not isinstance(spec, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    kind = spec.get("type")
    try:
        if kind == "play":
            return PlayNode(node_id, _req(spec, "prompt"), _req(spec, "next"))
        if kind == "menu":
            choices = spec.get("choices")
            if not isinstance(choices, dict) or not choices:
                raise ValueError("'choices' must map keys (0-9, *, #) to node ids")
            bad = [k for k in choices if str(k) not in "0123456789*#" or len(str(k)) != 1]
            if bad:
                raise ValueError(f"choice keys must be single DTMF keys, got {bad}")
            tries, timeout = int(spec.get("tries", 3)), int(spec.get("timeout_ms", 5000))
            if not 1 <= tries <= 9 or not 1000 <= timeout <= 60000:
                raise ValueError("tries must be 1-9 and timeout_ms 1000-60000")
            return MenuNode(node_id, _req(spec, "prompt"), _req(spec, "invalid_prompt"),
                            {str(k): str(v) for k, v in choices.items()}, _req(spec, "default"), tries, timeout)
        if kind == "queue":
            priority = int(spec.get("priority", 0))
            if not 0 <= priority <= 100:
                raise ValueError("priority must be 0-100")
            return QueueNode(node_id, _req(spec, "queue"), priority)
        if kind == "hangup":
            return HangupNode(node_id, spec.get("prompt"), str(spec.get("cause", "NORMAL_CLEARING")))
        raise ValueError(f"unknown node type {kind!r} (play, menu, queue, hangup)")
    except (ValueError, TypeError) as exc:
        problems.append(f"{where}: {exc}")
        return None


def _req(spec: dict, key: str) -> str:
    """A required string field."""
    value = spec.get(key)
    if value is None or str(value).strip() == "":
        raise ValueError(f"missing '{key}'")
    return str(value)


def _targets(node: Node) -> list[str]:
    """Node ids a node can lead to."""
    if isinstance(node, PlayNode):
        return [node.next]
    if isinstance(node, MenuNode):
        return [*node.choices.values(), node.default]
    return []


def _check_links(nodes: dict[str, Node], where: str, problems: list[str]) -> None:
    """Every next/choice/default names an existing node."""
    for node in nodes.values():
        for target in _targets(node):
            if target not in nodes:
                problems.append(f"{where}: node {node.id}: leads to unknown node {target!r}")


def _check_reachable(nodes: dict[str, Node], start: str, where: str, problems: list[str]) -> None:
    """Report nodes no path from the start reaches, and play loops with no way out."""
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current in seen or current not in nodes:
            continue
        seen.add(current)
        todo.extend(_targets(nodes[current]))
    for node_id in nodes:
        if node_id not in seen:
            problems.append(f"{where}: node {node_id}: unreachable from start {start!r}")
    for node in nodes.values():
        if isinstance(node, PlayNode) and _loops_forever(nodes, node.id):
            problems.append(f"{where}: node {node.id}: play loop without exit (only play nodes in the cycle)")


def _loops_forever(nodes: dict[str, Node], node_id: str) -> bool:
    """True when following 'next' from a play node only ever meets play nodes and comes back."""
    seen: set[str] = set()
    current = node_id
    while current in nodes and isinstance(nodes[current], PlayNode):
        if current in seen:
            return True
        seen.add(current)
        current = nodes[current].next  # type: ignore[union-attr]
    return False


def _check_prompts(nodes: dict[str, Node], prompts_dir: Path, where: str, problems: list[str]) -> None:
    """Every prompt file named by the flow exists."""
    for node in nodes.values():
        for prompt in (getattr(node, "prompt", None), getattr(node, "invalid_prompt", None)):
            if prompt and "://" not in prompt and not (prompts_dir / prompt).is_file():
                problems.append(f"{where}: node {node.id}: prompt file {prompt!r} not found in {prompts_dir}")


def load_flows(flows_dir: str | os.PathLike, prompts_dir: str | os.PathLike | None = None,
               queues: Iterable[str] | None = None) -> tuple[dict[str, Flow], dict[str, list[str]]]:
    """Load every *.yaml flow; return the valid flows by name and the problems of the invalid ones by file."""
    flows: dict[str, Flow] = {}
    errors: dict[str, list[str]] = {}
    queues = list(queues) if queues is not None else None
    for path in sorted(Path(flows_dir).glob("*.yaml")):
        try:
            flow = load_flow(path, prompts_dir, queues)
        except FlowError as exc:
            errors[path.name] = exc.problems
            for problem in exc.problems:
                logger.error("invalid flow: %s", problem)
            continue
        flows[flow.name] = flow
    return flows, errors
