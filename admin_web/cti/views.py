"""The CTI API endpoints (see admin_web.cti and openapi.py, which documents each of them)."""
from __future__ import annotations

import json
import re
import time

from flask import Response, current_app, g, jsonify, request, stream_with_context, url_for
from sqlalchemy import select

from admin_web.access import public
from admin_web import audit
from admin_web.agents.services import request_state
from admin_web.cti import bp, openapi, queries
from admin_web.cti.auth import agent_api, error
from admin_web import live
from admin_web.db import get_session
from admin_web.timeutil import console_today, now_utc
from engine.domain.states import AgentState
from engine.store.base import utcnow
from engine.store.models import Agent, AgentRequest, CallNote, Queue

DIGITS = re.compile(r"^[0-9]{1,32}$")
TARGET = re.compile(r"^[^\s:]{1,48}$")
NOTE_MAX = 500


def _agent() -> Agent:
    return get_session().get(Agent, g.caller.agent_id)


def _body() -> dict | None:
    """The JSON object of the request (an empty body counts as {}), None if it is not an object."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def _accepted(row: AgentRequest):
    """202 with the queued request and where to read the engine's answer."""
    response = jsonify(request=queries.request_json(row), poll=url_for("cti.request_status", request_id=row.id))
    response.status_code = 202
    response.headers["Location"] = url_for("cti.request_status", request_id=row.id)
    return response


@bp.route("/me")
@agent_api
def me():
    """The agent, their state and their current call."""
    session = get_session()
    return jsonify(queries.me_json(session, _agent()))


@bp.route("/me/state", methods=["POST"])
@agent_api
def change_state():
    """Ask the engine for 签入 / 示闲 / 示忙 (with a reason) / 签出 / more wrap-up time."""
    data = _body()
    if data is None:
        return error(400, "the body must be a JSON object")
    action, reason = data.get("action"), data.get("reason")
    errors = {}
    if action not in queries.STATE_ACTIONS:
        errors["action"] = f"must be one of {', '.join(queries.STATE_ACTIONS)}"
    elif action == "not_ready":
        if reason not in queries.AGENT_REASONS:
            errors["reason"] = f"not_ready needs a reason: one of {', '.join(queries.AGENT_REASONS)}"
    elif reason not in (None, ""):
        errors["reason"] = "only not_ready takes a reason"
    if errors:
        return error(422, "invalid state request", fields=errors)
    session = get_session()
    row = request_state(session, _agent(), f"not_ready:{reason}" if action == "not_ready" else action,
                        g.caller.username)
    session.commit()
    return _accepted(row)


def _call_argument(action: str, data: dict) -> tuple[str | None, dict]:
    """The engine's argument for a call action, and field errors."""
    argument = data.get("argument")
    if action in ("answer", "hangup", "hold", "unhold", "consult_transfer", "conference", "consult_cancel"):
        return None, ({"argument": f"{action} takes no argument"} if argument not in (None, "") else {})
    if not isinstance(argument, str) or not argument.strip():
        example = "number:<digits>" if action == "dial" else "queue:<code>, agent:<工号>, flow:<name> or number:<digits>"
        return None, {"argument": f"{action} needs an argument: {example}"}
    argument = argument.strip()
    if action == "dial":
        number = argument.removeprefix("number:")
        if not DIGITS.match(number):
            return None, {"argument": "dial needs number:<digits> (digits only, at most 32)"}
        return f"number:{number}", {}
    kind, _, target = argument.partition(":")
    if action == "consult" and (kind not in queries.CONSULT_KINDS or not TARGET.match(target)):
        return None, {"argument": "consult target must be queue:<code>, agent:<工号> or number:<digits>"}
    if kind not in queries.TRANSFER_KINDS or not TARGET.match(target):
        return None, {"argument": "transfer target must be queue:<code>, agent:<工号>, flow:<name> or number:<digits>"}
    if kind == "number" and not DIGITS.match(target):
        return None, {"argument": "a transfer number has digits only (at most 32)"}
    if kind == "queue" and get_session().scalar(select(Queue.id).where(Queue.code == target)) is None:
        return None, {"argument": f"no queue {target}"}
    if kind == "agent":
        other = get_session().scalar(select(Agent).where(Agent.employee_no == target))
        if other is None:
            return None, {"argument": f"no agent {target}"}
        if other.id == g.caller.agent_id:
            return None, {"argument": "an agent cannot transfer a call to themselves"}
    return argument, {}


@bp.route("/me/call/<action>", methods=["POST"])
@agent_api
def call_action(action: str):
    """Hang up, hold, retrieve, blind-transfer (with a note for the next agent) or dial out."""
    if action not in queries.CALL_ACTIONS:
        return error(404, f"unknown call action {action}: one of {', '.join(queries.CALL_ACTIONS)}")
    data = _body()
    if data is None:
        return error(400, "the body must be a JSON object")
    argument, errors = _call_argument(action, data)
    note = data.get("note") or ""
    if not isinstance(note, str):
        errors["note"] = "the note must be text"
    elif len(note) > NOTE_MAX:
        errors["note"] = f"the note is limited to {NOTE_MAX} characters"
    elif note and action not in ("transfer", "consult_transfer"):
        errors["note"] = "only a transfer carries a note"
    if errors:
        return error(422, f"invalid {action} request", fields=errors)
    session = get_session()
    agent = _agent()
    row = AgentRequest(agent_id=agent.id, action=action, argument=argument, note=note.strip(),
                       actor=g.caller.username, requested_at=utcnow())
    session.add(row)
    audit.record(session, f"agent.call.{action}", f"agent:{agent.employee_no}",
                 "; ".join(p for p in (argument or "", f"note={note.strip()}" if note.strip() else "") if p))
    session.commit()
    return _accepted(row)


DISPOSITIONS = ("resolved", "follow_up", "callback", "complaint", "other")
SUMMARY_MAX = 2000


@bp.route("/me/wrapup", methods=["POST"])
@agent_api
def wrap_up_note():
    """The agent's wrap-up of the current (or just finished) call: a disposition and a summary (话后小结).
    Writing it again replaces the earlier one."""
    data = _body()
    if data is None:
        return error(400, "the body must be a JSON object")
    disposition, summary = data.get("disposition"), data.get("summary") or ""
    errors = {}
    if disposition not in DISPOSITIONS:
        errors["disposition"] = f"one of {', '.join(DISPOSITIONS)}"
    if not isinstance(summary, str) or len(summary) > SUMMARY_MAX:
        errors["summary"] = f"text of at most {SUMMARY_MAX} characters"
    if errors:
        return error(422, "invalid wrap-up", fields=errors)
    session, agent = get_session(), _agent()
    if not agent.current_call_uuid:
        return error(409, "no current or just-finished call to write a wrap-up for")
    note = session.scalars(select(CallNote).where(CallNote.call_uuid == agent.current_call_uuid,
                                                  CallNote.agent_id == agent.id)).first()
    if note is None:
        note = CallNote(call_uuid=agent.current_call_uuid, agent_id=agent.id, disposition=disposition,
                        written_at=utcnow())
        session.add(note)
    note.disposition, note.summary, note.written_at = disposition, summary.strip(), utcnow()
    audit.record(session, "agent.wrapup", f"agent:{agent.employee_no}", f"{note.call_uuid}: {disposition}")
    session.commit()
    return jsonify(call_uuid=note.call_uuid, disposition=note.disposition, summary=note.summary,
                   written_at=note.written_at.isoformat())


@bp.route("/requests/<int:request_id>")
@agent_api
def request_status(request_id: int):
    """One of the agent's own requests and the engine's answer (pending until it is processed)."""
    row = get_session().get(AgentRequest, request_id)
    if row is None or row.agent_id != g.caller.agent_id:
        return error(404, f"no request {request_id} for this agent")
    return jsonify(queries.request_json(row))


@bp.route("/me/calls/today")
@agent_api
def today():
    """The agent's own numbers for today (in the centre's time zone)."""
    start, end = console_today()
    return jsonify(queries.today_json(get_session(), _agent(), start, end))


@bp.route("/directory")
@agent_api
def directory():
    """Where a call can be transferred: queues, the other agents (with their state) and IVR flows."""
    session = get_session()
    from admin_web.flows.files import valid_flow_names
    try:
        flows = valid_flow_names(session)
    except Exception:  # no flows directory configured: nothing to offer
        flows = []
    from admin_web import labels
    agents = session.scalars(select(Agent).where(Agent.active.is_(True), Agent.id != g.caller.agent_id)
                             .order_by(Agent.employee_no)).all()
    return jsonify(queues=[{"code": q.code, "name": q.name} for q in session.scalars(select(Queue).order_by(Queue.code))],
                   agents=[{"employee_no": a.employee_no, "name": a.name, "state": a.state.value,
                            "state_label": labels.label(labels.STATE_LABELS, a.state),
                            "ready": a.state is AgentState.READY} for a in agents],
                   flows=flows, reasons=[{"code": r, "label": labels.label(labels.REASON_LABELS, _reason(r))}
                                         for r in queries.AGENT_REASONS])


def _reason(code: str):
    from engine.domain.states import NotReadyReason
    return NotReadyReason(code)


def _sse(event: str, data: dict, event_id: int | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


@bp.route("/events")
@agent_api
def events():
    """Server-Sent Events: `state` (the /me document) now and whenever the state or the call changes, and
    `request` when one of the agent's requests gets the engine's answer. The stream waits on the console's live
    feed (admin_web.live) and reads the agent's document only when the engine published a change of this agent;
    the stream ends after CTI_EVENTS_LIFETIME_S (300 s) and the client reconnects."""
    agent_id = g.caller.agent_id
    factory = current_app.extensions["db_sessions"]
    feed = live.feed()
    mine = (live.AGENT_TOPIC, str(agent_id))
    lifetime_s = float(current_app.config.get("CTI_EVENTS_LIFETIME_S", 300))
    heartbeat_s = 15.0
    get_session().close()   # the request's own session is not needed while streaming

    def snapshot(session) -> tuple[dict | None, list[dict]]:
        agent = session.get(Agent, agent_id)
        if agent is None:
            return None, []
        rows = session.scalars(select(AgentRequest).where(AgentRequest.agent_id == agent_id)
                               .order_by(AgentRequest.id.desc()).limit(20)).all()
        return queries.me_json(session, agent), [queries.request_json(r) for r in rows]

    def stream():
        started = last_beat = time.monotonic()
        previous_key, answered, counter = None, None, 0
        topics = [mine]
        seen = feed.versions(topics)
        yield f"retry: {int(current_app.config.get('CTI_EVENTS_RETRY_MS', 2000))}\n\n"
        while time.monotonic() - started < lifetime_s:
            with factory() as session:
                me, requests = snapshot(session)
            if me is None:
                yield _sse("gone", {"error": "agent removed"})
                return
            key = json.dumps({k: v for k, v in me.items() if k not in ("seconds_in_state", "server_time",
                                                                      "last_request", "call")} |
                             {"call": {k: v for k, v in (me["call"] or {}).items() if k != "talk_s"}},
                             sort_keys=True, default=str)
            if key != previous_key:
                counter += 1
                yield _sse("state", me, counter)
                previous_key, last_beat = key, time.monotonic()
            done = {r["id"]: r for r in requests if r["status"] != "pending"}
            if answered is None:
                answered = set(done)
            for request_id in sorted(set(done) - answered):
                counter += 1
                yield _sse("request", done[request_id], counter)
                answered.add(request_id)
                last_beat = time.monotonic()
            # the agent, and the call they are on (a transfer to them, a consultation, changes it, not them)
            call_topic = [(live.CALL_TOPIC, me["call"]["uuid"])] if me.get("call") else []
            if topics != [mine, *call_topic]:
                topics = [mine, *call_topic]
                seen = {**feed.versions(call_topic), **seen}
            while time.monotonic() - started < lifetime_s:        # until the engine publishes a change of ours
                moved = feed.wait(topics, seen, min(heartbeat_s, max(0.0, lifetime_s - (time.monotonic() - started))))
                if moved != seen:
                    seen = moved
                    break
                if time.monotonic() - last_beat >= heartbeat_s:
                    yield ": keep-alive\n\n"
                    last_beat = time.monotonic()
        yield _sse("bye", {"reconnect": True})

    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.route("/openapi.json")
@public
def openapi_document():
    """The OpenAPI 3 description of this API (public: it holds no data)."""
    return jsonify(openapi.document(request.url_root.rstrip("/")))
