"""The recordings search form (GET): date range, agent, number (ANI or DNIS), queue, status."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

STATUS_LABELS = {"complete": _l("Complete"), "recording": _l("Recording"), "missing": _l("File missing"),
                 "damaged": _l("Damaged")}


class RecordingSearchForm(FlaskForm):
    """Filters of the list (no CSRF: a GET search)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    agent = StringField(_l("Agent (employee no.)"), filters=[lambda v: v.strip() if v else v],
                        validators=[Optional(), Length(max=32)])
    number = StringField(_l("Number (caller or dialled)"), filters=[lambda v: v.strip() if v else v],
                         validators=[Optional(), Length(max=64)])
    queue = SelectField(_l("Queue"), default="")
    status = SelectField(_l("Status"), default="", choices=[("", _l("(any)"))] + list(STATUS_LABELS.items()))

    def validate_date_to(self, field) -> None:
        """The range must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class BatchForm(FlaskForm):
    """The batch download (POST with the CSRF token and the chosen ids)."""
