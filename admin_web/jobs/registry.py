"""The kinds of report job, registered once (by the blueprint that offers them): a name, how the worker computes
it, and how long its result may be shared with other viewers of the same figures."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session


class Progress(Protocol):
    def __call__(self, done: int, total: int) -> None: ...


@dataclasses.dataclass(frozen=True)
class Result:
    """What a job leaves for the request that waits: bytes, their type, and a file name for downloads."""

    payload: bytes
    mimetype: str = "application/json"
    filename: str = ""


@dataclasses.dataclass(frozen=True)
class JobKind:
    """compute(session, params, progress) runs in a report worker, inside the console's app and request context,
    in the asking user's language, on a session scoped like that user. ttl_s(params): seconds a done result is
    handed to the next viewer asking for the same; None: never shared (each export is its owner's own)."""

    name: str
    compute: Callable[[Session, dict, Progress], Result]
    ttl_s: Callable[[dict], float] | None = None


class UnknownJobKind(KeyError):
    """A job row names a kind no blueprint registered (an older or newer console wrote it)."""


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"report job kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownJobKind(name) from None


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_result(value) -> Result:
    """A JSON result (decimals as numbers, dates as ISO text)."""
    return Result(json.dumps(value, default=_plain, ensure_ascii=False).encode("utf-8"))


def canonical(value) -> str:
    """The same text for the same parameters, whatever their order (cache keys)."""
    return json.dumps(value, default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
