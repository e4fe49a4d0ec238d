"""Hot standby through the real command (`callcenter run`, two processes) on the simulated switch: one engine
commands the switch, the other waits; SIGKILL the active one and the standby takes over within seconds."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import gevent
import gevent.socket
import pytest
from gevent.server import StreamServer
from sqlalchemy import select

from engine.config import PROJECT_ROOT
from engine.store.models import EngineNode
from engine.store.session import make_engine
from tests.e2e.conftest import demo_switch, wait_until
from tests.e2e.test_walking_skeleton import record_of


def _start(env, log_path):
    log = open(log_path, "wb")
    return subprocess.Popen([sys.executable, "-m", "engine", "run", "--no-sim", "--no-web", "--no-demo"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(PROJECT_ROOT))


def _text(path):
    return path.read_text(errors="replace") if path.exists() else ""


ESL_PASSWORD = "standby-test-esl-secret"       # outside demo mode no shipped secret is accepted (issue 13)
RECORDING_KEY = __import__("engine.sealing", fromlist=["new_key"]).new_key()
DATA_KEY = __import__("engine.store.sealed", fromlist=["new_key"]).new_key()


@pytest.fixture(autouse=True)
def deployment_field_keys():
    """This process reads what the engines sealed with the deployment's key."""
    from engine.store import sealed
    sealed.configure(DATA_KEY)


@pytest.fixture
def sim():
    """The e2e switch, with this deployment's own event socket password."""
    switch = demo_switch(ESL_PASSWORD)
    yield switch
    switch.stop()


def _env(sim, db_url, tmp_path, esl_port=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env.update({"CALLCENTER_ESL_PASSWORD": ESL_PASSWORD, "CALLCENTER_WEB_SECRET_KEY": "standby-test-" + "k" * 32,
                "CALLCENTER_WEB_DIRECTORY_CREDENTIALS": "freeswitch:standby-test-secret",
                "CALLCENTER_KEYS_RECORDINGS": RECORDING_KEY,
                "CALLCENTER_KEYS_DATA": DATA_KEY})
    env.update({"CALLCENTER_ESL_PORT": str(esl_port or sim.esl_port), "CALLCENTER_DATABASE_URL": db_url,
                "CALLCENTER_PATHS_RECORDINGS_DIR": str(tmp_path / "recordings"),
                "CALLCENTER_PATHS_FLOWS_DIR": str(PROJECT_ROOT / "ivr_flows"),
                "CALLCENTER_PATHS_PROMPTS_DIR": str(PROJECT_ROOT / "ivr_flows" / "prompts"),
                "PYTHONUNBUFFERED": "1"})
    return env


def _standby_reaches_switch(db_url):
    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            return conn.execute(select(EngineNode.name).where(EngineNode.role == "standby",
                                                              EngineNode.switch_connected.is_(True))).first()
    finally:
        eng.dispose()


class _Link:
    """A TCP relay to the switch: engine A reaches the switch only through it, and closing it cuts A off (its
    reconnects are refused) while engine B, connected directly, still reaches the switch."""

    def __init__(self, port):
        self.port_to, self.pipes, self.server = port, [], StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()
        self.port = self.server.server_port

    def _handle(self, client, _address):
        upstream = gevent.socket.create_connection(("127.0.0.1", self.port_to))
        self.pipes += [client, upstream]

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (src, dst):
                    sock.close()
        gevent.joinall([gevent.spawn(pump, client, upstream), gevent.spawn(pump, upstream, client)])

    def cut(self):
        self.server.close()
        for sock in self.pipes:
            sock.close()


def test_two_engines_one_commands_the_switch_and_the_standby_takes_over_when_it_dies(sim, db_url, tmp_path):
    env = _env(sim, db_url, tmp_path)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first = _start(env, logs[0])
    second = None
    try:
        wait_until(lambda: "switch connected" in _text(logs[0]) or first.poll() is not None, 30, "engine A active")
        assert first.poll() is None, _text(logs[0])[-2000:]
        before_b = {c["conn"] for c in sim.commands()}
        second = _start(env, logs[1])
        wait_until(lambda: "standby:" in _text(logs[1]), 30, "engine B waiting as standby")
        wait_until(lambda: _standby_reaches_switch(db_url), 10, "engine B's own connection to the switch")
        conns = {c["conn"] for c in sim.commands()}
        gevent.sleep(1.5)                                               # three of B's tries for the lease
        assert second.poll() is None, _text(logs[1])[-2000:]
        # B is connected, logged in and subscribed to HEARTBEAT only; it sends no command while A is active
        ours = [c["command"] for c in sim.commands() if c["conn"] not in before_b]
        assert ours and all(cmd.startswith("auth ") or cmd == "event plain HEARTBEAT" for cmd in ours), ours
        assert {c["conn"] for c in sim.commands()} == conns
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.time()
        wait_until(lambda: "switch connected" in _text(logs[1]), 10, "engine B taking over")
        takeover_s = time.time() - killed_at
        print(f"takeover {takeover_s:.2f} s")
        assert takeover_s < 5, takeover_s
        uuid = sim.place_call(did="12366", digits="2", talk_time=20.0)
        rec = wait_until(lambda: record_of(db_url, uuid), 30, "a call served by the engine that took over")
        assert rec.agent_id is not None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def test_an_active_engine_that_loses_the_switch_hands_over_to_a_standby_that_still_reaches_it(sim, db_url, tmp_path):
    link = _Link(sim.esl_port)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first = _start(_env(sim, db_url, tmp_path, esl_port=link.port), logs[0])
    second = None
    try:
        wait_until(lambda: "switch connected" in _text(logs[0]) or first.poll() is not None, 30, "engine A active")
        second = _start(_env(sim, db_url, tmp_path), logs[1])
        wait_until(lambda: _standby_reaches_switch(db_url), 30, "engine B waiting as standby, reaching the switch")
        link.cut()
        cut_at = time.time()
        wait_until(lambda: "switch connected" in _text(logs[1]), 15, "engine B taking over")
        takeover_s = time.time() - cut_at
        print(f"handover {takeover_s:.2f} s")
        assert takeover_s < 5, (takeover_s, _text(logs[0])[-2000:])
        assert "standby again" in _text(logs[0]) and first.poll() is None     # A waits as standby now
        uuid = sim.place_call(did="12366", digits="2", talk_time=5.0)
        rec = wait_until(lambda: record_of(db_url, uuid), 30, "a call served by the engine that took over")
        assert rec.agent_id is not None
    finally:
        link.cut()
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
