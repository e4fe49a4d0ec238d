"""The override form: a date, holiday or working day, a name."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

SHORT_WEEKDAYS = (_l("Mo"), _l("Tu"), _l("We"), _l("Th"), _l("Fr"), _l("Sa"), _l("Su"))
KIND_LABELS = {"holiday": _l("Holiday (closed)"), "workday": _l("Working day (open)")}


class OverrideForm(FlaskForm):
    date = DateField(_l("Date"), validators=[InputRequired(message=_l("Give a date (YYYY-MM-DD)."))])
    kind = SelectField(_l("The day is a"), choices=list(KIND_LABELS.items()), validators=[DataRequired()])
    name = StringField(_l("Name (e.g. typhoon day)"), filters=[lambda v: v.strip() if v else v],
                       validators=[Optional(), Length(max=64)])


class DeleteOverrideForm(FlaskForm):
    date = HiddenField(validators=[DataRequired()])
