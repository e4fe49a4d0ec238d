"""Heavy work of a request (a report over a month, the monthly workbook) off the console worker's event loop.

A gunicorn gevent worker serves hundreds of event streams and pages on one loop: a report computing for a second
in a greenlet would hold every stream of that worker for that second (bench-web: state changes reached desktops
1.0 s late at p95, the time of the month of agent statistics). `heavy(compute)` runs `compute(session)` in a
thread of the gevent hub's pool with a session of its own, scoped like the request (admin_web.scope), while the
request's greenlet waits: the streams' greenlets keep running between the thread's GIL slices. Outside gevent
(tests, the development server) it simply runs here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from admin_web.scope import current_scope

T = TypeVar("T")


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def heavy(compute: Callable[..., T]) -> T:
    """compute(session) on a session of its own (the request's scope), off the event loop under gevent."""
    scope, factory = current_scope(), current_app.extensions["db_sessions"]
    app = current_app._get_current_object()

    def job():
        with app.app_context(), scope.open(factory) as session:
            return compute(session)
    if not _gevent_patched():
        return job()
    import gevent
    return gevent.get_hub().threadpool.apply(job)
