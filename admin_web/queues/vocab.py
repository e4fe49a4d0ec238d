"""Translated names for the queue vocabulary: strategies (with a one-line explanation), overflow actions,
what happens when nobody able to take the queue is logged in; and a readable summary of overflow rules."""
from __future__ import annotations

import json
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.domain.queueing import OVERFLOW_ACTIONS
from engine.domain.routing import STRATEGIES

# One entry per engine strategy (engine.domain.routing's docstring says the same in English).
STRATEGY_LABELS = {
    "longest_idle": _l("Longest idle"),
    "fewest_calls": _l("Fewest calls"),
    "least_talk_time": _l("Least talk time"),
    "round_robin": _l("Round robin"),
    "top_down": _l("Top down"),
    "highest_skill": _l("Highest skill"),
    "ring_all": _l("Ring all"),
}

STRATEGY_EXPLANATIONS = {
    "longest_idle": _l("The agent who has been ready for the longest time."),
    "fewest_calls": _l("The agent who answered the fewest calls today, then the longest idle."),
    "least_talk_time": _l("The agent with the least talk time today, then the longest idle."),
    "round_robin": _l("The next agent after the one this queue offered last, in agent order."),
    "top_down": _l("Always the first ready agent in agent order (position, then employee no.)."),
    "highest_skill": _l("The agent with the highest levels in the queue's skills, then the longest idle."),
    "ring_all": _l("Every eligible agent's phone rings at once; the first to answer takes the call."),
}

OVERFLOW_ACTION_LABELS = {
    "widen": _l("Widen the required skills"),
    "overflow": _l("Move to another queue"),
    "announce": _l("Play a prompt"),
}

NO_AGENT_LABELS = {
    "wait": _l("Wait (the call stays in the queue)"),
    "reject": _l("Reject (play the all-busy prompt and hang up)"),
}

assert set(STRATEGY_LABELS) == set(STRATEGIES) == set(STRATEGY_EXPLANATIONS), "a strategy lacks its label"
assert set(OVERFLOW_ACTION_LABELS) == set(OVERFLOW_ACTIONS), "an overflow action lacks its label"


def strategy_label(code: str) -> str:
    """The translated strategy name (the raw code if the engine does not know it)."""
    return str(STRATEGY_LABELS.get(code, code))


def load_rules(raw: str | None) -> list[dict] | None:
    """The stored overflow rules as a list of objects, or None when the text is not such a list."""
    try:
        rules = json.loads(raw or "[]")
    except (TypeError, ValueError):
        return None
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        return None
    return rules


def describe_rules(raw: str | None, skill_names: Mapping[str, str], queue_names: Mapping[str, str]) -> list[str]:
    """One translated line per stored overflow rule, e.g. 'after 30 s: move to another queue 纳税咨询'."""
    rules = load_rules(raw)
    if rules is None:
        return [_("The stored overflow rules cannot be read; the engine ignores them.")]
    lines = []
    for rule in sorted(rules, key=lambda r: as_int(r.get("after_s"))):
        action = rule.get("action")
        what = str(OVERFLOW_ACTION_LABELS.get(action, action))
        if action == "widen" and isinstance(rule.get("skills"), dict):
            target = ", ".join(f"{skill_names.get(code, code)} ≥ {level}" for code, level in rule["skills"].items())
        elif action == "overflow":
            target = str(queue_names.get(rule.get("queue"), rule.get("queue")))
        else:
            target = str(rule.get("prompt", ""))
        lines.append(_("after %(s)s s: %(what)s %(target)s", s=rule.get("after_s"), what=what, target=target))
    return lines


def as_int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
