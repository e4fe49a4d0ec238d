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


def check_recordings(cap, res):
    """Each recording the harness checked with soxi (a capture note) exists on our side with the same format, and
    the record_file_size the simulator reported is the size of that file (44-byte header + the samples)."""
    import os
    import re
    import wave

    from .replay import CAPTURE_SCRATCH
    recs = cap.records
    for i, r in enumerate(recs):
        if r.kind != "note" or not r.text.startswith("recording file check"):
            continue
        lines = []
        for nxt in recs[i + 1:]:
            if nxt.kind != "note":
                break
            lines.append(nxt.text)
        info = dict(re.findall(r"^(Input File|Channels|Sample Rate|Precision)\s*: (.*)$", "\n".join(lines), re.M))
        path = res.uuids.to_sim(info["Input File"].strip("'"), fresh=False).replace(CAPTURE_SCRATCH, res.scratch)
        assert os.path.exists(path), "recording %s was not written" % path
        with wave.open(path) as w:
            got = (w.getnchannels(), w.getframerate(), w.getsampwidth() * 8)
            frames = w.getnframes()
        assert got == (int(info["Channels"]), int(info["Sample Rate"]), int(info["Precision"].split("-")[0])), got
        sizes = {f.get("variable_record_file_size") for rec in res.conns.values() for f in rec.frames
                 if f.is_event and f.name == "RECORD_STOP" and f.get("Record-File-Path") == path}
        assert sizes == {str(os.path.getsize(path))} == {str(44 + frames * got[0] * 2)}, (sizes, frames)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_scenario_matches_capture(name, switch_factory, scratch):
    spec, res, comp = run_scenario(name, switch_factory, scratch)
    applied = [s.kind for s in res.stimuli]
    assert applied == spec.expect, "far-end stimuli applied %s, scenario declares %s" % (applied, spec.expect)
    check_recordings(comp.cap, res)
    bad = comp.unexplained()
    assert not bad, "%d unexplained differences:\n%s" % (len(bad), "\n".join(str(d) for d in bad[:80]))


@pytest.mark.parametrize("name", ["07a_callcenter_queue_to_agent", "07b_callcenter_agent_no_answer"])
def test_mod_callcenter_is_not_emulated(name, switch_factory):
    """07a/07b are mod_callcenter comparisons: the product replaces mod_callcenter, the simulator does not load it.

    Every `api callcenter_config ...` of the capture must get FreeSWITCH's answer for a command of a module that is
    not loaded (switch_api_execute: `-ERR <command> Command not found!\\n`, arguments dropped).
    """
    import gevent

    from .client import Recorder
    cap = capture.load(name)
    cmds = [r.text for r in cap.records if r.kind == "out" and r.text.startswith("api callcenter_config")]
    assert cmds, "the capture has callcenter_config commands"
    sim = switch_factory(SPECS["01b_esl_json_background_job"])
    rec = Recorder(sim.esl_port, "A")
    rec.send("auth ClueCon\n\n")
    for text in cmds:
        rec.send(text)
    for _ in range(200):
        if len(rec.replies()) >= 2 + len(cmds):
            break
        gevent.sleep(0.01)
    rec.close()
    bodies = [f.body.decode() for f in rec.replies()[2:]]
    assert bodies == ["-ERR callcenter_config Command not found!\n"] * len(cmds)
