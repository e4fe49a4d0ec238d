"""Shared fixtures: databases (SQLite always, PostgreSQL when a server answers), migrated schemas."""
from __future__ import annotations

import contextlib
import os
import shutil
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


@contextlib.contextmanager
def _pg_database(server: str, prefix: str = "cc_test", template: str | None = None):
    """A new PostgreSQL database (a copy of `template` when given): its name, dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def pg_database(pg_server):
    """A brand-new empty PostgreSQL database, dropped afterwards."""
    with _pg_database(pg_server) as name:
        yield _url(pg_server, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cc.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """One SQLite file migrated to head by Alembic, copied for each test that needs a migrated database (a fresh
    migration per test cost ~1.7 s; the round trip itself is tested on empty databases in test_migrations)."""
    from engine.store.migrate import upgrade
    path = tmp_path_factory.mktemp("schema") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """One PostgreSQL database migrated to head, the template of each test's (CREATE DATABASE … TEMPLATE)."""
    from engine.store.migrate import upgrade
    with _pg_database(pg_server, "cc_template") as name:
        upgrade(_url(pg_server, name))          # its engine is disposed: no session is left on the template
        yield name


@pytest.fixture
def pg_migrated_database(pg_server, pg_template):
    """A PostgreSQL database migrated to head (a copy of the template), dropped afterwards."""
    with _pg_database(pg_server, template=pg_template) as name:
        yield _url(pg_server, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A database of each kind, migrated to head."""
    if request.param == "sqlite":
        target = tmp_path / "cc.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    return request.getfixturevalue("pg_migrated_database")


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    """A migrated SQLite database (for tests that are not about storage)."""
    target = tmp_path / "cc.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


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
