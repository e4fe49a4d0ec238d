"""First run of a deployment from the command line: nothing starts outside demo mode on a shipped secret, and
`callcenter init` gives the deployment its own secrets (a private file) and a first administrator whose one-time
password must be changed at the first login."""
from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from engine.cli import cli
from engine.config import DEFAULT_CONFIG_FILE, load_config
from engine.store.models import User
from engine.store.session import make_engine, make_session_factory


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """A configuration of its own (a copy of the shipped one) on a database of its own; no CALLCENTER_* set."""
    for name in [n for n in __import__("os").environ if n.startswith("CALLCENTER_")]:
        monkeypatch.delenv(name)
    conf = tmp_path / "conf"
    conf.mkdir()
    text = DEFAULT_CONFIG_FILE.read_text(encoding="utf-8").replace(
        'url = "sqlite:///data/callcenter.db"', f'url = "sqlite:///{tmp_path}/cc.db"')
    (conf / "callcenter.toml").write_text(text, encoding="utf-8")
    return conf / "callcenter.toml"


def invoke(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_without_init_the_engine_and_the_console_refuse_to_start_outside_demo_mode(deployment):
    for args in (("run", "--no-sim", "--no-demo"), ("web",)):
        result = invoke(deployment, *args)
        assert result.exit_code == 2, result.output
        assert "refusing to start" in result.output and "web.secret_key" in result.output
        assert "esl.password" in result.output and "callcenter init" in result.output


def test_init_writes_private_secrets_and_a_first_admin_who_must_change_the_password(deployment, tmp_path):
    result = invoke(deployment, "init", "--freeswitch-conf", str(tmp_path / "fs"))
    assert result.exit_code == 0, result.output
    secrets = deployment.parent / "secrets.toml"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    config = load_config(deployment, env={})
    assert config.web_secret_key != "dev-only-change-me" and len(config.web_secret_key) >= 32
    assert config.esl_password != "ClueCon" and config.directory_credentials != "freeswitch:change-me"
    from engine.config import require_own_secrets
    from engine.store.sealed import DEMO_DATA_KEY
    assert config.recording_keys and config.data_keys and DEMO_DATA_KEY not in config.data_keys
    require_own_secrets(config)             # nothing shipped is left
    # FreeSWITCH's side carries the same values
    assert f'value="{config.esl_password}"' in (tmp_path / "fs/autoload_configs/event_socket.conf.xml").read_text()
    assert f'value="{config.directory_credentials}"' in (tmp_path / "fs/autoload_configs/xml_cdr.conf.xml").read_text()
    password = result.output.split("one-time password: ")[1].split()[0]
    db = make_engine(config.database_url)
    with make_session_factory(db)() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin.must_change_password and admin.role.code.value == "admin"
        assert check_password_hash(admin.password_hash, password)
    # a second init changes nothing: same secrets, no second admin, no password shown
    again = invoke(deployment, "init")
    assert "exists already" in again.output and "one-time password" not in again.output
    assert load_config(deployment, env={}).web_secret_key == config.web_secret_key
    with make_session_factory(db)() as session:
        assert len(session.scalars(select(User)).all()) == 1
    db.dispose()


def test_accounts_from_the_command_line(deployment):
    assert invoke(deployment, "init").exit_code == 0
    created = invoke(deployment, "users", "create", "qc01", "--role", "quality", "--extension", "8101")
    assert created.exit_code == 0 and "one-time password" in created.output
    assert "taken" in invoke(deployment, "users", "create", "QC01", "--role", "viewer").output
    assert invoke(deployment, "users", "create", "a1", "--role", "agent").exit_code == 1     # no agent linked
    listing = invoke(deployment, "users", "list").output
    assert "qc01" in listing and "must-change-password" in listing and "extension=8101" in listing
    assert "disabled" in invoke(deployment, "users", "disable", "qc01").output
    assert "refused" in invoke(deployment, "users", "disable", "admin").output          # the last administrator
    again = invoke(deployment, "users", "reset-password", "qc01")
    assert again.exit_code == 0 and "one-time password" in again.output
    assert "unlocked" in invoke(deployment, "users", "unlock", "qc01").output


def test_api_tokens_from_the_command_line(deployment):
    from engine.store.models import Agent
    assert invoke(deployment, "init").exit_code == 0
    config = load_config(deployment, env={})
    db = make_engine(config.database_url)
    with make_session_factory(db)() as session:
        session.add(Agent(employee_no="1001", name="张三", extension="8001"))
        session.commit()
    db.dispose()
    created = invoke(deployment, "tokens", "create", "--agent", "1001", "--name", "工单系统")
    assert created.exit_code == 0 and "cct_" in created.output
    assert "active" in invoke(deployment, "tokens", "list").output
    assert "revoked" in invoke(deployment, "tokens", "revoke", "1").output
    assert "revoked" in invoke(deployment, "tokens", "list").output


def test_hall_api_tokens_from_the_command_line(deployment):
    from engine.store.models import Agent, ApiToken, AuditEntry
    from engine.store.numbers import save_hall
    assert invoke(deployment, "init").exit_code == 0
    config = load_config(deployment, env={})
    db = make_engine(config.database_url)
    with make_session_factory(db)() as session:
        save_hall(session, "GD-440000", "广东省", "province", "440000")
        save_hall(session, "GD-440300", "深圳市", "city", "440300", "GD-440000")
        session.add(Agent(employee_no="1001", name="张三", extension="8001"))
        session.commit()
    neither = invoke(deployment, "tokens", "create", "--name", "x")
    assert neither.exit_code == 2 and "exactly one of --agent" in neither.output
    both = invoke(deployment, "tokens", "create", "--agent", "1001", "--hall", "GD-440300")
    assert both.exit_code == 2 and "exactly one of --agent" in both.output
    unknown = invoke(deployment, "tokens", "create", "--hall", "GD-999999")
    assert unknown.exit_code == 1 and "no hall GD-999999" in unknown.output
    assert invoke(deployment, "tokens", "create", "--agent", "9999").exit_code == 1
    created = invoke(deployment, "tokens", "create", "--hall", "GD-440300", "--name", "深圳工单")
    assert created.exit_code == 0 and "hall GD-440300" in created.output and "cct_" in created.output
    assert invoke(deployment, "tokens", "create", "--agent", "1001").exit_code == 0
    listing = invoke(deployment, "tokens", "list").output.splitlines()
    assert "hall=GD-440300" in listing[0] and "active" in listing[0] and "深圳工单" in listing[0]
    assert "agent=1001" in listing[1]
    with make_session_factory(db)() as session:
        token = session.scalars(select(ApiToken).order_by(ApiToken.id)).first()
        assert token.hall_id is not None and token.agent_id is None and token.created_by == "cli"
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "token.create"))
        assert audit.target == f"token:{token.id}" and "hall GD-440300" in audit.detail
    assert "revoked" in invoke(deployment, "tokens", "revoke", str(token.id)).output
    assert "revoked" in invoke(deployment, "tokens", "list").output.splitlines()[0]
    db.dispose()


def test_data_reseal_seals_what_an_earlier_version_left_clear_and_rotates_the_key(deployment):
    from sqlalchemy import String, text, type_coerce
    from engine.store.models import Callback
    assert invoke(deployment, "init").exit_code == 0
    config = load_config(deployment, env={})
    db = make_engine(config.database_url)
    with make_session_factory(db).begin() as session:
        session.execute(text("insert into callbacks (call_uuid, number, queue_code, enqueued_at, requested_at, "
                             "status, attempts, last_cause) values ('old', '13700137000', 'etax', '2026-12-01 10:00:00', "
                             "'2026-12-01 10:00:00', 'pending', 0, '')"))
    result = invoke(deployment, "data", "reseal")
    assert result.exit_code == 0 and "1 values sealed" in result.output and "callbacks 1" in result.output
    with make_session_factory(db)() as session:
        stored = session.scalar(select(type_coerce(Callback.number, String())))
        assert stored.startswith("s1.") and "13700137000" not in stored
        assert session.scalar(select(Callback.number)) == "13700137000"
    assert "0 values sealed" in invoke(deployment, "data", "reseal").output      # nothing left to do
    db.dispose()
