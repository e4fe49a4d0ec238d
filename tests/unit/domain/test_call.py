"""Call state machine and the outcome a call's record gets."""
import pytest

from engine.domain.call import TRANSITIONS, Call, CallPhase
from engine.domain.errors import InvalidTransition
from engine.domain.states import CallOutcome

P = CallPhase


def call(**kw):
    return Call(uuid="c1", ani="13800138000", dnis="12366", caller_name="", started_at=0.0, **kw)


@pytest.mark.parametrize("source", list(P))
@pytest.mark.parametrize("dest", list(P))
def test_only_table_moves_are_allowed(source, dest):
    c = call(phase=source)
    if (source, dest) in TRANSITIONS:
        c.move(dest)
        assert c.phase is dest
    else:
        with pytest.raises(InvalidTransition):
            c.move(dest)


def test_outcome_follows_how_far_the_call_got():
    assert call().outcome() is CallOutcome.NO_ROUTE
    assert call(flow="tax_main").outcome() is CallOutcome.IVR_ONLY
    assert call(flow="tax_main", enqueued_at=3.0).outcome() is CallOutcome.ABANDONED
    assert call(flow="tax_main", enqueued_at=3.0, answered_at=9.0).outcome() is CallOutcome.ANSWERED
