"""Where the flow and prompt files are, and what is in them (read from disk on every request: the engine's
files are the source of truth, so the console never shows a stale copy).

The directories are the engine's Config.flows_dir / prompts_dir, passed as app.config["FLOWS_DIR"] /
["PROMPTS_DIR"] (create_app sets them from the Config; tests pass overrides); without them load_config() is read
once per app, as for the recordings directory.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import wave
from collections.abc import Iterable
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.ivr.loader import load_flows
from engine.ivr.model import Flow
from engine.store.models import PublishedNumber, Queue

logger = logging.getLogger(__name__)
FLOW_FILE = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,63}$")   # a file stem (flow names use the same letters)
PROMPT_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def _configured(key: str, attr: str) -> Path | None:
    """app.config[key], else the engine configuration's attribute (None when neither can be read)."""
    value = current_app.config.get(key)
    if value is None:
        cache = f"config_{attr}"
        if cache not in current_app.extensions:
            from engine.config import ConfigError, load_config
            try:
                current_app.extensions[cache] = getattr(load_config(), attr)
            except ConfigError as exc:
                logger.error("%s cannot be read: %s", attr, exc)
                current_app.extensions[cache] = None
        value = current_app.extensions[cache]
    return None if value is None else Path(value)


def flows_dir() -> Path | None:
    return _configured("FLOWS_DIR", "flows_dir")


def prompts_dir() -> Path | None:
    return _configured("PROMPTS_DIR", "prompts_dir")


def queue_codes(session: Session) -> list[str] | None:
    """The configured queues, for checking queue nodes (None when there are none yet: not checked, as the
    engine does before its directory is loaded)."""
    return list(session.scalars(select(Queue.code).order_by(Queue.code))) or None


@dataclasses.dataclass
class FlowFile:
    """One *.yaml file of the flows directory: the flow it defines (when valid) or the loader's problems."""

    filename: str
    name: str
    description: str
    flow: Flow | None
    problems: list[str]
    raw: dict | None
    numbers: list[PublishedNumber] = dataclasses.field(default_factory=list)

    @property
    def stem(self) -> str:
        return Path(self.filename).stem

    @property
    def valid(self) -> bool:
        return self.flow is not None

    def prompts(self) -> set[str]:
        """Prompt files the flow names (prompt, invalid_prompt), read from the raw file so invalid ones count."""
        found: set[str] = set()
        nodes = (self.raw or {}).get("nodes")
        if isinstance(nodes, dict):
            for spec in nodes.values():
                if isinstance(spec, dict):
                    for key in ("prompt", "invalid_prompt"):
                        if isinstance(spec.get(key), str):
                            found.add(spec[key])
        return found


def read_raw(path: Path) -> dict | None:
    """The parsed YAML of a flow file (None when unreadable or not a mapping)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def flow_files(session: Session, with_numbers: bool = True) -> list[FlowFile]:
    """Every flow file by file name, validated exactly as the engine loads them (load_flows)."""
    folder = flows_dir()
    if folder is None or not folder.is_dir():
        return []
    flows, errors = load_flows(folder, prompts_dir(), queue_codes(session))
    by_source = {flow.source: flow for flow in flows.values()}
    result = []
    for path in sorted(folder.glob("*.yaml")):
        raw = read_raw(path)
        flow = by_source.get(path.name)
        problems = list(errors.get(path.name, []))
        if flow is None and not problems:   # two files with one flow name: the engine keeps only one of them
            problems = [f"{path.name}: flow name {str((raw or {}).get('name') or path.stem)!r} is also defined "
                        "by another file"]
        name = flow.name if flow else str((raw or {}).get("name") or path.stem)
        description = flow.description if flow else str((raw or {}).get("description") or "")
        result.append(FlowFile(path.name, name, description, flow, problems, raw))
    if with_numbers:
        by_name: dict[str, list[PublishedNumber]] = {}
        for number in session.scalars(select(PublishedNumber).order_by(PublishedNumber.number)):
            by_name.setdefault(number.flow, []).append(number)
        for item in result:
            item.numbers = by_name.get(item.name, [])
    return result


def valid_flow_names(session: Session) -> list[str]:
    """Names of the flows the engine would load now (for number and rule forms)."""
    return sorted(f.name for f in flow_files(session, with_numbers=False) if f.valid)


@dataclasses.dataclass(frozen=True)
class PromptFile:
    """One prompt: the 8 kHz file, whether its 16 kHz twin exists, its length and the flows naming it."""

    name: str
    filename: str
    seconds: float | None
    size: int
    wideband: bool
    flows: tuple[str, ...]


def wav_seconds(path: Path) -> float | None:
    """Length of a WAV file (None when it is not a readable PCM WAV)."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / float(wav.getframerate() or 1)
    except (OSError, EOFError, wave.Error):
        return None


def prompt_files(flow_list: Iterable[FlowFile]) -> list[PromptFile]:
    """Every *.wav prompt (8 kHz folder) with the flows that use it."""
    folder = prompts_dir()
    if folder is None or not folder.is_dir():
        return []
    used: dict[str, list[str]] = {}
    for item in flow_list:
        for prompt in item.prompts():
            used.setdefault(prompt, []).append(item.stem)
    result = []
    for path in sorted(folder.glob("*.wav")):
        result.append(PromptFile(path.stem, path.name, wav_seconds(path), path.stat().st_size,
                                 (folder / "16000" / path.name).is_file(), tuple(sorted(used.get(path.name, ())))))
    return result


def prompt_path(filename: str, rate: int = 8000) -> Path | None:
    """The file of a prompt named `filename` (<name>.wav), only inside the prompts directory; None if absent."""
    folder = prompts_dir()
    if folder is None or not filename.endswith(".wav") or not PROMPT_NAME.match(filename[:-4]):
        return None
    path = folder / filename if rate == 8000 else folder / str(rate) / filename
    return path if path.is_file() else None


def flow_path(stem: str) -> Path | None:
    """The flow file <stem>.yaml in the flows directory (None for names that are not plain file names)."""
    folder = flows_dir()
    if folder is None or not FLOW_FILE.match(stem):
        return None
    return folder / f"{stem}.yaml"


_PROBLEM = re.compile(r"^(?P<file>[^:\s]+\.ya?ml): (?:node (?P<node>[^:]+): )?(?P<text>.*)$", re.S)


def problem_parts(problem: str) -> tuple[str, str, str]:
    """A loader message 'file: node n: problem' as (file, node, problem); parts it lacks are ''."""
    m = _PROBLEM.match(problem)
    if not m:
        return "", "", problem
    return m.group("file"), m.group("node") or "", m.group("text")
