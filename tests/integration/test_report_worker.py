"""The report worker as its own process (`callcenter worker`), on SQLite and PostgreSQL: it computes what the
console queued, from the asking user's scope, and leaves the result in the database for any console process;
`callcenter web`'s supervisor starts it again when it dies, and a job survives the death."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from admin_web import create_app
from admin_web.jobs import queue
from admin_web.jobs.supervisor import ReportWorkers, environment
from admin_web.scope import Scope
from tests.processes import alive

Q = {"kind": "service", "dimension": "all", "grain": "day", "start": "2026-03-02", "end": "2026-03-02",
     "definitions": "{}"}


@pytest.fixture
def console(database_url):
    app = create_app(overrides={"DATABASE_URL": database_url, "SECRET_KEY": "test", "REPORT_WORKERS": 1})
    yield app
    app.extensions["db_engine"].dispose()


def _wait_done(factory, job_id: str, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = queue.get(factory, job_id, with_result=True)
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not computed within {timeout_s} s: {job.state}")


def test_the_worker_process_computes_queued_jobs_and_is_started_again_when_it_dies(console, database_url):
    factory = console.extensions["db_sessions"]
    env = {**environment(), "CALLCENTER_DATABASE_URL": database_url}
    workers = ReportWorkers(1, None, env, demo=True).start()
    try:
        job = queue.submit(factory, "report_table", Q, scope=Scope(), locale="zh_CN", owner_id=None)
        done = _wait_done(factory, job.id)
        assert done.state == "done", done.error
        table = json.loads(done.result)
        assert table["columns"][0] == "requests" and table["total"]["requests"] == 0
        assert done.worker.endswith(f":{workers.processes[0].pid}")     # computed in the worker process
        first = workers.processes[0].pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (workers.processes[0] is None or workers.processes[0].pid == first):
            time.sleep(0.2)
        assert workers.processes[0].pid != first, "the report worker was not started again"
        hall = queue.submit(factory, "report_table", Q, scope=Scope(frozenset({1}), ()), locale="en", owner_id=None)
        again = _wait_done(factory, hall.id)
        assert again.state == "done" and again.worker.endswith(f":{workers.processes[0].pid}")
        assert json.loads(again.scope)["halls"] == [1]
    finally:
        workers.stop()
    assert all(p.poll() is not None for p in workers.processes if p is not None)        # stopped with it


def test_a_worker_whose_console_was_killed_stops(database_url):
    """SIGKILL of the console (gunicorn's master) leaves no report worker behind computing for nobody."""
    import subprocess
    import sys
    script = ("import sys, time\n"
              "from admin_web.jobs.supervisor import ReportWorkers, environment\n"
              "w = ReportWorkers(1, None, {**environment(), 'CALLCENTER_DATABASE_URL': sys.argv[1]}, demo=True)\n"
              "w.start()\n"
              "while w.processes[0] is None:\n"
              "    time.sleep(0.05)\n"
              "print(w.processes[0].pid, flush=True)\n"
              "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, database_url], stdout=subprocess.PIPE, text=True,
                              env=environment())
    try:
        pid = int(parent.stdout.readline())
        time.sleep(1.0)
        assert alive(pid)
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.2)
        assert not alive(pid), "the report worker outlived its console"
    finally:
        if parent.poll() is None:
            parent.kill()
