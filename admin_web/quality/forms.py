"""The quality forms: a scorecard's name (its items are read from the editor's rows), a sampling plan, the week to
draw, an appeal and its decision. Item scores are read from the review form's fields by item (points-<id>,
violated-<id>) and checked by engine.domain.quality."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin_web.quality.labels import DECISION_LABELS
from admin_web.quality.services import ItemRows
from engine.domain.quality import Decision
from engine.reports import periods

_strip = [lambda v: v.strip() if v else v]


class ScorecardForm(FlaskForm):
    name = StringField(_l("Name"), filters=_strip, validators=[DataRequired(), Length(max=100)])

    def items(self, form_data) -> ItemRows:
        return ItemRows.from_request(form_data)


class PlanForm(FlaskForm):
    name = StringField(_l("Name"), filters=_strip, validators=[DataRequired(), Length(max=100)])
    form_id = SelectField(_l("Scorecard"), coerce=int, validators=[InputRequired()])
    queue_code = SelectField(_l("Queue"), default="")
    group_id = SelectField(_l("Group"), coerce=int, default=0)
    per_agent = IntegerField(_l("Random recordings per agent and week"), default=2,
                             validators=[InputRequired(), NumberRange(min=0, max=50)])
    due_days = IntegerField(_l("Days to inspect"), default=3, validators=[InputRequired(), NumberRange(min=1, max=60)])
    complaint = BooleanField(_l("Every call with a complaint or report order"), default=True)
    unsatisfied = BooleanField(_l("Calls rated unsatisfied"), default=True)
    long_call_s = IntegerField(_l("Calls talking at least (s)"), validators=[Optional(), NumberRange(min=1)])
    short_call_s = IntegerField(_l("Calls talking at most (s)"), validators=[Optional(), NumberRange(min=1)])
    long_hold_s = IntegerField(_l("Calls on hold at least (s)"), validators=[Optional(), NumberRange(min=1)])
    transfer = BooleanField(_l("Transferred calls"))
    rule_cap = IntegerField(_l("At most this many rule picks per agent and week"),
                            validators=[Optional(), NumberRange(min=1)])
    inspectors = SelectMultipleField(_l("Inspectors"), coerce=int, validators=[DataRequired(
        message=_l("Choose at least one inspector."))])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, forms, queues, groups, inspectors, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_id.choices = forms
        self.queue_code.choices = [("", str(_l("All queues")))] + queues
        self.group_id.choices = [(0, str(_l("All groups")))] + groups
        self.inspectors.choices = inspectors


class DrawForm(FlaskForm):
    week = DateField(_l("A day of the week to draw"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.week.data is None and not self.week.raw_data:
            today = periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).date()
            self.week.data = today - dt.timedelta(days=7)        # last week: its calls are all in


class CommentForm(FlaskForm):
    at_ms = IntegerField(validators=[InputRequired(), NumberRange(min=0)])
    text = TextAreaField(_l("Comment"), filters=_strip, validators=[DataRequired(), Length(max=2000)])


class AppealForm(FlaskForm):
    reason = TextAreaField(_l("Why you appeal"), filters=_strip, validators=[DataRequired(), Length(max=2000)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[(d.value, DECISION_LABELS[d]) for d in Decision],
                           validators=[DataRequired()])
    note = TextAreaField(_l("Reason for the decision"), filters=_strip, validators=[DataRequired(), Length(max=2000)])
