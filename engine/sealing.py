"""Recordings and voice messages encrypted at rest (issue 13, R-NF-3), with `cryptography`'s Fernet (AES-128-CBC
with an HMAC-SHA256 over it: a file cannot be read, nor changed unnoticed, without the key).

* The engine seals a file as soon as the switch has closed it and its facts (size, checksum and duration of the
  clear audio) are read: the file at the same path is replaced, atomically, by MAGIC + the Fernet token, readable
  by its owner only (0600). The console opens it only to play or download it for a user allowed to (open_audio).
* Keys: `[keys] recordings` in the private settings file (conf/secrets.toml, `callcenter init` generates one),
  a comma-separated list: new files are sealed with the first, any of them opens a file (MultiFernet). Rotation:
  put a new key first, run `callcenter recordings reseal` (every file re-sealed with it), then drop the old key.
  No key (demo mode only: require_own_secrets asks for one otherwise): files are sealed with the demo's key,
  which every keyring also opens, so that after `callcenter init` a `callcenter recordings reseal` moves the demo's
  files under the new key (a file sealed with the published demo key is no secret, only not plain on disk).
"""
from __future__ import annotations

import logging
import os
import tempfile

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

logger = logging.getLogger(__name__)
MAGIC = b"CCSEALED1\n"


class SealError(Exception):
    """A sealed file that no configured key opens (or that was altered)."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


# The demo's key (published here, so it protects nothing): recordings of a demo without keys are sealed with it.
DEMO_KEY = "ZGVtby1vbmx5LXJlY29yZGluZ3Mta2V5LWNoYW5nZSE="   # b"demo-only-recordings-key-change!"
_warned = False
_demo_mode = False


def set_demo_mode(demo: bool) -> None:
    """Whether this process runs in demo mode (`callcenter run --demo`, decided by its composition root, engine.cli):
    there no key is the demo's choice, logged at INFO; elsewhere it is logged as a WARNING."""
    global _demo_mode
    _demo_mode = demo


def keys_of(spec: str) -> list[str]:
    """The keys a `[keys] recordings` setting lists, in order."""
    return [k.strip() for k in (spec or "").split(",") if k.strip()]


def keyring(spec: str) -> MultiFernet:
    """The keys of a `[keys] recordings` setting: the first seals, any opens, and so does the demo's key (a file a
    demo sealed). Without a key (demo mode only) the demo's key seals. Raises ValueError for a malformed key."""
    global _warned
    keys = keys_of(spec)
    if not keys and not _warned:
        # in demo mode (set_demo_mode) the demo's chosen insecurity, said once; anywhere else a fault to warn of
        logger.log(logging.INFO if _demo_mode else logging.WARNING,
                   "no recordings key configured%s: recordings sealed with the demo key (callcenter init)",
                   " (demo mode)" if _demo_mode else "")
        _warned = True
    keys = keys or [DEMO_KEY]
    if DEMO_KEY not in keys:
        keys.append(DEMO_KEY)
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


def is_sealed(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def seal(path: str, keys: MultiFernet) -> bool:
    """Encrypt the file in place (False if it was sealed already). The clear bytes never outlive the call."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data.startswith(MAGIC):
        return False
    _replace(path, MAGIC + keys.encrypt(data))
    return True


def reseal(path: str, keys: MultiFernet) -> bool:
    """Seal with the first key (a clear file is sealed, a sealed one re-encrypted). True when the file changed."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(MAGIC):
        _replace(path, MAGIC + keys.encrypt(data))
        return True
    try:
        token = keys.rotate(data[len(MAGIC):])
    except InvalidToken:
        raise SealError(f"{path}: no configured key opens it") from None
    _replace(path, MAGIC + token)
    return True


def open_audio(path: str, keys: MultiFernet | None) -> bytes:
    """The audio of a recording file, sealed or not."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(MAGIC):
        return data
    if keys is None:
        raise SealError(f"{path} is sealed and no key is configured ([keys] recordings)")
    try:
        return keys.decrypt(data[len(MAGIC):])
    except InvalidToken:
        raise SealError(f"{path}: no configured key opens it, or it was altered") from None


def _replace(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".seal-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
