"""The app factory and the production server entry points."""
from __future__ import annotations

import dataclasses

import gevent
from gevent import socket as gsocket

from admin_web import create_app
from admin_web.server import start
from engine.config import load_config


def test_testing_flag_and_overrides(db_url):
    assert not create_app(overrides={"DATABASE_URL": db_url, "SECRET_KEY": "x"}).testing
    app = create_app(overrides={"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "x"})
    assert app.testing
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert {"auth", "dashboard", "agents", "groups", "calls"} <= set(app.blueprints)


def test_config_comes_from_engine_config(db_url):
    config = dataclasses.replace(load_config(env={}), database_url=db_url, web_secret_key="from-config",
                                 default_locale="en")
    app = create_app(config)
    assert app.config["SECRET_KEY"] == "from-config"
    assert app.config["DATABASE_URL"] == db_url
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en"


def test_start_serves_over_gevent(app, db_url):
    config = dataclasses.replace(load_config(env={}), database_url=db_url, web_host="127.0.0.1", web_port=0)
    server = start(config, app)
    try:
        def fetch() -> bytes:
            with gsocket.create_connection(("127.0.0.1", server.server_port), timeout=10) as sock:
                sock.sendall(b"GET /auth/login HTTP/1.0\r\nHost: localhost\r\n\r\n")
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            return b"".join(chunks)

        reply = gevent.spawn(fetch).get(timeout=10)
    finally:
        server.stop()
    assert reply.startswith(b"HTTP/1.1 200")
    assert "登录".encode() in reply
