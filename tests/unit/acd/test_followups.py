"""Automated follow-up calls (回访, engine.acd.followups) in the core, with the shipped flow
(ivr_flows/followup.yaml): the citizen is dialled on the outside line, hears the order's date and number, rates the
department and the handling; each outcome reaches the store as one SaveFollowUpResult, and a call under way when its
engine dies is finished by the engine taking over."""
import itertools
import urllib.parse

from engine.acd.center import CallCenter
from engine.config import PROJECT_ROOT
from engine.domain import commands as c
from engine.domain.events import (AppFinished, DirectoryLoaded, DueFollowUp, FollowUpsDue, LegHungUp, LiveChannel,
                                  OriginateResult, SwitchSynced)
from engine.ivr.loader import load_flow

PROMPTS = PROJECT_ROOT / "ivr_flows" / "prompts"
VARIABLES = {"order_no": "202612070012", "order_tail": "0012", "month": "12", "day": "7",
             "request_type": "complaint", "round": "1"}


def of(cmds, kind):
    return [x for x in cmds if isinstance(x, kind)]


def center(trunk_channels=0):
    flow = load_flow(PROJECT_ROOT / "ivr_flows" / "followup.yaml", PROMPTS)
    flows = {flow.name: flow}
    ids = (f"id{n}" for n in itertools.count())
    cc = CallCenter(flows, str(PROMPTS), new_id=lambda: next(ids), recordings_dir="/rec",
                    trunk_channels=trunk_channels)
    cc.handle(DirectoryLoaded((), (), {}, 0.0))
    return cc


def due(follow_up_id=7, number="13800138000"):
    return DueFollowUp(follow_up_id, number, "12345", "followup", VARIABLES, 40)


def answered(cc, at=100.0):
    """Place follow-up 7 and let the citizen answer: (the commands of the answer, the call)."""
    (dial,) = of(cc.handle(FollowUpsDue((due(),), at)), c.DialCustomer)
    out = cc.handle(OriginateResult(dial.job_uuid, True, dial.leg_uuid, "", at + 5))
    return out, cc.floor.calls[dial.leg_uuid]


def finish_media(cc, call, at, digits=None):
    """The switch reports the call's pending prompt or digit collection over."""
    app = "play_and_get_digits" if digits is not None else "playback"
    return cc.handle(AppFinished(call.uuid, app, call.pending_app, "FILE PLAYED", digits,
                                 "success" if digits else None, at))


def play_until_collect(cc, call, at):
    """Let prompts play until the flow waits for a key; the commands meanwhile."""
    out = []
    for _ in range(20):
        if call.node in ("department", "handling"):
            return out
        out += finish_media(cc, call, at)
    raise AssertionError(f"the flow never asked for a rating (at {call.node})")


def test_the_citizen_is_dialled_on_the_outside_line_with_the_follow_ups_marks():
    cc = center()
    out = cc.handle(FollowUpsDue((due(),), 100.0))
    (dial,) = of(out, c.DialCustomer)
    assert (dial.number, dial.caller_id_number, dial.timeout_s, dial.extension) == ("13800138000", "12345", 40,
                                                                                     False)
    assert dial.variables == {"cc_phase": "followup", "cc_follow_up": "7"}
    again = cc.handle(FollowUpsDue((due(),), 101.0))          # handed over twice: rung once
    assert not of(again, c.DialCustomer) and not of(again, c.SaveFollowUpResult)


def test_the_answered_citizen_hears_the_orders_date_and_number_then_rates_and_the_visit_is_stored():
    cc = center()
    out, call = answered(cc)
    assert call.direction == "outbound" and call.answered_at == 105.0
    assert of(out, c.StartRecording), "the follow-up call is recorded, like every answered call"
    out += play_until_collect(cc, call, 110.0)
    played = [p.source.rsplit("/", 1)[-1] for p in of(out, c.Play)]
    assert played == ["followup_intro.wav", "num_10.wav", "num_2.wav", "followup_month.wav", "num_7.wav",
                      "followup_day.wav", "num_0.wav", "num_0.wav", "num_1.wav", "num_2.wav", "followup_done.wav"]
    (ask,) = of(out, c.Collect)
    assert ask.regex == "^[123]$" and ask.prompt.endswith("followup_department.wav")
    out = finish_media(cc, call, 120.0, digits="2")
    (dept,) = of(out, c.SaveFollowUpResult)
    assert (dept.follow_up_id, dept.outcome, dept.rating, dept.call_uuid) == (7, "department", "basically",
                                                                              call.uuid)
    assert of(out, c.Collect)[0].prompt.endswith("followup_rate.wav")
    out = finish_media(cc, call, 130.0, digits="3")
    (rated,) = of(out, c.SaveFollowUpResult)
    assert (rated.outcome, rated.rating, rated.at) == ("rated", "unsatisfied", 130.0)
    assert of(out, c.Play)[0].source.endswith("followup_thanks.wav")
    out = finish_media(cc, call, 135.0)
    assert of(out, c.Hangup)
    out = cc.handle(LegHungUp(call.uuid, "NORMAL_CLEARING", 136.0))
    assert not of(out, c.SaveFollowUpResult), "a rated visit is not counted as not reached at the hang-up"
    (record,) = of(out, c.SaveCallRecord)
    assert (record.direction, record.ani, record.answered_at) == ("outbound", "13800138000", 105.0)
    assert "follow_up:7" in record.ivr_path and "rated:3" in record.ivr_path


def test_a_citizen_who_does_not_answer_is_not_reached_and_no_call_is_left_behind():
    cc = center()
    (dial,) = of(cc.handle(FollowUpsDue((due(),), 100.0)), c.DialCustomer)
    out = cc.handle(OriginateResult(dial.job_uuid, False, None, "NO_ANSWER", 140.0))
    (result,) = of(out, c.SaveFollowUpResult)
    assert (result.follow_up_id, result.outcome, result.cause) == (7, "unanswered", "NO_ANSWER")
    assert not cc.floor.calls and not cc.floor.follow_up_jobs


def test_a_citizen_who_hangs_up_before_rating_the_handling_counts_as_not_reached():
    cc = center()
    _, call = answered(cc)
    play_until_collect(cc, call, 110.0)
    finish_media(cc, call, 120.0, digits="1")                   # the department rated, then gone
    out = cc.handle(LegHungUp(call.uuid, "NORMAL_CLEARING", 125.0))
    (result,) = of(out, c.SaveFollowUpResult)
    assert (result.outcome, result.cause, result.call_uuid) == ("unanswered", "NO_RATING", call.uuid)


def test_no_valid_key_after_the_tries_moves_on_without_a_rating():
    cc = center()
    _, call = answered(cc)
    play_until_collect(cc, call, 110.0)
    out = cc.handle(AppFinished(call.uuid, "play_and_get_digits", call.pending_app, "FILE PLAYED", "", "failure",
                                120.0))
    assert not of(out, c.SaveFollowUpResult) and call.node == "handling"
    assert "not_rated" in call.ivr_path


def test_a_full_trunk_defers_the_visit_without_counting_an_attempt():
    cc = center(trunk_channels=1)
    _, first = answered(cc)
    out = cc.handle(FollowUpsDue((due(8, "13900139000"),), 120.0))
    assert not of(out, c.DialCustomer)
    (result,) = of(out, c.SaveFollowUpResult)
    assert (result.follow_up_id, result.outcome, result.cause) == (8, "deferred", "TRUNK_BUSY")


def test_a_number_that_cannot_be_dialled_is_not_reached():
    cc = center()
    out = cc.handle(FollowUpsDue((due(9, "12"),), 100.0))
    assert not of(out, c.DialCustomer)
    assert [(r.outcome, r.cause) for r in of(out, c.SaveFollowUpResult)] == [("unanswered", "INVALID_NUMBER_FORMAT")]


def _follow_up_leg(phase="ivr", node="handling", application="play_and_get_digits"):
    data = urllib.parse.urlencode({**VARIABLES, "follow_up": "7"})
    return LiveChannel(uuid="fu-leg", inbound=False, ani="12345", dnis="13800138000", caller_name="",
                       created_at=500.0, parked=False, answered=True, cc_phase=phase, cc_follow_up="7",
                       cc_flow="followup" if phase == "ivr" else None, cc_node=node if phase == "ivr" else None,
                       cc_data=data if phase == "ivr" else "", cc_answered_at=505.0 if phase == "ivr" else None,
                       application=application)


def test_an_engine_taking_over_finishes_a_follow_up_call_in_its_flow():
    cc = center()
    out = cc.handle(SwitchSynced(frozenset({"fu-leg"}), 600.0, (_follow_up_leg(),)))
    assert not of(out, c.Hangup) and not of(out, c.SaveFollowUpResult)
    call = cc.floor.calls["fu-leg"]
    assert (call.direction, call.answered_at, call.node) == ("outbound", 505.0, "handling")
    out = cc.handle(AppFinished("fu-leg", "play_and_get_digits", "whatever", "FILE PLAYED", "1", "success", 610.0))
    (rated,) = of(out, c.SaveFollowUpResult)
    assert (rated.follow_up_id, rated.outcome, rated.rating) == (7, "rated", "satisfied")


def test_a_follow_up_call_answered_but_not_yet_in_its_flow_is_released_and_not_reached():
    cc = center()
    out = cc.handle(SwitchSynced(frozenset({"fu-leg"}), 600.0, (_follow_up_leg("followup", application="park"),)))
    assert [h.uuid for h in of(out, c.Hangup)] == ["fu-leg"]
    (result,) = of(out, c.SaveFollowUpResult)
    assert (result.follow_up_id, result.outcome, result.cause) == (7, "unanswered", "ENGINE_RESTARTED")
    assert "fu-leg" not in cc.floor.calls
