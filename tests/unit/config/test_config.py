"""Configuration: documented defaults, environment overrides, one-line errors naming the setting."""
import pytest

from engine.config import ConfigError, load_config


def test_shipped_defaults_load_and_point_at_loopback_and_sqlite():
    cfg = load_config(env={})
    assert (cfg.esl_host, cfg.esl_port, cfg.esl_password) == ("127.0.0.1", 8021, "ClueCon")
    assert cfg.database_url.startswith("sqlite:////") and cfg.database_url.endswith("data/callcenter.db")
    assert (cfg.web_host, cfg.web_port) == ("127.0.0.1", 8080)


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
])
def test_bad_values_stop_with_a_one_line_message_naming_the_setting(env, message):
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})
