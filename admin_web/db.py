"""Request-scoped SQLAlchemy session on the engine's store: one session, one transaction per request.

Views read and write through `get_session()`, then call `commit()` once; anything not committed
(an error, a validation failure) is rolled back when the app context tears down.
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.store.session import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    """Build the engine and session factory from app.config["DATABASE_URL"]; close sessions on teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The session of the current request (created on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessions"]()
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    """Roll back whatever the request did not commit, then return the connection to the pool."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
