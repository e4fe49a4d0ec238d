"""The executor's commands for the dispatch point, over real ESL TCP to the simulated switch: checking that an
agent's phone is registered again (sofia_contact), moving a ringing leg's marks to the next caller
(uuid_setvar_multi), the display update (uuid_display), and a dial that cannot reach the switch."""
from __future__ import annotations

import os
import time

import gevent
import pytest

from engine.domain import commands as c
from engine.domain.events import CommandFailed, OriginateResult, PhoneProbed
from engine.fsim import SimSwitch
from engine.switch.connection import EslConnection
from engine.switch.executor import SwitchExecutor

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        gevent.sleep(0.01)


@pytest.fixture
def wired():
    sim = SimSwitch(esl_port=0, dialplan_dir=os.path.join(REPO, "dialplans"), time_scale=0.05).start()
    sim.add_phone("1001", behaviour="manual")
    sim.add_phone("1002", register=False)
    reports: list = []
    conn = EslConnection("127.0.0.1", sim.esl_port, "ClueCon", on_event=lambda ev: None, command_timeout=2.0)
    conn.start()
    assert conn.wait_connected(5)
    executor = SwitchExecutor(conn, reports.append, sip_domain="127.0.0.1")
    yield sim, conn, executor, reports
    conn.stop()
    sim.stop()


def test_a_registered_phone_is_reachable_and_an_unregistered_one_is_not(wired):
    sim, conn, executor, reports = wired
    executor.execute(c.ProbePhone(1, "1001"))
    executor.execute(c.ProbePhone(2, "1002"))
    executor.execute(c.ProbePhone(3, "1003", remote_number="13900000000"))
    wait_for(lambda: len(reports) == 3)
    by_agent = {r.agent_id: r for r in reports}
    assert all(isinstance(r, PhoneProbed) for r in reports)
    assert by_agent[1].reachable and "registered at" in by_agent[1].detail
    assert not by_agent[2].reachable and by_agent[2].detail == "not registered"
    assert by_agent[3].reachable                        # an outside line: the next offer is the check
    assert any(x["command"].startswith("api sofia_contact */1001@127.0.0.1") for x in sim.commands())


def test_a_ringing_leg_gets_the_next_callers_marks_and_display(wired):
    sim, conn, executor, reports = wired
    executor.execute(c.DialAgent("job-1", "leg-1", "1001", 20, "13800138000", "张三", {"cc_call_uuid": "first"}))
    wait_for(lambda: sim.channel("leg-1") is not None)
    executor.execute(c.SetLegVars("leg-1", {"cc_call_uuid": "second", "cc_queue": "q"}))
    executor.execute(c.UpdateDisplay("leg-1", "李四", "13900000002"))
    wait_for(lambda: executor.in_flight == 0)
    assert conn.api("uuid_getvar leg-1 cc_call_uuid") == "second"
    assert not [r for r in reports if isinstance(r, CommandFailed)]
    assert sim.channel("leg-1").variables.get("last_sent_callee_id_number") == "13900000002"
    executor.execute(c.UpdateDisplay("gone-leg", "李四", "139"))        # the leg is gone: nothing to report
    executor.execute(c.SetLegVars("gone-leg", {"cc_call_uuid": "x"}))
    wait_for(lambda: executor.in_flight == 0)
    assert not [r for r in reports if isinstance(r, CommandFailed)]


def test_a_dial_that_cannot_reach_the_switch_is_reported_as_the_switchs_failure():
    reports: list = []
    conn = EslConnection("127.0.0.1", 1, "ClueCon", on_event=lambda ev: None)   # never connected
    executor = SwitchExecutor(conn, reports.append)
    executor.execute(c.DialAgent("job-1", "leg-1", "1001", 20, "1", "1", {}))
    result = next(r for r in reports if isinstance(r, OriginateResult))
    assert (result.ok, result.cause) == (False, "SWITCH_UNAVAILABLE")
