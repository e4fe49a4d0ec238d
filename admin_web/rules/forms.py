"""The structured rule form: one field per match key and per action of docs/routing.md.

Lists are written one item per line or separated by commas; mappings as name=value lines. The form turns them
into the rule's `match` and `action` objects (and back, for editing); save_rule then validates them against the
queues, skills, halls and flows, and its messages are attached to the fields they name."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from admin_web.flows.describe import WEEKDAYS

TRISTATE = [("", _l("(any day)")), ("yes", _l("yes")), ("no", _l("no"))]
LIST_KEYS = ("caller_prefix", "caller_in", "called", "time", "dates", "region")
MAPPING_KEYS = {"var": "match_var", "skills": "skills", "tag": "tag"}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def split_list(text: str | None) -> list[str]:
    """Items separated by new lines or commas (a comma inside {…} of a regex is kept), blanks dropped."""
    return [item.strip() for item in re.split(r"\n|[，；;]|,(?![^{]*\})", text or "") if item.strip()]


def split_pairs(text: str | None) -> dict[str, str]:
    """name=value (or name: value) lines; ValueError with the line not understood."""
    pairs: dict[str, str] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^([^=:：]+?)\s*[=:：]\s*(.*)$", line)
        if not m:
            raise ValueError(line)
        pairs[m.group(1).strip()] = m.group(2).strip()
    return pairs


def _one_or_list(items: list) -> Any:
    return items[0] if len(items) == 1 else items


def _text(value: Any) -> str:
    if value is None:
        return ""
    return "\n".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def _pairs_text(value: Any) -> str:
    return "\n".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, Mapping) else ""


class RuleForm(FlaskForm):
    """Name, position, active; match keys; actions."""

    name = StringField(_l("Name"), filters=[lambda v: v.strip() if v else v], validators=[DataRequired(),
                                                                                           Length(max=64)])
    active = BooleanField(_l("Active"), default=True)
    # match
    caller_prefix = StringField(_l("Caller number starts with"))
    caller_regex = StringField(_l("Caller number matches (regular expression)"))
    caller_in = TextAreaField(_l("Caller is one of these numbers"))
    called = StringField(_l("Dialled number (number or regular expression)"))
    time = StringField(_l("Time of day (e.g. 08:00-12:00, 14:00-18:00)"))
    weekdays = MultiCheckboxField(_l("Weekdays"), coerce=int, choices=[(n, label) for n, label in WEEKDAYS.items()])
    dates = StringField(_l("Dates (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)"))
    holiday = SelectField(_l("Statutory or local holiday"), choices=TRISTATE, default="")
    workday = SelectField(_l("Working day (make-up days included)"), choices=TRISTATE, default="")
    region = StringField(_l("Caller region (province or city name, or six-digit code)"))
    match_var = TextAreaField(_l("Call variables (name=regular expression)"))
    # action
    queue = SelectField(_l("Queue"), default="")
    priority = IntegerField(_l("Priority (0–100)"), validators=[Optional(), NumberRange(min=0, max=100)])
    skills = TextAreaField(_l("Required skills (code=minimum level)"))
    flow = SelectField(_l("Flow"), default="")
    hall = SelectField(_l("Hall"), default="")
    block = BooleanField(_l("Block the call"))
    prompt = SelectField(_l("Prompt before hanging up (with block)"), default="")
    tag = TextAreaField(_l("Set call variables (name=value)"))

    def __init__(self, queues: list[tuple[str, str]], flows: list[str], halls: list[tuple[str, str]],
                 prompts: list[str], **kwargs):
        super().__init__(**kwargs)
        none = [("", _l("(none)"))]
        self.queue.choices = none + queues
        self.flow.choices = none + [(f, f) for f in flows]
        self.hall.choices = none + halls
        self.prompt.choices = none + [(p, p) for p in prompts]
        for field, value in ((self.queue, self.queue.data), (self.flow, self.flow.data), (self.hall, self.hall.data),
                             (self.prompt, self.prompt.data)):
            if value and value not in {c[0] for c in field.choices}:      # a stored name no longer offered
                field.choices.append((value, value))

    def validate_match_var(self, field) -> None:
        self._pairs(field)

    def validate_skills(self, field) -> None:
        for name, level in self._pairs(field).items():
            if not level.isdigit():
                raise ValidationError(_l("Write each skill as code=level, e.g. etax=5."))

    def validate_tag(self, field) -> None:
        self._pairs(field)

    @staticmethod
    def _pairs(field) -> dict[str, str]:
        try:
            return split_pairs(field.data)
        except ValueError as exc:
            raise ValidationError(_l("Write one name=value per line (not understood: %(line)s).",
                                     line=str(exc))) from None

    def match(self) -> dict[str, Any]:
        """The match object the fields describe (keys left empty are not part of it)."""
        match: dict[str, Any] = {}
        for key in LIST_KEYS:
            items = split_list(getattr(self, key).data)
            if items:
                match[key] = _one_or_list(items)
        if self.caller_in.data and "caller_in" in match:
            match["caller_in"] = split_list(self.caller_in.data)          # always a list
        if (self.caller_regex.data or "").strip():
            match["caller_regex"] = self.caller_regex.data.strip()
        if self.weekdays.data:
            match["weekdays"] = sorted(self.weekdays.data)
        for key in ("holiday", "workday"):
            value = getattr(self, key).data
            if value:
                match[key] = value == "yes"
        var = split_pairs(self.match_var.data)
        if var:
            match["var"] = var
        return match

    def action(self) -> dict[str, Any]:
        """The action object the fields describe."""
        action: dict[str, Any] = {}
        for key in ("queue", "flow", "hall"):
            if getattr(self, key).data:
                action[key] = getattr(self, key).data
        if self.priority.data is not None:
            action["priority"] = self.priority.data
        skills = split_pairs(self.skills.data)
        if skills:
            action["skills"] = {k: int(v) for k, v in skills.items()}
        if self.block.data:
            action["block"] = True
            if self.prompt.data:
                action["prompt"] = self.prompt.data
        elif self.prompt.data:
            action["prompt"] = self.prompt.data                           # refused by save_rule, with its reason
        tag = split_pairs(self.tag.data)
        if tag:
            action["tag"] = tag
        return action

    @classmethod
    def field_values(cls, match: Mapping[str, Any], action: Mapping[str, Any]) -> dict[str, Any]:
        """Form defaults from a stored rule."""
        values: dict[str, Any] = {key: _text(match.get(key)) for key in LIST_KEYS}
        values["caller_regex"] = _text(match.get("caller_regex"))
        weekdays = match.get("weekdays")
        names = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
        values["weekdays"] = [names.get(str(d).lower(), d) if not str(d).isdigit() else int(d)
                              for d in (weekdays if isinstance(weekdays, list) else [weekdays] if weekdays else [])]
        for key in ("holiday", "workday"):
            values[key] = "" if key not in match else ("yes" if match[key] else "no")
        values["match_var"] = _pairs_text(match.get("var"))
        for key in ("queue", "flow", "hall", "prompt"):
            values[key] = action.get(key) or ""
        values["priority"] = action.get("priority")
        values["skills"] = _pairs_text(action.get("skills"))
        values["block"] = bool(action.get("block"))
        values["tag"] = _pairs_text(action.get("tag"))
        return values


# field that each save_rule message is shown at: "match <key>" / "action <key>"
FIELD_OF = {"var": "match_var"}
