"""Flows: list with validation status and the numbers using each, a flow's outline and diagram, upload
(admins). Prompts: list, play, upload (admins). Supervisors see everything, agents nothing."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from admin_web.labels import engine_message
from admin_web.db import get_session
from admin_web.flows import bp, describe, files
from admin_web.flows.forms import FlowUploadForm, PromptUploadForm
from admin_web.flows.services import save_flow, save_prompt, target_name
from admin_web.security import ADMIN, STAFF, roles_required
from engine.ivr.loader import FlowError
from engine.prompts import PromptError

RELOAD_NOTE_SECONDS = 2


def _render_index(form: FlowUploadForm, problems: list[str] | None = None, status: int = 200):
    session = get_session()
    return render_template("flows/index.html", flows=files.flow_files(session), form=form, problems=problems,
                           folder=files.flows_dir(), reload_s=RELOAD_NOTE_SECONDS), status


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Every flow file: name, description, numbers using it, valid or its problems."""
    return _render_index(FlowUploadForm())


@bp.route("/upload", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def upload():
    """Create or replace a flow file; refused (current file kept) with the loader's messages when invalid."""
    session = get_session()
    form = FlowUploadForm()
    target = request.form.get("target") or None
    if not form.validate_on_submit():
        return _back_with(form, target, None, 400)
    try:
        filename = target_name(form.file.data.filename, form.target.data or None)
        flow, replaced = save_flow(session, form.file.data.read(), filename)
    except FlowError as exc:
        return _back_with(form, target, exc.problems, 422)
    session.commit()
    flash((_("Flow file %(file)s replaced (flow %(name)s).", file=filename, name=flow.name) if replaced
           else _("Flow file %(file)s added (flow %(name)s).", file=filename, name=flow.name)) + " "
          + _("The engine reads it within a few seconds; calls already in the flow finish on the old version."),
          "success")
    return redirect(url_for("flows.detail", stem=filename[:-5]))


def _back_with(form: FlowUploadForm, target: str | None, problems: list[str] | None, status: int):
    """Re-render the page the upload came from with its messages."""
    if target and files.flow_path(target) is not None and files.flow_path(target).is_file():
        return _render_detail(target, form, problems, status)
    return _render_index(form, problems, status)


def _render_detail(stem: str, form: FlowUploadForm, problems: list[str] | None = None, status: int = 200):
    session = get_session()
    path = files.flow_path(stem)
    if path is None or not path.is_file():
        abort(404)
    item = next((f for f in files.flow_files(session) if f.filename == path.name), None) or abort(404)
    form.target.data = stem
    source = path.read_text(encoding="utf-8", errors="replace")
    return render_template("flows/detail.html", item=item, form=form, problems=problems, source=source,
                           outline=describe.outline(item.flow) if item.flow else None,
                           diagram=describe.diagram(item.flow) if item.flow else None,
                           reload_s=RELOAD_NOTE_SECONDS), status


@bp.route("/<stem>")
@roles_required(*STAFF)
def detail(stem: str):
    """One flow: problems or outline and diagram, the numbers using it, its source and a replace form."""
    return _render_detail(stem, FlowUploadForm())


@bp.route("/<stem>/download")
@roles_required(*STAFF)
def download(stem: str):
    """The flow file as stored."""
    path = files.flow_path(stem)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/yaml", as_attachment=True, download_name=path.name, max_age=0)


# ---------------------------------------------------------------- prompts

def _render_prompts(form: PromptUploadForm, problem: str | None = None, status: int = 200):
    session = get_session()
    return render_template("flows/prompts.html", prompts=files.prompt_files(files.flow_files(session, False)),
                           form=form, problem=problem, folder=files.prompts_dir()), status


@bp.route("/prompts/")
@roles_required(*STAFF)
def prompts():
    """Every prompt: length, 16 kHz twin, player, flows using it."""
    return _render_prompts(PromptUploadForm())


@bp.route("/prompts/<filename>")
@roles_required(*STAFF)
def prompt_audio(filename: str):
    """A prompt's WAV (8 kHz, or 16 kHz with ?rate=16000), only from the prompts directory."""
    rate = 16000 if request.args.get("rate") == "16000" else 8000
    path = files.prompt_path(filename, rate) or abort(404)
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.route("/prompts/upload", methods=["POST"])
@roles_required(*ADMIN, scope="centre")
def prompt_upload():
    """Convert an upload into the 8 kHz and 16 kHz prompt files; PromptError's message when it cannot."""
    session = get_session()
    form = PromptUploadForm()
    if not form.validate_on_submit():
        return _render_prompts(form, status=400)
    try:
        written = save_prompt(session, form.file.data.read(), form.file.data.filename or "", form.name.data)
    except PromptError as exc:
        return _render_prompts(form, engine_message(exc), 422)
    session.commit()
    flash(_("Prompt %(name)s stored at 8 kHz and 16 kHz.", name=written[8000].name), "success")
    return redirect(url_for("flows.prompts"))
