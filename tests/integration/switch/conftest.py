"""Fixtures of the switch-adapter tests: every test bounded in time, and the scripted fake ESL server."""
from __future__ import annotations

import gevent
import pytest

from .fake_esl import FakeEsl


@pytest.fixture(autouse=True)
def _bounded():
    """No test can hang: the whole test is bounded."""
    timeout = gevent.Timeout(20)
    timeout.start()
    try:
        yield
    finally:
        timeout.cancel()


@pytest.fixture
def fake():
    server = FakeEsl().start()
    yield server
    server.stop()
