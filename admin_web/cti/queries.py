"""What the database knows about an agent, their call and their day, as JSON-ready dicts.

The engine keeps a live call's variables (IVR digits, the transfer note) in memory; the database has the
Agent row (state, current call), the Recording row written at answer (ANI, DNIS, queue), CallOffer rows
written when each offer settles, AgentStateChange rows, the transferring agent's AgentRequest (target and
note) and, once the call has ended, its CallRecord (IVR path, enqueue and answer times). The call card is
assembled from those; what is not known yet is null.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web import labels
from admin_web.timeutil import as_utc, now_utc, seconds_between
from engine.domain.states import AgentState, CallOutcome
from engine.domain.calllog import CallEventKind
from engine.store.models import (Agent, AgentRequest, AgentStateChange, CallEvent, CallOffer, CallRecord, Queue,
                                 Recording)

# Reasons an agent may choose for 示忙 (no_answer and system are set by the engine only).
AGENT_REASONS = ("break", "meal", "training", "after_call_work", "meeting")
STATE_ACTIONS = ("login", "ready", "not_ready", "logout", "extend_wrap_up")
CALL_ACTIONS = ("answer", "hangup", "hold", "unhold", "transfer", "dial", "consult", "consult_transfer",
                "conference", "consult_cancel")
TRANSFER_KINDS = ("queue", "agent", "flow", "number")
CONSULT_KINDS = ("queue", "agent", "number")
CONSULT_STEPS = ("consult", "consult_transfer", "conference", "consult_cancel")


def iso(value: dt.datetime | None) -> str | None:
    """A stored timestamp as ISO 8601 UTC (None stays None)."""
    return as_utc(value).isoformat() if value is not None else None


def region_of(number: str) -> str:
    """Where a caller number is from (号码归属地), '' when unknown."""
    try:
        from engine.region_lookup import describe
        return describe(number or "")[1]
    except Exception:  # the geocoder data is optional for the console
        return ""


def request_json(row: AgentRequest) -> dict:
    """An AgentRequest and the engine's answer: status pending, ok or refused (with the engine's reason)."""
    if not row.result:
        status, message = "pending", ""
    elif row.result == "ok":
        status, message = "ok", ""
    else:
        status, message = "refused", row.result.partition(":")[2].strip() or row.result
    return {"id": row.id, "action": row.action, "reason": row.reason.value if row.reason else None,
            "argument": row.argument, "note": row.note or "", "actor": row.actor,
            "requested_at": iso(row.requested_at), "processed_at": iso(row.processed_at),
            "result": row.result or None, "status": status, "message": message,
            "message_label": labels.engine_message(message) if message else ""}


def _transfer_origin(session: Session, call_uuid: str, agent_id: int) -> dict | None:
    """Who transferred this call to the agent and their note: an earlier agent answered an offer of this call,
    then asked the engine (successfully) to transfer their call."""
    earlier = session.scalars(select(CallOffer).where(CallOffer.call_uuid == call_uuid,
                                                      CallOffer.result == "answered",
                                                      CallOffer.agent_id.is_not(None),
                                                      CallOffer.agent_id != agent_id)
                              .order_by(CallOffer.offered_at.desc())).all()
    for offer in earlier:
        request = session.scalar(select(AgentRequest).where(
            AgentRequest.agent_id == offer.agent_id, AgentRequest.action.in_(("transfer", "consult_transfer")),
            AgentRequest.result == "ok", AgentRequest.requested_at >= offer.offered_at)
            .order_by(AgentRequest.requested_at).limit(1))
        if request is not None:
            by = session.get(Agent, offer.agent_id)
            return {"employee_no": by.employee_no if by else None, "name": by.name if by else None,
                    "target": request.argument, "note": request.note or "", "at": iso(request.requested_at)}
    return None


def call_json(session: Session, agent: Agent, now: dt.datetime) -> dict | None:
    """The agent's current call (ringing, talking, on hold or in wrap-up) as far as the database knows it."""
    uuid = agent.current_call_uuid
    if not uuid:
        return None
    recording = session.scalar(select(Recording).where(Recording.call_uuid == uuid)
                               .order_by(Recording.started_at.desc()).limit(1))
    record = session.scalar(select(CallRecord).where(CallRecord.call_uuid == uuid))
    offer = session.scalar(select(CallOffer).where(CallOffer.call_uuid == uuid, CallOffer.agent_id == agent.id)
                           .order_by(CallOffer.offered_at.desc()).limit(1))
    first_change = session.scalar(select(AgentStateChange).where(AgentStateChange.agent_id == agent.id,
                                                                 AgentStateChange.call_uuid == uuid)
                                  .order_by(AgentStateChange.at).limit(1))
    direction = record.direction if record else "inbound"
    dialled = None
    if first_change is not None and first_change.cause.startswith("dialling "):
        direction, dialled = "outbound", first_change.cause.split(" ", 1)[1]
    ani = (record.ani if record else None) or (recording.ani if recording else None)
    dnis = (record.dnis if record else None) or (recording.dnis if recording else None) or dialled
    queue_code = (offer.queue_code if offer else None) or (recording.queue_code if recording else None)
    if record is not None and record.queue_id and not queue_code:
        queue = session.get(Queue, record.queue_id)
        queue_code = queue.code if queue else None
    queue_name = session.scalar(select(Queue.name).where(Queue.code == queue_code)) if queue_code else None
    answered_at = (record.answered_at if record and record.answered_at else None) or \
        (recording.started_at if recording else None)
    wait_s = seconds_between(record.enqueued_at, record.answered_at) if record else None
    live = _live_context(session, uuid, agent.id, now)
    ivr_path = record.ivr_path if record else live["ivr_path"]
    ani, dnis = ani or live["ani"], dnis or live["dnis"]
    queue_code = queue_code or live["queue"]
    if queue_code and not queue_name:
        queue_name = session.scalar(select(Queue.name).where(Queue.code == queue_code))
    if wait_s is None:
        wait_s = live["wait_s"]
    consulted_by = first_change.cause.removeprefix("consulted by ") \
        if first_change is not None and first_change.cause.startswith("consulted by ") else None
    other = dialled if direction == "outbound" else ani
    return {"uuid": uuid, "direction": direction, "caller": ani, "dnis": dnis, "number": other,
            "region": region_of(other or ""), "queue": queue_code, "queue_name": queue_name,
            "ivr_path": ivr_path, "ivr_data": live["ivr_data"], "flow": record.flow if record else live["flow"],
            "consulted_by": consulted_by, "consult": _consult_state(session, agent.id, first_change),
            "wait_s": wait_s, "offered_at": iso(offer.offered_at if offer else first_change.at if first_change else None),
            "answered_at": iso(answered_at), "talk_s": seconds_between(answered_at, now) if answered_at and
            agent.state in (AgentState.TALKING, AgentState.ON_HOLD) else None,
            "ended": record is not None, "transfers": record.transfers if record else None,
            "transferred_from": _transfer_origin(session, uuid, agent.id)}


def _live_context(session: Session, uuid: str, agent_id: int, now: dt.datetime) -> dict:
    """What the call-event log says about a call still in progress: who called which number, the IVR path and
    the data collected on the way (随路数据), the queue and how long the caller waited for this agent."""
    events = session.scalars(select(CallEvent).where(CallEvent.call_uuid == uuid).order_by(CallEvent.id)).all()
    context: dict = {"ani": None, "dnis": None, "flow": None, "ivr_path": None, "ivr_data": {}, "queue": None,
                     "wait_s": None}
    queued_at = reached_at = None
    for event in events:
        kind = event.kind
        if kind == CallEventKind.ARRIVED.value:
            context["ani"], context["dnis"] = event.ani or None, event.dnis or None
        elif kind == CallEventKind.IVR_ENTERED.value and context["flow"] is None:
            context["flow"] = event.detail or None
        elif kind == CallEventKind.IVR_COMPLETED.value:
            path, _, data = (event.private or event.detail).partition(" | ")   # detail: written before sealing
            context["ivr_path"] = path or None
            context["ivr_data"] = dict(item.split("=", 1) for item in data.split("; ") if "=" in item)
        elif kind == CallEventKind.QUEUED.value:
            context["queue"], queued_at, reached_at = event.queue_code, event.queued_at, None
        elif kind in (CallEventKind.OFFERED.value, CallEventKind.ANSWERED.value) and event.agent_id == agent_id:
            reached_at = reached_at or event.at
    if queued_at is not None:
        context["wait_s"] = seconds_between(queued_at, reached_at or now)
    return context


def _consult_state(session: Session, agent_id: int, first_change: AgentStateChange | None) -> dict | None:
    """The agent's consultation on this call, from their own accepted requests since the call reached them:
    {"target", "conference"} while one is in progress, else None."""
    if first_change is None:
        return None
    last = session.scalar(select(AgentRequest).where(AgentRequest.agent_id == agent_id,
                                                     AgentRequest.action.in_(CONSULT_STEPS),
                                                     AgentRequest.result == "ok",
                                                     AgentRequest.requested_at >= first_change.at)
                          .order_by(AgentRequest.id.desc()).limit(1))
    if last is None or last.action in ("consult_transfer", "consult_cancel"):
        return None
    target = last.argument
    if last.action == "conference":
        started = session.scalar(select(AgentRequest.argument).where(
            AgentRequest.agent_id == agent_id, AgentRequest.action == "consult", AgentRequest.result == "ok",
            AgentRequest.id < last.id).order_by(AgentRequest.id.desc()).limit(1))
        target = started
    return {"target": target, "conference": last.action == "conference"}


def me_json(session: Session, agent: Agent, now: dt.datetime | None = None) -> dict:
    """The agent, their state (with translated labels) and their current call."""
    now = now or now_utc()
    last = session.scalar(select(AgentRequest).where(AgentRequest.agent_id == agent.id)
                          .order_by(AgentRequest.id.desc()).limit(1))
    login = session.scalar(select(AgentStateChange).where(AgentStateChange.agent_id == agent.id,
                                                          AgentStateChange.from_state == AgentState.LOGGED_OUT)
                           .order_by(AgentStateChange.at.desc()).limit(1))
    logout = session.scalar(select(AgentStateChange).where(AgentStateChange.agent_id == agent.id,
                                                           AgentStateChange.to_state == AgentState.LOGGED_OUT)
                            .order_by(AgentStateChange.at.desc()).limit(1))
    return {"agent": {"id": agent.id, "employee_no": agent.employee_no, "name": agent.name,
                      "extension": agent.extension, "group": agent.group.name if agent.group else None},
            "state": agent.state.value, "state_label": labels.label(labels.STATE_LABELS, agent.state),
            "reason": agent.not_ready_reason.value if agent.not_ready_reason else None,
            "reason_label": labels.label(labels.REASON_LABELS, agent.not_ready_reason),
            "since": iso(agent.state_since), "seconds_in_state": seconds_between(agent.state_since, now),
            "logged_in_at": iso(login.at) if login and agent.state is not AgentState.LOGGED_OUT else None,
            "logged_out_at": iso(logout.at) if logout and agent.state is AgentState.LOGGED_OUT else None,
            "call": call_json(session, agent, now), "last_request": request_json(last) if last else None,
            "server_time": now.isoformat()}


def today_json(session: Session, agent: Agent, start: dt.datetime, end: dt.datetime,
               now: dt.datetime | None = None) -> dict:
    """The agent's numbers for today: calls answered and dialled, talk and wrap-up time, average handling."""
    now = now or now_utc()
    records = session.scalars(select(CallRecord).where(CallRecord.agent_id == agent.id,
                                                       CallRecord.started_at >= start,
                                                       CallRecord.started_at < end)).all()
    answered = [r for r in records if r.outcome is CallOutcome.ANSWERED and r.answered_at is not None]
    inbound = [r for r in answered if r.direction != "outbound"]
    talks = [seconds_between(r.answered_at, r.ended_at) or 0 for r in answered]
    changes = session.scalars(select(AgentStateChange).where(AgentStateChange.agent_id == agent.id,
                                                             AgentStateChange.at >= start,
                                                             AgentStateChange.at < end)
                              .order_by(AgentStateChange.at)).all()
    spent: dict[str, int] = {}
    not_ready_count = 0
    for i, change in enumerate(changes):
        until = changes[i + 1].at if i + 1 < len(changes) else min(now, end)
        spent[change.to_state.value] = spent.get(change.to_state.value, 0) + (seconds_between(change.at, until) or 0)
        not_ready_count += change.to_state is AgentState.NOT_READY
    logged_in_s = sum(v for k, v in spent.items() if k != AgentState.LOGGED_OUT.value)
    wrap_s = spent.get(AgentState.WRAP_UP.value, 0)
    first_login = next((c.at for c in changes if c.from_state is AgentState.LOGGED_OUT), None)
    return {"date": start.isoformat(), "answered": len(inbound), "outbound": len(answered) - len(inbound),
            "talk_s": sum(talks), "longest_talk_s": max(talks, default=0), "wrap_up_s": wrap_s,
            "average_handling_s": round((sum(talks) + wrap_s) / len(answered)) if answered else None,
            "average_talk_s": round(sum(talks) / len(answered)) if answered else None,
            "logged_in_s": logged_in_s, "not_ready_s": spent.get(AgentState.NOT_READY.value, 0),
            "not_ready_count": not_ready_count, "first_login_at": iso(first_login)}
