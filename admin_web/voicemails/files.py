"""Where voice-message files may be read from: only inside the engine's recordings directory.

The directory is the engine's Config.recordings_dir. The app keeps no Config object, so it is taken the
way create_app takes its settings: app.config["RECORDINGS_DIR"] when given (tests, deployments that pass
overrides), otherwise load_config() (conf/callcenter.toml or CALLCENTER_CONFIG), read once per app.
"""
from __future__ import annotations

import enum
import logging
from pathlib import Path

from flask import current_app

logger = logging.getLogger(__name__)


class FileState(enum.Enum):
    """Whether a stored voice-message path can be played."""

    OK = "ok"
    MISSING = "missing"          # inside the recordings directory, but no such file (yet)
    REFUSED = "refused"          # outside the recordings directory (or not a .wav file): never served


def recordings_dir() -> Path | None:
    """The recordings directory, resolved (None if the configuration cannot be read: nothing is served)."""
    configured = current_app.config.get("RECORDINGS_DIR")
    if configured is None:
        if "recordings_dir" not in current_app.extensions:
            from engine.config import ConfigError, load_config
            try:
                current_app.extensions["recordings_dir"] = load_config().recordings_dir
            except ConfigError as exc:
                logger.error("voice messages cannot be played: %s", exc)
                current_app.extensions["recordings_dir"] = None
        configured = current_app.extensions["recordings_dir"]
    return None if configured is None else Path(configured).resolve()


def locate(file_path: str) -> tuple[FileState, Path | None]:
    """The state of a stored path and, when OK, the resolved file (symbolic links followed before the check).

    A relative path is taken as relative to the recordings directory."""
    root = recordings_dir()
    if root is None or not file_path or "\x00" in file_path:
        return FileState.REFUSED, None
    path = Path(file_path)
    resolved = (path if path.is_absolute() else root / path).resolve()
    if not resolved.is_relative_to(root) or resolved == root or resolved.suffix.lower() != ".wav":
        return FileState.REFUSED, None
    if not resolved.is_file():
        return FileState.MISSING, None
    return FileState.OK, resolved
