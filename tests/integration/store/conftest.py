"""Fixtures of the storage tests."""
from __future__ import annotations

import pytest

from engine.demo import seed_demo
from engine.store.session import make_engine, make_session_factory, transaction


@pytest.fixture
def sessions(database_url):
    """A session factory on the demo center, on each database kind."""
    eng = make_engine(database_url)
    factory = make_session_factory(eng)
    with transaction(factory) as s:
        assert seed_demo(s) is True          # the database was empty
    yield factory
    eng.dispose()
