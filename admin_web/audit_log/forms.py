"""The audit log's filters (a GET form: no CSRF token): who, action, object, a range of days, a hall."""
from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from admin_web.halls import queries as halls

ALL_HALLS = ""
_strip = [lambda v: v.strip() if v else v]


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    """What the user asked for (empty: no condition)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    hall_id: int | None = None

    def args(self) -> dict[str, str]:
        """The filter as query arguments (for the pager and the export link)."""
        out = {"actor": self.actor, "action": self.action, "target": self.target,
               "day_from": self.day_from.isoformat() if self.day_from else "",
               "day_to": self.day_to.isoformat() if self.day_to else "",
               "hall": str(self.hall_id) if self.hall_id else ""}
        return {k: v for k, v in out.items() if v}


class AuditFilterForm(FlaskForm):
    """Filter the audit log; every field may stay empty."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who"), filters=_strip, validators=[Optional(), Length(max=64)])
    action = StringField(_l("Action"), filters=_strip, validators=[Optional(), Length(max=64)],
                         description=_l("An action or its beginning, e.g. agent. or queue.update"))
    target = StringField(_l("Object"), filters=_strip, validators=[Optional(), Length(max=128)],
                         description=_l("Part of the object's name, e.g. agent:1001"))
    day_from = DateField(_l("From"), validators=[Optional()])
    day_to = DateField(_l("To"), validators=[Optional()])
    hall = SelectField(_l("Hall"), default=ALL_HALLS)

    def __init__(self, session: Session, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hall.choices = [(ALL_HALLS, _l("All my halls"))] + \
            [(str(hall_id), label) for hall_id, label in halls.choices(session)]

    def validate_day_to(self, field) -> None:
        if field.data and self.day_from.data and field.data < self.day_from.data:
            raise ValidationError(_l("The last day comes before the first."))

    def chosen(self) -> AuditFilter:
        """The valid filter (an invalid form filters nothing: its errors are shown)."""
        return AuditFilter(self.actor.data or "", self.action.data or "", self.target.data or "",
                           self.day_from.data, self.day_to.data, int(self.hall.data) if self.hall.data else None)
