"""The status filter on the callbacks page (a GET form, so no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

CALLBACK_STATUS_LABELS = {
    "pending": _l("Pending"),
    "dialling": _l("Being dialled"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}


class CallbackFilterForm(FlaskForm):
    """Filter by status; empty means all."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("All statuses"))] + list(CALLBACK_STATUS_LABELS.items())
