"""The action form of one agent's row on the floor: a state to force (示闲 / 示忙 with its reason / 签入 / 签出) or
a way to join the agent's call from the supervisor's own phone."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from admin_web import labels
from admin_web.agents.forms import STATE_COMMANDS

SUPERVISE_MODES = {"listen": _l("Listen"), "whisper": _l("Whisper"), "barge": _l("Barge in"),
                   "takeover": _l("Take over the call")}

# how the floor marks a call a supervisor joined
MONITOR_LABELS = {"listen": _l("Being listened to"), "whisper": _l("Being coached (whisper)"),
                  "barge": _l("Supervisor barged in")}


class FloorActionForm(FlaskForm):
    """`state:<command>` (the command keeps its reason: `state:not_ready:meal`) or `supervise:<mode>`."""

    action = SelectField(_l("Action"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = ([(f"state:{c}", labels.command_label(c)) for c in STATE_COMMANDS]
                               + [(f"supervise:{m}", label) for m, label in SUPERVISE_MODES.items()])

    def groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The choices in two groups, for the page's select."""
        states = [c for c in self.action.choices if c[0].startswith("state:")]
        joins = [c for c in self.action.choices if c[0].startswith("supervise:")]
        return [(str(_l("Change state")), states), (str(_l("Supervise")), joins)]
