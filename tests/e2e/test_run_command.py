"""`callcenter run` as a user starts it: simulator + engine + console; calls get answered by skilled agents,
and after SIGTERM nothing is left half-way (no agent ringing or talking, every call recorded)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from sqlalchemy import func, select

from engine.config import PROJECT_ROOT
from engine.domain.states import AgentState, CallOutcome
from engine.store.models import Agent, AgentSkill, CallRecord, EngineNode, QueueSkill, SwitchCdr
from engine.store.session import make_engine, make_session_factory, transaction
from tests.processes import alive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answered_records(url):
    eng = make_engine(url)
    try:
        with transaction(make_session_factory(eng)) as s:
            return s.scalars(select(CallRecord).where(CallRecord.outcome == CallOutcome.ANSWERED)).all()
    except Exception:
        return []
    finally:
        eng.dispose()


def _report_workers(web_pid: int) -> list[int]:
    """The `callcenter worker` processes the console (gunicorn's master) started."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(web_pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if " worker" in line]


def _monthly_workbook(web_port: int) -> bytes:
    """Log in as the demo admin and download this month's operating report."""
    import http.cookiejar
    import re
    import urllib.parse
    base = f"http://127.0.0.1:{web_port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = opener.open(f"{base}/auth/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    opener.open(f"{base}/auth/login", urllib.parse.urlencode(
        {"csrf_token": token, "username": "admin", "password": "admin123"}).encode(), timeout=10).read()
    return opener.open(f"{base}/reports/monthly.xlsx", timeout=60).read()


def test_run_answers_demo_calls_and_stops_cleanly(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'run.db'}"
    web_port = free_port()
    env = dict(os.environ, CALLCENTER_DATABASE_URL=db_url, CALLCENTER_ESL_PORT=str(free_port()),
               CALLCENTER_WEB_BIND=f"127.0.0.1:{web_port}", CALLCENTER_SIM_CONTROL_PORT=str(free_port()),
               CALLCENTER_SIM_TIME_SCALE="0.05", CALLCENTER_SIM_CALLS_PER_MINUTE="3",
               PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 90
        while len(answered_records(db_url)) < 3 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert len(answered_records(db_url)) >= 3, "no calls answered within 90 s"
        page = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/auth/login", timeout=5).read().decode()
        assert "登录" in page
        # the console runs in processes of its own (gunicorn), not in the engine's
        children = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(proc.pid)], capture_output=True,
                                  text=True).stdout
        assert " web" in children and "engine.fsim" in children, children
        web_pid = next(int(line.split()[0]) for line in children.splitlines() if " web" in line)
        workers = _report_workers(web_pid)
        assert len(workers) == 1, "no report worker beside the console"
        # a report from outside: the console queues it, the report worker process computes it
        workbook = _monthly_workbook(web_port)
        assert workbook[:2] == b"PK"
        with transaction(make_session_factory(make_engine(db_url))) as s:
            assert [n.role for n in s.scalars(select(EngineNode))] == ["active"]
            assert s.scalar(select(func.count()).select_from(SwitchCdr)) >= 3     # the switch posts its CDRs
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output[-3000:]
    assert "Web console: http://127.0.0.1:" in output and "admin / admin123" in output
    eng = make_engine(db_url)
    with transaction(make_session_factory(eng)) as s:
        for rec in s.scalars(select(CallRecord).where(CallRecord.outcome == CallOutcome.ANSWERED)):
            levels = {k.skill_id: k.level for k in s.scalars(select(AgentSkill).where(AgentSkill.agent_id == rec.agent_id))}
            for need in s.scalars(select(QueueSkill).where(QueueSkill.queue_id == rec.queue_id)):
                assert levels.get(need.skill_id, 0) >= need.min_level, f"call {rec.call_uuid} to an unskilled agent"
        stuck = s.scalars(select(Agent).where(Agent.state.in_([AgentState.RESERVED, AgentState.TALKING]))).all()
        assert stuck == [], [(a.extension, a.state) for a in stuck]
        assert [n.role for n in s.scalars(select(EngineNode))] == ["stopped"]
        # calls the stop cut are the engine's doing, not abandons
        assert s.scalar(select(func.count()).select_from(CallRecord).where(
            CallRecord.hangup_cause == "SYSTEM_SHUTDOWN", CallRecord.outcome == CallOutcome.ABANDONED)) == 0
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", web_port)) != 0          # the console it started is gone too
    assert not [pid for pid in workers if alive(pid)], "a report worker outlived the console"
    eng.dispose()
