"""The skill form: a code (fixed once created: overflow steps and routing rules name skills by it) and a name."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from admin_web.skills import queries

_strip = [lambda v: v.strip() if v else v]


class SkillForm(FlaskForm):
    """Create a skill, or rename one (`skill_id` given: the code is not edited)."""

    code = StringField(_l("Code"), filters=_strip, validators=[
        DataRequired(), Length(max=32),
        Regexp(r"^[a-z0-9_]+$", message=_l("Use lower-case letters, digits and '_' only."))])
    name = StringField(_l("Name"), filters=_strip, validators=[DataRequired(), Length(max=64)])

    def __init__(self, session: Session, skill_id: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._session, self._skill_id = session, skill_id
        if skill_id is not None:
            del self.code

    def validate_code(self, field) -> None:
        if queries.code_taken(self._session, field.data):
            raise ValidationError(_l("Another skill already has this code."))

    def validate_name(self, field) -> None:
        if queries.name_taken(self._session, field.data, self._skill_id):
            raise ValidationError(_l("Another skill already has this name."))
