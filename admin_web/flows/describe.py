"""A flow as people read it: an outline (each node with its type, prompts, choices and where it leads) and a
diagram (inline SVG laid out here, no script). Conditions are put in words; the routing rules pages use the
same wording for their match keys."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_web.orders.labels import RATING_LABELS
from engine.ivr.model import (CollectNode, ConditionNode, FollowUpNode, Flow, GotoNode, HangupNode, MenuNode, Node,
                              PlayNode, QueueNode, SetNode, SurveyNode, TransferNode, VoicemailNode)

NODE_TYPES = {
    PlayNode: ("play", _l("Play prompt")),
    MenuNode: ("menu", _l("Key menu")),
    CollectNode: ("collect", _l("Collect digits")),
    ConditionNode: ("condition", _l("Condition")),
    SetNode: ("set", _l("Set variables")),
    GotoNode: ("goto", _l("Go to flow")),
    QueueNode: ("queue", _l("To an agent (queue)")),
    TransferNode: ("transfer", _l("Transfer")),
    VoicemailNode: ("voicemail", _l("Voice message")),
    SurveyNode: ("survey", _l("Satisfaction survey")),
    FollowUpNode: ("follow_up", _l("Follow-up rating")),
    HangupNode: ("hangup", _l("Hang up")),
}
WEEKDAYS = {1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"), 5: _l("Friday"),
            6: _l("Saturday"), 7: _l("Sunday")}
_WEEKDAY_KEYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _items(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _joined(value: Any) -> str:
    return _(", ").join(str(v) for v in _items(value))


def weekday_name(value: Any) -> str:
    key = str(value).strip().lower()
    number = _WEEKDAY_KEYS.get(key) or (int(key) if key.isdigit() else None)
    return str(WEEKDAYS.get(number, value))


def describe_condition(key: str, value: Any) -> str:
    """One condition (flow `when` key or routing-rule match key) in words."""
    if key == "time":
        items = _items(value)
        if len(items) == 2 and all(isinstance(v, str) and "-" not in v for v in items):
            items = [f"{items[0]}-{items[1]}"]
        return _("time of day within %(ranges)s", ranges=_joined(items))
    if key == "weekdays":
        return _("on %(days)s", days=_(", ").join(weekday_name(v) for v in _items(value)))
    if key == "dates":
        return _("on the dates %(dates)s", dates=_joined(value))
    if key == "holiday":
        return _("on a statutory or local holiday") if value else _("not on a holiday")
    if key == "workday":
        return _("on a working day (make-up days included)") if value else _("on a day off")
    if key == "caller":
        return _("caller number matches %(pattern)s", pattern=_joined(value))
    if key == "caller_regex":
        return _("caller number matches %(pattern)s", pattern=_joined(value))
    if key == "caller_prefix":
        return _("caller number starts with %(prefixes)s", prefixes=_joined(value))
    if key == "caller_in":
        items = _items(value)
        shown = _(", ").join(str(v) for v in items[:5]) + ("…" if len(items) > 5 else "")
        return _("caller is one of %(count)d listed numbers (%(numbers)s)", count=len(items), numbers=shown)
    if key == "called":
        return _("dialled number is or matches %(numbers)s", numbers=_joined(value))
    if key == "region":
        return _("caller is from %(regions)s", regions=_joined(value))
    if key == "var" and isinstance(value, Mapping):
        return _("; ").join(_("call variable %(name)s matches %(pattern)s", name=k, pattern=v)
                            for k, v in value.items())
    return f"{key}: {value}"


def describe_when(when: Mapping[str, Any]) -> str:
    """Every condition of a branch or rule, joined with 'and' (empty: always)."""
    if not when:
        return _("always")
    return _(" and ").join(describe_condition(str(k), v) for k, v in when.items())


@dataclasses.dataclass(frozen=True)
class Exit:
    """Where a node can lead: a label, a node of this flow, or another flow."""

    label: str
    short: str
    target: str | None = None
    flow: str | None = None


@dataclasses.dataclass(frozen=True)
class NodeView:
    id: str
    kind: str
    kind_label: str
    start: bool
    prompts: tuple[tuple[str, str], ...]
    facts: tuple[str, ...]
    exits: tuple[Exit, ...]
    summary: str                    # one short line for the diagram box


def node_view(node: Node, start: bool) -> NodeView:
    kind, kind_label = NODE_TYPES[type(node)]
    prompts: list[tuple[str, str]] = []
    facts: list[str] = []
    exits: list[Exit] = []
    summary = ""
    if getattr(node, "prompt", None):
        prompts.append((_("Prompt"), node.prompt))                      # type: ignore[union-attr]
        summary = node.prompt                                           # type: ignore[union-attr]
    if getattr(node, "invalid_prompt", None):
        prompts.append((_("On wrong input"), node.invalid_prompt))      # type: ignore[union-attr]
    if isinstance(node, PlayNode):
        for how, value in node.say:
            facts.append(_("then speaks %(value)s digit by digit", value=value) if how == "digits"
                         else _("then speaks %(value)s as a number", value=value))
        exits.append(Exit(_("then"), _("next"), node.next))
    elif isinstance(node, MenuNode):
        facts.append(_("%(tries)d tries, waits %(seconds)s s for a key", tries=node.tries,
                       seconds=f"{node.timeout_ms / 1000:g}"))
        for key, target in node.choices.items():
            exits.append(Exit(_("key %(key)s", key=key), key, target))
        exits.append(Exit(_("no key or only wrong keys"), _("default"), node.default))
    elif isinstance(node, CollectNode):
        facts.append(_("collects %(low)d–%(high)d digits into %(var)s (must match %(regex)s; ends with %(end)s)",
                       low=node.min_digits, high=node.max_digits, var=node.variable, regex=node.regex,
                       end=node.terminator))
        facts.append(_("%(tries)d tries, waits %(seconds)s s", tries=node.tries,
                       seconds=f"{node.timeout_ms / 1000:g}"))
        summary = node.variable
        exits.append(Exit(_("valid input"), _("ok"), node.next))
        exits.append(Exit(_("no valid input after the tries"), _("failed"), node.on_failure))
    elif isinstance(node, ConditionNode):
        for n, (when, target) in enumerate(node.branches, start=1):
            exits.append(Exit(_("if %(condition)s", condition=describe_when(when)), _("if %(n)d", n=n), target))
        exits.append(Exit(_("otherwise"), _("else"), node.otherwise))
    elif isinstance(node, SetNode):
        facts += [f"{k} = {v}" for k, v in node.values.items()]
        exits.append(Exit(_("then"), _("next"), node.next))
    elif isinstance(node, GotoNode):
        summary = node.flow + (f" / {node.node}" if node.node else "")
        exits.append(Exit(_("continues in flow %(flow)s", flow=summary), summary, None, node.flow))
    elif isinstance(node, QueueNode):
        summary = node.queue
        facts.append(_("queue %(queue)s, priority %(priority)d", queue=node.queue, priority=node.priority))
        facts += [_("attaches %(name)s = %(value)s", name=k, value=v) for k, v in node.data.items()]
        if node.after_call:
            exits.append(Exit(_("after the agent hangs up first"), _("after call"), node.after_call))
    elif isinstance(node, TransferNode):
        summary = node.target
        facts.append(_("dials %(target)s for up to %(seconds)d s", target=node.target, seconds=node.timeout_s))
        exits.append(Exit(_("if the transfer fails"), _("failed"), node.on_failure))
    elif isinstance(node, VoicemailNode):
        facts.append(_("records up to %(seconds)d s, then hangs up", seconds=node.max_s))
    elif isinstance(node, SurveyNode):
        if node.ratings:
            facts.append(_("rating keys %(keys)s, %(tries)d tries", keys=", ".join(node.keys), tries=node.tries))
            facts += [_("key %(key)s stores rating %(rating)d", key=key, rating=rating)
                      for key, rating in sorted(node.ratings.items()) if str(rating) != key]
        else:
            facts.append(_("rating keys %(low)d–%(high)d, %(tries)d tries", low=node.low, high=node.high,
                           tries=node.tries))
        exits.append(Exit(_("then"), _("next"), node.next))
    elif isinstance(node, FollowUpNode):
        facts.append(_("rates the department's work") if node.of == "department" else
                     _("rates the handling: the visit is done, 不满意 reopens the order"))
        facts += [_("key %(key)s: %(rating)s", key=key, rating=RATING_LABELS.get(rating, rating))
                  for key, rating in sorted(node.ratings.items())]
        exits.append(Exit(_("then"), _("next"), node.next))
    elif isinstance(node, HangupNode):
        facts.append(_("hangs up (cause %(cause)s)", cause=node.cause))
    return NodeView(node.id, kind, str(kind_label), start, tuple(prompts), tuple(facts), tuple(exits), summary)


def ordered_ids(flow: Flow) -> list[list[str]]:
    """Node ids in layers by distance from the start (breadth first); unreached nodes last."""
    layers: list[list[str]] = []
    seen = {flow.start}
    current = [flow.start] if flow.start in flow.nodes else []
    while current:
        layers.append(current)
        following = []
        for node_id in current:
            for out in node_view(flow.nodes[node_id], False).exits:
                if out.target and out.target in flow.nodes and out.target not in seen:
                    seen.add(out.target)
                    following.append(out.target)
        current = following
    rest = [n for n in flow.nodes if n not in seen]
    if rest:
        layers.append(rest)
    return layers


def outline(flow: Flow) -> list[NodeView]:
    """Every node, start first, in reading order."""
    return [node_view(flow.nodes[n], n == flow.start) for layer in ordered_ids(flow) for n in layer]


# ---------------------------------------------------------------- diagram

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 170, 58, 28, 70, 20


@dataclasses.dataclass(frozen=True)
class Box:
    view: NodeView
    x: int
    y: int

    @property
    def cx(self) -> int:
        return self.x + BOX_W // 2


@dataclasses.dataclass(frozen=True)
class Edge:
    path: str
    label: str
    label_x: int
    label_y: int
    back: bool


@dataclasses.dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]


def diagram(flow: Flow) -> Diagram:
    """Boxes in rows by distance from the start; forward links go down, links back curve along the right."""
    layers = ordered_ids(flow)
    widest = max(len(layer) for layer in layers)
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X + 80
    boxes: dict[str, Box] = {}
    row_of: dict[str, int] = {}
    for row, layer in enumerate(layers):
        row_width = len(layer) * BOX_W + (len(layer) - 1) * GAP_X
        left = (width - 80 - row_width) // 2
        for col, node_id in enumerate(layer):
            boxes[node_id] = Box(node_view(flow.nodes[node_id], node_id == flow.start),
                                 left + col * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
            row_of[node_id] = row
    edges = []
    for node_id, box in boxes.items():
        outs = [e for e in box.view.exits if e.target in boxes]
        for n, out in enumerate(outs):
            target = boxes[out.target]                                  # type: ignore[index]
            sx = box.x + (n + 1) * BOX_W // (len(outs) + 1)
            sy = box.y + BOX_H
            if row_of[out.target] > row_of[node_id]:                    # type: ignore[index]
                tx, ty = target.cx, target.y
                mid = (sy + ty) // 2
                path = f"M{sx},{sy} C{sx},{mid} {tx},{mid} {tx},{ty - 2}"
                edges.append(Edge(path, out.short, sx + 3, sy + 14, False))
            elif row_of[out.target] == row_of[node_id]:                 # a link within a row: side to side
                y = box.y + BOX_H // 2 + 8
                x1, x2 = (box.x + BOX_W, target.x) if target.x > box.x else (box.x, target.x + BOX_W)
                path = f"M{x1},{y} L{x2 + (-2 if x2 > x1 else 2)},{y}"
                edges.append(Edge(path, out.short, min(x1, x2) + 3, y - 4, False))
            else:                                                       # a loop back to an earlier row
                x1, y1 = box.x + BOX_W, box.y + BOX_H // 2
                x2, y2 = target.x + BOX_W, target.y + BOX_H // 2 + 6
                bulge = max(x1, x2) + 40 + 10 * n
                path = f"M{x1},{y1} C{bulge},{y1} {bulge},{y2} {x2 + 2},{y2}"
                edges.append(Edge(path, out.short, x1 + 4, y1 - 4, True))
    height = MARGIN * 2 + len(layers) * BOX_H + (len(layers) - 1) * GAP_Y
    return Diagram(width, height, tuple(boxes.values()), tuple(edges))
