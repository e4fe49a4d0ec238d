"""Hot standby through the real command (`callcenter run`, two processes) on the simulated switch: one engine
commands the switch, the other waits; SIGKILL the active one and the standby takes over within seconds."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import gevent

from engine.config import PROJECT_ROOT
from tests.e2e.conftest import wait_until
from tests.e2e.test_walking_skeleton import record_of


def _start(env, log_path):
    log = open(log_path, "wb")
    return subprocess.Popen([sys.executable, "-m", "engine", "run", "--no-sim", "--no-web", "--no-demo"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(PROJECT_ROOT))


def _text(path):
    return path.read_text(errors="replace") if path.exists() else ""


def test_two_engines_one_commands_the_switch_and_the_standby_takes_over_when_it_dies(sim, db_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    env.update({"CALLCENTER_ESL_PORT": str(sim.esl_port), "CALLCENTER_DATABASE_URL": db_url,
                "CALLCENTER_PATHS_RECORDINGS_DIR": str(tmp_path / "recordings"),
                "CALLCENTER_PATHS_FLOWS_DIR": str(PROJECT_ROOT / "ivr_flows"),
                "CALLCENTER_PATHS_PROMPTS_DIR": str(PROJECT_ROOT / "ivr_flows" / "prompts"),
                "PYTHONUNBUFFERED": "1"})
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first = _start(env, logs[0])
    second = None
    try:
        wait_until(lambda: "switch connected" in _text(logs[0]) or first.poll() is not None, 30, "engine A active")
        assert first.poll() is None, _text(logs[0])[-2000:]
        second = _start(env, logs[1])
        wait_until(lambda: "standby:" in _text(logs[1]), 30, "engine B waiting as standby")
        conns = {c["conn"] for c in sim.commands()}
        gevent.sleep(1.5)                                               # three of B's tries for the lease
        assert second.poll() is None, _text(logs[1])[-2000:]
        assert {c["conn"] for c in sim.commands()} == conns            # B sends nothing while A is active
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
