"""Configuration: documented defaults, environment overrides, one-line errors naming the setting."""
import pytest

from engine.config import ConfigError, load_config


def test_shipped_defaults_load_and_point_at_loopback_and_sqlite():
    cfg = load_config(env={})
    assert (cfg.esl_host, cfg.esl_port, cfg.esl_password) == ("127.0.0.1", 8021, "ClueCon")
    assert cfg.database_url.startswith("sqlite:////") and cfg.database_url.endswith("data/callcenter.db")
    assert (cfg.web_host, cfg.web_port) == ("127.0.0.1", 8080)
    assert (cfg.web_workers, cfg.web_report_workers) == (2, 1)         # reports in a process of their own


def test_environment_overrides_the_file():
    cfg = load_config(env={"CALLCENTER_ESL_HOST": "10.1.2.3", "CALLCENTER_ESL_PORT": "9021",
                           "CALLCENTER_DATABASE_URL": "postgresql+psycopg2://cc@db/cc"})
    assert (cfg.esl_host, cfg.esl_port, cfg.database_url) == ("10.1.2.3", 9021, "postgresql+psycopg2://cc@db/cc")


@pytest.mark.parametrize("env,message", [
    ({"CALLCENTER_ESL_PORT": "abc"}, "setting esl.port must be int, got 'abc'"),
    ({"CALLCENTER_ESL_PORT": "70000"}, "setting esl.port must be a TCP port"),
    ({"CALLCENTER_ESL_PASSWORD": " "}, "setting esl.password is missing"),
    ({"CALLCENTER_WEB_BIND": "nowhere"}, "setting web.bind must be host:port"),
    ({"CALLCENTER_DATABASE_URL": "mysql://x"}, "setting database.url must be a sqlite:// or postgresql:// URL"),
    ({"CALLCENTER_WEB_DEFAULT_LOCALE": "fr"}, "setting web.default_locale must be zh_CN or en"),
    ({"CALLCENTER_WEB_REPORT_WORKERS": "-1"}, "setting web.report_workers must be 0 to 16, got -1"),
])
def test_bad_values_stop_with_a_one_line_message_naming_the_setting(env, message):
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


def _conf_dir(tmp_path):
    """A copy of the shipped configuration in a directory of its own (its secrets file goes beside it)."""
    from engine.config import DEFAULT_CONFIG_FILE
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "callcenter.toml").write_text(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    return conf


def test_outside_demo_mode_the_shipped_secrets_are_refused_naming_each_setting():
    from engine.config import require_own_secrets
    with pytest.raises(ConfigError) as err:
        require_own_secrets(load_config(env={}))
    message = str(err.value)
    assert "web.secret_key, web.directory_credentials, esl.password" in message and "callcenter init" in message
    assert "keys.recordings" in message and "keys.data" in message and "missing" in message
    from engine.sealing import new_key
    from engine.store.sealed import DEMO_DATA_KEY, new_key as new_data_key
    mine = {"CALLCENTER_WEB_SECRET_KEY": "k" * 40, "CALLCENTER_ESL_PASSWORD": "not-ClueCon",
            "CALLCENTER_WEB_DIRECTORY_CREDENTIALS": "freeswitch:own-secret", "CALLCENTER_KEYS_RECORDINGS": new_key()}
    own = load_config(env={**mine, "CALLCENTER_KEYS_DATA": new_data_key()})
    require_own_secrets(own)
    with pytest.raises(ConfigError, match="keys.data"):     # the demo's key is everyone's
        require_own_secrets(load_config(env={**mine, "CALLCENTER_KEYS_DATA": DEMO_DATA_KEY}))
    with pytest.raises(ConfigError, match="keys.recordings must be Fernet keys"):
        load_config(env={"CALLCENTER_KEYS_RECORDINGS": "not-a-key"})
    with pytest.raises(ConfigError, match="keys.data must be AES-SIV keys"):
        load_config(env={"CALLCENTER_KEYS_DATA": "bm90LWEta2V5"})
    load_config(env={})     # back to the demo's key for the tests after this one
    with pytest.raises(ConfigError, match="setting web.secret_key still holds"):
        require_own_secrets(load_config(env={"CALLCENTER_WEB_SECRET_KEY": "short", "CALLCENTER_ESL_PASSWORD": "x1",
                                             "CALLCENTER_WEB_DIRECTORY_CREDENTIALS": "fs:own-secret",
                                             "CALLCENTER_KEYS_RECORDINGS": new_key()}))


def test_the_private_secrets_file_beside_the_configuration_is_read_over_it_and_must_be_private(tmp_path):
    conf = _conf_dir(tmp_path)
    secrets = conf / "secrets.toml"
    secrets.write_text('[web]\nsecret_key = "from-the-secrets-file-0123456789abcdef"\n[esl]\npassword = "own"\n')
    secrets.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others.*chmod 600"):
        load_config(conf / "callcenter.toml", env={})
    secrets.chmod(0o600)
    cfg = load_config(conf / "callcenter.toml", env={})
    assert (cfg.web_secret_key, cfg.esl_password) == ("from-the-secrets-file-0123456789abcdef", "own")
    assert cfg.directory_credentials == "freeswitch:change-me"       # what the file does not set stays
    assert load_config(conf / "callcenter.toml", env={"CALLCENTER_ESL_PASSWORD": "env"}).esl_password == "env"
