"""The queue form: settings, required skills with minimum levels, and the overflow rules as structured rows.

The rows become the JSON the engine reads (queues.overflow_rules), checked by the engine's own parser
(engine.store.repos.parse_overflow, strict) so the console never saves rules the engine would ignore.
"""
from __future__ import annotations

import json
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import FieldList, FormField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation,
                                ValidationError)

from admin_web.labels import engine_message
from admin_web.halls.fields import hall_field, set_hall_choices
from admin_web.queues import queries
from admin_web.queues.vocab import NO_AGENT_LABELS, OVERFLOW_ACTION_LABELS, STRATEGY_LABELS
from engine.store.models import Queue, Skill
from engine.store.repos import OverflowRuleError, parse_overflow

KEY_PATTERN = r"^[0-9*#]$"
# hold music and prompts: a stream URL (local_stream://moh, http://…), an absolute path, or a file name under
# the prompts directory; no spaces, and no '..' that would climb out of the prompts directory
_MEDIA = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://\S+|[^\s]+)$")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def media_ok(value: str) -> bool:
    """A prompt file name, absolute path or stream URL the engine can hand to the switch."""
    return bool(_MEDIA.match(value)) and ".." not in re.split(r"[/\\]", value)


def _media(form, field) -> None:
    if field.data and not media_ok(field.data):
        raise ValidationError(_l("Give a prompt file name (e.g. moh.wav) or a stream URL (e.g. local_stream://moh), "
                                 "without spaces or '..'."))


def _unparsed(field) -> bool:
    """Whether the field got input it could not convert (e.g. letters in a number field)."""
    return bool(field.raw_data and field.raw_data[0] and field.data is None)


def _parsed(form, field) -> None:
    """Stop at "not a valid integer" instead of also saying the (missing) number is out of range."""
    if field.process_errors:
        raise StopValidation()


def _number(label, default: int, low: int, high: int, message) -> IntegerField:
    """A required whole number of seconds (or calls) between low and high."""
    return IntegerField(label, default=default, validators=[InputRequired(), _parsed,
                                                            NumberRange(min=low, max=high, message=message)])


class _RowForm(FlaskForm):
    """A row inside the queue form: no CSRF token of its own, but WTForms' messages translated like the form's."""

    class Meta:
        csrf = False


def _level(label):
    return IntegerField(label, validators=[Optional(), _parsed, NumberRange(min=1, max=10, message=_l(
        "The level must be between 1 and 10."))])


class SkillMinForm(_RowForm):
    """One skill's minimum level; empty means the queue does not require the skill."""

    skill_id = HiddenField()
    min_level = _level(_l("Minimum level"))


class WidenLevelForm(_RowForm):
    """One skill's minimum level after a widen step; empty means the skill is no longer required."""

    skill_id = HiddenField()
    level = _level(_l("Level"))


class OverflowRuleForm(_RowForm):
    """After `after_s` seconds of waiting: widen the skills, move to another queue, or play a prompt."""

    after_s = IntegerField(_l("After (seconds)"), validators=[Optional(), _parsed, NumberRange(
        min=0, max=7200, message=_l("The time must be between 0 and 7200 seconds."))])
    action = SelectField(_l("Then"), default="")
    levels = FieldList(FormField(WidenLevelForm))
    # not limited to the listed queues: an unknown code is reported by the engine's parser
    queue = SelectField(_l("Target queue"), default="", validate_choice=False)
    prompt = StringField(_l("Prompt"), filters=[_strip], validators=[Length(max=255), _media])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("(no rule)"))] + list(OVERFLOW_ACTION_LABELS.items())

    def is_blank(self) -> bool:
        """An unused row (no time, no action): ignored, which is also how a rule is removed."""
        return self.after_s.data is None and not self.action.data and not _unparsed(self.after_s)

    def widen_levels(self, skill_codes: dict[int, str]) -> dict[str, int]:
        """skill code → minimum level given on this row."""
        return {skill_codes[int(e.skill_id.data)]: e.level.data for e in self.levels.entries
                if e.level.data is not None and str(e.skill_id.data).isdigit()
                and int(e.skill_id.data) in skill_codes}


class QueueForm(FlaskForm):
    """Create or edit a queue. The code is fixed once created (flows, callbacks and other queues refer to it)."""

    code = StringField(_l("Code"), filters=[_strip], validators=[
        DataRequired(), Length(max=32),
        Regexp(r"^[a-z0-9_]+$", message=_l("Use lower-case letters, digits and '_' only."))])
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=64)])
    strategy = SelectField(_l("Strategy"), default="longest_idle")
    ring_timeout_s = _number(_l("Ring timeout (s)"), 20, 5, 120,
                             _l("The ring timeout must be between 5 and 120 seconds."))
    wrap_up_s = _number(_l("Wrap-up (s)"), 30, 0, 600, _l("The wrap-up must be between 0 and 600 seconds."))
    max_wait_s = _number(_l("Maximum wait (s)"), 600, 10, 7200,
                         _l("The maximum wait must be between 10 and 7200 seconds."))
    max_size = _number(_l("Maximum calls waiting (0 = unlimited)"), 0, 0, 100000,
                       _l("The size must be 0 (unlimited) or more."))
    priority_step_s = _number(_l("Priority step (s)"), 60, 1, 3600,
                              _l("The priority step must be between 1 and 3600 seconds."))
    no_agent_action = SelectField(_l("When nobody able to take the queue is logged in"), default="wait")
    moh = StringField(_l("Hold music"), default="local_stream://moh", filters=[_strip],
                      validators=[DataRequired(), Length(max=255), _media])
    announce_every_s = _number(_l("Announce position and estimated wait every (s, 0 = never)"), 0, 0, 3600,
                               _l("Give 0 (never) or a number of seconds up to 3600."))
    callback_key = StringField(_l("Callback key"), filters=[_strip], validators=[
        Optional(), Regexp(KEY_PATTERN, message=_l("One key: 0-9, * or #."))])
    voicemail_key = StringField(_l("Voice message key"), filters=[_strip], validators=[
        Optional(), Regexp(KEY_PATTERN, message=_l("One key: 0-9, * or #."))])
    hall_id = hall_field(_l("The hall whose queue it is; none: the centre's, which only the centre's staff change."))
    skills = FieldList(FormField(SkillMinForm))
    rules = FieldList(FormField(OverflowRuleForm))

    def __init__(self, session: Session, skills: list[Skill], queue: Queue | None = None, **kwargs):
        super().__init__(**kwargs)
        set_hall_choices(self.hall_id, session, _l("The centre (every hall)"))
        self.strategy.choices = list(STRATEGY_LABELS.items())
        self.no_agent_action.choices = list(NO_AGENT_LABELS.items())
        self._session = session
        self._queue = queue
        self._skill_codes = {s.id: s.code for s in skills}
        self._skill_ids = {s.code: s.id for s in skills}
        self._queue_names = {code: name for code, name in queries.queue_names(session).items()
                             if queue is None or code != queue.code}
        if queue is not None:          # the code cannot change (a disabled input posts nothing)
            self.code.data = queue.code
        for entry in self.rules:
            self._prepare_rule(entry)

    # rows -------------------------------------------------------------------------------------------------
    def add_rule(self, data: dict | None = None) -> None:
        """Append an overflow rule row (empty, or from a stored rule), with one level field per skill."""
        widen = (data or {}).pop("skills", None) or {}
        entry = self.rules.append_entry(data or {})
        entry.levels.entries, entry.levels.last_index = [], -1
        for skill_id, code in self._skill_codes.items():
            entry.levels.append_entry({"skill_id": skill_id, "level": widen.get(code)})
        self._prepare_rule(entry)

    def _prepare_rule(self, entry) -> None:
        entry.queue.choices = [("", "—")] + sorted(self._queue_names.items())

    # validation -------------------------------------------------------------------------------------------
    def validate_code(self, field) -> None:
        """Queue codes are unique."""
        if queries.code_taken(self._session, field.data, self._queue.id if self._queue else None):
            raise ValidationError(_l("Another queue already has this code."))

    def validate_voicemail_key(self, field) -> None:
        """The two keys must differ, or the engine could not tell what the caller wants."""
        if field.data and field.data == self.callback_key.data:
            raise ValidationError(_l("The voice message key must differ from the callback key."))

    def validate_skills(self, field) -> None:
        """Known skills only, and at least one."""
        for entry in field.entries:
            if not str(entry.skill_id.data).isdigit() or int(entry.skill_id.data) not in self._skill_codes:
                raise ValidationError(_l("Unknown skill."))
        if not self.chosen_skills():
            raise ValidationError(_l("Choose at least one required skill with its minimum level."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the overflow rows one by one, then the engine's parser over the whole list."""
        valid = super().validate(extra_validators)
        rows_valid = self._validate_rules()
        if valid and rows_valid:
            try:
                parse_overflow(self.overflow_json(), self._skill_ids, set(self._queue_names) | {self.code.data},
                               self.code.data, strict=True)
            except OverflowRuleError as exc:
                self.form_errors.append(_l("The engine refuses these overflow rules: %(error)s",
                                          error=engine_message(exc)))
                return False
        return valid and rows_valid

    def _validate_rules(self) -> bool:
        ok = True
        for entry in self.rules:
            row = entry.form
            if row.is_blank():
                continue
            problems = []
            if row.after_s.data is None and not row.after_s.errors:
                problems.append(_l("Give the number of seconds after which the rule applies."))
            elif (row.after_s.data is not None and self.max_wait_s.data is not None
                  and row.after_s.data >= self.max_wait_s.data):
                problems.append(_l("The rule would never apply: calls leave the queue after %(s)d seconds.",
                                   s=self.max_wait_s.data))
            if not row.action.data:
                problems.append(_l("Choose what happens."))
            elif row.action.data == "widen" and not row.widen_levels(self._skill_codes):
                problems.append(_l("Give at least one skill level the call needs after widening."))
            elif row.action.data == "overflow" and not row.queue.data:
                problems.append(_l("Choose the queue the call moves to."))
            elif row.action.data == "overflow" and row.queue.data == self.code.data:
                problems.append(_l("A queue cannot overflow to itself."))
            elif row.action.data == "announce" and not row.prompt.data:
                problems.append(_l("Give the prompt to play."))
            if problems:
                row.action.errors = list(row.action.errors) + problems
            if problems or any(f.errors for f in (row.after_s, row.action, row.queue, row.prompt)) or any(
                    e.level.errors for e in row.levels):
                ok = False
        return ok

    # results ----------------------------------------------------------------------------------------------
    def chosen_skills(self) -> dict[int, int]:
        """skill_id → minimum level for the skills given a level."""
        return {int(e.skill_id.data): e.min_level.data for e in self.skills.entries
                if e.min_level.data is not None and str(e.skill_id.data).isdigit()}

    def overflow_rules(self) -> list[dict]:
        """The non-blank rows as the engine's rule objects, in order of time."""
        rules = []
        for entry in self.rules:
            row = entry.form
            if row.is_blank():
                continue
            rule: dict = {"after_s": row.after_s.data, "action": row.action.data}
            if row.action.data == "widen":
                rule["skills"] = row.widen_levels(self._skill_codes)
            elif row.action.data == "overflow":
                rule["queue"] = row.queue.data
            elif row.action.data == "announce":
                rule["prompt"] = row.prompt.data
            rules.append(rule)
        return sorted(rules, key=lambda r: r["after_s"] if r["after_s"] is not None else -1)

    def overflow_json(self) -> str:
        """overflow_rules() as the JSON stored in queues.overflow_rules."""
        return json.dumps(self.overflow_rules(), ensure_ascii=False)
