"""Heavy console work in report worker processes, never in a web request and never in the engine (issue 14).

A report over a month, the scorecard, the monthly workbook and every export are *jobs*: the request queues one
(a row of report_jobs) and waits for its result; a report worker process (`callcenter worker`, started and kept
alive by `callcenter web`, [web] report_workers) claims queued jobs, computes them on its own database
connection, scoped like the user who asked, and stores the result in the row. Viewers asking for the same figures
in the same scope, language and definitions share one computation while it is fresh (registry.JobKind.ttl_s), so
ten supervisors opening the same month's report cost one.

- registry: the kinds of job (name, how to compute, how long a result stays fresh), registered once;
- queue: submit, wait, status, claim, finish, requeue after a dead worker, prune;
- worker: the loop of a report worker process (or, with report_workers = 0, a thread of each console process);
- supervisor: `callcenter web` keeps report_workers processes running beside gunicorn.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Jobs computed in this process when the configuration has no report worker processes (report_workers = 0,
    tests); the thread starts with the first job (outside tests with the first request: its upkeep sweeps the
    work orders' deadlines)."""
    from admin_web.jobs.worker import InProcessWorkers

    app.config.setdefault("REPORT_WORKERS", 0)
    app.extensions["report_jobs"] = InProcessWorkers(app) if not app.config["REPORT_WORKERS"] else None
    if app.extensions["report_jobs"] is not None and not app.testing:
        @app.before_request
        def _start_upkeep() -> None:
            """The worker's upkeep sweeps the work orders' deadlines: with no worker process, start this process's
            thread with the console rather than with its first report."""
            app.extensions["report_jobs"].wake()
