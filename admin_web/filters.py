"""Jinja filters and globals: durations, local times, translated state/reason/outcome names."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import format_datetime

from admin_web import labels
from admin_web.i18n import LOCALE_NAMES, LOCALES, current_locale_code, lang_url
from admin_web.timeutil import as_utc
from engine.domain.states import CallOutcome


def duration(seconds: int | float | None) -> str:
    """Seconds as m:ss, or h:mm:ss from one hour; '—' when unknown."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def hms(seconds: int | float | None) -> str:
    """Seconds as h:mm:ss whatever their length (report figures: 67918.2 reads 18:51:58); '—' when unknown."""
    if seconds is None:
        return "—"
    total = int(round(float(seconds)))
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def localtime(value: dt.datetime | None, fmt: str = "yyyy-MM-dd HH:mm:ss") -> str:
    """A stored UTC timestamp in the console's time zone."""
    return "" if value is None else format_datetime(as_utc(value), fmt)


def init_app(app: Flask) -> None:
    """Register the filters and the globals templates need."""
    app.add_template_filter(duration)
    app.add_template_filter(hms)
    app.add_template_filter(localtime)
    app.add_template_filter(lambda v: labels.label(labels.STATE_LABELS, v), "state_label")
    app.add_template_filter(lambda v: labels.label(labels.REASON_LABELS, v), "reason_label")
    app.add_template_filter(lambda v: labels.label(labels.OUTCOME_LABELS, v), "outcome_label")
    app.add_template_filter(lambda v: labels.label(labels.SIDE_LABELS, v), "side_label")
    app.add_template_filter(lambda v: labels.label(labels.ROLE_LABELS, v), "role_label")
    app.add_template_filter(labels.event_label, "event_label")
    app.add_template_filter(labels.cause_label, "cause_label")
    app.add_template_filter(labels.detail_label, "detail_label")
    app.add_template_filter(labels.engine_message, "engine_message")
    app.add_template_global(lang_url)
    app.add_template_global(current_locale_code, "current_locale")
    app.add_template_global(CallOutcome, "OUTCOMES")
    app.add_template_global(LOCALES, "LOCALES")
    app.add_template_global(LOCALE_NAMES, "LOCALE_NAMES")
