"""The knowledge base's forms: the search (GET), an article, a category, a correction (纠错) and its resolution."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engine.store.knowledge import KnowledgeError, normalise_ivr_choice

NONE = 0                            # "no category" / "at the top" in the category selects
CALL_UUID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
STATE_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "retired": _l("Retired (下架)"),
                "expired": _l("Out of its validity dates")}
CORRECTION_LABELS = {"open": _l("Open"), "fixed": _l("Fixed"), "rejected": _l("Declined")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def split_lines(text: str | None) -> list[str]:
    """One item per line (or separated by commas / semicolons), blanks dropped."""
    return [item.strip() for item in re.split(r"[\n,，;；]", text or "") if item.strip()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SearchForm(FlaskForm):
    """The search box and the category filter (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search the knowledge base"), filters=[_strip], validators=[Optional(), Length(max=200)])
    category = IntegerField(_l("Category"), validators=[Optional()])


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    category_id = SelectField(_l("Category"), coerce=int, default=NONE)
    keywords = StringField(_l("Keywords (words callers use: 个税, 专项扣除…)"), filters=[_strip],
                           validators=[Optional(), Length(max=255)])
    body = TextAreaField(_l("Answer"), filters=[_strip], validators=[DataRequired(), Length(max=20000)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until (inclusive)"), validators=[Optional()])
    queue_codes = MultiCheckboxField(_l("Suggest on calls of these queues"), validate_choice=False)
    ivr_choices = TextAreaField(_l("Suggest on calls that made these IVR choices"),
                                validators=[Optional(), Length(max=2000)])

    def __init__(self, categories: list[tuple[int, str]], queues: list[tuple[str, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [(NONE, _l("(no category)")), *categories]
        self.queue_codes.choices = queues

    def validate_valid_until(self, field) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The article cannot end before it starts."))

    def validate_queue_codes(self, field) -> None:
        known = {code for code, _label in self.queue_codes.choices}
        unknown = [code for code in field.data or () if code not in known]
        if unknown:
            raise ValidationError(_l("Unknown queue: %(codes)s", codes=", ".join(unknown)))

    def validate_ivr_choices(self, field) -> None:
        wrong = []
        for item in split_lines(field.data):
            try:
                normalise_ivr_choice(item)
            except KnowledgeError:
                wrong.append(item)
        if wrong:
            raise ValidationError(_l("Not an IVR choice (a node, or up to four steps joined by >, maybe after the "
                                     "flow and /): %(items)s", items=", ".join(wrong)))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=64)])
    parent_id = SelectField(_l("Under"), coerce=int, default=NONE)
    position = IntegerField(_l("Position"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)])

    def __init__(self, categories: list[tuple[int, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = [(NONE, _l("(top level)")), *categories]


class ButtonForm(FlaskForm):
    """Only the CSRF token (publish, retire, delete)."""


class FlagForm(FlaskForm):
    """纠错: what is wrong with the answer; the call it was read on, when there was one."""

    problem = TextAreaField(_l("What is wrong with this answer?"), filters=[_strip],
                            validators=[DataRequired(message=_l("Say what is wrong.")), Length(max=2000)])
    call_uuid = HiddenField(filters=[_strip], validators=[Optional(), Regexp(CALL_UUID)])


class ResolveForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("fixed", _l("Fixed: the article was corrected")),
                                                   ("rejected", _l("Rejected: the article is right"))],
                          validators=[DataRequired(message=_l("Choose fixed or rejected."))])
    answer = TextAreaField(_l("Answer to the agent"), filters=[_strip],
                           validators=[DataRequired(message=_l("Answer the agent.")), Length(max=2000)])


class CorrectionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("Status"), default="open",
                        choices=[("open", _l("Open")), ("fixed", _l("Fixed")), ("rejected", _l("Declined")),
                                 ("", _l("All statuses"))])


class ManageFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("Status"), default="",
                        choices=[("", _l("All statuses")), *STATE_LABELS.items()])
