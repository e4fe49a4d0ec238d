"""Routing rules: each match key, first match wins by position, no match, actions, validation messages."""
import datetime as dt

import pytest

from engine.domain.calendar import WorkCalendar
from engine.domain.regions import CallerRegion
from engine.domain.rules import Rule, RuleContext, RuleSet, evaluate, normalise_number, validate_rule, validate_rules

MONDAY_10 = dt.datetime(2026, 3, 9, 10, 0)
SZ = CallerRegion(province="广东省", city="深圳市", codes=("440000", "440300", "440304"), kind="mobile")


def ctx(caller="13912345678", called="12366", now=MONDAY_10, holiday=False, workday=True, region=None, **variables):
    return RuleContext(caller, called, now, holiday, workday, region, variables)


def rule(match, action=None, name="r", position=0, active=True):
    return Rule(name, match, action or {"queue": "tax_policy"}, position, active)


@pytest.mark.parametrize("match, context, expected", [
    ({"caller_prefix": "139"}, ctx(), True),
    ({"caller_prefix": ["0755", "138"]}, ctx(), False),
    ({"caller_prefix": "0755"}, ctx(caller="075583765432"), True),
    ({"caller_regex": r"^1[3-9]\d{9}$"}, ctx(caller="+86 139 1234 5678"), True),
    ({"caller_regex": r"^0"}, ctx(), False),
    ({"caller_in": ["13800138000", "13912345678"]}, ctx(caller="+8613912345678"), True),
    ({"caller_in": ["13800138000"]}, ctx(caller="013912345678"), False),
    ({"called": "12366"}, ctx(), True),
    ({"called": ["12345", "12366"]}, ctx(), True),
    ({"called": "^0755"}, ctx(called="075512366"), True),
    ({"called": "12345"}, ctx(), False),
    ({"time": "08:00-12:00"}, ctx(), True),
    ({"time": ["08:00", "09:59"]}, ctx(), False),
    ({"time": ["07:00-08:00", "09:30-10:30"]}, ctx(), True),
    ({"time": "22:00-06:00"}, ctx(now=dt.datetime(2026, 3, 9, 2, 0)), True),
    ({"weekdays": [1, 2, 3, 4, 5]}, ctx(), True),
    ({"weekdays": ["sat", "sun"]}, ctx(), False),
    ({"dates": ["2026-03-01..2026-03-10"]}, ctx(), True),
    ({"dates": ["2026-03-10"]}, ctx(), False),
    ({"holiday": True}, ctx(holiday=True, workday=False), True),
    ({"holiday": False}, ctx(), True),
    ({"workday": False}, ctx(), False),
    ({"region": "深圳"}, ctx(region=SZ), True),
    ({"region": "广东省"}, ctx(region=SZ), True),
    ({"region": "440000"}, ctx(region=SZ), True),
    ({"region": ["440305", "广州市"]}, ctx(region=SZ), False),
    ({"region": "440304"}, ctx(region=SZ), True),
    ({"region": "深圳"}, ctx(), False),                     # unknown region never matches
    ({"var": {"lang": "^en$"}}, ctx(lang="en"), True),
    ({"var": {"lang": "^en$"}}, ctx(), False),
    ({}, ctx(), True),                                      # catch-all
])
def test_each_match_key(match, context, expected):
    assert (evaluate([rule(match)], context) is not None) is expected


def test_all_keys_of_a_rule_must_hold():
    r = rule({"called": "12366", "workday": True, "time": "08:00-18:00", "caller_prefix": "0755"})
    assert evaluate([r], ctx(caller="075583765432")) is not None
    assert evaluate([r], ctx(caller="075583765432", now=dt.datetime(2026, 3, 9, 19, 0))) is None


def test_first_match_by_position_wins_and_the_decision_names_the_rule():
    rules = [
        rule({}, {"queue": "tax_policy"}, name="default", position=100),
        rule({"caller_in": ["13912345678"]}, {"queue": "etax", "priority": 5, "tag": {"vip": "1"}}, name="VIP",
             position=10),
        rule({"caller_in": ["13912345678"]}, {"block": True}, name="disabled block", position=1, active=False),
        rule({"holiday": True}, {"flow": "citizen_main"}, name="holiday", position=5),
    ]
    decision = evaluate(rules, ctx())
    assert (decision.rule, decision.queue, decision.priority, decision.tags) == ("VIP", "etax", 5, {"vip": "1"})
    assert decision.explain() == "rule 'VIP' (caller_in) -> queue etax, priority 5, tag vip=1"
    assert evaluate(rules, ctx(caller="13800000000")).rule == "default"
    assert evaluate(rules, ctx(holiday=True, workday=False)).rule == "holiday"


def test_no_rule_matches_gives_none():
    assert evaluate([rule({"called": "12345"})], ctx()) is None
    assert evaluate([], ctx()) is None


def test_block_skills_flow_hall_actions():
    blocked = evaluate([rule({"caller_in": ["13912345678"]}, {"block": True, "prompt": "blocked.wav"},
                             name="blocklist")], ctx())
    assert blocked.block and blocked.prompt == "blocked.wav" and blocked.queue is None
    assert blocked.explain() == "rule 'blocklist' (caller_in) -> block with blocked.wav"
    d = evaluate([rule({}, {"skills": {"etax": 6}, "flow": "citizen_main", "hall": "GD-440300"})], ctx())
    assert (d.skills, d.flow, d.hall, d.block) == ({"etax": 6}, "citizen_main", "GD-440300", False)


def test_context_from_the_calendar():
    cal = WorkCalendar(holidays={dt.date(2026, 2, 17): "春节"}, workdays={dt.date(2026, 2, 14): "春节"})
    holiday = RuleContext.build("1", "12366", dt.datetime(2026, 2, 17, 9), cal)
    makeup = RuleContext.build("1", "12366", dt.datetime(2026, 2, 14, 9), cal, variables={"a": "b"})
    assert (holiday.holiday, holiday.workday) == (True, False)
    assert (makeup.holiday, makeup.workday, makeup.variables) == (False, True, {"a": "b"})


def test_invalid_rules_are_skipped_at_evaluation_and_listed_by_a_rule_set():
    rules = [rule({"time": "8-18"}, name="bad", position=1), rule({}, name="good", position=2)]
    rule_set = RuleSet(rules)
    assert rule_set.evaluate(ctx()).rule == "good"
    assert rule_set.problems == ['rule \'bad\': match time: time range "8-18" must look like "08:00-18:00"']


@pytest.mark.parametrize("match, action, message", [
    ({"colour": "red"}, {"queue": "q"}, "rule 'r': match colour: unknown match key"),
    ({"caller_prefix": "abc"}, {"queue": "q"}, "match caller_prefix: must be a number or a list of numbers"),
    ({"caller_regex": "(("}, {"queue": "q"}, 'match caller_regex: "((" is not a valid regex'),
    ({"called": "[0-9"}, {"queue": "q"}, 'match called: "[0-9" is not a valid regex'),
    ({"time": "25:00-26:00"}, {"queue": "q"}, "match time: time range \"25:00-26:00\" has an impossible time"),
    ({"weekdays": [0, 8]}, {"queue": "q"}, "match weekdays: must list weekdays as 1 (Monday) .. 7 (Sunday)"),
    ({"dates": ["2026-02-30"]}, {"queue": "q"}, 'match dates: must list dates "YYYY-MM-DD"'),
    ({"holiday": "yes"}, {"queue": "q"}, "match holiday: must be true or false"),
    ({"region": "4403"}, {"queue": "q"}, 'match region: "4403" is not a six-digit region code'),
    ({"var": {"x": "("}}, {"queue": "q"}, 'match var: variable "x": "(" is not a valid regex'),
    ({}, {}, "rule 'r': action is empty"),
    ({}, {"priority": 500}, "action priority: must be a whole number from 0 to 100"),
    ({}, {"skills": {"etax": 11}}, 'action skills: skill "etax": level must be 1..10'),
    ({}, {"queue": "no such"}, "action queue: must be a code"),
    ({}, {"block": True, "queue": "q"}, "action block cannot be combined with queue"),
    ({}, {"queue": "q", "prompt": "x.wav"}, "action prompt is only used with block: true"),
    ({}, {"tag": {"1x": "y"}}, 'action tag: "1x" is not a variable name'),
    ({}, {"launch": "rocket"}, "action launch: unknown action"),
])
def test_validation_messages_name_the_rule_and_the_key(match, action, message):
    problems = validate_rule(Rule("r", match, action))
    assert any(message in p for p in problems), problems


def test_validation_against_known_names_and_duplicates():
    known = {"queues": {"tax_policy"}, "skills": {"etax"}, "flows": {"tax_main"}, "halls": {"GD-440000"}}
    assert validate_rule(Rule("ok", {}, {"queue": "tax_policy", "skills": {"etax": 3}, "flow": "tax_main",
                                         "hall": "GD-440000"}), known) == []
    problems = validate_rule(Rule("bad", {}, {"queue": "x", "skills": {"y": 1}, "flow": "z", "hall": "h"}), known)
    assert problems == ["rule 'bad': action queue: unknown queue \"x\"", "rule 'bad': action skills: unknown skill \"y\"",
                        "rule 'bad': action flow: unknown flow \"z\"", "rule 'bad': action hall: unknown hall \"h\""]
    assert validate_rule(Rule(" ", {}, {"queue": "q"}, position=3)) == ["rule at position 3: a name is required"]
    assert validate_rules([Rule("a", {}, {"queue": "q"}), Rule("a", {}, {"queue": "q"})]) == [
        "rule 'a': the name is used by another rule"]


@pytest.mark.parametrize("raw, norm", [("+86 138-0013-8000", "13800138000"), ("008613800138000", "13800138000"),
                                       ("8613800138000", "13800138000"), ("013800138000", "13800138000"),
                                       ("+86 755 8376 5432", "075583765432"), ("0755-83765432", "075583765432"),
                                       ("12366", "12366"), ("", "")])
def test_numbers_are_compared_in_normal_form(raw, norm):
    assert normalise_number(raw) == norm
