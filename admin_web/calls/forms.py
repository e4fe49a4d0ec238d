"""The call search form (a GET form, so no CSRF token): date range, number, queue, agent, outcome, hall."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from admin_web.labels import OUTCOME_LABELS

MAX_DAYS = 366


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _id(value):
    return int(value) if value not in (None, "") and str(value).isdigit() else None


class CallSearchForm(FlaskForm):
    """Filters of the calls list; every one may stay empty but the dates, which default to today."""

    class Meta:
        csrf = False

    outcome = SelectField(_l("Outcome"), default="")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    number = StringField(_l("Number (caller or dialled)"), filters=[_strip], validators=[Optional(), Length(max=64)])
    queue = SelectField(_l("Queue"), default=None, coerce=_id, validate_choice=False)
    agent = StringField(_l("Agent (employee no.)"), filters=[_strip], validators=[Optional(), Length(max=32)])
    hall = SelectField(_l("Hall"), default=None, coerce=_id, validate_choice=False)

    def __init__(self, *args, queues=(), halls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", _l("All outcomes"))] + [(o.value, label) for o, label in OUTCOME_LABELS.items()]
        self.queue.choices = [("", _l("(any)"))] + list(queues)
        self.hall.choices = [("", _l("(any)"))] + list(halls)

    def validate_date_to(self, field) -> None:
        """The range must not end before it starts, nor be longer than MAX_DAYS."""
        if field.data and self.date_from.data:
            if field.data < self.date_from.data:
                raise ValidationError(_l("The end date is before the start date."))
            if (field.data - self.date_from.data).days >= MAX_DAYS:
                raise ValidationError(_l("Search at most %(days)d days at a time.", days=MAX_DAYS))

    def validate_queue(self, field) -> None:
        if field.data is not None and field.data not in {v for v, _label in field.choices}:
            raise ValidationError(_l("Not a valid choice."))

    def validate_hall(self, field) -> None:
        if field.data is not None and field.data not in {v for v, _label in field.choices}:
            raise ValidationError(_l("Not a valid choice."))

    def days(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The range asked for: one date alone is that day (or from it to today); none is today."""
        start, end = self.date_from.data, self.date_to.data
        if start is None and end is None:
            return today, today
        if start is None:
            return end, end
        if end is None:
            return start, max(start, min(today, start + dt.timedelta(days=MAX_DAYS - 1)))
        return start, end
