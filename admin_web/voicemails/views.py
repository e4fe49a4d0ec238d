"""Voice messages: the list with a player (admins and supervisors), the audio, and 'mark handled'."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from admin_web import audio as audio_files
from admin_web.paging import page_arg
from admin_web import audit
from admin_web.db import get_session
from admin_web.security import STAFF, roles_required
from admin_web.voicemails import bp
from admin_web.voicemails.files import FileState, locate
from admin_web.voicemails.forms import VOICEMAIL_STATUS_LABELS, MarkHandledForm, VoicemailFilterForm
from admin_web.voicemails.queries import STATUSES, status_counts, voicemails_page
from engine.store.models import Voicemail


@bp.route("/")
@roles_required(*STAFF)
def index():
    """New messages first; each with a player when its file is there, or a flag saying why not."""
    form = VoicemailFilterForm(request.args)
    status = form.status.data if form.validate() and form.status.data else None
    session = get_session()
    page = voicemails_page(session, page=page_arg(),
                           per_page=current_app.config.get("LIST_PER_PAGE", 50), status=status)
    files = {vm.id: locate(vm.file_path)[0] for vm, _queue in page.rows}
    return render_template("voicemails/index.html", form=form, page=page, status=status, files=files,
                           FileState=FileState, counts=status_counts(session),
                           status_labels=VOICEMAIL_STATUS_LABELS, handle_form=MarkHandledForm())


@bp.route("/<int:voicemail_id>/audio")
@roles_required(*STAFF)
def audio(voicemail_id: int):
    """The message's WAV file, only if it lies inside the recordings directory (404 otherwise)."""
    voicemail = get_session().get(Voicemail, voicemail_id) or abort(404)
    state, path = locate(voicemail.file_path)
    if state is not FileState.OK:
        abort(404)
    return audio_files.serve(path)


@bp.route("/<int:voicemail_id>/handled", methods=["POST"])
@roles_required(*STAFF)
def mark_handled(voicemail_id: int):
    """Mark a message as dealt with (audited)."""
    session = get_session()
    voicemail = session.get(Voicemail, voicemail_id) or abort(404)
    if not MarkHandledForm().validate_on_submit():
        abort(400)
    if voicemail.status == "handled":
        flash(_("This message was already marked handled."), "info")
    else:
        voicemail.status = "handled"
        audit.record(session, "voicemail.handled", f"voicemail:{voicemail.call_uuid}",
                     f"ani={voicemail.ani}; queue={voicemail.queue_code}")
        session.commit()
        flash(_("Message from %(ani)s marked handled.", ani=voicemail.ani), "success")
    status = request.args.get("status")
    return redirect(url_for("voicemails.index", **({"status": status} if status in STATUSES else {})))
