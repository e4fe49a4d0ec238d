"""`callcenter web` keeps [web] report_workers report worker processes (`callcenter worker`) running beside
gunicorn: one that exits is started again (after a pause if it keeps failing), and all stop with the console.

The workers run in a process group of their own: a Ctrl-C in the console's terminal (SIGINT to its foreground
process group) reaches gunicorn's master, not them, so they do not exit under the supervisor while the console is
only beginning to stop; gunicorn's on_exit stops them (stop), and once stopping the supervisor starts none again."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

logger = logging.getLogger(__name__)
SUPERVISED_ENV = "CALLCENTER_REPORT_WORKER_PARENT"   # this process's pid: a worker started here ends when it is gone
CHECK_S = 1.0
RESTART_PAUSE_S = 5.0       # a worker that exits within this of its start waits this long before the next


class ReportWorkers:
    """The thread that keeps them running imports nothing: gunicorn forks its workers from this process at any
    time, and a fork in the middle of another thread's import leaves the child a half-imported module. The first
    workers are started by start() itself, which gunicorn calls (when_ready) before it forks any worker: a fork
    while Popen waits for its child's exec leaves the pipe Popen waits on open in that gunicorn worker, and the
    Popen would return only when the gunicorn worker exits (seen: "report worker 1 started" logged at shutdown)."""

    def __init__(self, count: int, config_path: str | None, env: dict | None = None, demo: bool = False):
        self.count = count
        self.command = [sys.executable, "-m", "engine", *(["--config", config_path] if config_path else []),
                        "worker", "--demo" if demo else "--no-demo"]
        self.env = env
        self.processes: list[subprocess.Popen | None] = [None] * count
        self._started = [0.0] * count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="report-workers", daemon=True)

    def start(self) -> "ReportWorkers":
        if self.count:
            for i in range(self.count):
                self._spawn(i)
            self._thread.start()
        return self

    def _spawn(self, i: int) -> None:
        env = {**(self.env if self.env is not None else os.environ), SUPERVISED_ENV: str(os.getpid())}
        self._started[i] = time.monotonic()
        self.processes[i] = subprocess.Popen(self.command, env=env, process_group=0)
        logger.info("report worker %d started (pid %d)", i + 1, self.processes[i].pid)

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, process in enumerate(self.processes):
                if process is not None and process.poll() is None:
                    continue
                if self._stop.is_set():
                    return                      # stopping: an exit now is the stop's, nothing to start again
                if process is not None:
                    logger.warning("report worker %d exited (%s); starting it again", i + 1, process.returncode)
                    if time.monotonic() - self._started[i] < RESTART_PAUSE_S and self._stop.wait(RESTART_PAUSE_S):
                        return
                self._spawn(i)
            self._stop.wait(CHECK_S)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=CHECK_S * 2)
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is not None:
                try:
                    process.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    process.kill()



def environment() -> dict:
    """The console's environment with the project importable (as `callcenter run` starts the console)."""
    from engine.config import child_environment
    return child_environment()
