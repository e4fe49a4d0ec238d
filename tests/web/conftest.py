"""Fixtures for the web console: app on a temp SQLite file (schema from metadata for now), client, users, data."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # until setup.cfg sets pytest's pythonpath, make the project importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from admin_web import create_app  # noqa: E402
from admin_web.auth.services import create_user  # noqa: E402
from engine.domain.states import AgentState, Role  # noqa: E402
import engine.store.models  # noqa: E402,F401  (every table on the metadata)
from engine.store.models import Agent, AgentGroup, AgentSkill, Skill  # noqa: E402

from .helpers import PASSWORD, login  # noqa: E402,F401


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    """One SQLite file migrated to head by Alembic (the real schema), copied for each test."""
    from engine.store.migrate import upgrade
    path = tmp_path_factory.mktemp("schema") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def db_url(tmp_path, migrated_template) -> str:
    """A fresh copy of the migrated database per test."""
    import shutil
    target = tmp_path / "console.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(db_url):
    """The console on an empty schema, CSRF off (one test turns it back on)."""
    app = create_app(overrides={"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": db_url,
                                "SECRET_KEY": "test-secret", "LIVE_POLL_S": 0.05,
                                "FLOOR_SHARED_S": 0.0, "WALLBOARD_SHARED_S": 0.0})   # tests change data directly
    yield app
    app.extensions["live_feed"].stop()
    if app.extensions.get("report_jobs") is not None:
        app.extensions["report_jobs"].stop()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def db(app):
    """A session on the app's database for seeding and for checking what views wrote (outside requests)."""
    with app.extensions["db_sessions"]() as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@dataclasses.dataclass
class Seed:
    """The rows every test can rely on."""

    tax_group_id: int
    skill_ids: dict[str, int]
    agent_id: int
    agent_user: str = "agent1001"


@functools.cache
def _hash(password: str) -> str:
    """scrypt costs ~0.1 s a call; hash each test password once per run."""
    return generate_password_hash(password)


@pytest.fixture
def seed(db: Session, monkeypatch) -> Seed:
    """Users (admin, supervisor, agent, disabled), a group, two skills and one agent linked to the agent user."""
    monkeypatch.setattr("admin_web.auth.services.generate_password_hash", _hash)
    group = AgentGroup(name="纳税服务一组", description="12366 tax")
    skills = [Skill(code="tax", name="税收政策"), Skill(code="etax", name="电子税务局")]
    db.add_all([group, *skills])
    db.flush()
    agent = Agent(employee_no="1001", name="张三", extension="8001", group=group, state=AgentState.READY,
                  state_since=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=75))
    agent.skills.append(AgentSkill(skill_id=skills[0].id, level=7))
    db.add(agent)
    db.flush()
    create_user(db, "admin", PASSWORD, Role.ADMIN, display_name="管理员")
    create_user(db, "super", PASSWORD, Role.SUPERVISOR, display_name="班长")
    create_user(db, "agent1001", PASSWORD, Role.AGENT, agent_id=agent.id)
    create_user(db, "gone", PASSWORD, Role.ADMIN, active=False)
    db.commit()
    return Seed(tax_group_id=group.id, skill_ids={s.code: s.id for s in skills}, agent_id=agent.id)


@pytest.fixture
def as_admin(client, seed):
    assert login(client, "admin").status_code == 302
    return client


@pytest.fixture
def as_supervisor(client, seed):
    assert login(client, "super").status_code == 302
    return client


@pytest.fixture
def as_agent(client, seed):
    assert login(client, "agent1001").status_code == 302
    return client
