"""Engines report themselves (engine.heartbeat): on SQLite and PostgreSQL, a row per process, its role and since
when; the engine that becomes active marks a dead predecessor's row as lost (the lease says only one is active)."""
import gevent
from sqlalchemy import select

from engine.heartbeat import Heartbeat
from engine.store.models import EngineNode
from engine.store.session import make_engine, make_session_factory, transaction


def rows(url):
    db = make_engine(url)
    try:
        with transaction(make_session_factory(db)) as s:
            return {n.name: n.role for n in s.scalars(select(EngineNode))}
    finally:
        db.dispose()


def test_a_standby_that_becomes_active_marks_the_dead_active_engine_lost_and_stops_as_stopped(database_url):
    dead = Heartbeat(database_url, "active")
    dead.name = "host:1"
    dead.beat()                             # then killed: it never says stopped
    dead.db.dispose()
    standby = Heartbeat(database_url, "standby")
    standby.name = "host:2"
    standby.start()
    gevent.sleep(0.1)
    assert rows(database_url) == {"host:1": "active", "host:2": "standby"}
    standby.become("active")
    assert rows(database_url) == {"host:1": "lost", "host:2": "active"}
    standby.stop()
    assert rows(database_url)["host:2"] == "stopped"
