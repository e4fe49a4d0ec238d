"""Number form, list filter and CSV import form."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from admin_web.numbers import queries

NO_HALL = 0


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


def _digits(value: str | None) -> str | None:
    """The number as stored: spaces, dashes and brackets removed (as the CSV import does)."""
    return re.sub(r"[\s\-()]", "", value) if value else value


class NumberForm(FlaskForm):
    """A published number: the number, a name, the flow answering it (a valid flow) and its hall."""

    number = StringField(_l("Number"), filters=[_digits], validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), filters=[_strip], validators=[Optional(), Length(max=64)])
    flow = SelectField(_l("Flow"), validators=[DataRequired()])
    hall_id = SelectField(_l("Hall"), coerce=int, default=NO_HALL)
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, session: Session, flows: list[str], halls: list[tuple[int, str]],
                 number_id: int | None = None, current_flow: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self._session, self._number_id = session, number_id
        self.flow.choices = [("", _l("(choose a flow)"))] + [(f, f) for f in flows]
        if current_flow and current_flow not in flows:            # keep what is stored, marked as not loaded
            not_loaded = _l("not loaded")
            self.flow.choices.append((current_flow, f"{current_flow} — {not_loaded}"))
        self.hall_id.choices = [(NO_HALL, _l("(no hall)"))] + halls

    def validate_number(self, field) -> None:
        if not re.fullmatch(r"\+?\d{3,32}", field.data or ""):
            raise ValidationError(_l("A number has 3 to 32 digits, with an optional leading +."))
        if queries.number_taken(self._session, field.data, self._number_id):
            raise ValidationError(_l("This number already exists."))


class NumberFilterForm(FlaskForm):
    """GET filter: hall (with the halls below it) and a search text."""

    class Meta:
        csrf = False

    hall = SelectField(_l("Hall"), coerce=int, default=0, validators=[Optional()])
    q = StringField(_l("Search"), filters=[_strip], validators=[Optional(), Length(max=64)])

    def __init__(self, halls: list[tuple[int, str]], **kwargs):
        super().__init__(**kwargs)
        self.hall.choices = [(0, _l("All halls")), (queries.NO_HALL, _l("(no hall)"))] + halls


class ImportForm(FlaskForm):
    """A CSV file, whether to delete numbers missing from it, and whether only to check it."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a file to upload."))])
    replace = BooleanField(_l("Delete numbers that are not in the file"))
    dry_run = BooleanField(_l("Only check the file (write nothing)"), default=True)
