"""Routing rules (R-ACD-2): ordered, user-defined rules on caller, called number, time, calendar and region. Pure.

A rule is `match` (every key must hold; an empty match always holds) and `action` (what to do). Rules are
tried in position order; the first whose match holds decides, and the decision carries its name, so every
routing choice can be explained ("rule 'VIP callers': caller in list -> queue tax_policy, priority 5").

Match keys
  caller_prefix   "0755" or ["0755", "138"]         caller number starts with one of them
  caller_regex    "^1[3-9]\\d{9}$"                  caller number matches (re.search) the regex
  caller_in       ["13800138000", ...]               caller number is in the list (blocklist, VIP list)
  called          "12366" | "^0755" | [..]           called number equals a number (digits, optional +)
                                                     or matches a regex (anything else)
  time            "08:00-12:00" | ["08:00-12:00", "14:00-18:00"] | ["08:00", "12:00"]
  weekdays        [1, 2, 3, 4, 5] or ["mon", "fri"] (1 = Monday .. 7 = Sunday)
  dates           ["2026-02-16", "2026-02-01..2026-02-10"]
  holiday         true | false                       a statutory (or locally declared) holiday
  workday         true | false                       a working day (make-up working days 调休 included)
  region          "深圳" | "440300" | ["广东省", "440305"]   caller's province/city name or GB/T 2260 code
  var             {"lang": "^en$"}                   call variables match the regexes (re.search)
Actions
  queue "tax_policy", priority 0..100, skills {"etax": 5}, flow "citizen_main", hall "GD-SZ",
  block true (+ prompt "blocked.wav"), tag {"vip": "1"}.  block excludes queue, flow, skills, priority, hall.
Numbers are compared in a normal form: digits only, +86/0086 dropped, a 0 before a mobile number dropped.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.domain.calendar import WEEKDAY_NAMES, HoursError, TimeRange, WorkCalendar
from engine.domain.regions import CallerRegion, code_prefix, names_match

__all__ = ["Rule", "RuleSet", "RuleContext", "Decision", "RuleError", "evaluate", "validate_rule", "validate_rules",
           "normalise_number", "MATCH_KEYS", "ACTION_KEYS"]

MATCH_KEYS = ("caller_prefix", "caller_regex", "caller_in", "called", "time", "weekdays", "dates", "holiday",
              "workday", "region", "var")
ACTION_KEYS = ("queue", "priority", "skills", "flow", "hall", "block", "prompt", "tag")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_NUMBER = re.compile(r"^\+?[\d\s\-()]{1,40}$")
_REGION_CODE = re.compile(r"^\d{6}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_number(number: str | None) -> str:
    """Digits only; +86 / 0086 / 86 before a mobile dropped; the trunk 0 before a mobile dropped."""
    text = str(number or "").strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86") or digits.startswith("0086"):
        digits = digits[2:] if text.startswith("+") else digits[4:]
        if digits and not digits.startswith(("1", "0")):
            digits = "0" + digits                      # a landline in international form: +86 755 ... -> 0755...
    elif digits.startswith("86") and _MOBILE.match(digits[2:]):
        digits = digits[2:]
    if digits.startswith("0") and _MOBILE.match(digits[1:]):
        digits = digits[1:]
    return digits


class RuleError(ValueError):
    """An invalid rule; `problems` lists every problem, each naming the rule and the key."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclasses.dataclass(frozen=True)
class Rule:
    """One routing rule as stored: name, order, on/off, and its match and action objects."""

    name: str
    match: Mapping[str, Any]
    action: Mapping[str, Any]
    position: int = 0
    active: bool = True


@dataclasses.dataclass(frozen=True)
class RuleContext:
    """What a rule can look at. `now` is the center's local wall-clock time."""

    caller: str
    called: str
    now: dt.datetime
    holiday: bool = False
    workday: bool = True
    region: CallerRegion | None = None
    variables: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def build(cls, caller: str, called: str, now: dt.datetime, calendar: WorkCalendar,
              region: CallerRegion | None = None, variables: Mapping[str, str] | None = None) -> "RuleContext":
        """Calendar flags taken from the work calendar for `now`'s date."""
        info = calendar.info(now)
        return cls(caller, called, now, info.holiday, info.workday, region, dict(variables or {}))


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the first matching rule decided, and which rule it was."""

    rule: str
    queue: str | None = None
    priority: int | None = None
    skills: Mapping[str, int] | None = None
    flow: str | None = None
    hall: str | None = None
    block: bool = False
    prompt: str | None = None
    tags: Mapping[str, str] = dataclasses.field(default_factory=dict)
    matched: tuple[str, ...] = ()           # the match keys that held (empty: a catch-all rule)

    def explain(self) -> str:
        """One line for logs and the offer log: rule, why, what."""
        why = ", ".join(self.matched) if self.matched else "always"
        what = []
        if self.block:
            what.append("block" + (f" with {self.prompt}" if self.prompt else ""))
        for key in ("queue", "priority", "flow", "hall"):
            value = getattr(self, key)
            if value is not None:
                what.append(f"{key} {value}")
        if self.skills:
            what.append("skills " + ", ".join(f"{k}>={v}" for k, v in self.skills.items()))
        if self.tags:
            what.append("tag " + ", ".join(f"{k}={v}" for k, v in self.tags.items()))
        return f"rule '{self.rule}' ({why}) -> {', '.join(what) or 'no action'}"


# ---------------------------------------------------------------- validation

def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _time_ranges(value: Any) -> list[TimeRange]:
    items = _as_list(value)
    if len(items) == 2 and all(isinstance(v, str) and re.fullmatch(r"\d{1,2}:\d{2}", v.strip()) for v in items):
        items = [f"{items[0]}-{items[1]}"]                      # the flow language's ["08:00", "12:00"]
    if not items:
        raise HoursError("needs at least one range")
    return [TimeRange.parse(str(v)) for v in items]


def _weekday(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int) and 1 <= value <= 7:
        return value
    key = str(value).strip().lower()
    if key in WEEKDAY_NAMES:
        return WEEKDAY_NAMES[key]
    if key.isdigit() and 1 <= int(key) <= 7:
        return int(key)
    raise ValueError(value)


def _date_span(value: Any) -> tuple[dt.date, dt.date]:
    text = str(value).strip()
    first, _, last = text.partition("..")
    start = dt.date.fromisoformat(first.strip())
    end = dt.date.fromisoformat(last.strip()) if last else start
    if end < start:
        raise ValueError(text)
    return start, end


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"\+?\d+", text))


def _check_match(key: str, value: Any) -> str | None:
    """None when the match value is valid, else the problem (without the rule's name)."""
    if key in ("caller_prefix", "caller_in"):
        items = _as_list(value)
        if not items or not all(isinstance(v, (str, int)) and not isinstance(v, bool) and _NUMBER.match(str(v))
                                and normalise_number(str(v)) for v in items):
            return "must be a number or a list of numbers (digits, optional +)"
    elif key in ("caller_regex", "called"):
        items = _as_list(value)
        if not items or not all(isinstance(v, (str, int)) and not isinstance(v, bool) and str(v) for v in items):
            return "must be a number, a regex or a list of them"
        for v in items:
            if key == "caller_regex" or not _is_number(str(v)):
                try:
                    re.compile(str(v))
                except re.error as exc:
                    return f'"{v}" is not a valid regex ({exc})'
    elif key == "time":
        try:
            _time_ranges(value)
        except HoursError as exc:
            return str(exc)
    elif key == "weekdays":
        items = _as_list(value)
        try:
            if not items:
                raise ValueError(value)
            [_weekday(v) for v in items]
        except ValueError:
            return "must list weekdays as 1 (Monday) .. 7 (Sunday) or mon .. sun"
    elif key == "dates":
        try:
            items = _as_list(value)
            if not items:
                raise ValueError(value)
            [_date_span(v) for v in items]
        except ValueError:
            return 'must list dates "YYYY-MM-DD" or spans "YYYY-MM-DD..YYYY-MM-DD"'
    elif key in ("holiday", "workday"):
        if not isinstance(value, bool):
            return "must be true or false"
    elif key == "region":
        items = _as_list(value)
        if not items or not all(isinstance(v, str) and v.strip() for v in items):
            return "must be a province or city name, a six-digit region code, or a list of them"
        bad = [v for v in items if v.strip().isdigit() and not _REGION_CODE.match(v.strip())]
        if bad:
            return f'"{bad[0]}" is not a six-digit region code (GB/T 2260, e.g. 440300)'
    elif key == "var":
        if not isinstance(value, Mapping) or not value:
            return "must map call variable names to regexes"
        for name, pattern in value.items():
            try:
                re.compile(str(pattern))
            except re.error as exc:
                return f'variable "{name}": "{pattern}" is not a valid regex ({exc})'
    else:
        return f"unknown match key (known: {', '.join(MATCH_KEYS)})"
    return None


def _check_action(key: str, value: Any, known: Mapping[str, Iterable[str]]) -> str | None:
    def unknown(kind: str, name: str) -> str | None:
        names = known.get(kind)
        if names is not None and name not in set(names):
            return f'unknown {kind[:-1] if kind.endswith("s") else kind} "{name}"'
        return None

    if key in ("queue", "flow", "hall"):
        if not isinstance(value, str) or not _CODE.match(value):
            return "must be a code (letters, digits, _ . -)"
        return unknown({"queue": "queues", "flow": "flows", "hall": "halls"}[key], value)
    if key == "priority":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            return "must be a whole number from 0 to 100 (higher is served sooner)"
    elif key == "skills":
        if not isinstance(value, Mapping) or not value:
            return 'must map skill codes to minimum levels, e.g. {"etax": 5}'
        for skill, level in value.items():
            if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
                return f'skill "{skill}": level must be 1..10'
            if problem := unknown("skills", str(skill)):
                return problem
    elif key == "block":
        if not isinstance(value, bool):
            return "must be true or false"
    elif key == "prompt":
        if not isinstance(value, str) or not value.strip():
            return "must name a prompt file"
    elif key == "tag":
        if not isinstance(value, Mapping) or not value:
            return 'must map call variable names to values, e.g. {"vip": "1"}'
        for name in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                return f'"{name}" is not a variable name (letters, digits, _)'
    else:
        return f"unknown action (known: {', '.join(ACTION_KEYS)})"
    return None


def validate_rule(rule: Rule, known: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """Every problem of one rule, each naming the rule and the key; [] when valid.

    known: optional sets of existing names, keys "queues", "flows", "skills", "halls"; names not in them are
    reported. Leave a kind out to accept any name of that kind."""
    known = known or {}
    label = f"rule '{rule.name}'" if str(rule.name or "").strip() else f"rule at position {rule.position}"
    problems: list[str] = []
    if not str(rule.name or "").strip():
        problems.append(f"{label}: a name is required")
    elif len(rule.name) > 64:
        problems.append(f"{label}: the name is longer than 64 characters")
    if not isinstance(rule.match, Mapping):
        problems.append(f"{label}: match must be an object")
    else:
        for key, value in rule.match.items():
            if problem := _check_match(str(key), value):
                problems.append(f"{label}: match {key}: {problem}")
    if not isinstance(rule.action, Mapping):
        problems.append(f"{label}: action must be an object")
        return problems
    if not rule.action:
        problems.append(f"{label}: action is empty (give a queue, priority, skills, flow, hall, block or tag)")
    for key, value in rule.action.items():
        if problem := _check_action(str(key), value, known):
            problems.append(f"{label}: action {key}: {problem}")
    if rule.action.get("block") is True:
        clash = [k for k in ("queue", "priority", "skills", "flow", "hall") if k in rule.action]
        if clash:
            problems.append(f"{label}: action block cannot be combined with {', '.join(clash)}")
    elif "prompt" in rule.action:
        problems.append(f"{label}: action prompt is only used with block: true")
    return problems


def validate_rules(rules: Sequence[Rule], known: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """Problems of a rule set: each rule's, plus duplicate names."""
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        problems += validate_rule(rule, known)
        if rule.name in seen:
            problems.append(f"rule '{rule.name}': the name is used by another rule")
        seen.add(rule.name)
    return problems


# ---------------------------------------------------------------- evaluation

def _region_matches(wanted: Any, region: CallerRegion | None) -> bool:
    if region is None or not region.known and not region.codes:
        return False
    for item in _as_list(wanted):
        text = str(item).strip()
        if _REGION_CODE.match(text):
            prefix = code_prefix(text)
            if any(code.startswith(prefix) for code in region.codes):
                return True
        elif names_match(text, region.province) or names_match(text, region.city):
            return True
    return False


def _called_matches(wanted: Any, called: str) -> bool:
    norm = normalise_number(called)
    for item in _as_list(wanted):
        text = str(item)
        if _is_number(text):
            if normalise_number(text) == norm:
                return True
        elif re.search(text, called) or re.search(text, norm):
            return True
    return False


def _holds(key: str, value: Any, ctx: RuleContext) -> bool:
    caller = normalise_number(ctx.caller)
    if key == "caller_prefix":
        return any(caller.startswith(normalise_number(str(p))) or str(ctx.caller).startswith(str(p))
                   for p in _as_list(value))
    if key == "caller_regex":
        return any(re.search(str(p), caller) or re.search(str(p), str(ctx.caller)) for p in _as_list(value))
    if key == "caller_in":
        return caller in {normalise_number(str(v)) for v in _as_list(value)}
    if key == "called":
        return _called_matches(value, ctx.called)
    if key == "time":
        return any(r.contains(ctx.now.time()) for r in _time_ranges(value))
    if key == "weekdays":
        return ctx.now.isoweekday() in {_weekday(v) for v in _as_list(value)}
    if key == "dates":
        today = ctx.now.date()
        return any(start <= today <= end for start, end in (_date_span(v) for v in _as_list(value)))
    if key == "holiday":
        return ctx.holiday is value
    if key == "workday":
        return ctx.workday is value
    if key == "region":
        return _region_matches(value, ctx.region)
    if key == "var":
        return all(re.search(str(p), str(ctx.variables.get(name, ""))) for name, p in value.items())
    return False            # unknown keys never hold (validation reports them)


def _decision(rule: Rule) -> Decision:
    a = rule.action
    skills = a.get("skills")
    return Decision(rule=rule.name, queue=a.get("queue"), priority=a.get("priority"),
                    skills=dict(skills) if skills else None, flow=a.get("flow"), hall=a.get("hall"),
                    block=a.get("block") is True, prompt=a.get("prompt"),
                    tags={str(k): str(v) for k, v in (a.get("tag") or {}).items()},
                    matched=tuple(str(k) for k in rule.match))


class RuleSet:
    """Rules validated once and kept in evaluation order (what the ACD holds between reloads).

    Invalid rules are left out and listed in `problems` (they should have been refused when saved)."""

    def __init__(self, rules: Iterable[Rule], known: Mapping[str, Iterable[str]] | None = None) -> None:
        self.problems: list[str] = []
        valid: list[Rule] = []
        for rule in rules:
            problems = validate_rule(rule, known)
            if problems:
                self.problems += problems
            elif rule.active:
                valid.append(rule)
        self.rules: tuple[Rule, ...] = tuple(sorted(valid, key=lambda r: r.position))

    def evaluate(self, context: RuleContext) -> Decision | None:
        """The decision of the first rule whose match holds; None when none does."""
        for rule in self.rules:
            if all(_holds(str(k), v, context) for k, v in rule.match.items()):
                return _decision(rule)
        return None


def evaluate(rules: Iterable[Rule] | RuleSet, context: RuleContext) -> Decision | None:
    """The decision of the first active rule (by position, then given order) whose match holds; None if none.

    Invalid rules are skipped. For many calls, build a RuleSet once and call its evaluate()."""
    rule_set = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    return rule_set.evaluate(context)
