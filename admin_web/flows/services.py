"""Flow and prompt writes. A flow upload is validated like the engine loads it, together with the other flow
files (so a goto or a duplicate name is caught), and written only when valid; the current file stays otherwise.
Files are replaced atomically, and the engine picks the change up within a few seconds."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from admin_web import audit
from admin_web.flows import files
from engine.ivr.loader import FlowError, load_flows
from engine.ivr.model import Flow
from engine.prompts import PromptError, convert


def target_name(upload_name: str, target: str | None) -> str:
    """The file the upload will become: <target>.yaml, or the upload's own .yaml/.yml name."""
    if target:
        return f"{target}.yaml"
    path = Path(os.path.basename(upload_name or ""))
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise FlowError([_("%(file)s: a flow file must be a .yaml file", file=path.name or "?")])
    if not files.FLOW_FILE.match(path.stem):
        raise FlowError([_("%(file)s: the file name may only use letters, digits, _ . and -", file=path.name)])
    return f"{path.stem}.yaml"


def check_flow(session: Session, data: bytes, filename: str) -> Flow:
    """Validate the upload as `filename` among the current flow files; FlowError with every problem if not."""
    folder = files.flows_dir()
    if folder is None:
        raise FlowError([_("The flows directory is not configured.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FlowError([_("%(file)s: not UTF-8 text", file=filename)]) from None
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FlowError([f"{filename}: cannot read flow: {exc}"]) from None
    queues = files.queue_codes(session)
    _before, before_errors = load_flows(folder, files.prompts_dir(), queues) if folder.is_dir() else ({}, {})
    with tempfile.TemporaryDirectory() as tmp:
        for path in folder.glob("*.yaml"):
            if path.name != filename:
                shutil.copyfile(path, Path(tmp) / path.name)
        (Path(tmp) / filename).write_text(text, encoding="utf-8")
        flows, errors = load_flows(tmp, files.prompts_dir(), queues)
    if filename in errors:
        raise FlowError(errors[filename])
    mine = next((f for f in flows.values() if f.source == filename), None)
    if mine is None:
        raw = yaml.safe_load(text)
        name = str(raw.get("name") or Path(filename).stem) if isinstance(raw, dict) else Path(filename).stem
        raise FlowError([_("%(file)s: the flow name %(name)s is already used by another file",
                           file=filename, name=name)])
    broken = [p for other, problems in errors.items() if other not in before_errors for p in problems]
    if broken:
        raise FlowError([_("%(file)s would break other flows:", file=filename), *broken])
    return mine


def save_flow(session: Session, data: bytes, filename: str) -> tuple[Flow, bool]:
    """Validate, then write the file atomically and audit; returns the flow and whether a file was replaced."""
    flow = check_flow(session, data, filename)
    folder = files.flows_dir()
    assert folder is not None
    path = folder / filename
    existed = path.exists()
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".upload", dir=folder)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)
    audit.record(session, "flow.replace" if existed else "flow.create", f"flow:{filename}",
                 f"name={flow.name}; version={flow.version}; nodes={len(flow.nodes)}")
    return flow, existed


def save_prompt(session: Session, data: bytes, upload_name: str, name: str | None) -> dict[int, Path]:
    """Convert the recording into the 8 kHz and 16 kHz prompt files (PromptError says why not) and audit."""
    folder = files.prompts_dir()
    if folder is None:
        raise PromptError(_("The prompts directory is not configured."))
    existed = bool(name or upload_name) and (folder / f"{Path(name or upload_name).stem}.wav").exists()
    written = convert(data, os.path.basename(upload_name), folder, name or None)
    audit.record(session, "prompt.replace" if existed else "prompt.create", f"prompt:{written[8000].name}",
                 f"from={os.path.basename(upload_name)}; bytes={len(data)}")
    return written
