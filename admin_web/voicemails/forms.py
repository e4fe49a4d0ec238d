"""The status filter on the voice-message page (GET), and the 'mark handled' button (POST, CSRF-protected)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

VOICEMAIL_STATUS_LABELS = {
    "new": _l("New"),
    "handled": _l("Handled"),
}


class VoicemailFilterForm(FlaskForm):
    """Filter by status; empty means all."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("All statuses"))] + list(VOICEMAIL_STATUS_LABELS.items())


class MarkHandledForm(FlaskForm):
    """Only the CSRF token."""
