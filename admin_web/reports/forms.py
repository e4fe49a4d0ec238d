"""The report selector (a GET form) and the definitions settings form (admins)."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from admin_web.labels import reason_choices
from admin_web.reports.labels import (ABANDON_LABELS, ANSWER_RATE_ABANDON_LABELS, DIMENSION_LABELS, GRAIN_LABELS,
                                      RATING_LABELS, ROUNDING_LABELS)
from admin_web.reports.tables import DIMENSIONS, MAX_SUB_DAY_DAYS
from engine.reports.definitions import ABANDONS_INCLUDE, NOT_READY_REASONS
from engine.reports.periods import GRAINS, SUB_DAY_GRAINS
from engine.store.models.reports import SHORT_ABANDON_THRESHOLDS, SL_THRESHOLDS


class ReportFilterForm(FlaskForm):
    """Dimension, grain and date range (local days, both included)."""

    class Meta:
        csrf = False

    dimension = SelectField(_l("Per"))
    grain = SelectField(_l("By"), choices=[(g, GRAIN_LABELS[g]) for g in GRAINS], default="day")
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])

    def __init__(self, kind: str, today: dt.date, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension.choices = [(k, DIMENSION_LABELS[k]) for k in DIMENSIONS[kind]]
        if not self.dimension.data or self.dimension.data == "None":
            self.dimension.data = DIMENSIONS[kind][0]
        if self.start.data is None and not self.start.raw_data:
            self.start.data = today
        if self.end.data is None and not self.end.raw_data:
            self.end.data = today

    def validate_end(self, field) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end is before the start."))
        if (self.start.data and field.data and self.grain.data in SUB_DAY_GRAINS
                and (field.data - self.start.data).days >= MAX_SUB_DAY_DAYS):
            raise ValidationError(_l("15-minute and hourly reports cover at most %(days)d days.",
                                     days=MAX_SUB_DAY_DAYS))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


RATING_CHOICES = [(str(k), RATING_LABELS.get(k, str(k))) for k in range(10)]


class DefinitionsForm(FlaskForm):
    """The definitions a center may set (engine.reports.definitions.Definitions)."""

    service_level_s = SelectField(_l("Service level threshold T (seconds)"),
                                  choices=[(str(t), str(t)) for t in SL_THRESHOLDS], coerce=int)
    abandons_in_service_level = SelectField(_l("Abandoned calls in the service level"),
                                            choices=list(ABANDON_LABELS.items()))
    short_abandon_s = SelectField(_l("Short abandon: abandoned within (seconds)"),
                                  choices=[(str(s), str(s)) for s in SHORT_ABANDON_THRESHOLDS], coerce=int)
    abandons_in_answer_rate = SelectField(_l("Abandoned calls in the answer rate (人工接通率)"),
                                          choices=list(ANSWER_RATE_ABANDON_LABELS.items()), default=ABANDONS_INCLUDE)
    valid_ratings = MultiCheckboxField(_l("Valid ratings (stored codes)"), choices=RATING_CHOICES)
    satisfied_ratings = MultiCheckboxField(_l("Satisfied ratings (stored codes)"), choices=RATING_CHOICES)
    rest_reasons = MultiCheckboxField(_l("Not-ready reasons counted as rest"),
                                      choices=reason_choices(NOT_READY_REASONS))
    target_answer_rate = DecimalField(_l("Target answer rate (%)"), places=2,
                                      validators=[InputRequired(), NumberRange(0, 100)])
    target_avg_wait_s = DecimalField(_l("Target average wait (seconds, below)"), places=1,
                                     validators=[InputRequired(), NumberRange(1, 3600)])
    target_timely_rate = DecimalField(_l("Target timely answer rate (%)"), places=2,
                                      validators=[InputRequired(), NumberRange(0, 100)])
    target_satisfaction = DecimalField(_l("Target satisfaction (%)"), places=2,
                                       validators=[InputRequired(), NumberRange(0, 100)])
    scorecard_rounding = SelectField(_l("Scorecard: percentage points below target count"),
                                     choices=list(ROUNDING_LABELS.items()))
    alert_waiting = IntegerField(_l("Wallboard alert: calls waiting more than"),
                                 validators=[InputRequired(), NumberRange(0, 10000)])
    alert_service_level = DecimalField(_l("Wallboard alert: service level below (%)"), places=1,
                                       validators=[InputRequired(), NumberRange(0, 100)])

    def validate_valid_ratings(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one key."))

    def validate_satisfied_ratings(self, field) -> None:
        if not set(field.data or []) <= set(self.valid_ratings.data or []):
            raise ValidationError(_l("Satisfied keys must also be rating keys."))
