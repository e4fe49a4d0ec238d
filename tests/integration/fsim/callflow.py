"""Shared call-flow helpers for the fsim call-control tests (capture scenarios 03, 05a/b, 06a-d)."""
import os
import uuid as uuidlib

import pytest

from engine.fsim import SimSwitch

from .esl_client import EslClient

# The capture's public context (conf-used/dialplan/public/00_cc_park.xml after the vanilla outside_call extension).
CAPTURE_DIALPLAN = """<include>
  <extension name="outside_call" continue="true">
    <condition>
      <action application="set" data="outside_call=true"/>
    </condition>
  </extension>
  <extension name="cc_park">
    <condition field="destination_number" expression="^(12366|95\\d{2,3})$">
      <action application="set" data="cc_entry=$1"/>
      <action application="park"/>
    </condition>
  </extension>
</include>
"""


@pytest.fixture
def capsim(tmp_path):
    """A SimSwitch with the capture's public dialplan and phones 1001/1002 (answer after 1 s)."""
    ctx = tmp_path / "dialplans" / "public"
    ctx.mkdir(parents=True)
    (ctx / "00_cc_park.xml").write_text(CAPTURE_DIALPLAN)
    s = SimSwitch(esl_port=0, dialplan_dir=str(tmp_path / "dialplans"), time_scale=0.02,
                  sounds_dir=str(tmp_path))
    s.start()
    s.add_phone("1001")
    s.add_phone("1002")
    yield s
    s.stop()


@pytest.fixture
def cesl(capsim):
    c = EslClient(capsim.esl_port)
    c.auth()
    assert dict(c.send("event plain ALL").headers)["Reply-Text"] == "+OK event listener enabled plain"
    yield c
    c.close()


def api(esl, cmd):
    r = esl.send("api " + cmd)
    assert r.ctype == "api/response"
    return r.body


def sendmsg(esl, uuid, app, arg=None, lock=False):
    headers = [("call-command", "execute"), ("execute-app-name", app)]
    if arg is not None:
        headers.append(("execute-app-arg", arg))
    if lock:
        headers.append(("event-lock", "true"))
    ev_uuid = str(uuidlib.uuid4())
    headers.append(("Event-UUID", ev_uuid))
    assert dict(esl.send("sendmsg %s" % uuid, headers).headers)["Reply-Text"] == "+OK"
    return ev_uuid


def chan_events(esl, uuid, skip=("API",)):
    return [e for e in esl.events if e.get("Unique-ID") == uuid and e.name not in skip]


def names(esl, uuid, skip=("API", "PRESENCE_IN", "CHANNEL_STATE", "CHANNEL_CALLSTATE")):
    return [e.name for e in chan_events(esl, uuid, skip)]


def answered_caller(sim, esl, did="12366"):
    uuid = sim.place_call(did=did, ani="13800138000", caller_name="张三")
    esl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    app = sendmsg(esl, uuid, "answer")
    esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application_UUID=app)
    return uuid


def originate_parked(esl, ext="1001", extra=""):
    b = str(uuidlib.uuid4())
    esl.send("bgapi originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=20%s}user/%s &park()"
             % (b, extra, ext))
    esl.wait_event("CHANNEL_PARK", Unique_ID=b)
    return b


def bridged_pair(sim, esl):
    """Capture 06a setup: parked + answered caller bridged to agent 1001 with uuid_bridge."""
    a = answered_caller(sim, esl)
    b = originate_parked(esl)
    assert api(esl, "uuid_bridge %s %s" % (a, b)) == "+OK %s\n" % b
    esl.wait_event("CHANNEL_BRIDGE", Unique_ID=a)
    esl.wait_for(lambda: any(e.name == "CHANNEL_STATE" and e.get("Channel-State") == "CS_EXCHANGE_MEDIA"
                             for e in chan_events(esl, b)))
    return a, b


def mark(esl):
    return len(esl.events)


def since(esl, n, uuid=None, skip=("API",)):
    return [e for e in esl.events[n:] if (uuid is None or e.get("Unique-ID") == uuid) and e.name not in skip]


def gone(sim, *uuids):
    return all(sim.channel(u) is None for u in uuids)
