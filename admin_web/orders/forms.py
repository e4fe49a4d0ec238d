"""The work-order forms: register, a step with its note, a follow-up result, a department."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

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
