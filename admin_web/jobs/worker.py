"""The report worker: claims queued jobs one at a time and computes them, beating while it does, so a worker that
dies leaves its job to the next one (queue.recover) rather than to nobody.

`callcenter worker` runs `serve(config)`: its own process, below call control in priority, started and kept
alive by `callcenter web` ([web] report_workers, admin_web.jobs.supervisor). With report_workers = 0 every
console process computes its own jobs in one thread (`InProcessWorkers`, for small installations and tests);
the queue, the claim and the stored result are the same. Their upkeep also sweeps the work orders' deadlines
(admin_web.jobs.order_deadlines) and delivers the webhooks (admin_web.jobs.webhooks)."""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time

from flask import Flask
from flask_babel import force_locale

from admin_web.jobs import order_deadlines, quality_draws, queue, registry, webhooks
from admin_web.jobs.supervisor import SUPERVISED_ENV

logger = logging.getLogger(__name__)
IDLE_POLL_S = 0.2           # how often an idle worker looks for a queued job
MAINTAIN_S = 30.0           # how often it takes back jobs of dead workers, prunes old ones and sweeps deadlines
PROGRESS_S = 0.5            # progress written at most this often
WORKER_NICENESS = 10


class Stopping(BaseException):
    """SIGTERM while a job computes: the job goes back to the queue for the next worker."""


class Worker:
    """One report worker (a process's main loop, or the console's own thread)."""

    def __init__(self, app: Flask, name: str | None = None, idle_poll_s: float = IDLE_POLL_S,
                 parent_pid: int | None = None):
        self.app = app
        self.parent_pid = parent_pid    # a worker process ends when the console that started it is gone
        self.factory = app.extensions["db_sessions"]
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.idle_poll_s = idle_poll_s
        self.stopped = False
        self.busy = False           # computing a job (SIGTERM then hands it back to the queue)
        self._maintained = 0.0

    def run(self) -> None:
        """Until stop(): maintain, claim, compute."""
        logger.info("report worker %s started", self.name)
        while not self.stopped:
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                logger.warning("report worker %s: the console that started it is gone; stopping", self.name)
                break
            try:
                if not self.run_one():
                    time.sleep(self.idle_poll_s)
            except Stopping:
                break
            except Exception:       # the database away: log, wait, go on (nothing is lost: jobs stay queued)
                logger.exception("report worker %s: could not take a job", self.name)
                time.sleep(2.0)
        logger.info("report worker %s stopped", self.name)

    def stop(self) -> None:
        self.stopped = True

    def run_one(self) -> bool:
        """Compute one queued job if there is one; whether there was."""
        now = time.monotonic()
        if now - self._maintained >= MAINTAIN_S:
            self._maintained = now
            requeued, failed = queue.recover(self.factory)
            if requeued or failed:
                logger.warning("report jobs of a stopped worker: %d queued again, %d failed", requeued, failed)
            queue.prune(self.factory)
            order_deadlines.sweep(self.factory, self.app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
            webhooks.deliver(self.factory)      # the orders' changes to the webhooks (never raises)
            try:
                quality_draws.draw_due(self.factory)     # the sampling plans' weekly draw, once the week is over
            except Exception:       # a plan that cannot draw must not stop the jobs
                logger.exception("quality plans: the weekly draw failed")
        job = queue.claim(self.factory, self.name)
        if job is None:
            return False
        self.execute(job)
        return True

    def execute(self, job) -> None:
        self.busy = True
        try:
            self._execute(job)
        finally:
            self.busy = False

    def _execute(self, job) -> None:
        started = time.monotonic()
        beater = _Beater(self.factory, job.id)
        beater.start()
        try:
            kind = registry.get(job.kind)
            params = json.loads(job.params or "{}")
            with self.app.app_context(), self.app.test_request_context(), force_locale(job.locale):
                with queue.scope_of(job).open(self.factory) as session:
                    result = kind.compute(session, params, beater.progress)
        except Stopping:
            beater.stop()
            queue.release(self.factory, job.id)
            raise
        except Exception as exc:    # the page that waits says the report failed, with this reason
            beater.stop()
            logger.exception("report job %s (%s) failed", job.id, job.kind)
            queue.fail(self.factory, job.id, f"{type(exc).__name__}: {exc}")
            return
        beater.stop()
        queue.finish(self.factory, job.id, result)
        logger.info("report job %s (%s) done in %.2f s, %d bytes", job.id, job.kind, time.monotonic() - started,
                    len(result.payload))


class _Beater:
    """Says the job is alive every queue.BEAT_S from a thread of its own (a report may compute for seconds
    without progress to report), and writes progress at most every PROGRESS_S."""

    def __init__(self, factory, job_id: str):
        self.factory, self.job_id = factory, job_id
        self._stop = threading.Event()
        self._last = 0.0
        self._thread = threading.Thread(target=self._run, name=f"job-beat-{job_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_S or done >= total:
            self._last = now
            queue.beat(self.factory, self.job_id, done, total)

    def _run(self) -> None:
        while not self._stop.wait(queue.BEAT_S):
            try:
                queue.beat(self.factory, self.job_id)
            except Exception:       # a missed beat only makes recovery possible sooner; the next one may pass
                logger.warning("report job %s: beat not written", self.job_id, exc_info=True)


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


class InProcessWorkers:
    """report_workers = 0: this console process computes its own jobs, in one real thread started with the first
    job (under gevent a thread of the hub's pool, so a report never holds the streams' event loop)."""

    def __init__(self, app: Flask):
        self.app = app
        self.worker: Worker | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if self.worker is not None:
                return
            self.worker = Worker(self.app, idle_poll_s=0.05 if self.app.testing else IDLE_POLL_S)
            if _gevent_patched():
                import gevent
                gevent.get_hub().threadpool.spawn(self.worker.run)
            else:
                threading.Thread(target=self.worker.run, name="report-worker", daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self.worker is not None:
                self.worker.stop()


def wake(app: Flask) -> None:
    """A job was queued: make sure someone in this process computes it when no worker process does."""
    workers = app.extensions.get("report_jobs")
    if workers is not None:
        workers.wake()


def stop_on_signals(worker: Worker) -> None:
    """SIGTERM/SIGINT stop the worker: at once when idle; while computing, its job goes back to the queue."""
    def on_signal(_signum, _frame):
        worker.stop()
        if worker.busy:
            raise Stopping()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def serve(config) -> None:
    """`callcenter worker`: a report worker process until SIGTERM/SIGINT."""
    from admin_web import create_app
    os.nice(WORKER_NICENESS)
    app = create_app(config, {"REPORT_WORKERS": 1})
    parent = os.environ.get(SUPERVISED_ENV, "")
    worker = Worker(app, parent_pid=int(parent) if parent.isdigit() else None)
    stop_on_signals(worker)
    try:
        worker.run()
    finally:
        app.extensions["db_engine"].dispose()
