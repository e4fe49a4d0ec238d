"""The outcome filter on the calls page (a GET form, so no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from admin_web.labels import OUTCOME_LABELS


class CallFilterForm(FlaskForm):
    """Filter by outcome; empty means all."""

    class Meta:
        csrf = False

    outcome = SelectField(_l("Outcome"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", _l("All outcomes"))] + [(o.value, label) for o, label in OUTCOME_LABELS.items()]
