"""The simulated switch's outside line (gateway originate) and the record application, over real ESL."""
import os

import gevent
import pytest

from engine.config import PROJECT_ROOT
from engine.fsim import SimSwitch
from engine.switch.connection import EslConnection


@pytest.fixture
def sim_and_link():
    sim = SimSwitch(host="127.0.0.1", esl_port=0, password="ClueCon", control_port=None,
                    dialplan_dir=str(PROJECT_ROOT / "dialplans"), time_scale=0.05)
    sim.start()
    events = []
    link = EslConnection("127.0.0.1", sim.esl_port, "ClueCon", events=("ALL",), on_event=events.append)
    link.start()
    assert link.wait_connected(5)
    yield sim, link, events
    link.stop()
    sim.stop()


def test_gateway_originate_reaches_outside_parties_as_they_behave(sim_and_link):
    sim, link, _ = sim_and_link
    assert link.api("originate sofia/gateway/nowhere/139 &park()") == "-ERR INVALID_GATEWAY\n"
    sim.set_outside("13900000001", behaviour="busy")
    assert link.api("originate sofia/gateway/trunk/13900000001 &park()") == "-ERR USER_BUSY\n"
    reply = link.api("originate {origination_uuid=cb-1}sofia/gateway/trunk/13800138000 &park()")
    assert reply == "+OK cb-1\n"
    assert any(c["uuid"] == "cb-1" for c in sim.channels())


def test_record_writes_the_message_until_the_caller_presses_hash(sim_and_link, tmp_path):
    sim, link, events = sim_and_link
    uuid = sim.place_call(did="12366", digits="", message_s=4.0)
    with gevent.Timeout(5):
        while not any(e.name == "CHANNEL_PARK" and e.uuid == uuid for e in events):
            gevent.sleep(0.02)
    path = tmp_path / "vm" / "msg.wav"
    assert link.sendmsg(uuid, "set", "playback_terminators=#") == "+OK"
    assert link.sendmsg(uuid, "record", f"{path} 120", event_uuid="rec-1") == "+OK"
    with gevent.Timeout(5):
        while True:
            done = [e for e in events if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application-UUID") == "rec-1"]
            if done:
                break
            gevent.sleep(0.02)
    ev = done[0]
    assert ev.get("Application") == "record" and ev.get("Application-Response") == "_none_"
    assert 3500 <= int(ev.var("record_ms")) <= 5000 and ev.var("playback_terminator_used") == "#"
    assert os.path.getsize(path) > 44
