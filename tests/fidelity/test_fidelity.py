"""Fidelity: replay every captured scenario on the simulator and compare the frames field by field.

See docs/fsim-fidelity.md. A difference that is neither a legitimately varying value (differences.VARYING) nor
an accepted, documented difference (differences.KNOWN / UNMODELLED_EVENTS) fails the test.
"""
from __future__ import annotations

import pytest

from . import capture
from .compare import Comparator
from .replay import Replayer
from .scenarios import SPECS


def run_scenario(name, switch_factory, scratch):
    spec = SPECS[name]
    cap = capture.load(name)
    sim = switch_factory(spec)
    res = Replayer(cap, sim, spec, scratch).run()
    comp = Comparator(name, cap, res)
    comp.run()
    return spec, res, comp


@pytest.mark.parametrize("name", sorted(SPECS))
def test_scenario_matches_capture(name, switch_factory, scratch):
    spec, res, comp = run_scenario(name, switch_factory, scratch)
    applied = [s.kind for s in res.stimuli]
    assert applied == spec.expect, "far-end stimuli applied %s, scenario declares %s" % (applied, spec.expect)
    bad = comp.unexplained()
    assert not bad, "%d unexplained differences:\n%s" % (len(bad), "\n".join(str(d) for d in bad[:80]))
