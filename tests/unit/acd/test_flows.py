"""The flow language in the core: collect, conditions, variables, goto, transfer, voicemail, survey, after-call."""
import datetime as dt
import itertools

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.events import (AppFinished, CallParked, DirectoryLoaded, LegHungUp, OriginateResult)
from engine.domain.routing import QueueSpec
from engine.domain.states import AgentState
from engine.ivr.loader import parse_flow

# 2026-10-01 is National Day (a statutory holiday); 2026-11-23 is a Monday. Times are UTC+8 local.
HOLIDAY_10AM = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.timezone.utc).timestamp()
MONDAY_10AM = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc).timestamp()
MONDAY_9PM = dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.timezone.utc).timestamp()


class Calendar:
    def is_holiday(self, day):
        return day == dt.date(2026, 10, 1)

    def is_workday(self, day):
        return day.isoweekday() <= 5 and not self.is_holiday(day)


MAIN = {"name": "main", "start": "hours", "nodes": {
    "hours": {"type": "condition", "branches": [
        {"when": {"holiday": True}, "next": "closed"},
        {"when": {"workday": True, "time": ["08:00", "18:00"]}, "next": "vip"}], "else": "closed"},
    "vip": {"type": "condition", "branches": [{"when": {"caller_prefix": ["1390000"]}, "next": "mark"}],
            "else": "id"},
    "mark": {"type": "set", "values": {"tier": "vip"}, "next": "id"},
    "id": {"type": "collect", "prompt": "id.wav", "invalid_prompt": "bad.wav", "variable": "taxpayer",
           "min_digits": 6, "max_digits": 18, "regex": "^\\d{6,18}$", "next": "readback", "on_failure": "q"},
    "readback": {"type": "play", "prompt": "you_entered.wav", "say": [{"digits": "${taxpayer}"}], "next": "q"},
    "q": {"type": "queue", "queue": "policy", "priority": 0, "data": {"taxpayer": "${taxpayer}"},
          "after_call": "survey"},
    "survey": {"type": "survey", "prompt": "rate.wav", "invalid_prompt": "bad.wav", "next": "bye"},
    "bye": {"type": "hangup", "prompt": "goodbye.wav"},
    "closed": {"type": "goto", "flow": "after_hours"}}}
AFTER_HOURS = {"name": "after_hours", "start": "offer", "nodes": {
    "offer": {"type": "menu", "prompt": "closed.wav", "invalid_prompt": "bad.wav",
              "choices": {"1": "vm", "2": "duty"}, "default": "vm"},
    "vm": {"type": "voicemail", "prompt": "leave.wav", "max_s": 60},
    "duty": {"type": "transfer", "to": "number:13800000000", "on_failure": "vm"}}}


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def center():
    ids = (f"id{n}" for n in itertools.count())
    flows = {f.name: f for f in (parse_flow(MAIN, "main.yaml"), parse_flow(AFTER_HOURS, "ah.yaml"))}
    cc = CallCenter(flows, "/p", new_id=lambda: next(ids), recordings_dir="/rec")
    cc.floor.calendar = Calendar()
    cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY),),
                              (QueueSpec(1, "policy", "p", {1: 5}, wrap_up_s=0),), {"12366": "main"}, 0.0))
    return cc


def finish(cc, uuid, at, **kw):
    call = cc.floor.calls[uuid]
    app = "play_and_get_digits" if kw else "playback"
    return cc.handle(AppFinished(uuid, app, call.pending_app, "_none_", kw.get("digits"), kw.get("result"), at))


def test_open_hours_vip_caller_enters_an_id_hears_it_back_and_the_agent_gets_it_as_call_data():
    cc = center()
    out = cc.handle(CallParked("a", "13900001111", "12366", "", True, MONDAY_10AM))
    collect = of(out, c.Collect)[0]
    assert (collect.min_digits, collect.max_digits, collect.regex) == (6, 18, "^\\d{6,18}$")
    assert cc.floor.calls["a"].variables == {"tier": "vip"}
    out = finish(cc, "a", MONDAY_10AM + 9, digits="440301", result="success")
    assert [p.source for p in of(out, c.Play)] == ["/p/you_entered.wav", "/p/num_4.wav", "/p/num_4.wav",
                                                   "/p/num_0.wav", "/p/num_3.wav", "/p/num_0.wav", "/p/num_1.wav"]
    out = finish(cc, "a", MONDAY_10AM + 15)
    dial = of(out, c.DialAgent)[0]
    assert cc.floor.calls["a"].variables["taxpayer"] == "440301"
    assert cc.floor.calls["a"].ivr_path[:6] == ["hours", "vip", "mark", "id", "readback", "q"]
    # the agent hangs up first: the caller is asked for a rating, which is stored with the agent
    cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", MONDAY_10AM + 20))
    out = cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", MONDAY_10AM + 200))
    survey = of(out, c.Collect)[0]
    assert survey.regex == "^[1-5]$" and not of(out, c.Hangup)
    out = finish(cc, "a", MONDAY_10AM + 205, digits="5", result="success")
    rating = of(out, c.SaveSurveyResult)[0]
    assert (rating.call_uuid, rating.agent_id, rating.rating) == ("a", 1, 5)
    out = finish(cc, "a", MONDAY_10AM + 208)
    assert out == [c.Hangup("a", "NORMAL_CLEARING")]


def test_an_id_that_never_validates_goes_to_on_failure_and_nothing_is_stored():
    cc = center()
    cc.handle(CallParked("a", "13800001111", "12366", "", True, MONDAY_10AM))
    heard = []
    # too few digits (they stay in the variable, read_result failure), a refused id (success, no digits), no key
    for n, (digits, result) in enumerate((("1234", "failure"), (None, "success"), (None, "failure"))):
        out = finish(cc, "a", MONDAY_10AM + 10 * (n + 1), digits=digits, result=result)
        heard += [p.source for p in of(out, c.Play) if not p.loop]     # the hold music once queued
        assert bool(of(out, c.Collect)) == (n < 2) and bool(of(out, c.DialAgent)) == (n == 2)
    assert heard == ["/p/bad.wav", "/p/bad.wav"]       # then on_failure at once
    assert "taxpayer" not in cc.floor.calls["a"].variables
    assert cc.floor.calls["a"].ivr_path[-6:] == ["id", "invalid_key", "invalid_key", "no_input", "q", "queue:policy"]


def test_holidays_and_evenings_go_to_the_after_hours_flow_with_voicemail_and_a_duty_transfer():
    cc = center()
    out = cc.handle(CallParked("h", "139", "12366", "", True, HOLIDAY_10AM))
    assert of(out, c.Collect)[0].prompt == "/p/closed.wav" and cc.floor.calls["h"].flow == "after_hours"
    out = finish(cc, "h", HOLIDAY_10AM + 5, digits="1", result="success")
    record = of(out, c.Record)[0]
    assert record.max_s == 60 and record.path == "/rec/voicemail/20261001/h.wav"
    cc.handle(CallParked("e", "139", "12366", "", True, MONDAY_9PM))
    out = finish(cc, "e", MONDAY_9PM + 5, digits="2", result="success")
    dial = of(out, c.DialCustomer)[0]
    assert (dial.number, dial.extension) == ("13800000000", False)
    out = cc.handle(OriginateResult(dial.job_uuid, False, None, "USER_BUSY", MONDAY_9PM + 8))
    assert of(out, c.Record), "busy duty phone: the caller may leave a message instead"
    assert "transfer_failed:USER_BUSY" in cc.floor.calls["e"].ivr_path


def test_a_successful_transfer_bridges_and_the_far_end_hanging_up_releases_the_caller():
    cc = center()
    cc.handle(CallParked("e", "139", "12366", "", True, MONDAY_9PM))
    dial = of(finish(cc, "e", MONDAY_9PM + 5, digits="2", result="success"), c.DialCustomer)[0]
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", MONDAY_9PM + 9))
    assert out == [c.Bridge("e", dial.leg_uuid)]
    assert cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", MONDAY_9PM + 99)) == [
        c.Hangup("e", "NORMAL_CLEARING")]
    record = of(cc.handle(LegHungUp("e", "NORMAL_CLEARING", MONDAY_9PM + 99.1)), c.SaveCallRecord)[0]
    assert "transferred:number:13800000000" in record.ivr_path


def test_calls_keep_the_flow_version_they_began_with_when_flows_are_reloaded():
    cc = center()
    cc.handle(CallParked("a", "13800001111", "12366", "", True, MONDAY_10AM))
    changed = dict(MAIN, nodes={**MAIN["nodes"], "id": {**MAIN["nodes"]["id"], "prompt": "new_id.wav"}})
    cc.set_flows({"main": parse_flow(changed, "main.yaml")})
    out = finish(cc, "a", MONDAY_10AM + 30, digits=None, result="failure")
    assert of(out, c.Collect)[0].prompt == "/p/id.wav"     # asked again with the prompt it began with
    for at in (40, 50):
        out = finish(cc, "a", MONDAY_10AM + at, digits=None, result="failure")
    assert of(out, c.DialAgent)                    # still the old graph: on_failure -> queue
    out = cc.handle(CallParked("b", "13800001111", "12366", "", True, MONDAY_10AM))
    assert of(out, c.Collect)[0].prompt == "/p/new_id.wav"
    assert cc.floor.calls["a"].flow_def.version != cc.floor.calls["b"].flow_def.version


def test_the_shipped_survey_stores_basically_satisfied_as_its_own_rating():
    """Key 3 (基本满意) stores rating 6, in the rating and in the call log; the other keys store what they say."""
    from engine.config import PROJECT_ROOT
    from engine.ivr.loader import load_flow
    shipped = load_flow(PROJECT_ROOT / "ivr_flows" / "tax_main.yaml")
    flow = parse_flow({"name": "s", "start": "q", "nodes": {
        "q": {"type": "queue", "queue": "policy", "after_call": "survey"},
        "survey": {"type": "survey", "prompt": "survey.wav", "invalid_prompt": "invalid.wav",
                   "ratings": dict(shipped.nodes["survey"].ratings), "next": "bye"},
        "bye": {"type": "hangup"}}}, "s.yaml")
    for key, stored in (("3", 6), ("4", 4), ("1", 1)):
        ids = (f"id{n}" for n in itertools.count())
        cc = CallCenter({"s": flow}, "/p", new_id=lambda: next(ids))
        cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {1: 5}, state=AgentState.READY),),
                                  (QueueSpec(1, "policy", "p", {1: 5}, wrap_up_s=0),), {"12366": "s"}, 0.0))
        dial = of(cc.handle(CallParked("a", "139", "12366", "", True, 1.0)), c.DialAgent)[0]
        cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", 5.0))
        out = cc.handle(LegHungUp(dial.leg_uuid, "NORMAL_CLEARING", 60.0))
        assert of(out, c.Collect)[0].regex == "^[12345]$"
        out = finish(cc, "a", 65.0, digits=key, result="success")
        assert of(out, c.SaveSurveyResult)[0].rating == stored
        logged = [e for e in of(out, c.LogCallEvent) if e.kind.value == "survey"]
        assert [(e.value, e.detail) for e in logged] == [(stored, f"key:{key}")]
        assert f"rated:{key}" in cc.floor.calls["a"].ivr_path
