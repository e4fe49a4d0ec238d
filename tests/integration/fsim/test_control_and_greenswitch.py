"""The HTTP control surface, and a real greenswitch InboundESL against the simulator."""
import json
import os
import urllib.request

import gevent
import greenswitch
import pytest

from engine.fsim import SimSwitch

from .conftest import REPO


@pytest.fixture
def sim_http():
    s = SimSwitch(esl_port=0, control_port=0, dialplan_dir=os.path.join(REPO, "dialplans"), time_scale=0.02)
    s.start()
    yield s
    s.stop()


def http(sim, method, path, body=None):
    def call():
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (sim.control_port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    # urllib blocks the thread: run it in a real thread so the gevent hub keeps serving
    return gevent.get_hub().threadpool.apply(call)


def test_http_control(sim_http):
    st, phone = http(sim_http, "POST", "/phones", {"ext": "1001", "behaviour": "busy"})
    assert st == 201 and phone["registered"] is True and phone["behaviour"] == "busy"
    assert http(sim_http, "PATCH", "/phones/1001", {"behaviour": "answer"})[1]["behaviour"] == "answer"
    assert http(sim_http, "POST", "/phones/1001/unregister")[1]["registered"] is False
    st, out = http(sim_http, "POST", "/calls", {"did": "12366", "ani": "1000"})
    assert st == 201
    gevent.sleep(0.1)
    chans = http(sim_http, "GET", "/channels")[1]
    assert [c["uuid"] for c in chans] == [out["uuid"]] and chans[0]["parked"] is True
    assert http(sim_http, "POST", "/calls/%s/hangup" % out["uuid"], {})[1] == {"ok": True}
    gevent.sleep(0.1)
    assert http(sim_http, "GET", "/channels")[1] == []
    assert http(sim_http, "GET", "/commands")[1] == []
    assert http(sim_http, "POST", "/reset")[1] == {"ok": True}


def test_greenswitch_inbound_esl(sim):
    sim.add_phone("1001", answer_delay=0.1)
    fs = greenswitch.InboundESL(host="127.0.0.1", port=sim.esl_port, password="ClueCon")
    fs.connect()
    parks, jobs = [], []
    fs.register_handle("CHANNEL_PARK", lambda ev: parks.append(ev.headers["Unique-ID"]))
    fs.register_handle("BACKGROUND_JOB", lambda ev: jobs.append(ev.headers))
    assert fs.send("event plain CHANNEL_PARK BACKGROUND_JOB").data == "+OK event listener enabled plain"
    uuid = sim.place_call(did="12366", ani="1000")
    r = fs.send("bgapi originate user/1001 &park()")
    job = r.headers["Job-UUID"]
    with gevent.Timeout(5):
        while len(parks) < 2 or not jobs:
            gevent.sleep(0.02)
    assert uuid in parks
    # greenswitch quirk (FREESWITCH.md §5.2): the event body ends up in headers['Content-Length']
    assert jobs[0]["Job-UUID"] == job and "+OK " in jobs[0]["Content-Length"]
    gevent.sleep(sim.sqldb_lag_s)                   # their rows in the core database (switch_core_sqldb.c)
    assert fs.send("api show channels as json").data.startswith('{"row_count":2')
    fs.stop()
