"""`callcenter init`: a deployment's own secrets and its first administrator (issue 13, R-NF-3/4).

* The secrets (the console's session key, the credentials FreeSWITCH uses on the console's /freeswitch routes, the
  event socket password) are generated with `secrets` into the private settings file beside the configuration
  (conf/secrets.toml, mode 0600, read by engine.config.load_config over the configuration file). The shipped values
  keep working only in demo mode (engine.config.require_own_secrets).
* The FreeSWITCH side must carry the same values: `write_overlay` writes the overlay's three files that hold them
  (event_socket, xml_cdr, xml_curl) with the new values into a FreeSWITCH configuration directory, or the operator
  copies the printed values in by hand.
* The first administrator gets a one-time password, shown once, which must be changed at the first login.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.config import PROJECT_ROOT, SECRETS_FILE_NAME, SHIPPED_SECRETS
from engine.domain.states import Role
from engine.store import accounts
from engine.store.models import User

OVERLAY = PROJECT_ROOT / "conf" / "freeswitch" / "autoload_configs"


@dataclasses.dataclass(frozen=True)
class Secrets:
    secret_key: str
    directory_credentials: str
    esl_password: str
    recording_key: str = ""
    data_key: str = ""

    @classmethod
    def generate(cls) -> "Secrets":
        # letters and digits only: they go into TOML strings, XML attributes and a user:password pair unescaped
        from engine.sealing import new_key
        from engine.store.sealed import new_key as new_data_key
        return cls(secret_key=secrets.token_hex(32), directory_credentials=f"freeswitch:{_token(24)}",
                   esl_password=_token(24), recording_key=new_key(), data_key=new_data_key())


def _token(length: int) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def secrets_path(config_source: str) -> Path:
    return Path(os.environ.get("CALLCENTER_SECRETS") or Path(config_source).parent / SECRETS_FILE_NAME)


def write_secrets(path: Path, new: Secrets) -> None:
    """The private settings file, created readable by its owner only (never world-readable, even for a moment)."""
    text = ("# Written by `callcenter init`: this deployment's own secrets. Keep this file private (mode 0600);\n"
            "# it is read over the configuration file, and CALLCENTER_* environment variables still win.\n"
            f'[web]\nsecret_key = "{new.secret_key}"\ndirectory_credentials = "{new.directory_credentials}"\n\n'
            f'[esl]\npassword = "{new.esl_password}"\n\n'
            "# Recordings and voice messages are encrypted with the first key; any of them opens a file. To rotate,\n"
            "# put a new key first (`python -c 'from engine.sealing import new_key; print(new_key())'`), run\n"
            "# `callcenter recordings reseal`, then remove the old one.\n"
            f'[keys]\nrecordings = "{new.recording_key}"\n'
            "# Caller numbers, collected IVR data, remote agents' numbers, SIP digest hashes and CDR variables are\n"
            "# encrypted in the database with the first key. To rotate, put a new key first (`python -c 'from\n"
            "# engine.store.sealed import new_key; print(new_key())'`), run `callcenter data reseal`, then remove\n"
            "# the old one. Without this key the database's key data cannot be read: keep a copy offline.\n"
            f'data = "{new.data_key}"\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


def write_overlay(conf_dir: Path, new: Secrets) -> list[Path]:
    """The overlay's files that carry a secret, with this deployment's values, into <conf_dir>/autoload_configs."""
    shipped_esl = SHIPPED_SECRETS["esl.password"][1]
    shipped_cred = SHIPPED_SECRETS["web.directory_credentials"][1]
    changes = {"event_socket.conf.xml": (f'name="password" value="{shipped_esl}"',
                                         f'name="password" value="{new.esl_password}"'),
               "xml_cdr.conf.xml": (f'name="cred" value="{shipped_cred}"',
                                    f'name="cred" value="{new.directory_credentials}"'),
               "xml_curl.conf.xml": (f'name="gateway-credentials" value="{shipped_cred}"',
                                     f'name="gateway-credentials" value="{new.directory_credentials}"')}
    target = conf_dir / "autoload_configs"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (old, value) in changes.items():
        text = (OVERLAY / name).read_text(encoding="utf-8")
        if old not in text:
            raise ValueError(f"{OVERLAY / name} no longer holds {old!r}")
        out = target / name
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text.replace(old, value))
        written.append(out)
    return written


def create_first_admin(session: Session, roles: dict, username: str) -> str | None:
    """An administrator with a one-time password (returned, to be shown once), unless there is one already."""
    admin_role = roles[Role.ADMIN]
    if session.scalar(select(User.id).where(User.role_id == admin_role.id, User.active.is_(True))) is not None:
        return None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValueError(f"a user {username!r} exists but is not an active administrator")
    _user, password = accounts.create(session, username, accounts.AccountFields(display_name=username,
                                                                              role=Role.ADMIN))
    return password
