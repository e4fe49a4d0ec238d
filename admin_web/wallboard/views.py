"""The wallboard page, its snapshot (JSON) and the live stream of snapshots (Server-Sent Events)."""
from __future__ import annotations

import datetime as dt
import json
import time

from flask import Response, current_app, jsonify, render_template, stream_with_context
from flask_babel import get_locale, gettext as _

from admin_web import labels, live
from admin_web.db import get_session
from admin_web.scope import current_scope
from admin_web.security import MONITORS, roles_required
from admin_web.system.status import status as system_status
from admin_web.timeutil import console_today, now_utc
from admin_web.wallboard import bp, queries
from engine.domain.states import AgentState, NotReadyReason
from engine.reports.definitions import load_definitions


@bp.route("/")
@roles_required(*MONITORS)
def index():
    """The big screen: figures drawn by wallboard.js from the event stream (the snapshot API as fallback)."""
    return render_template("wallboard/index.html")


@bp.route("/api/snapshot")
@roles_required(*MONITORS)
def snapshot_json():
    """Everything the wallboard shows, now (computed once per tick for every viewer of the same halls)."""
    return jsonify(shared_snapshot(current_scope(), lambda: snapshot(get_session())))


def shared_snapshot(scope, compute):
    """The snapshot of `scope`'s halls, shared by every viewer in this console process for SHARED_S."""
    key = ("wallboard", scope.key, str(get_locale()))
    return live.feed().shared(key, float(current_app.config.get("WALLBOARD_SHARED_S", 1.0)), compute)


@bp.route("/events")
@roles_required(*MONITORS)
def events():
    """`snapshot` events: one at once, then whenever the figures change: at once when the engine publishes a
    change (admin_web.live), at least every WALLBOARD_POLL_S (2 s: waits grow, windows slide), the figures computed
    once for every stream of the same halls in this process; the stream ends after WALLBOARD_EVENTS_LIFETIME_S
    (300 s) and the browser reconnects."""
    factory = current_app.extensions["db_sessions"]
    scope = current_scope()     # the stream's own sessions see what the user's request may see
    feed = live.feed()
    poll_s = float(current_app.config.get("WALLBOARD_POLL_S", 2.0))
    lifetime_s = float(current_app.config.get("WALLBOARD_EVENTS_LIFETIME_S", 300))
    get_session().close()       # the request's own session is not needed while streaming

    def compute():
        with scope.open(factory) as session:
            return snapshot(session)

    def stream():
        started = last_sent = time.monotonic()
        previous, counter = None, 0
        seen = feed.versions([live.ANY])
        yield f"retry: {int(poll_s * 1000)}\n\n"
        while time.monotonic() - started < lifetime_s:
            data = shared_snapshot(scope, compute)
            key = json.dumps({k: v for k, v in data.items() if k != "server_time"}, sort_keys=True)
            if key != previous:
                counter += 1
                previous, last_sent = key, time.monotonic()
                yield f"event: snapshot\nid: {counter}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            elif time.monotonic() - last_sent >= 15:
                last_sent = time.monotonic()
                yield ": keep-alive\n\n"
            seen = feed.wait([live.ANY], seen, min(poll_s, max(0.0, lifetime_s - (time.monotonic() - started))))
        yield "event: bye\ndata: {}\n\n"

    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def snapshot(session) -> dict:
    """Agents by state, queues, service level (15/60 min), today's calls, trunk groups, the switch, alerts."""
    now = now_utc()
    day_start, _day_end = console_today()
    d = load_definitions(session)
    states, reasons = queries.agent_states(session)
    queue_rows = queries.queues(session, now)
    levels = [queries.service_level(session, now, minutes, d) for minutes in (15, 60)]
    trunk_rows = queries.trunks(session, now)
    switch = queries.switch(session, now)
    if switch is not None:
        switch["label"] = _switch_label(switch)
    data = {
        "server_time": now.isoformat(),
        "definitions": {"service_level_s": d.service_level_s, "short_abandon_s": d.short_abandon_s,
                        "abandons": d.abandons_in_service_level, "target_service_level": d.alert_service_level,
                        "alert_waiting": d.alert_waiting},
        "agents": {
            "logged_in": sum(n for s, n in states.items() if s is not AgentState.LOGGED_OUT),
            "logged_out": states.get(AgentState.LOGGED_OUT, 0),
            "states": [{"state": s.value, "label": labels.label(labels.STATE_LABELS, s), "count": states.get(s, 0)}
                       for s in queries.STATE_ORDER],
            "not_ready": [{"reason": r, "label": _reason_label(r), "count": n}
                          for r, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))],
        },
        "queues": queue_rows,
        "waiting": sum(q["waiting"] for q in queue_rows),
        "longest_wait_s": max((q["longest_wait_s"] for q in queue_rows), default=0),
        "service_level": {f"m{sl.minutes}": {"answered": sl.answered, "answered_within": sl.answered_within,
                                             "abandoned": sl.abandoned, "abandoned_short": sl.abandoned_short,
                                             "base": sl.base, "percent": sl.percent} for sl in levels},
        "today": queries.today(session, day_start, now),
        "trunks": trunk_rows,
        "switch": switch,
        "system": system_status(session, now),
    }
    data["alerts"] = alerts(data)
    return data


def alerts(data: dict) -> list[dict]:
    """Thresholds crossed: too many waiting in a queue, service level below target, a trunk group all busy, the
    switch disconnected or refusing the engine's calls, and status the engine stopped publishing."""
    out = [a for a in data["system"]["alerts"] if a["kind"] == "engine"]   # no active engine: said first
    limits = data["definitions"]
    for q in data["queues"]:
        if q["waiting"] > limits["alert_waiting"]:
            out.append({"kind": "waiting", "key": q["queue"], "message": _(
                "%(queue)s: %(n)d calls waiting (more than %(limit)d), longest %(wait)s",
                queue=q["name"], n=q["waiting"], limit=limits["alert_waiting"], wait=_clock(q["longest_wait_s"]))})
    sl = data["service_level"]["m15"]
    if sl["percent"] is not None and sl["percent"] < limits["target_service_level"]:
        out.append({"kind": "service_level", "key": "m15", "message": _(
            "Service level of the last 15 minutes %(sl).1f%% is below the target %(target).0f%%",
            sl=sl["percent"], target=limits["target_service_level"])})
    for t in data["trunks"]:
        if t["all_busy"]:
            out.append({"kind": "trunk", "key": t["name"], "message": _(
                "Trunk group %(name)s: all %(channels)d channels busy for %(since)s",
                name=t["name"], channels=t["channels"], since=_clock(t["all_busy_s"]))})
    switch = data.get("switch")
    if switch is not None:
        # a stale row says nothing of the connection now: the `stale` alert below covers it
        if not switch["connected"] and not switch["stale"]:
            out.append({"kind": "switch", "key": "switch", "message": _(
                "The engine is not connected to the switch: no calls can be answered or offered to agents")})
        if switch["refused_recent"] > 0 and _refused_lately(switch, data["server_time"]):
            if switch["sessions_per_second"] is not None:
                message = _("The switch refused %(n)d agent calls in the last 15 minutes "
                            "(session rate limit %(sps)d per second)",
                            n=switch["refused_recent"], sps=switch["sessions_per_second"])
            else:
                message = _("The switch refused %(n)d agent calls in the last 15 minutes", n=switch["refused_recent"])
            out.append({"kind": "switch_refused", "key": "switch", "message": message})
    if out and out[0]["kind"] == "engine":
        return out                  # no engine running: its status going stale says nothing more
    if any(q["stale"] for q in data["queues"]) or any(t["stale"] for t in data["trunks"]) \
            or (switch is not None and switch["stale"]):
        out.append({"kind": "stale", "key": "engine", "message": _(
            "The engine has not published queue, trunk or switch status for over %(s)d seconds",
            s=queries.STALE_AFTER_S)})
    return out


def _refused_lately(switch: dict, server_time: str) -> bool:
    """Whether the published count of the last 15 minutes still holds: always while the engine publishes; once its
    status is stale, only while the last refusal is less than 15 minutes old."""
    if not switch["stale"]:
        return True
    if not switch["last_refused_at"]:
        return False
    age = dt.datetime.fromisoformat(server_time) - dt.datetime.fromisoformat(switch["last_refused_at"])
    return age.total_seconds() <= queries.REFUSED_RECENT_S


def _switch_label(switch: dict) -> str:
    """One line for the screen: "Switch: connected · session rate limit 30/s · max sessions 1000"."""
    if switch["stale"]:
        state = _("status not current")
    else:
        state = _("connected") if switch["connected"] else _("not connected")
    parts = [_("Switch: %(state)s", state=state)]
    if switch["sessions_per_second"] is not None:
        parts.append(_("session rate limit %(n)d/s", n=switch["sessions_per_second"]))
    if switch["max_sessions"] is not None:
        parts.append(_("max sessions %(n)d", n=switch["max_sessions"]))
    if switch["exempt"]:
        parts.append(_("agent calls exempt from the rate limit"))
    if switch["refused_total"] > 0:
        parts.append(_("%(n)d refused since the engine started", n=switch["refused_total"]))
    return " · ".join(parts)


def _reason_label(code: str) -> str:
    try:
        return labels.label(labels.REASON_LABELS, NotReadyReason(code))
    except ValueError:
        return code or _("No reason")


def _clock(seconds: int) -> str:
    minutes, sec = divmod(max(0, int(seconds)), 60)
    return f"{minutes}:{sec:02d}"
