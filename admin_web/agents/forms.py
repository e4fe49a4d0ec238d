"""The agent form: 工号, name, extension, group, active, and a level (1–10) per skill."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from admin_web.halls.fields import hall_field, set_hall_choices
from admin_web.agents import queries
from engine.store.models import AgentGroup, Skill

NO_GROUP = 0


class SkillLevelForm(Form):
    """One skill's level; empty means the agent does not have the skill."""

    skill_id = HiddenField()
    level = IntegerField(_l("Level"), validators=[Optional(), NumberRange(min=1, max=10,
                                                  message=_l("The level must be between 1 and 10."))])


class AgentForm(FlaskForm):
    """Create or edit an agent; uniqueness of 工号 and extension is checked against the database."""

    employee_no = StringField(_l("Employee no."), filters=[lambda v: v.strip() if v else v],
                              validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Full name"), filters=[lambda v: v.strip() if v else v],
                       validators=[DataRequired(), Length(max=64)])
    extension = StringField(_l("Extension"), filters=[lambda v: v.strip() if v else v],
                            validators=[DataRequired(), Length(max=32),
                                        Regexp(r"^[0-9]+$", message=_l("The extension must contain digits only."))])
    group_id = SelectField(_l("Group"), coerce=int, default=NO_GROUP)
    remote_number = StringField(_l("Remote number (mobile agent)"), filters=[lambda v: v.strip() if v else v],
                                validators=[Optional(), Length(max=32),
                                            Regexp(r"^[0-9]+$", message=_l("A phone number has digits only."))])
    active = BooleanField(_l("Active"), default=True)
    hall_id = hall_field(_l("The service hall the agent works for: its calls come to them first."))
    skills = FieldList(FormField(SkillLevelForm))

    def __init__(self, session: Session, groups: list[AgentGroup], skills: list[Skill],
                 agent_id: int | None = None, **kwargs):
        super().__init__(**kwargs)
        set_hall_choices(self.hall_id, session, _l("No hall"))
        self._session = session
        self._agent_id = agent_id
        self._skill_ids = {s.id for s in skills}
        self.group_id.choices = [(NO_GROUP, _l("(no group)"))] + [(g.id, g.name) for g in groups]

    def validate_employee_no(self, field) -> None:
        """工号 must be unique."""
        if queries.employee_no_taken(self._session, field.data, self._agent_id):
            raise ValidationError(_l("Another agent already has this employee number."))

    def validate_extension(self, field) -> None:
        """Extensions must be unique (one phone per agent)."""
        if queries.extension_taken(self._session, field.data, self._agent_id):
            raise ValidationError(_l("Another agent already uses this extension."))

    def validate_skills(self, field) -> None:
        """Only skills that exist (the hidden ids come from the page)."""
        for entry in field.entries:
            if not str(entry.skill_id.data).isdigit() or int(entry.skill_id.data) not in self._skill_ids:
                raise ValidationError(_l("Unknown skill."))

    def chosen_levels(self) -> dict[int, int]:
        """skill_id → level for the skills given a level."""
        return {int(e.skill_id.data): e.level.data for e in self.skills.entries if e.level.data is not None}


# What a supervisor (or the agent on their own page) may ask the engine to do; "not_ready:<reason>" carries the
# reason. The engine refuses what the agent state machine does not allow and says why.
STATE_COMMANDS = ["login", "ready", "not_ready:break", "not_ready:meal", "not_ready:training",
                  "not_ready:after_call_work", "not_ready:meeting", "extend_wrap_up", "logout"]


class StateRequestForm(FlaskForm):
    """Ask for an agent's state change (示闲 / 示忙 with a reason / 签入 / 强制签出)."""

    command = SelectField(_l("Change state"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from admin_web import labels
        self.command.choices = [(c, labels.command_label(c)) for c in STATE_COMMANDS]


class SuperviseForm(FlaskForm):
    """A supervisor joins an agent's call from their own phone: listen, whisper (coach the agent) or barge."""

    mode = SelectField(_l("Supervise"), choices=[("listen", _l("Listen")), ("whisper", _l("Whisper")),
                                                 ("barge", _l("Barge in")), ("takeover", _l("Take over the call"))],
                       validators=[DataRequired()])
    # the phone rung is the supervisor's own (users.extension, set on the Accounts page), never one typed here
