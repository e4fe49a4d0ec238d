"""The hall a row belongs to, chosen in its form (agents, teams, queues): the halls the user may see, in tree
order; "none" (the centre's, shared by every hall) only for users who see every hall. A hall's own user who leaves
it unset puts the row in their own hall (admin_web.scope enforces that they never write outside their halls)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms import SelectField

from admin_web.halls import queries

NO_HALL = ""


def hall_field(description=None) -> SelectField:
    return SelectField(_l("Hall"), default=NO_HALL, description=description)


def set_hall_choices(field: SelectField, session: Session, none_label) -> None:
    everything = current_user.hall_id is None
    field.choices = ([(NO_HALL, none_label)] if everything else []) + \
        [(str(hall_id), label) for hall_id, label in queries.choices(session)]
    if not everything and not field.data:
        field.data = str(current_user.hall_id)


def hall_value(field: SelectField) -> int | None:
    """The chosen hall (None: the centre's)."""
    return int(field.data) if field.data else None


def hall_data(hall_id: int | None) -> str:
    """A row's hall as the field's value."""
    return str(hall_id) if hall_id else NO_HALL
