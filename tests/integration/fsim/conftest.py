"""Fixtures: a SimSwitch on an ephemeral port and authenticated raw ESL clients."""
import os
import wave

import pytest

from engine.fsim import SimSwitch

from .esl_client import EslClient

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def make_wav(path, seconds):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * int(8000 * seconds))
    return str(path)


@pytest.fixture
def sounds(tmp_path):
    return {"prompt": make_wav(tmp_path / "prompt.wav", 2.76), "menu": make_wav(tmp_path / "menu.wav", 2.67),
            "invalid": make_wav(tmp_path / "invalid.wav", 1.17), "dir": str(tmp_path)}


@pytest.fixture
def sim():
    s = SimSwitch(esl_port=0, dialplan_dir=os.path.join(REPO, "dialplans"), time_scale=0.02)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def esl(sim):
    c = EslClient(sim.esl_port)
    assert c.auth().headers[1] == ("Reply-Text", "+OK accepted")
    assert dict(c.send("event plain ALL").headers)["Reply-Text"] == "+OK event listener enabled plain"
    yield c
    c.close()
