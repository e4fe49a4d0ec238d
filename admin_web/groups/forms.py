"""The group form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from admin_web.groups import queries
from admin_web.halls.fields import hall_field, set_hall_choices


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class GroupForm(FlaskForm):
    """Name (unique) and description."""

    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=64)])
    description = StringField(_l("Description"), filters=[_strip], validators=[Length(max=255)])
    hall_id = hall_field(_l("The hall whose team it is; none: the centre's, which only the centre's staff change."))

    def __init__(self, session: Session, group_id: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._session = session
        self._group_id = group_id
        set_hall_choices(self.hall_id, session, _l("The centre (every hall)"))

    def validate_name(self, field) -> None:
        """Group names are unique."""
        if queries.name_taken(self._session, field.data, self._group_id):
            raise ValidationError(_l("A group with this name already exists."))
