"""The console as production runs it (`callcenter web`: gunicorn, gevent workers, a report worker), on SQLite and
on PostgreSQL: an agent's desktop stream shows a state change the engine published (LISTEN/NOTIFY on PostgreSQL,
with psycopg2 waiting cooperatively in the gevent worker), and a page is served beside the stream."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time

from sqlalchemy import select

from admin_web.jobs.supervisor import environment
from engine.domain.states import AgentState
from engine.store import accounts, live
from engine.store.models import Agent
from engine.store.session import make_engine, make_session_factory


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the console exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the console did not listen")


def _events(port: int, token: str, out: list, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    kind = None
    while not stop.is_set():
        line = response.fp.readline().decode()
        if not line:
            return
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and kind == "state":
            out.append((time.time(), json.loads(line.split(":", 1)[1])))


def test_the_desktop_stream_shows_a_published_change_and_pages_are_served_beside_it(database_url):
    db = make_engine(database_url)
    factory = make_session_factory(db)
    with factory() as s:
        agent = Agent(employee_no="5001", name="流测试", extension="8501", state=AgentState.READY,
                      state_since=dt.datetime.now(dt.timezone.utc))
        s.add(agent)
        s.flush()
        token = accounts.create_token(s, agent.id, "test desktop", "test")[1]
        s.commit()
        agent_id = agent.id
    port = _free_port()
    env = {**environment(), "CALLCENTER_DATABASE_URL": database_url, "CALLCENTER_WEB_BIND": f"127.0.0.1:{port}",
           "CALLCENTER_WEB_WORKERS": "1"}
    env = {k: v for k, v in env.items() if k != "CALLCENTER_CONFIG"}
    proc = subprocess.Popen([sys.executable, "-m", "engine", "web", "--demo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    stop = threading.Event()
    try:
        _wait_port(port, proc)
        got: list = []
        reader = threading.Thread(target=_events, args=(port, token, got, stop), daemon=True)
        reader.start()
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            time.sleep(0.1)
        assert got and got[0][1]["state"] == "ready"
        # what the engine does when the agent takes a break: the state and, in the same transaction, the feed
        with factory() as s:
            row = s.scalar(select(Agent).where(Agent.id == agent_id))
            row.state, row.state_since = AgentState.NOT_READY, dt.datetime.now(dt.timezone.utc)
            live.publish(s, [(live.AGENT, str(agent_id))], row.state_since)
            s.commit()
            changed = time.time()
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(got) >= 2 and got[-1][1]["state"] == "not_ready"
        assert got[-1][0] - changed < 2.0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/auth/login")
        assert conn.getresponse().status == 200        # a page beside the stream
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        db.dispose()
    assert proc.returncode == 0, output[-3000:]
    assert "report worker" in output and "stopped" in output     # its report worker ran beside it, and ended with it
