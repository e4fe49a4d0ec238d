"""Reading the engines' heartbeats (engine.heartbeat) and the switch as the active engine published it, and the
alerts they raise. An engine that has not reported for ENGINE_SILENT_S is not running as far as the console can
tell; with no active engine reporting, no call is answered, queued or offered."""
from __future__ import annotations

import datetime as dt

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web.timeutil import as_utc
from engine.store.models import EngineNode, SwitchStatus
from engine.store.switch_status import SWITCH_NAME

ENGINE_SILENT_S = 3.0           # engines report every second (engine.heartbeat.BEAT_S)
SWITCH_SILENT_S = 6.0           # the active engine publishes the switch every 2 s
FORGET_AFTER = dt.timedelta(hours=1)     # engines not heard of for this long are no longer listed


def engines(session: Session, now: dt.datetime) -> list[dict]:
    """Engines heard from in the last hour, active first, newest first."""
    rows = session.scalars(select(EngineNode).where(EngineNode.heartbeat_at >= now - FORGET_AFTER)).all()
    out = []
    for row in rows:
        age = (now - as_utc(row.heartbeat_at)).total_seconds()
        reporting = age <= ENGINE_SILENT_S and row.role != "stopped"
        out.append({"name": row.name, "role": row.role, "since": as_utc(row.since).isoformat(),
                    "heard_s_ago": round(max(0.0, age), 1), "reporting": reporting,
                    "switch_connected": row.switch_connected})
    out.sort(key=lambda e: (not (e["reporting"] and e["role"] == "active"), not e["reporting"], e["name"]))
    return out


def switch(session: Session, now: dt.datetime) -> dict | None:
    row = session.get(SwitchStatus, SWITCH_NAME)
    if row is None:
        return None
    age = (now - as_utc(row.updated_at)).total_seconds()
    return {"connected": bool(row.connected), "sessions": row.sessions, "sessions_last_second": row.sessions_last_second,
            "sessions_per_second": row.sessions_per_second, "max_sessions": row.max_sessions,
            "current": age <= SWITCH_SILENT_S}


def status(session: Session, now: dt.datetime) -> dict:
    """Engines, switch, the alerts and one line for each."""
    found = engines(session, now)
    sw = switch(session, now)
    active = [e for e in found if e["reporting"] and e["role"] == "active"]
    standby = [e for e in found if e["reporting"] and e["role"] == "standby"]
    alerts = []
    if not active:
        alerts.append({"kind": "engine", "key": "engine", "message": (
            _("No engine is active: calls are not being answered or offered to agents; a standby is taking over")
            if standby else
            _("No engine is active: calls are not being answered or offered to agents"))})
    elif sw is None or not sw["current"] or not sw["connected"]:
        alerts.append({"kind": "switch", "key": "switch", "message": _(
            "The engine is not connected to the switch: no calls can be answered or offered to agents")})
    return {"engines": found, "switch": sw, "alerts": alerts,
            "engine_label": engine_label(active, standby), "switch_label": switch_label(sw) if active else ""}


def _since(iso: str) -> str:
    return format_datetime(dt.datetime.fromisoformat(iso), "yyyy-MM-dd HH:mm:ss")


def engine_label(active: list[dict], standby: list[dict]) -> str:
    """"Engine: active since … (host:pid) · 1 standby, 1 reaching the switch"."""
    if not active:
        parts = [_("Engine: none active")]
    else:
        parts = [_("Engine: active since %(since)s (%(name)s)", since=_since(active[0]["since"]),
                   name=active[0]["name"])]
    if standby:     # a standby that cannot reach the switch could not take over if it had to
        parts.append(_("%(n)d standby, %(ok)d reaching the switch", n=len(standby),
                       ok=sum(1 for e in standby if e.get("switch_connected"))))
    else:
        parts.append(_("no standby"))
    return " · ".join(parts)


def switch_label(sw: dict | None) -> str:
    """"Switch: connected · 12 sessions · 3/30 sessions per second"."""
    if sw is None or not sw["current"]:
        return _("Switch: status not current")
    if not sw["connected"]:
        return _("Switch: not connected")
    parts = [_("Switch: connected")]
    if sw["sessions"] is not None:
        parts.append(_("%(n)d sessions", n=sw["sessions"]))
    if sw["sessions_last_second"] is not None and sw["sessions_per_second"]:
        parts.append(_("%(used)d/%(limit)d sessions per second", used=sw["sessions_last_second"],
                       limit=sw["sessions_per_second"]))
    return " · ".join(parts)
