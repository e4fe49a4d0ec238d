"""Two agent desktops and a supervisor in headless Chromium against `callcenter run` (engine + console + the
simulated FreeSWITCH): a call pops and is answered from the desktop, held, consulted, transferred with a note the
second agent sees, conferenced and hung up; the supervisor listens, whispers and barges; wrap-up ends in ready.
What each click put on the wire is read back from the simulator's control API."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import select

from engine.config import PROJECT_ROOT
from engine.domain.states import NotReadyReason
from engine.store.base import utcnow
from engine.store.models import Agent, AgentRequest, CallRecord
from engine.store.session import make_engine, make_session_factory, transaction
from tests.e2e.test_run_command import free_port
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS

ETAX = ("1001", "1006", "1007", "1008", "1009")
T = 20_000          # ms, for the browser's waits


def poll(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    """`python -m engine run` in a subprocess, its database, console and simulator control API."""

    def __init__(self, tmp_path):
        self.db_url = f"sqlite:///{tmp_path / 'desk.db'}"
        self.web = f"http://127.0.0.1:{free_port()}"
        self.control = f"http://127.0.0.1:{free_port()}"
        env = dict(os.environ, CALLCENTER_DATABASE_URL=self.db_url, CALLCENTER_ESL_PORT=str(free_port()),
                   CALLCENTER_WEB_BIND=self.web.removeprefix("http://"),
                   CALLCENTER_SIM_CONTROL_PORT=self.control.rsplit(":", 1)[1],
                   CALLCENTER_SIM_TIME_SCALE="0.1", CALLCENTER_SIM_CALLS_PER_MINUTE="0.0001",
                   CALLCENTER_PATHS_RECORDINGS_DIR=str(tmp_path / "recordings"), PYTHONPATH=str(PROJECT_ROOT))
        self.proc = subprocess.Popen([sys.executable, "-m", "engine", "run"], cwd=tmp_path, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        poll(self._up, 60, "the console and the simulator")

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError(self.proc.stdout.read()[-3000:])
        try:
            urllib.request.urlopen(self.web + "/auth/login", timeout=2).read()
            self.ctl("GET", "/phones")
            return True
        except OSError:
            return False

    def ctl(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.control + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=5).read() or b"null")

    def wire(self):
        return [c["command"] for c in self.ctl("GET", "/commands")]

    def db(self, fn):
        eng = make_engine(self.db_url)
        try:
            with transaction(make_session_factory(eng)) as session:
                return fn(session)
        finally:
            eng.dispose()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def stack(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    s = Stack(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def sign_in(browser, stack, username, password, path):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{stack.web}{path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.web}{path}", timeout=T)
    return page


def state(page):
    return page.get_attribute("#state-badge", "data-state")


def wait_state(page, wanted):
    page.wait_for_function(f"() => document.getElementById('state-badge').getAttribute('data-state') === '{wanted}'",
                           timeout=T)


def supervise(page, employee_no, mode):
    row = page.locator("tr", has=page.locator(f"text={employee_no}")).first
    row.locator("select[name=mode]").select_option(mode)
    row.locator("form.supervise button").click()
    page.wait_for_selector(".flash:not(#system-alert), .flashes, [role=alert]:not(#system-alert)", timeout=T)


def test_two_desktops_and_a_supervisor_handle_a_call_from_ring_to_ready(stack, chromium):
    # only two e-tax agents are ready, and their phones ring until answered from the desktop
    def breaks(session):
        for ext in ("1001", "1008", "1009"):
            agent_id = session.scalar(select(Agent.id).where(Agent.extension == ext))
            session.add(AgentRequest(agent_id=agent_id, action="not_ready", reason=NotReadyReason.MEETING,
                                     actor="test", requested_at=utcnow()))
    stack.db(breaks)
    for ext in ETAX:
        stack.ctl("PATCH", f"/phones/{ext}", {"behaviour": "manual"})
    stack.ctl("POST", "/phones", {"ext": "1099"})                 # the supervisor's own phone, auto-answer
    desks = {ext: sign_in(chromium, stack, f"a{ext}", f"a{ext}", "/desktop/") for ext in ("1006", "1007")}
    for page in desks.values():
        wait_state(page, "ready")
    poll(lambda: stack.db(lambda s: all(a.state.value == "not_ready" for a in s.scalars(
        select(Agent).where(Agent.extension.in_(("1001", "1008", "1009")))))), 20, "the others on a break")

    # a call pops on one desktop: number, number dialled, queue, IVR path
    uuid = stack.ctl("POST", "/calls", {"did": "12366", "ani": "13800138000", "digits": "2", "talk_time": 900})["uuid"]
    first_ext = poll(lambda: next((ext for ext, p in desks.items() if state(p) == "reserved"), None), 30,
                     "a desktop ringing")
    second_ext = next(ext for ext in desks if ext != first_ext)
    first, second = desks[first_ext], desks[second_ext]
    first.wait_for_selector("#call-card.ringing", timeout=T)
    assert first.inner_text("#call-caller") == "13800138000"
    assert first.inner_text("#call-dnis") == "12366" and "etax" in first.inner_text("#call-queue")
    assert "key:2" in first.inner_text("#call-ivr")
    first.click("#btn-answer")
    wait_state(first, "talking")
    assert any(c.startswith("api uuid_phone_event ") and c.endswith(" talk") for c in stack.wire())

    # hold and retrieve: the agent's leg is held, the caller hears the music
    first.click("#btn-hold")
    wait_state(first, "on_hold")
    first.click("#btn-unhold")
    wait_state(first, "talking")
    assert any(c.startswith("api uuid_hold ") for c in stack.wire())

    # consult the other agent, who answers from their desktop and sees who is consulting
    first.select_option("#transfer-kind", "agent")
    first.wait_for_selector(f"#transfer-target option[value=A{second_ext}]", state="attached", timeout=T)
    first.select_option("#transfer-target", f"A{second_ext}")
    first.click("#btn-consult")
    wait_state(second, "reserved")
    second.click("#btn-answer")
    wait_state(second, "talking")
    second.wait_for_selector("#call-consulted-by:not([hidden])", timeout=T)
    assert f"A{first_ext}" in second.inner_text("#call-consulted-by")
    first.wait_for_selector("#consult-bar:not([hidden])", timeout=T)
    music = (lambda c: c.startswith(f"sendmsg {uuid}\n") and "execute-app-name: playback" in c
             and "loops: -1" in c)          # hold music in a loop until the caller is bridged again
    poll(lambda: any(music(c) for c in stack.wire()), 10, "music to the caller")

    # transfer with a note: the second agent has the call and reads the note
    first.fill("#transfer-note", "纳税人已核实身份，咨询发票红冲")
    first.click("#btn-consult-transfer")
    poll(lambda: state(first) in ("wrap_up", "ready"), 20, "the first agent to leave the call")
    second.wait_for_selector("#call-transfer-note:not([hidden])", timeout=T)
    note = second.inner_text("#call-transfer-note")
    assert "纳税人已核实身份，咨询发票红冲" in note and f"A{first_ext}" in note
    poll(lambda: any(c.startswith(f"api uuid_bridge {uuid} ") for c in stack.wire()), 10, "the transfer's bridge")

    # the supervisor listens, whispers and barges into the second agent's call
    boss = sign_in(chromium, stack, "supervisor", "supervisor123", "/agents/")
    second_leg = next(ch["uuid"] for ch in stack.ctl("GET", "/channels") if ch["bridged_to"] == uuid)
    seen = set(stack.wire())
    for mode, marker in (("listen", "eavesdrop_whisper_bleg=false"), ("whisper", "eavesdrop_whisper_bleg=true"),
                         ("barge", "&three_way(")):
        if mode == "barge":         # from the floor view's action form this time
            boss.goto(f"{stack.web}/floor/")
            agent_id = stack.db(lambda s: s.scalar(select(Agent.id).where(Agent.extension == second_ext)))
            row = f"tr[data-agent-id='{agent_id}']"           # each agent's row has its own action form
            boss.wait_for_selector(f"{row} select[name=action]", timeout=T)
            boss.select_option(f"{row} select[name=action]", "supervise:barge")
            boss.click(f"{row} button[type=submit]")
            boss.wait_for_url(f"{stack.web}/floor/", timeout=T)
        else:
            supervise(boss, f"A{second_ext}", mode)
        new = poll(lambda: [c for c in stack.wire() if c not in seen and "user/1099" in c], 20,
                   f"the supervisor's {mode}")
        seen.update(new)
        assert marker in new[-1] and second_leg in new[-1], new[-1]
        boss.goto(f"{stack.web}/agents/")
    assert state(second) == "talking"

    # the first agent is ready again and is consulted back into a three-party conference
    wait_state(first, "ready")
    second.select_option("#transfer-kind", "agent")
    second.wait_for_selector(f"#transfer-target option[value=A{first_ext}]", state="attached", timeout=T)
    second.select_option("#transfer-target", f"A{first_ext}")
    second.click("#btn-consult")
    wait_state(first, "reserved")
    first.click("#btn-answer")
    wait_state(first, "talking")
    second.wait_for_selector("#consult-bar:not([hidden])", timeout=T)
    second.click("#btn-conference")
    poll(lambda: any(f"'conference:cc-{uuid}@default' inline" in c and c.startswith(f"api uuid_transfer {uuid} ")
                     for c in stack.wire()), 15, "the caller moved into the conference")
    second.wait_for_function("() => document.getElementById('btn-conference').disabled", timeout=T)

    # the first agent leaves the conference, then the second hangs up; wrap-up ends in ready
    first.click("#btn-hangup")
    poll(lambda: state(first) in ("wrap_up", "ready"), 20, "the first agent out of the conference")
    assert state(second) == "talking"
    second.click("#btn-hangup")
    poll(lambda: state(second) in ("wrap_up", "ready"), 20, "the second agent's call to end")
    second.select_option("#wrapup-disposition", "resolved")
    second.fill("#wrapup-summary", "已答复发票红冲流程")
    second.click("#btn-wrapup")
    second.wait_for_function("() => document.getElementById('wrapup-saved').textContent === '✓'", timeout=T)
    wait_state(second, "ready")
    wait_state(first, "ready")
    record = poll(lambda: stack.db(lambda s: s.scalar(select(CallRecord).where(CallRecord.call_uuid == uuid))), 30,
                  "the call record")
    assert record.outcome.value == "answered" and record.transfers == 1      # the consult-then-transfer
    assert "conference" in record.ivr_path
