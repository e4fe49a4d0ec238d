"""Flow nodes: what an IVR flow is made of. See docs/flows.md for the language and examples."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

NO_INPUT_PROMPT = "no_input.wav"        # 抱歉，没有听到您的按键。 (a menu or collection heard no key at all)


@dataclasses.dataclass(frozen=True)
class PlayNode:
    """Play prompts (files, or numbers/digits spoken from a variable), then go to `next`."""

    id: str
    prompt: str
    next: str
    say: tuple[tuple[str, str], ...] = ()       # ("digits"|"number", "${var}") spoken after the prompt


@dataclasses.dataclass(frozen=True)
class MenuNode:
    """Play a prompt and take one key; each choice leads to a node. A wrong key hears `invalid_prompt`, no key
    within the timeout `no_input_prompt`, and the menu again, up to `tries` in all; then `default`."""

    id: str
    prompt: str
    invalid_prompt: str
    choices: Mapping[str, str]
    default: str
    tries: int = 3
    timeout_ms: int = 5000
    no_input_prompt: str = NO_INPUT_PROMPT


@dataclasses.dataclass(frozen=True)
class CollectNode:
    """Collect digits (e.g. a taxpayer ID) into a call variable, validated by length and a regex, with retries: wrong
    or too few digits hear `invalid_prompt`, none at all `no_input_prompt`; after `tries`, `on_failure`."""

    id: str
    prompt: str
    invalid_prompt: str
    variable: str
    next: str
    on_failure: str
    min_digits: int = 1
    max_digits: int = 20
    regex: str = r"^\d+$"
    terminator: str = "#"
    tries: int = 3
    timeout_ms: int = 8000
    no_input_prompt: str = NO_INPUT_PROMPT


@dataclasses.dataclass(frozen=True)
class ConditionNode:
    """Branch on time, calendar, caller, called number, caller region or call variables: first match wins."""

    id: str
    branches: tuple[tuple[Mapping[str, object], str], ...]     # (when, next)
    otherwise: str


@dataclasses.dataclass(frozen=True)
class SetNode:
    """Set call variables (values may use ${var}), then go to `next`."""

    id: str
    values: Mapping[str, str]
    next: str


@dataclasses.dataclass(frozen=True)
class GotoNode:
    """Continue in another flow (at its start, or at a node of it)."""

    id: str
    flow: str
    node: str | None = None


@dataclasses.dataclass(frozen=True)
class QueueNode:
    """Ask for an agent in a queue (转人工), with a priority and data attached for the agent's screen."""

    id: str
    queue: str
    priority: int = 0
    data: Mapping[str, str] = dataclasses.field(default_factory=dict)
    after_call: str | None = None          # where the caller goes when the agent hangs up first (e.g. a survey)


@dataclasses.dataclass(frozen=True)
class TransferNode:
    """Send the call to an outside number or an extension; on failure go to `on_failure`."""

    id: str
    target: str                            # "number:<digits>" or "extension:<ext>" (values may use ${var})
    on_failure: str
    timeout_s: int = 30


@dataclasses.dataclass(frozen=True)
class VoicemailNode:
    """Record a voice message (kept with caller, number and time), then thank and hang up."""

    id: str
    prompt: str
    max_s: int = 120


@dataclasses.dataclass(frozen=True)
class SurveyNode:
    """Satisfaction survey (满意度): one key, stored as a rating with the call and the agent. The keys are low..high,
    each stored as pressed, unless `ratings` maps the keys taken to the rating each stores (e.g. the shipped flows:
    key 3 "基本满意" stores 6, so that a 3 stored before keeps meaning 一般: engine.reports.definitions)."""

    id: str
    prompt: str
    invalid_prompt: str
    next: str
    low: int = 1
    high: int = 5
    tries: int = 2
    timeout_ms: int = 6000
    ratings: Mapping[str, int] = dataclasses.field(default_factory=dict)

    @property
    def keys(self) -> str:
        """The keys taken, in order."""
        return "".join(sorted(self.ratings)) if self.ratings else "".join(str(k) for k in range(self.low,
                                                                                                 self.high + 1))

    def rating_of(self, key: str) -> int | None:
        """The rating a key stores; None for a key the survey does not take."""
        if self.ratings:
            return self.ratings.get(key)
        return int(key) if key.isdigit() and len(key) == 1 and self.low <= int(key) <= self.high else None


@dataclasses.dataclass(frozen=True)
class FollowUpNode:
    """A rating in an automated follow-up call (回访): one key, mapped to 满意 / 基本满意 / 不满意 (Rating values), of
    the order's handling (`of: handling`: the visit is done, 不满意 reopens the order) or of the department's work
    (`of: department`). Without a valid key the flow goes on to `next` and the visit counts as not reached."""

    id: str
    prompt: str
    invalid_prompt: str
    next: str
    ratings: Mapping[str, str]
    of: str = "handling"
    tries: int = 2
    timeout_ms: int = 6000

    @property
    def keys(self) -> str:
        return "".join(sorted(self.ratings))

    def rating_of(self, key: str | None) -> str | None:
        return self.ratings.get(key or "")


@dataclasses.dataclass(frozen=True)
class HangupNode:
    """Optionally play a goodbye prompt, then hang up."""

    id: str
    prompt: str | None = None
    cause: str = "NORMAL_CLEARING"


Node = (PlayNode | MenuNode | CollectNode | ConditionNode | SetNode | GotoNode | QueueNode | TransferNode
        | VoicemailNode | SurveyNode | FollowUpNode | HangupNode)


@dataclasses.dataclass(frozen=True)
class Flow:
    """A validated flow: a named graph of nodes with a start node."""

    name: str
    start: str
    nodes: Mapping[str, Node]
    source: str = ""
    description: str = ""
    version: str = ""                      # content hash: calls keep the version they began with

    def node(self, node_id: str) -> Node:
        """The node with that id (validated flows never dangle)."""
        return self.nodes[node_id]
