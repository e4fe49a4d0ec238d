"""Ctrl-C in the console's terminal: the report workers' supervisor (admin_web.jobs.supervisor) neither restarts a
worker nor warns while the console stops; the workers stop with it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from admin_web.jobs.supervisor import environment
from tests.processes import alive

# a report worker as `callcenter worker` behaves towards signals (admin_web.jobs.worker.stop_on_signals)
WORKER = ("import signal, sys, time\n"
          "signal.signal(signal.SIGINT, lambda *_: sys.exit(0))\n"
          "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
          "time.sleep(120)\n")
# the console's master as gunicorn runs it: on SIGINT it first stops its own workers (graceful_timeout), and only
# then calls on_exit, which stops the report workers
CONSOLE = ("import logging, signal, sys, threading, time\n"
           "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(levelname)s %(message)s')\n"
           "from admin_web.jobs.supervisor import ReportWorkers\n"
           "w = ReportWorkers(1, None)\n"
           "w.command = [sys.executable, '-c', sys.argv[1]]\n"
           "stopping = threading.Event()\n"
           "signal.signal(signal.SIGINT, lambda *_: stopping.set())\n"
           "w.start()\n"
           "while w.processes[0] is None:\n"
           "    time.sleep(0.05)\n"
           "print(w.processes[0].pid, flush=True)\n"
           "while not stopping.wait(0.1):\n"
           "    pass\n"
           "time.sleep(2.5)\n"
           "w.stop()\n"
           "print('stopped', flush=True)\n")


def test_ctrl_c_in_the_consoles_terminal_stops_the_report_workers_without_restarting_them():
    # a session of its own: the SIGINT below goes to its process group, as a terminal sends Ctrl-C, and not to pytest
    console = subprocess.Popen([sys.executable, "-c", CONSOLE, WORKER], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment(), start_new_session=True)
    try:
        worker_pid = int(console.stdout.readline())
        time.sleep(1.0)                                     # the worker has set its signal handlers
        os.killpg(console.pid, signal.SIGINT)
        out, err = console.communicate(timeout=30)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
    assert console.returncode == 0 and out.strip() == "stopped", err[-2000:]
    assert "WARNING" not in err and "starting it again" not in err, err
    assert err.count("report worker 1 started") == 1, err
    assert not alive(worker_pid), "the report worker outlived the console"
