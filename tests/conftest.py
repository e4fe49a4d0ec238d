"""Shared fixtures: databases (SQLite always, PostgreSQL when a server answers), migrated schemas."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from engine.store import sealed
from engine.store.session import unreachable


@pytest.fixture(autouse=True)
def demo_field_keys():
    """Every test starts and ends with the demo's database field keys (a test that loads a configuration with keys
    of its own changes this process's keys: engine.config.load_config)."""
    sealed.configure("")
    yield
    sealed.configure("")

PG_ADMIN_URL = os.environ.get("CALLCENTER_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_server():
    """Skip (with the reason) when no PostgreSQL server is reachable."""
    reason = unreachable(PG_ADMIN_URL)
    if reason:
        pytest.skip(reason)
    return PG_ADMIN_URL


@pytest.fixture
def pg_database(pg_server):
    """A brand-new empty PostgreSQL database, dropped afterwards."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cc.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def database_url(empty_database_url):
    """A database of each kind, migrated to head."""
    from engine.store.migrate import upgrade
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def sqlite_url(tmp_path):
    """A migrated SQLite database (for tests that are not about storage)."""
    from engine.store.migrate import upgrade
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url)
    return url


# --- CI: a skipped browser test is a failure (.ci/run sets CALLCENTER_REQUIRE_BROWSER=1) ---------------------------
_BROWSER_WORDS = ("chromium", "playwright")
_skipped_browser_tests: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and any(word in str(report.longrepr).lower() for word in _BROWSER_WORDS):
        _skipped_browser_tests.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CALLCENTER_REQUIRE_BROWSER") == "1" and _skipped_browser_tests:
        print(f"\n{len(_skipped_browser_tests)} browser test(s) skipped, which CALLCENTER_REQUIRE_BROWSER=1 forbids:")
        for nodeid in _skipped_browser_tests[:20]:
            print(f"  {nodeid}")
        session.exitstatus = 1
