"""Forms of the schedule pages: a shift template, a rotation, and what a week's schedule is generated for."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from admin_web.halls.fields import hall_field
from admin_web.wfm.forms import ALL_QUEUES, MODEL_LABELS, TARGET_LABELS

WEEKDAY_LABELS = [(str(d), label) for d, label in enumerate(
    (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")))]
POOL_LABELS = {"group": _l("Agents of a team"), "hall": _l("Agents of a hall"),
               "queue": _l("Agents able to take the queue")}
OFF_WORDS = ("休", "-", "off", "")


def _quarter(_form, field) -> None:
    if field.data is not None and field.data % 15:
        raise ValidationError(_l("Use a multiple of 15 minutes."))


class TemplateForm(FlaskForm):
    """A shift template (班次)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)],
                       description=_l("Short, shown in the schedule grid, e.g. 早, 中, 夜"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    start = TimeField(_l("Start"), validators=[InputRequired()])
    length_minutes = IntegerField(_l("Length (minutes)"), default=480,
                                  validators=[InputRequired(), NumberRange(min=15, max=1440), _quarter])
    unpaid_break_minutes = IntegerField(_l("Unpaid break (minutes)"), default=0,
                                        validators=[InputRequired(), NumberRange(min=0, max=600), _quarter])
    break_after_minutes = IntegerField(_l("Unpaid break starts after (minutes)"),
                                       validators=[Optional(), NumberRange(min=0, max=1440), _quarter],
                                       description=_l("Empty: in the middle of the shift"))
    paid_break_minutes = IntegerField(_l("Paid breaks (minutes)"), default=0,
                                      validators=[InputRequired(), NumberRange(min=0, max=240)])
    weekdays = SelectMultipleField(_l("Weekdays"), choices=WEEKDAY_LABELS, default=[d for d, _x in WEEKDAY_LABELS],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                   validators=[DataRequired()])
    hall_id = hall_field(_l("Empty: the centre's, shared by every hall"))

    def validate_start(self, field) -> None:
        if field.data is not None and field.data.minute % 15:
            raise ValidationError(_l("Use a multiple of 15 minutes."))

    def validate_unpaid_break_minutes(self, field) -> None:
        if self.length_minutes.data and field.data is not None and field.data >= self.length_minutes.data:
            raise ValidationError(_l("The break must be shorter than the shift."))

    def validate_break_after_minutes(self, field) -> None:
        if field.data is not None and self.length_minutes.data and \
                field.data + (self.unpaid_break_minutes.data or 0) > self.length_minutes.data:
            raise ValidationError(_l("The break must end within the shift."))


class RotationForm(FlaskForm):
    """A rotation: the cycle of template codes (休 for a day off) and how many teams take it in turn."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    pattern = StringField(_l("Cycle"), validators=[DataRequired(), Length(max=400)],
                          description=_l("Template codes day by day, separated by commas; 休 for a day off. "
                                         "四班三运转: 夜,夜,早,早,中,中,休,休 with 4 teams"))
    teams = IntegerField(_l("Teams"), default=4, validators=[InputRequired(), NumberRange(min=1, max=31)])
    anchor = DateField(_l("Cycle starts on"), validators=[DataRequired()],
                       description=_l("The day team 1 works the cycle's first day"))
    hall_id = hall_field(_l("Empty: the centre's, shared by every hall"))

    def __init__(self, codes: dict[str, int], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = codes
        self.template_ids: list[int | None] = []

    def validate_pattern(self, field) -> None:
        days = [p.strip() for p in field.data.replace("，", ",").split(",")]
        unknown = [p for p in days if p not in OFF_WORDS and p not in self.codes]
        if unknown:
            raise ValidationError(_l("Unknown shift codes: %(codes)s", codes="、".join(unknown)))
        self.template_ids = [None if p in OFF_WORDS else self.codes[p] for p in days]

    def validate_teams(self, field) -> None:
        if field.data and self.template_ids and field.data > len(self.template_ids):
            raise ValidationError(_l("There cannot be more teams than days in the cycle."))


class GenerateForm(FlaskForm):
    """A week's schedule: whose agents, for which queue's requirement, the plan's target and the rules."""

    week = DateField(_l("Week starting (Monday)"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=128)])
    pool = SelectField(_l("Agents"), choices=list(POOL_LABELS.items()), default="group")
    group_id = SelectField(_l("Team"), validators=[Optional()])
    hall = SelectField(_l("Hall"), validators=[Optional()])
    queue = SelectField(_l("Requirement of the queue"), default=ALL_QUEUES)
    templates = SelectMultipleField(_l("Shift templates"), widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput(), coerce=int)
    rotation = SelectField(_l("Rotation"), default="")
    target = SelectField(_l("Target"), choices=list(TARGET_LABELS.items()), default="service_level")
    level = DecimalField(_l("X (%)"), places=1, default=80, validators=[InputRequired(), NumberRange(min=1, max=99.9)])
    seconds = DecimalField(_l("T (seconds)"), places=0, default=20,
                           validators=[InputRequired(), NumberRange(min=1, max=3600)])
    model = SelectField(_l("Model"), choices=list(MODEL_LABELS.items()), default="C")
    shrinkage = DecimalField(_l("Shrinkage (%)"), places=1, default=30,
                             validators=[InputRequired(), NumberRange(min=0, max=95)])
    week_hours = DecimalField(_l("Weekly hours limit per agent"), places=1, default=40,
                              validators=[InputRequired(), NumberRange(min=1, max=84)])
    rest_hours = DecimalField(_l("Minimum rest between shifts (hours)"), places=1, default=11,
                              validators=[InputRequired(), NumberRange(min=0, max=48)])
    days_off = IntegerField(_l("Days off per week, at least"), default=1,
                            validators=[InputRequired(), NumberRange(min=0, max=6)])
    leave = StringField(_l("Days off requested"), validators=[Optional(), Length(max=2000)],
                        description=_l("Employee number and weekdays (1 = Monday … 7 = Sunday), e.g. 1001:6,7; 1002:1"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.leave_days: dict[str, frozenset[int]] = {}     # employee number → weekdays (0 = Monday) off

    def validate_leave(self, field) -> None:
        self.leave_days = {}
        for part in (field.data or "").replace("；", ";").replace("，", ",").replace("：", ":").split(";"):
            if not part.strip():
                continue
            number, _sep, days = part.partition(":")
            try:
                found = frozenset(int(d) - 1 for d in days.split(",") if d.strip())
            except ValueError:
                found = frozenset({-1})
            if not number.strip() or not found or not found <= frozenset(range(7)):
                raise ValidationError(_l("Write each as employee number:weekdays, e.g. 1001:6,7"))
            self.leave_days[number.strip()] = self.leave_days.get(number.strip(), frozenset()) | found

    def validate_week(self, field) -> None:
        if field.data is not None and field.data.weekday() != 0:
            raise ValidationError(_l("A schedule's week starts on a Monday."))

    def validate_templates(self, field) -> None:
        if not field.data and not self.rotation.data:
            raise ValidationError(_l("Choose at least one shift template, or a rotation."))

    def validate_model(self, field) -> None:
        if field.data == "C" and self.target.data == "answer_rate":
            raise ValidationError(_l("An answer-rate target needs Erlang A: in Erlang C nobody hangs up, so every "
                                     "call would be answered."))

    def validate_pool(self, field) -> None:
        if field.data == "group" and not self.group_id.data:
            raise ValidationError(_l("Choose the team."))
        if field.data == "hall" and not self.hall.data:
            raise ValidationError(_l("Choose the hall."))
        if field.data == "queue" and not self.queue.data:
            raise ValidationError(_l("Choose the queue whose agents are scheduled."))


class AdherenceForm(FlaskForm):
    """The week (and team) whose adherence and attendance are shown (a GET form)."""

    class Meta:
        csrf = False

    week = DateField(_l("Week starting (Monday)"), validators=[Optional()])
    group_id = SelectField(_l("Team"), default="", validators=[Optional()])
