"""Engine configuration: one TOML file with documented defaults, overridden by CALLCENTER_* environment variables."""
from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def child_environment() -> dict[str, str]:
    """This environment with this checkout first on PYTHONPATH: for the processes a command starts (the console,
    the simulated switch, report workers)."""
    return dict(os.environ, PYTHONPATH=str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "conf" / "callcenter.toml"
SECRETS_FILE_NAME = "secrets.toml"      # beside the config file, mode 0600, written by `callcenter init`
# The secrets the repository ships (conf/callcenter.toml, the FreeSWITCH overlay): fine for the demo, refused
# anywhere else (require_own_secrets), since everyone who has read this repository knows them.
SHIPPED_SECRETS = {"web.secret_key": ("web_secret_key", "dev-only-change-me"),
                   "web.directory_credentials": ("directory_credentials", "freeswitch:change-me"),
                   "esl.password": ("esl_password", "ClueCon")}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the setting in one line."""


@dataclasses.dataclass(frozen=True)
class Config:
    """Validated settings (see conf/callcenter.toml for what each one means)."""

    esl_host: str
    esl_port: int
    esl_password: str
    esl_command_timeout: float
    agent_dial_string: str
    outbound_dial_string: str
    sip_domain: str
    directory_credentials: str
    ring_timeout: int
    trunk_group: str
    trunk_channels: int
    exempt_agent_legs: bool
    database_url: str
    web_host: str
    web_port: int
    web_secret_key: str
    default_locale: str
    flows_dir: Path
    recordings_dir: Path
    prompts_dir: Path
    sim_control_port: int
    sim_phones: str
    sim_calls_per_minute: float
    sim_time_scale: float
    source: str = ""
    web_workers: int = 2
    web_report_workers: int = 1
    web_idle_timeout_minutes: int = 30
    web_secure_cookies: bool = False
    web_behind_proxy: bool = False
    web_max_upload_mb: int = 50
    international_dialling: bool = False
    recording_keys: str = ""            # [keys] recordings (secrets file): Fernet keys, the first seals
    data_keys: str = ""                 # [keys] data (secrets file): AES-SIV keys for the database's key data


_SCHEMA: dict[str, tuple[str, str, type]] = {
    # field: (section, key, type)
    "esl_host": ("esl", "host", str),
    "esl_port": ("esl", "port", int),
    "esl_password": ("esl", "password", str),
    "esl_command_timeout": ("esl", "command_timeout", float),
    "agent_dial_string": ("switch", "agent_dial_string", str),
    "outbound_dial_string": ("switch", "outbound_dial_string", str),
    "sip_domain": ("switch", "sip_domain", str),
    "directory_credentials": ("web", "directory_credentials", str),
    "ring_timeout": ("switch", "ring_timeout", int),
    "trunk_group": ("switch", "trunk_group", str),
    "trunk_channels": ("switch", "trunk_channels", int),
    "international_dialling": ("switch", "international_dialling", bool),
    "exempt_agent_legs": ("switch", "agent_legs_exempt_from_session_limits", bool),
    "database_url": ("database", "url", str),
    "web_bind": ("web", "bind", str),
    "web_secret_key": ("web", "secret_key", str),
    "web_workers": ("web", "workers", int),
    "web_report_workers": ("web", "report_workers", int),
    "default_locale": ("web", "default_locale", str),
    "web_idle_timeout_minutes": ("web", "idle_timeout_minutes", int),
    "web_secure_cookies": ("web", "secure_cookies", bool),
    "web_behind_proxy": ("web", "behind_proxy", bool),
    "web_max_upload_mb": ("web", "max_upload_mb", int),
    "flows_dir": ("paths", "flows_dir", Path),
    "recordings_dir": ("paths", "recordings_dir", Path),
    "prompts_dir": ("paths", "prompts_dir", Path),
    "sim_control_port": ("sim", "control_port", int),
    "sim_phones": ("sim", "phones", str),
    "sim_calls_per_minute": ("sim", "calls_per_minute", float),
    "sim_time_scale": ("sim", "time_scale", float),
}


_OPTIONAL: dict[str, tuple[str, str]] = {"recording_keys": ("keys", "recordings"), "data_keys": ("keys", "data")}
_KEY_SETTINGS = {"keys.recordings": "the key recordings are encrypted with",
                 "keys.data": "the key caller numbers and collected data are encrypted with in the database"}


def load_config(path: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the file, apply environment overrides, validate; raise ConfigError naming the bad setting."""
    env = dict(os.environ if env is None else env)
    path = Path(path or env.get("CALLCENTER_CONFIG") or DEFAULT_CONFIG_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found (set CALLCENTER_CONFIG or --config)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    base = path.resolve().parent.parent
    secrets_path = Path(env.get("CALLCENTER_SECRETS") or path.parent / SECRETS_FILE_NAME)
    for section, keys in _read_secrets(secrets_path).items():
        data.setdefault(section, {}).update(keys)
    values: dict[str, object] = {}
    for field, (section, key, kind) in _SCHEMA.items():
        values[field] = _read(data, env, section, key, kind, base)
    for field, (section, key) in _OPTIONAL.items():      # secrets only the private file (or the environment) holds
        values[field] = str(env.get(f"CALLCENTER_{section}_{key}".upper()) or data.get(section, {}).get(key) or "")
    config = _validate(values, str(path))
    # every process that reads its configuration seals and opens the database's key data with its keys
    from engine.store import sealed
    sealed.configure(config.data_keys)
    return config


def _read_secrets(path: Path) -> dict[str, dict]:
    """The private settings file (`callcenter init`), if there is one: it must be readable by its owner only."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & 0o077:
        raise ConfigError(f"secrets file {path} is readable by others (mode {mode & 0o777:o}): chmod 600 {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"secrets file {path} is not valid TOML: {exc}") from None
    return {section: keys for section, keys in data.items() if isinstance(keys, dict)}


def shipped_secrets(config: Config) -> list[str]:
    """The settings that still hold a secret everyone knows (or a session key too short to be one)."""
    names = [name for name, (field, shipped) in SHIPPED_SECRETS.items() if getattr(config, field) == shipped]
    if "web.secret_key" not in names and len(config.web_secret_key) < MIN_SECRET_KEY_LENGTH:
        names.append("web.secret_key")
    from engine.sealing import DEMO_KEY, keys_of
    if not config.recording_keys or keys_of(config.recording_keys)[0] == DEMO_KEY:
        names.append("keys.recordings")     # recordings sealed with the published demo key, or none
    from engine.store.sealed import DEMO_DATA_KEY
    if not config.data_keys or DEMO_DATA_KEY in config.data_keys:
        names.append("keys.data")           # the database's key data sealed with the demo's key, or none
    return names


def require_own_secrets(config: Config) -> None:
    """Refuse to serve outside demo mode with a shipped secret (or without the recordings' key), naming each
    setting and the way out."""
    names = shipped_secrets(config)
    if not names:
        return
    shipped = [n for n in names if n not in _KEY_SETTINGS]
    parts = []
    if shipped:
        parts.append(f"setting {', '.join(shipped)} still {'holds' if len(shipped) == 1 else 'hold'} the value "
                     f"shipped with the project, which anyone can read")
    for name, what in _KEY_SETTINGS.items():
        if name in names:
            parts.append(f"setting {name} ({what}) is missing")
    raise ConfigError(
        "; ".join(parts) + f": run `callcenter init` to generate your own into "
        f"{Path(config.source).parent / SECRETS_FILE_NAME}, or set "
        + ", ".join(f"CALLCENTER_{n.replace('.', '_').upper()}" for n in names)
        + " (the shipped values work only with --demo)")


def _read(data: dict, env: dict[str, str], section: str, key: str, kind: type, base: Path) -> object:
    """One setting: environment first, then file; converted to its type or ConfigError."""
    name = f"{section}.{key}"
    env_name = f"CALLCENTER_{section}_{key}".upper()
    raw = env.get(env_name)
    if raw is None:
        raw = data.get(section, {}).get(key)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        raise ConfigError(f"setting {name} is missing (set it in the config file or {env_name})")
    try:
        if kind is Path:
            value = Path(str(raw))
            return value if value.is_absolute() else base / value
        if kind is int and isinstance(raw, float):
            raise ValueError(raw)
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return text in ("true", "1", "yes")
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name} must be {kind.__name__}, got {raw!r}") from None


def _validate(v: dict[str, object], source: str) -> Config:
    """Cross-field checks and derived values."""
    for name, field in (("esl.port", "esl_port"), ("sim.control_port", "sim_control_port")):
        if not 0 <= int(v[field]) <= 65535:  # type: ignore[arg-type]
            raise ConfigError(f"setting {name} must be a TCP port (0-65535), got {v[field]}")
    if not 0 < float(v["sim_time_scale"]) <= 10:  # type: ignore[arg-type]
        raise ConfigError(f"setting sim.time_scale must be in (0, 10], got {v['sim_time_scale']}")
    if float(v["esl_command_timeout"]) <= 0:  # type: ignore[arg-type]
        raise ConfigError("setting esl.command_timeout must be positive")
    if int(v["trunk_channels"]) < 0:  # type: ignore[arg-type]
        raise ConfigError("setting switch.trunk_channels must be 0 (not tracked) or more")
    if int(v["ring_timeout"]) < 1:  # type: ignore[arg-type]
        raise ConfigError("setting switch.ring_timeout must be at least 1 second")
    if "{extension}" not in str(v["agent_dial_string"]):
        raise ConfigError("setting switch.agent_dial_string must contain {extension}")
    if "{number}" not in str(v["outbound_dial_string"]):
        raise ConfigError("setting switch.outbound_dial_string must contain {number}")
    if v.get("recording_keys"):
        from engine.sealing import keyring
        try:
            keyring(str(v["recording_keys"]))
        except ValueError:
            raise ConfigError("setting keys.recordings must be Fernet keys (comma-separated): `callcenter init` "
                              "makes one") from None
    if v.get("data_keys"):
        from engine.store.sealed import FieldKeys
        try:
            FieldKeys(str(v["data_keys"]))
        except ValueError as exc:
            raise ConfigError(f"setting keys.data must be AES-SIV keys, base64, comma-separated ({exc}): "
                              "`callcenter init` makes one") from None
    if ":" not in str(v["directory_credentials"]):
        raise ConfigError("setting web.directory_credentials must be user:password")
    url = str(v["database_url"])
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise ConfigError(f"setting database.url must be a sqlite:// or postgresql:// URL, got {url!r}")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
        # relative SQLite paths are relative to the project root, like the other paths
        url = "sqlite:///" + str(Path(source).resolve().parent.parent / url[len("sqlite:///"):])
    bind = str(v.pop("web_bind"))
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"setting web.bind must be host:port, got {bind!r}")
    if not 1 <= int(v["web_workers"]) <= 64:  # type: ignore[arg-type]
        raise ConfigError(f"setting web.workers must be 1 to 64, got {v['web_workers']}")
    if not 0 <= int(v["web_report_workers"]) <= 16:  # type: ignore[arg-type]
        raise ConfigError(f"setting web.report_workers must be 0 to 16, got {v['web_report_workers']}")
    if not 1 <= int(v["web_idle_timeout_minutes"]) <= 24 * 60:  # type: ignore[arg-type]
        raise ConfigError("setting web.idle_timeout_minutes must be 1 to 1440")
    if not 1 <= int(v["web_max_upload_mb"]) <= 2048:  # type: ignore[arg-type]
        raise ConfigError("setting web.max_upload_mb must be 1 to 2048")
    if v["default_locale"] not in ("zh_CN", "en"):
        raise ConfigError(f"setting web.default_locale must be zh_CN or en, got {v['default_locale']!r}")
    v["database_url"] = url
    return Config(web_host=host, web_port=int(port), source=source, **v)  # type: ignore[arg-type]
