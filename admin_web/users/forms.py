"""The account form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from admin_web.labels import ROLE_LABELS
from engine.domain.states import Role

NO_AGENT = ""


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class UserForm(FlaskForm):
    """What an account is: its name, role, the agent it logs in as, its own phone, its language."""

    username = StringField(_l("Username"), filters=[_strip], validators=[
        DataRequired(), Length(min=2, max=64),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Letters, digits and . _ @ - only."))])
    display_name = StringField(_l("Display name"), filters=[_strip], validators=[Length(max=64)])
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role], default=Role.AGENT.value)
    agent_id = SelectField(_l("Agent"), default=NO_AGENT)
    department_id = SelectField(_l("Department"), default="", description=_l(
        "For the role Department: the department whose orders the user handles."))
    extension = StringField(_l("Own extension"), filters=[_strip], validators=[
        Optional(), Length(max=32), Regexp(r"^[0-9]+$", message=_l("The extension must contain digits only."))],
        description=_l("The phone this user supervises calls from (listen, whisper, barge in)."))
    hall_id = SelectField(_l("Hall"), default="", description=_l(
        "The user sees and changes only this hall and the halls under it; none: every hall."))
    locale = SelectField(_l("Language"), choices=[("zh_CN", "简体中文"), ("en", "English")], default="zh_CN")
    active = BooleanField(_l("Active"), default=True)

    def set_departments(self, departments) -> None:
        self.department_id.choices = [("", _l("None"))] + [(str(d.id), d.name) for d in departments]

    def set_halls(self, halls, everything: bool) -> None:
        self.hall_id.choices = ([("", _l("Every hall"))] if everything else []) + [(str(h.id), h.name) for h in halls]

    def set_agents(self, agents) -> None:
        self.agent_id.choices = [(NO_AGENT, _l("None"))] + [(str(a.id), f"{a.employee_no} {a.name}") for a in agents]
