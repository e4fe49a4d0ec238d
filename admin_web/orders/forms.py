"""The work-order forms: register, a step with its note, a follow-up result, a department."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from admin_web.orders.labels import RATING_LABELS, TYPE_LABELS, URGENCY_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OrderForm(FlaskForm):
    request_type = SelectField(_l("Request type"), choices=[(k.value, v) for k, v in TYPE_LABELS.items()],
                               validators=[DataRequired()])
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    urgency = SelectField(_l("Urgency"), choices=[(k.value, v) for k, v in URGENCY_LABELS.items()],
                          validators=[DataRequired()])
    hard = BooleanField(_l("Hard question (longer reply clock)"))
    title = StringField(_l("Subject"), filters=[_strip],
                        validators=[InputRequired(message=_l("Give the order a subject.")), Length(max=200)])
    content = TextAreaField(_l("What the citizen says"), filters=[_strip],
                            validators=[InputRequired(message=_l("Write down what the citizen asks or reports.")),
                                        Length(max=8000)])
    wishes = TextAreaField(_l("What the citizen wants"), filters=[_strip], validators=[Optional(), Length(max=2000)])
    citizen_name = StringField(_l("Citizen's name"), filters=[_strip], validators=[Optional(), Length(max=64)])
    citizen_phone = StringField(_l("Contact number"), filters=[_strip],
                                validators=[Optional(), Regexp(r"^\+?[0-9]{3,20}$",
                                                               message=_l("Digits only, 3 to 20 of them."))])
    citizen_address = StringField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=200)])
    reply_wanted = BooleanField(_l("The citizen wants a reply"), default=True)
    confidential = BooleanField(_l("Keep the citizen's name confidential"))
    answer = TextAreaField(_l("Answered on the spot (closes the order)"), filters=[_strip],
                           validators=[Optional(), Length(max=8000)])
    call_uuid = HiddenField()
    voicemail_id = HiddenField()


class StepForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    department_id = SelectField(_l("Department"), coerce=int, validators=[Optional()], validate_choice=False)
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=8000)])


class FollowUpForm(FlaskForm):
    rating = SelectField(_l("The citizen's rating"), choices=[(k.value, v) for k, v in RATING_LABELS.items()],
                         validators=[DataRequired()])
    department_rating = SelectField(_l("Rating of the department's handling"),
                                    choices=[("", "—")] + [(k.value, v) for k, v in RATING_LABELS.items()],
                                    validators=[Optional()])
    note = TextAreaField(_l("What the citizen said"), filters=[_strip], validators=[Optional(), Length(max=4000)])
    call_uuid = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (mark done, unreachable)."""


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip],
                       validators=[InputRequired(message=_l("Give the department's name.")), Length(max=128)])
    hall_id = SelectField(_l("Hall"), coerce=int, validators=[InputRequired()])
    contact = StringField(_l("Contact person"), filters=[_strip], validators=[Optional(), Length(max=64)])
    phone = StringField(_l("Office phone"), filters=[_strip],
                        validators=[Optional(), Regexp(r"^[0-9-]{3,32}$", message=_l("Digits only, 3 to 20 of them."))])
    active = BooleanField(_l("Active"), default=True)


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip],
                       validators=[InputRequired(message=_l("Give the category a name.")), Length(max=64)])
    parent_id = SelectField(_l("Under"), coerce=int, validators=[Optional()])
    position = IntegerField(_l("Position"), default=0, validators=[Optional()])


CLOCK_HELP = _l("3h or 30min (natural time), 7wh (working hours), 2wd (working days from the day after receipt), "
                "same_day (the close of the working day of receipt)")


class SettingsForm(FlaskForm):
    """The work-order clocks and rules (engine.store.orders.OrderSettings; each value checked there by name)."""

    dispatch_general = StringField(_l("Dispatch: general"), filters=[_strip], description=CLOCK_HELP)
    dispatch_special = StringField(_l("Dispatch: special matter"), filters=[_strip])
    dispatch_special_urgent = StringField(_l("Dispatch: special and urgent"), filters=[_strip])
    reply_general = StringField(_l("Reply: general"), filters=[_strip])
    reply_hard = StringField(_l("Reply: hard question"), filters=[_strip])
    reply_special = StringField(_l("Reply: special matter"), filters=[_strip])
    reply_special_urgent = StringField(_l("Reply: special and urgent"), filters=[_strip])
    office_hours = StringField(_l("Departments' office hours, Monday to Friday"), filters=[_strip],
                               description=_l("e.g. 09:00-12:00, 13:00-17:00; make-up working days (调休) count, "
                                              "statutory holidays do not"))
    follow_always = SelectMultipleField(_l("Always followed up"),
                                        choices=[(k.value, v) for k, v in TYPE_LABELS.items()])
    sample_percent = DecimalField(_l("Sample of the other closed orders (%)"), places=1,
                                  validators=[InputRequired(), NumberRange(0, 100)])
    include_on_the_spot = BooleanField(_l("Sample orders answered on the spot too"))
    automated = BooleanField(_l("Follow up by automated call"))
    attempts = IntegerField(_l("Call attempts"), validators=[InputRequired(), NumberRange(1, 10)])
    gap_hours = DecimalField(_l("Hours between attempts"), places=1, validators=[InputRequired(), NumberRange(0.1, 72)])
    calling_hours = StringField(_l("Calling hours, every day"), filters=[_strip],
                                description=_l("e.g. 09:00-12:00, 14:00-20:00; make-up working days count"))
    call_on_holidays = BooleanField(_l("Call on statutory holidays too"))
    caller_id = StringField(_l("Number shown to the citizen"), filters=[_strip],
                            validators=[Optional(), Regexp(r"^\d{3,20}$", message=_l("Digits only."))],
                            description=_l("Empty: the hotline number the citizen called"))
    ring_seconds = IntegerField(_l("Ring for (seconds)"), validators=[InputRequired(), NumberRange(10, 120)])
    at_once = IntegerField(_l("Follow-up calls at once"), validators=[InputRequired(), NumberRange(1, 30)],
                           description=_l("Each takes a trunk channel"))
    remind_before_minutes = IntegerField(_l("Reminder before a deadline (minutes)"),
                                         validators=[InputRequired(), NumberRange(0, 10080)])
    escalate_after_hours = DecimalField(_l("Escalate (督办) after a deadline by (hours)"), places=1,
                                        validators=[InputRequired(), NumberRange(0.1, 720)])
