"""The hall form: code (fixed once created), name, level, GB/T 2260 region code, parent, active."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from engine.domain.regions import HallLevel

LEVEL_LABELS = {HallLevel.PROVINCE: _l("Province"), HallLevel.CITY: _l("City"), HallLevel.COUNTY: _l("County")}


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class HallForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip], validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=64)])
    level = SelectField(_l("Level"), choices=[(k.value, v) for k, v in LEVEL_LABELS.items()])
    region_code = StringField(_l("Region code (GB/T 2260)"), filters=[_strip],
                              validators=[DataRequired(), Regexp(r"^\d{6}$", message=_l("Six digits, e.g. 440305."))])
    parent_code = SelectField(_l("Parent hall"), default="")
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, parents: list[tuple[str, str]], **kwargs):
        super().__init__(**kwargs)
        self.parent_code.choices = [("", _l("(none: a province hall)"))] + parents
