"""Fixtures of the fidelity suite: a SimSwitch configured like the captured FreeSWITCH, and prompt files."""
from __future__ import annotations

import os
import wave

import pytest

from engine.fsim import SimSwitch

HERE = os.path.dirname(os.path.abspath(__file__))
# the harness's prompts (README "FreeSWITCH under test"): durations in seconds
PROMPTS = {"prompt.wav": 2.76, "menu.wav": 2.67, "invalid.wav": 1.17, "moh.wav": 20.0}


@pytest.fixture
def scratch(tmp_path):
    """Our stand-in for the harness's scratch directory, with silent prompts of the captured lengths."""
    for name, secs in PROMPTS.items():
        with wave.open(str(tmp_path / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x00\x00" * int(8000 * secs))
    return str(tmp_path)


def make_switch(spec, scratch):
    """A SimSwitch with the identity of the captured one (hostname vm, its IPs) and the capture's dialplan."""
    sim = SimSwitch(esl_port=0, dialplan_dir=os.path.join(HERE, "dialplan"), time_scale=spec.time_scale,
                    hostname="vm", sounds_dir=scratch)
    # the replay sends a capture's commands back to back, faster than the capture's own session did: the core
    # database's lag behind the channels (SimSwitch.sqldb_lag_s, tested in tests/integration/fsim/test_calls.py)
    # would hide channels the capture listed
    sim.sqldb_lag_s = 0.0
    sim.factory.ipv4 = "192.0.2.2"
    sim.factory.ipv6 = "fd00::2"
    if spec.member_ids_from != 1:
        from engine.fsim.conference import member_ids_from
        member_ids_from(sim, spec.member_ids_from)
    for ext, registered in spec.users.items():
        sim.add_phone(ext, register=registered)
    return sim


@pytest.fixture
def switch_factory(scratch):
    made = []

    def make(spec):
        sim = make_switch(spec, scratch)
        sim.start()
        made.append(sim)
        return sim
    yield make
    for sim in made:
        sim.stop()
