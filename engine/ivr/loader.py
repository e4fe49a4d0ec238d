"""Load and validate flow files (ivr_flows/*.yaml); every problem names the file, the node and what is wrong."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from engine.ivr.conditions import validate_when
from engine.domain.followup import Rating
from engine.ivr.model import (CollectNode, ConditionNode, FollowUpNode, Flow, GotoNode, HangupNode, MenuNode, Node,
                              PlayNode,
                              QueueNode, SetNode, SurveyNode, TransferNode, VoicemailNode)
from engine.ivr.model import NO_INPUT_PROMPT

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
    version = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return Flow(name=str(name), start=start, nodes=nodes, source=where,
                description=str(data.get("description", "")), version=version)


CONDITION_KEYS = ("time", "weekdays", "holiday", "workday", "caller", "caller_prefix", "called", "region", "var")


def _parse_node(node_id: str, spec: object, where: str, problems: list[str]) -> Node | None:
    """One node from its mapping; problems are appended, None returned when unusable."""
    if not isinstance(spec, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    kind = spec.get("type")
    parser = _PARSERS.get(str(kind))
    try:
        if parser is None:
            raise ValueError(f"unknown node type {kind!r} ({', '.join(sorted(_PARSERS))})")
        return parser(node_id, spec)
    except (ValueError, TypeError, re.error) as exc:
        problems.append(f"{where}: {exc}")
        return None


def _play(node_id: str, spec: dict) -> PlayNode:
    say = spec.get("say") or []
    if isinstance(say, dict):
        say = [say]
    pairs = []
    for item in say:
        if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in ("digits", "number"):
            raise ValueError("'say' items must be {digits: ...} or {number: ...}")
        (how, value), = item.items()
        pairs.append((how, str(value)))
    return PlayNode(node_id, _req(spec, "prompt"), _req(spec, "next"), tuple(pairs))


def _menu(node_id: str, spec: dict) -> MenuNode:
    choices = spec.get("choices")
    if not isinstance(choices, dict) or not choices:
        raise ValueError("'choices' must map keys (0-9, *, #) to node ids")
    bad = [k for k in choices if str(k) not in "0123456789*#" or len(str(k)) != 1]
    if bad:
        raise ValueError(f"choice keys must be single DTMF keys, got {bad}")
    tries, timeout = _tries_timeout(spec, 3, 5000)
    return MenuNode(node_id, _req(spec, "prompt"), _req(spec, "invalid_prompt"),
                    {str(k): str(v) for k, v in choices.items()}, _req(spec, "default"), tries, timeout,
                    _no_input_prompt(spec))


def _no_input_prompt(spec: dict) -> str:
    """What a menu or a collection says when no key came at all (default no_input.wav)."""
    value = spec.get("no_input_prompt", NO_INPUT_PROMPT)
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise ValueError("no_input_prompt must be a prompt file name without spaces")
    return value


def _collect(node_id: str, spec: dict) -> CollectNode:
    low, high = int(spec.get("min_digits", 1)), int(spec.get("max_digits", 20))
    if not 1 <= low <= high <= 64:
        raise ValueError("min_digits/max_digits must satisfy 1 <= min <= max <= 64")
    regex = str(spec.get("regex", r"^\d+$"))
    re.compile(regex)
    if " " in regex:
        raise ValueError("regex must not contain spaces (FreeSWITCH splits the arguments on spaces)")
    terminator = str(spec.get("terminator", "#"))
    if terminator not in ("#", "*", "none"):
        raise ValueError("terminator must be #, * or none")
    variable = _req(spec, "variable")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", variable):
        raise ValueError("variable must be a name of letters, digits and _")
    tries, timeout = _tries_timeout(spec, 3, 8000)
    return CollectNode(node_id, _req(spec, "prompt"), _req(spec, "invalid_prompt"), variable, _req(spec, "next"),
                       _req(spec, "on_failure"), low, high, regex, terminator, tries, timeout,
                       _no_input_prompt(spec))


def _condition(node_id: str, spec: dict) -> ConditionNode:
    branches = spec.get("branches")
    if not isinstance(branches, list) or not branches:
        raise ValueError("'branches' must be a list of {when: {...}, next: node}")
    parsed = []
    for branch in branches:
        if not isinstance(branch, dict) or not isinstance(branch.get("when"), dict):
            raise ValueError("each branch needs 'when' (a mapping) and 'next'")
        when = branch["when"]
        unknown = [k for k in when if k not in CONDITION_KEYS]
        if unknown:
            raise ValueError(f"unknown condition {unknown} (known: {', '.join(CONDITION_KEYS)})")
        validate_when(when)
        parsed.append((dict(when), _req(branch, "next")))
    return ConditionNode(node_id, tuple(parsed), _req(spec, "else"))


def _set(node_id: str, spec: dict) -> SetNode:
    values = spec.get("values")
    if not isinstance(values, dict) or not values:
        raise ValueError("'values' must map variable names to values")
    return SetNode(node_id, {str(k): str(v) for k, v in values.items()}, _req(spec, "next"))


def _goto(node_id: str, spec: dict) -> GotoNode:
    return GotoNode(node_id, _req(spec, "flow"), spec.get("node"))


def _queue(node_id: str, spec: dict) -> QueueNode:
    priority = int(spec.get("priority", 0))
    if not 0 <= priority <= 100:
        raise ValueError("priority must be 0-100")
    data = spec.get("data") or {}
    if not isinstance(data, dict):
        raise ValueError("'data' must map names to values")
    return QueueNode(node_id, _req(spec, "queue"), priority, {str(k): str(v) for k, v in data.items()},
                     spec.get("after_call"))


def _transfer(node_id: str, spec: dict) -> TransferNode:
    target = _req(spec, "to")
    kind, _, value = target.partition(":")
    if kind not in ("number", "extension") or not value:
        raise ValueError("'to' must be number:<digits> or extension:<ext>")
    return TransferNode(node_id, target, _req(spec, "on_failure"), int(spec.get("timeout_s", 30)))


def _voicemail(node_id: str, spec: dict) -> VoicemailNode:
    max_s = int(spec.get("max_s", 120))
    if not 5 <= max_s <= 600:
        raise ValueError("max_s must be 5-600")
    return VoicemailNode(node_id, _req(spec, "prompt"), max_s)


def _survey(node_id: str, spec: dict) -> SurveyNode:
    ratings = spec.get("ratings")
    tries, timeout = _tries_timeout(spec, 2, 6000)
    if ratings is not None:
        if "low" in spec or "high" in spec:
            raise ValueError("give either 'ratings' (key: rating stored) or low/high, not both")
        if not isinstance(ratings, dict) or len(ratings) < 2:
            raise ValueError("'ratings' must map at least two keys (0-9) to the rating each stores (0-9)")
        mapped: dict[str, int] = {}
        for key, rating in ratings.items():
            key = str(key)
            if len(key) != 1 or not key.isdigit():
                raise ValueError(f"rating keys must be single keys 0-9, got {key!r}")
            if isinstance(rating, str) and rating.strip().isdigit():
                rating = int(rating)
            if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 9:
                raise ValueError(f"key {key} must store a rating 0-9, got {rating!r}")
            mapped[key] = rating
        if len(set(mapped.values())) != len(mapped):
            raise ValueError("two keys of 'ratings' store the same rating")
        keys = sorted(mapped)
        return SurveyNode(node_id, _req(spec, "prompt"), _req(spec, "invalid_prompt"), _req(spec, "next"),
                          int(keys[0]), int(keys[-1]), tries, timeout, mapped)
    low, high = int(spec.get("low", 1)), int(spec.get("high", 5))
    if not 0 <= low < high <= 9:
        raise ValueError("low/high must be keys 0-9 with low < high")
    return SurveyNode(node_id, _req(spec, "prompt"), _req(spec, "invalid_prompt"), _req(spec, "next"), low, high,
                      tries, timeout)


def _follow_up(node_id: str, spec: dict) -> FollowUpNode:
    ratings = spec.get("ratings")
    known = ", ".join(r.value for r in Rating)
    if not isinstance(ratings, dict) or len(ratings) < 2:
        raise ValueError(f"'ratings' must map at least two keys (0-9) to a rating ({known})")
    mapped: dict[str, str] = {}
    for key, rating in ratings.items():
        key = str(key)
        if len(key) != 1 or not key.isdigit():
            raise ValueError(f"rating keys must be single keys 0-9, got {key!r}")
        if str(rating) not in {r.value for r in Rating}:
            raise ValueError(f"key {key} must store one of {known}, got {rating!r}")
        mapped[key] = str(rating)
    of = str(spec.get("of", "handling"))
    if of not in ("handling", "department"):
        raise ValueError("'of' is handling (the order's handling) or department")
    tries, timeout = _tries_timeout(spec, 2, 6000)
    return FollowUpNode(node_id, _req(spec, "prompt"), _req(spec, "invalid_prompt"), _req(spec, "next"), mapped, of,
                        tries, timeout)


def _hangup(node_id: str, spec: dict) -> HangupNode:
    return HangupNode(node_id, spec.get("prompt"), str(spec.get("cause", "NORMAL_CLEARING")))


def _tries_timeout(spec: dict, tries: int, timeout: int) -> tuple[int, int]:
    tries, timeout = int(spec.get("tries", tries)), int(spec.get("timeout_ms", timeout))
    if not 1 <= tries <= 9 or not 1000 <= timeout <= 60000:
        raise ValueError("tries must be 1-9 and timeout_ms 1000-60000")
    return tries, timeout


_PARSERS = {"play": _play, "menu": _menu, "collect": _collect, "condition": _condition, "set": _set,
            "goto": _goto, "queue": _queue, "transfer": _transfer, "voicemail": _voicemail, "survey": _survey,
            "follow_up": _follow_up, "hangup": _hangup}


def _req(spec: dict, key: str) -> str:
    """A required string field."""
    value = spec.get(key)
    if value is None or str(value).strip() == "":
        raise ValueError(f"missing '{key}'")
    return str(value)


def _targets(node: Node) -> list[str]:
    """Node ids a node can lead to (within its flow)."""
    if isinstance(node, (PlayNode, SetNode, SurveyNode, FollowUpNode)):
        return [node.next]
    if isinstance(node, MenuNode):
        return [*node.choices.values(), node.default]
    if isinstance(node, CollectNode):
        return [node.next, node.on_failure]
    if isinstance(node, ConditionNode):
        return [*(nxt for _, nxt in node.branches), node.otherwise]
    if isinstance(node, TransferNode):
        return [node.on_failure]
    if isinstance(node, QueueNode) and node.after_call:
        return [node.after_call]
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
        if isinstance(node, (PlayNode, SetNode)) and _loops_forever(nodes, node.id):
            problems.append(f"{where}: node {node.id}: loop without exit (only play/set nodes in the cycle)")


def _loops_forever(nodes: dict[str, Node], node_id: str) -> bool:
    """True when following 'next' from a play node only ever meets play nodes and comes back."""
    seen: set[str] = set()
    current = node_id
    while current in nodes and isinstance(nodes[current], (PlayNode, SetNode)):
        if current in seen:
            return True
        seen.add(current)
        current = nodes[current].next  # type: ignore[union-attr]
    return False


def _check_prompts(nodes: dict[str, Node], prompts_dir: Path, where: str, problems: list[str]) -> None:
    """Every prompt file named by the flow exists."""
    for node in nodes.values():
        for prompt in (getattr(node, "prompt", None), getattr(node, "invalid_prompt", None),
                       getattr(node, "no_input_prompt", None)):
            if prompt and "://" not in prompt and "${" not in prompt and not (prompts_dir / prompt).is_file():
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
    for flow in list(flows.values()):          # a goto to a flow that does not exist is an error of the caller
        missing = [f"{flow.source}: node {n.id}: goes to unknown flow {n.flow!r}" for n in flow.nodes.values()
                   if isinstance(n, GotoNode) and (n.flow not in flows or (n.node and n.node not in flows[n.flow].nodes))]
        if missing:
            errors[flow.source] = missing
            del flows[flow.name]
            for problem in missing:
                logger.error("invalid flow: %s", problem)
    return flows, errors
