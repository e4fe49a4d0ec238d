"""Serve the console with gevent's WSGI server: `serve(config)` blocks, `start(config)` returns the running server."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gevent.pywsgi import WSGIServer

from admin_web import create_app

if TYPE_CHECKING:
    from flask import Flask

    from engine.config import Config

logger = logging.getLogger(__name__)


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
