"""Serving recordings and voice messages that lie encrypted on disk (engine.sealing): opened in memory only for a
user whose role and scope allow it, with byte ranges for the player; the clear audio never touches the disk."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Response, abort, current_app, request

from engine import sealing

logger = logging.getLogger(__name__)


def keys():
    """The console's keyring from app.config RECORDING_KEYS (without keys, demo mode: the demo's key)."""
    return sealing.keyring(current_app.config.get("RECORDING_KEYS", ""))


def read(path: Path) -> bytes:
    try:
        return sealing.open_audio(str(path), keys())
    except sealing.SealError as exc:
        logger.error("audio not served: %s", exc)
        abort(410)


def serve(path: Path, *, download_name: str | None = None) -> Response:
    data = read(path)
    response = Response(data, mimetype="audio/wav")
    response.headers["Cache-Control"] = "no-store"
    if download_name:
        response.headers["Content-Disposition"] = f"attachment; filename=\"{download_name}\""
        return response
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))
