"""What an agent may dial: numbers of mainland China by kind; international only where the deployment allows."""
import itertools

import pytest

from engine.acd.center import CallCenter
from engine.domain import commands as c
from engine.domain.agent import Agent
from engine.domain.dialplan import DOMESTIC, NumberKind, classify, refusal
from engine.domain.events import AgentRequest, DirectoryLoaded
from engine.domain.states import AgentState


@pytest.mark.parametrize("number,kind", [
    ("13800138000", NumberKind.MOBILE), ("02012345678", NumberKind.NATIONAL), ("075512345678", NumberKind.NATIONAL),
    ("88886666", NumberKind.LOCAL), ("12366", NumberKind.SERVICE), ("110", NumberKind.SERVICE),
    ("95566", NumberKind.SERVICE), ("0085212345678", NumberKind.INTERNATIONAL), ("001", NumberKind.INVALID),
    ("1", NumberKind.INVALID), ("12345678901234567890", NumberKind.INVALID), ("0000", NumberKind.INVALID)])
def test_numbers_are_classified_by_the_national_numbering_plan(number, kind):
    assert classify(number) is kind


def test_an_agent_dials_domestic_numbers_and_international_ones_only_where_allowed():
    def center(international):
        ids = (f"id{n}" for n in itertools.count())
        cc = CallCenter({}, "/p", new_id=lambda: next(ids), international_dialling=international)
        cc.handle(DirectoryLoaded((Agent(1, "A1", "a", "1001", {}, state=AgentState.READY),), (), {}, 0.0))
        return cc

    def dial(cc, number):
        out = cc.handle(AgentRequest(1, "dial", None, "A1", 1.0, 7, f"number:{number}", ""))
        return of(out, c.SaveRequestResult)[0], of(out, c.DialAgent)

    def of(cmds, kind):
        return [x for x in cmds if isinstance(x, kind)]
    result, rung = dial(center(False), "0085212345678")
    assert not result.accepted and "international" in result.message and not rung
    result, rung = dial(center(False), "99999999999999")
    assert not result.accepted and "not a number" in result.message
    result, rung = dial(center(True), "0085212345678")
    assert result.accepted and rung
    assert refusal("13800138000", DOMESTIC) == ""
