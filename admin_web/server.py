"""Serve the console with gevent's WSGI server: `serve(config)` blocks, `start(config)` returns the running server."""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from gevent.pywsgi import WSGIServer

from admin_web import create_app

if TYPE_CHECKING:
    from flask import Flask

    from engine.config import Config

logger = logging.getLogger(__name__)
WORKER_NICENESS = 10


def make_server(config: "Config", app: "Flask | None" = None) -> WSGIServer:
    """A WSGIServer for the console on config.web_host:web_port (port 0 picks a free port)."""
    app = app or create_app(config)
    return WSGIServer((config.web_host, config.web_port), app,
                      log=logging.getLogger("admin_web.access"), error_log=logging.getLogger("admin_web.errors"))


def start(config: "Config", app: "Flask | None" = None) -> WSGIServer:
    """Start serving in the current gevent hub and return at once; stop with `server.stop()`."""
    server = make_server(config, app)
    server.start()
    logger.info("web console listening on http://%s:%s/", config.web_host, server.server_port)
    return server


def serve(config: "Config", app: "Flask | None" = None) -> None:
    """Serve until interrupted (blocking)."""
    server = start(config, app)
    try:
        server.serve_forever()
    finally:
        server.stop()


def cooperative_postgresql() -> None:
    """In a gevent worker, psycopg2 waits for the server through gevent (psycogreen): while one request waits for
    PostgreSQL, the worker's other greenlets (hundreds of event streams) run. SQLite's calls are short and local."""
    from psycogreen.gevent import patch_psycopg
    patch_psycopg()


def serve_production(config: "Config", config_path: str | None = None, demo: bool = False) -> None:
    """The console in its own processes: gunicorn with gevent workers (config.web_workers) on web.bind.

    Each worker builds the app itself (after gunicorn's gevent worker has patched it), so a worker busy hashing
    passwords slows only its own requests, never call control, which runs in the engine's process. Reports and
    exports are computed by config.web_report_workers report worker processes, kept running from here
    (admin_web.jobs.supervisor). Blocks until SIGTERM/SIGINT; gunicorn restarts a worker that dies."""
    from gunicorn.app.base import BaseApplication

    from admin_web.jobs.supervisor import ReportWorkers, environment
    report_workers = ReportWorkers(config.web_report_workers, config_path, environment(), demo)

    class ConsoleApplication(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{config.web_host}:{config.web_port}")
            self.cfg.set("workers", config.web_workers)
            self.cfg.set("worker_class", "gevent")
            self.cfg.set("worker_connections", 1000)       # event streams of every agent and wallboard
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("proc_name", "callcenter-console")
            self.cfg.set("accesslog", None)
            # below call control on a shared host: a CPU-bound burst (password hashing, a big report) takes the
            # cores the engine leaves, not the engine's
            self.cfg.set("post_fork", lambda _server, _worker: os.nice(WORKER_NICENESS))
            self.cfg.set("errorlog", "-")
            self.cfg.set("when_ready", lambda _server: report_workers.start())
            self.cfg.set("on_exit", lambda _server: report_workers.stop())

        def load(self):
            from engine.config import load_config
            cooperative_postgresql()
            return create_app(load_config(config_path) if config_path else config)

    ConsoleApplication().run()
