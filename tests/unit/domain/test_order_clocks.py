"""The clock of each work-order step: the purchasers' rules by default (dispatch within 3 hours, general
questions answered the same day, hard ones within 2 working days), settings over them, bad settings named."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.calendar_source import build_calendar
from engine.domain.calendar import BusinessHours
from engine.domain.deadlines import Clock, Unit, due
from engine.domain.order_clocks import ClockError, OrderClocks, Step, Urgency, parse_clock

TZ = ZoneInfo("Asia/Shanghai")


def test_the_purchasers_rules_are_the_defaults():
    clocks = OrderClocks.from_spec()
    assert clocks.clock(Step.DISPATCH, Urgency.GENERAL) == Clock(3, Unit.HOURS)                 # seed 004
    assert clocks.clock(Step.REPLY, Urgency.GENERAL) == Clock(1, Unit.END_OF_WORKING_DAY)       # seed 001
    assert clocks.clock(Step.REPLY, Urgency.GENERAL, hard=True) == Clock(2, Unit.WORKING_DAYS)
    assert clocks.clock(Step.DISPATCH, Urgency.SPECIAL_URGENT) == Clock(0.5, Unit.HOURS)
    assert clocks.clock(Step.REPLY, Urgency.SPECIAL_URGENT, hard=True) == Clock(4, Unit.WORKING_HOURS)


def test_a_hard_question_received_before_the_spring_festival_is_due_after_it():
    clocks = OrderClocks.from_spec()
    received = dt.datetime(2026, 2, 13, 10, tzinfo=TZ)
    office = BusinessHours.weekdays("09:00-12:00", "13:30-17:30")
    calendar = build_calendar([2026])
    dispatch = due(received, clocks.clock(Step.DISPATCH, Urgency.GENERAL), calendar, office, TZ)
    reply = due(received, clocks.clock(Step.REPLY, Urgency.GENERAL, hard=True), calendar, office, TZ)
    assert dispatch == dt.datetime(2026, 2, 13, 13, tzinfo=TZ)
    assert reply == dt.datetime(2026, 2, 24, 17, 30, tzinfo=TZ)      # make-up Saturday 14, then Tuesday 24


def test_settings_override_the_defaults():
    clocks = OrderClocks.from_spec({"dispatch": {"general": "2wh"}, "reply": {"hard": "3wd"}})
    assert clocks.clock(Step.DISPATCH, Urgency.GENERAL) == Clock(2, Unit.WORKING_HOURS)
    assert clocks.clock(Step.REPLY, Urgency.GENERAL, hard=True) == Clock(3, Unit.WORKING_DAYS)
    assert clocks.clock(Step.DISPATCH, Urgency.SPECIAL) == Clock(1, Unit.HOURS)                 # kept


@pytest.mark.parametrize("spec,message", [
    ({"close": {"general": "1h"}}, '"close" is not a step'),
    ({"dispatch": {"urgent": "1h"}}, "dispatch.urgent: not an urgency"),
    ({"reply": {"general": "tomorrow"}}, 'reply.general: "tomorrow" must look like'),
    ({"reply": {"hard": "1.5wd"}}, "working days are whole days"),
    ({"dispatch": {"general": "0h"}}, "must be more than zero"),
    ({"dispatch": "3h"}, "give a clock per urgency"),
])
def test_bad_settings_are_refused_naming_the_setting(spec, message):
    with pytest.raises(ClockError) as err:
        OrderClocks.from_spec(spec)
    assert message in str(err.value)


def test_clock_texts():
    assert parse_clock("45min") == Clock(0.75, Unit.HOURS)
    assert parse_clock(" 2 WD ") == Clock(2, Unit.WORKING_DAYS)
    assert parse_clock("same_day") == Clock(1, Unit.END_OF_WORKING_DAY)
