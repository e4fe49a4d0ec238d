"""Where the workplace's shared data lives (../shared: FreeSWITCH's stock configuration, read by the overlay tests
and never copied into this repository): $<env> if set, else the `shared` folder beside this checkout, else the one
beside the checkout this one was cloned from (a fresh clone in a temporary folder: git's origin is that path)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]


def _origin() -> Path | None:
    try:
        url = subprocess.run(["git", "-C", str(REPO), "config", "--get", "remote.origin.url"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not url:
        return None
    path = Path(urlparse(url).path if url.startswith("file://") else url)
    return path.resolve() if path.is_dir() else None


def shared_path(name: str, env: str) -> Path:
    """The shared data `name` (the first place that has it; else the place beside this checkout, for the message)."""
    if os.environ.get(env):
        return Path(os.environ[env])
    beside = REPO.parent / "shared" / name
    origin = _origin()
    for candidate in (beside, origin.parent / "shared" / name if origin else None):
        if candidate is not None and candidate.exists():
            return candidate
    return beside
