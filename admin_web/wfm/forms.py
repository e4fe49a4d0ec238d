"""The planning form (a GET form: nothing is changed)."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField
from wtforms.validators import DataRequired, NumberRange, StopValidation, ValidationError

TARGET_LABELS = {"service_level": _l("Service level: X % answered within T s"),
                 "answer_rate": _l("Answer rate (人工接通率): at least X % answered"),
                 "asa": _l("Average speed of answer (ASA): at most T s")}
MODEL_LABELS = {"C": _l("Erlang C (callers never hang up)"), "A": _l("Erlang A (callers hang up: measured patience)")}
ALL_QUEUES = ""


def _given(_form, field) -> None:
    """A number is required (0 is one: a shrinkage of 0 %); the default counts as given on the first visit."""
    if field.data is None:
        raise StopValidation(_l("Give a number."))


class PlanForm(FlaskForm):
    """Day to plan, queue (or all), target, model and shrinkage."""

    class Meta:
        csrf = False

    day = DateField(_l("Day to plan"), validators=[DataRequired()])
    queue = SelectField(_l("Queue"), default=ALL_QUEUES)
    target = SelectField(_l("Target"), choices=list(TARGET_LABELS.items()), default="service_level")
    level = DecimalField(_l("X (%)"), places=1, default=80,
                         validators=[_given, NumberRange(min=1, max=99.9)])
    seconds = DecimalField(_l("T (seconds)"), places=0, validators=[_given, NumberRange(min=1, max=3600)])
    model = SelectField(_l("Model"), choices=list(MODEL_LABELS.items()), default="C")
    shrinkage = DecimalField(_l("Shrinkage (%)"), places=1, default=30,
                             validators=[_given, NumberRange(min=0, max=95)])

    def __init__(self, queues: list[tuple[str, str]], tomorrow: dt.date, default_seconds: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue.choices = [(ALL_QUEUES, str(_l("All queues")))] + queues
        if self.day.data is None and not self.day.raw_data:
            self.day.data = tomorrow
        if self.seconds.data is None and not self.seconds.raw_data:
            self.seconds.data = default_seconds

    def validate_model(self, field) -> None:
        if field.data == "C" and self.target.data == "answer_rate":
            raise ValidationError(_l("An answer-rate target needs Erlang A: in Erlang C nobody hangs up, so every "
                                     "call would be answered."))

DAY_TYPE_LABELS = {"workday": _l("working day"), "makeup": _l("make-up working day (调休上班)"),
                   "after_holiday": _l("first working day after a holiday"), "weekend": _l("weekend day"),
                   "holiday": _l("holiday")}
