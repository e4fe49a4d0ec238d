"""Work orders and follow-up visits on the CTI API (issue 15 item 7, R-NF-4): a CRM or a provincial 12345 platform
lists and reads orders, registers them, takes the steps the caller's role may take, and records follow-up results.

The caller is authenticated as on the rest of the API (admin_web.cti.auth: console session, HTTP Basic, an agent's
or a hall's token); the acting agent is the token's (or the one X-Agent names). What the caller sees is the
console's scope (admin_web.scope): a hall's token its hall's subtree, an agent's token its agent's console scope,
a console user's their own. Which steps: admin_web.orders.views.STEP_ROLES, the console's rule (an agent's token
acts as an agent). Every change goes through engine.store.orders, the one place that writes orders, and is
audited; the webhooks pick it up from the timeline (admin_web.jobs.webhooks).

Refusals are JSON {"error": <English>, "code": <code>, "fields": {...}?}; each code is registered once below
(REFUSALS, listed in the OpenAPI document) with its HTTP status.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from admin_web import audit
from admin_web.access import Access
from admin_web.cti import bp
from admin_web.cti.auth import agent_api, error
from admin_web.db import get_session
from admin_web.orders.queries import category_paths, context, department_choices, may_see, visible
from admin_web.orders.views import NEEDS_NOTE, REGISTRARS, STEP_ROLES, steps_for
from admin_web.scope import HOME_KEY, NUMBERS_KEY, SCOPE_KEY, hall_numbers, subtree
from engine.domain.errors import InvalidTransition
from engine.domain.followup import Rating, RequestType
from engine.domain.order_clocks import Urgency
from engine.domain.states import Role
from engine.domain.workorder import PART_ALLOWED, Action, OrderState
from engine.store import orders as store
from engine.store.models import Agent, CallRecord, FollowUp, Hall, User, WorkOrder, WorkOrderStep

# -- refusals: each code once, with its status -----------------------------------------------------------------
REFUSALS: dict[str, tuple[int, str]] = {}


def refusal(code: str, status: int, meaning: str) -> str:
    """Register a refusal code (a second registration of the same code is a programming error)."""
    if code in REFUSALS:
        raise ValueError(f"refusal code {code!r} registered twice")
    REFUSALS[code] = (status, meaning)
    return code


NOT_JSON = refusal("not_json", 400, "The body is not a JSON object.")
INVALID = refusal("invalid_fields", 400, "Fields are missing or invalid; `fields` names each with what is wrong.")
NO_ORDER = refusal("no_such_order", 404, "No order of that number that the caller may see.")
NO_FOLLOW_UP = refusal("no_such_follow_up", 404, "No follow-up of that id that the caller may see.")
ROLE_REFUSED = refusal("role_may_not", 403, "The caller's role may not do this (registering, recording a "
                                            "follow-up, or this step of an order).")
STEP_REFUSED = refusal("step_not_possible", 409, "The order (or the department's part of it) is not in a state "
                                                 "that allows this step now; `error` says why.")
FOLLOW_UP_DONE = refusal("follow_up_closed", 409, "The follow-up is already recorded, cancelled or given up.")


def refuse(code: str, message: str, **extra):
    status, _meaning = REFUSALS[code]
    return error(status, message, code=code, **extra)


def invalid(fields: dict[str, str], message: str = "invalid request"):
    return refuse(INVALID, message, fields=fields)


# -- who sees what ---------------------------------------------------------------------------------------------
def _scope_caller() -> None:
    """Give the request's session the caller's hall scope (admin_web.scope). A console session has it already
    (set before the request); HTTP Basic and tokens are known only now: a hall's token is its hall's subtree, an
    agent's token its agent's console account's scope (or the agent's hall, without an account)."""
    if g.caller.via == "session":
        return
    session = get_session()
    hall_id = current_user.hall_id
    if g.caller.via == "token" and hall_id is None:
        own = session.execute(select(User.hall_id).where(User.agent_id == g.caller.agent_id)
                              .execution_options(unscoped=True)).first()
        if own is not None:
            hall_id = own[0]
        else:
            hall_id = session.scalar(select(Agent.hall_id).where(Agent.id == g.caller.agent_id)
                                     .execution_options(unscoped=True))
    if hall_id is None:
        return
    halls = subtree(session, hall_id)
    g.setdefault(SCOPE_KEY, halls)
    g.setdefault(NUMBERS_KEY, hall_numbers(session, halls))
    session.info[NUMBERS_KEY], session.info[HOME_KEY] = g.get(NUMBERS_KEY), hall_id
    session.info[SCOPE_KEY] = g.get(SCOPE_KEY)


def orders_api(view: Callable) -> Callable:
    """agent_api (authentication, JSON writes from this site, CSRF for cookie sessions), then the hall scope."""

    @functools.wraps(view)
    def scoped(*args, **kwargs):
        _scope_caller()
        return view(*args, **kwargs)

    wrapped = agent_api(scoped)
    wrapped.access = Access("agent", scope="hall")  # type: ignore[attr-defined]
    return wrapped


def _role() -> Role:
    return current_user.role


def _actor() -> store.Actor:
    if g.caller.via == "token":
        return store.Actor(g.caller.username)
    return store.Actor(current_user.display_name or current_user.username, current_user.id or None)


def _body() -> dict | None:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


# -- JSON ------------------------------------------------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    value = store.aware(value)
    return value.isoformat() if value is not None else None


def _agents(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Agent.id, Agent.employee_no).where(Agent.id.in_(ids))
                                .execution_options(unscoped=True)).all())


def _halls(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Hall.id, Hall.code).where(Hall.id.in_(ids))
                                .execution_options(unscoped=True)).all())


def order_summary(order: WorkOrder, agents: dict[int, str], halls: dict[int, str]) -> dict:
    return {"number": order.number, "state": OrderState(order.state).value,
            "request_type": order.request_type.value, "urgency": order.urgency.value, "hard": order.hard,
            "title": order.title, "source": order.source, "hall": halls.get(order.hall_id),
            "category_id": order.category_id, "category": order.category.name if order.category else None,
            "citizen_phone": order.citizen_phone or "", "agent": agents.get(order.agent_id),
            "call_uuid": order.call_uuid, "on_the_spot": order.on_the_spot,
            "created_at": _iso(order.created_at), "updated_at": _iso(order.updated_at),
            "dispatch_due": _iso(order.dispatch_due), "reply_due": _iso(order.reply_due),
            "replied_at": _iso(order.replied_at), "closed_at": _iso(order.closed_at),
            "url": url_for("cti.get_order", number=order.number)}


def follow_up_json(row: FollowUp) -> dict:
    return {"id": row.id, "order": row.order.number, "title": row.order.title,
            "request_type": row.order.request_type.value, "citizen_phone": row.order.citizen_phone or "",
            "round": row.round, "state": row.state, "mode": row.mode, "attempts": row.attempts,
            "next_attempt_at": _iso(row.next_attempt_at), "last_attempt_at": _iso(row.last_attempt_at),
            "last_result": row.last_result or "", "call_uuid": row.call_uuid, "created_at": _iso(row.created_at),
            "rating": row.rating.value if row.rating else None,
            "department_rating": row.department_rating.value if row.department_rating else None,
            "note": row.note or "", "done_by": row.done_by, "done_at": _iso(row.done_at)}


def order_detail(session, order: WorkOrder) -> dict:
    agents, halls = _agents(session, [order.agent_id]), _halls(session, [order.hall_id])
    steps = session.scalars(select(WorkOrderStep).where(WorkOrderStep.order_id == order.id)
                            .order_by(WorkOrderStep.id)).unique().all()
    follow_ups = session.scalars(select(FollowUp).where(FollowUp.order_id == order.id)
                                 .order_by(FollowUp.round)).unique().all()
    return {**order_summary(order, agents, halls),
            "content": order.content or "", "wishes": order.wishes or "", "citizen_name": order.citizen_name or "",
            "citizen_address": order.citizen_address or "", "reply_wanted": order.reply_wanted,
            "confidential": order.confidential, "answer": order.answer or "", "region": order.region,
            "queue": order.queue_code, "review_errors": order.review_errors, "misdispatches": order.misdispatches,
            "reopened": order.reopened, "reviewed_at": _iso(order.reviewed_at),
            "dispatched_at": _iso(order.dispatched_at), "escalated_at": _iso(order.escalated_at),
            "parts": [{"department_id": p.department_id, "department": p.department.name, "state": p.state.value,
                       "extension_asked": p.extension_asked, "extensions": p.extensions, "reply": p.reply or "",
                       "dispatched_at": _iso(p.dispatched_at), "accepted_at": _iso(p.accepted_at),
                       "replied_at": _iso(p.replied_at), "reply_due": _iso(p.reply_due)} for p in order.parts],
            "timeline": [{"id": s.id, "action": Action(s.action).value, "actor": s.actor, "at": _iso(s.at),
                          "department_id": s.department_id,
                          "department": s.department.name if s.department is not None else None,
                          "note": s.note or ""} for s in steps],
            "follow_ups": [follow_up_json(f) for f in follow_ups],
            "steps_allowed": [{"action": action.value,
                               "department_id": part.department_id if part is not None else None}
                              for action, part in steps_for(order)]}


# -- reading ---------------------------------------------------------------------------------------------------
MAX_LIMIT = 200


def _paging(errors: dict) -> tuple[int, int]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.args.get(name)
        if raw in (None, ""):
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = f"a whole number from {low} to {high}"
            return default
        return int(raw)
    return number("limit", 50, 1, MAX_LIMIT), number("offset", 0, 0, 10**9)


def _moment(name: str, errors: dict) -> dt.datetime | None:
    """An ISO 8601 date or date-time; without an offset, in the centre's time zone."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = "an ISO 8601 date (2026-12-06) or date-time (2026-12-06T08:00:00+08:00)"
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")))
    return value.astimezone(dt.timezone.utc)


def _choice(name: str, enum_cls, errors: dict):
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        errors[name] = "one of " + ", ".join(m.value for m in enum_cls)
        return None


@bp.route("/orders")
@orders_api
def list_orders():
    """The orders the caller may see, newest first: ?state= &request_type= &since= &until= (created; until is
    exclusive) &number= &phone= (the citizen's whole number) &limit= (1-200, 50) &offset=."""
    errors: dict[str, str] = {}
    state, kind = _choice("state", OrderState, errors), _choice("request_type", RequestType, errors)
    since, until = _moment("since", errors), _moment("until", errors)
    limit, offset = _paging(errors)
    number, phone = (request.args.get("number") or "").strip(), (request.args.get("phone") or "").strip()
    if phone and not re.fullmatch(r"\+?[0-9]{3,20}", phone):
        errors["phone"] = "the whole number: digits only, 3 to 20 of them"
    if errors:
        return invalid(errors, "invalid filters")
    session = get_session()
    stmt = visible(select(WorkOrder))
    if state is not None:
        stmt = stmt.where(WorkOrder.state == state)
    if kind is not None:
        stmt = stmt.where(WorkOrder.request_type == kind)
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    if until is not None:
        stmt = stmt.where(WorkOrder.created_at < until)
    if number:
        stmt = stmt.where(WorkOrder.number == number)
    if phone:
        stmt = stmt.where(WorkOrder.citizen_phone == phone)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
                           .limit(limit).offset(offset)).unique().all()
    agents, halls = _agents(session, [o.agent_id for o in rows]), _halls(session, [o.hall_id for o in rows])
    return jsonify(orders=[order_summary(o, agents, halls) for o in rows], total=total, limit=limit, offset=offset,
                   next_offset=offset + limit if offset + limit < total else None)


def _find(number: str) -> WorkOrder | None:
    order = get_session().scalar(visible(select(WorkOrder)).where(WorkOrder.number == number))
    return order if order is not None and may_see(order) else None


@bp.route("/orders/<number>")
@orders_api
def get_order(number: str):
    """One order with its parts, its timeline, its follow-ups and the steps the caller may take now."""
    order = _find(number)
    if order is None:
        return refuse(NO_ORDER, f"no order {number}")
    return jsonify(order_detail(get_session(), order))


# -- registering -----------------------------------------------------------------------------------------------
PHONE = re.compile(r"^\+?[0-9]{3,20}$")
TEXTS = {"title": 200, "content": 8000, "wishes": 2000, "citizen_name": 64, "citizen_address": 200, "answer": 8000}
FLAGS = {"hard": False, "reply_wanted": True, "confidential": False}
ORDER_FIELDS = frozenset({"request_type", "urgency", "category_id", "citizen_phone", "call_uuid", *TEXTS, *FLAGS})


def _registration(session, data: dict) -> tuple[dict, dict]:
    """The keyword arguments of engine.store.orders.register, and field errors."""
    errors: dict[str, str] = {}
    out: dict = {}
    for name in sorted(set(data) - ORDER_FIELDS):
        errors[name] = "not a field of an order"
    try:
        out["request_type"] = RequestType(data.get("request_type"))
    except ValueError:
        errors["request_type"] = "required: one of " + ", ".join(m.value for m in RequestType)
    try:
        out["urgency"] = Urgency(data.get("urgency") or Urgency.GENERAL.value)
    except ValueError:
        errors["urgency"] = "one of " + ", ".join(m.value for m in Urgency)
    for name, most in TEXTS.items():
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = "text"
            continue
        value = value.strip()
        if len(value) > most:
            errors[name] = f"at most {most} characters"
        elif not value and name in ("title", "content"):
            errors[name] = "required: " + ("the order's subject" if name == "title" else
                                           "what the citizen asks or reports")
        out[name] = value
    for name, default in FLAGS.items():
        value = data.get(name, default)
        if not isinstance(value, bool):
            errors[name] = "true or false"
        out[name] = bool(value) if isinstance(value, bool) else default
    phone = data.get("citizen_phone") or ""
    if not isinstance(phone, str) or (phone.strip() and not PHONE.match(phone.strip())):
        errors["citizen_phone"] = "digits only, 3 to 20 of them (a leading + allowed)"
    else:
        out["citizen_phone"] = phone.strip()
    category = data.get("category_id")
    if category is not None:
        if isinstance(category, bool) or not isinstance(category, int) or \
                category not in {i for i, _p in category_paths(session)}:
            errors["category_id"] = "the id of an active category"
        else:
            out["category_id"] = category
    call_uuid = data.get("call_uuid")
    if call_uuid not in (None, ""):
        if not isinstance(call_uuid, str) or len(call_uuid) > 64:
            errors["call_uuid"] = "a call's uuid"
        else:
            known = session.scalar(select(CallRecord.id).where(CallRecord.call_uuid == call_uuid))
            current = session.get(Agent, g.caller.agent_id).current_call_uuid
            if known is None and call_uuid != current:
                errors["call_uuid"] = "no such call for this agent"
            else:
                out["call_uuid"], out["source"] = call_uuid, "call"
    return out, errors


@bp.route("/orders", methods=["POST"])
@orders_api
def register_order():
    """Register an order as the acting agent (with `answer`: answered on the spot, closed at once)."""
    if _role() not in REGISTRARS:
        return refuse(ROLE_REFUSED, f"a {_role().value} does not register orders")
    data = _body()
    if data is None:
        return refuse(NOT_JSON, "the body must be a JSON object")
    session = get_session()
    fields, errors = _registration(session, data)
    if errors:
        return invalid(errors, "invalid order")
    agent = session.get(Agent, g.caller.agent_id)
    default_hall = current_user.hall_id if g.caller.via != "token" else (agent.hall_id or current_user.hall_id)
    order = store.register(session, context(session), _actor(), agent_id=agent.id, default_hall_id=default_hall,
                           **fields)
    audit.record(session, "order.register", f"order:{order.number}",
                 f"type={order.request_type.value}; urgency={order.urgency.value}; "
                 f"on_the_spot={order.on_the_spot}; via API")
    session.commit()
    response = jsonify(order_detail(session, order))
    response.status_code = 201
    response.headers["Location"] = url_for("cti.get_order", number=order.number)
    return response


# -- steps -----------------------------------------------------------------------------------------------------
STEP_FIELDS = frozenset({"action", "department_id", "note"})
PART_CHOSEN = frozenset(PART_ALLOWED) | {Action.DISPATCH, Action.SEND_BACK}     # a department may be named


@bp.route("/orders/<number>/steps", methods=["POST"])
@orders_api
def take_step(number: str):
    """Take one step {action, department_id?, note?}: only those the caller's role may take (the console's rule),
    on the caller's own part for a department's user; answered with the order as it is now."""
    data = _body()
    if data is None:
        return refuse(NOT_JSON, "the body must be a JSON object")
    order = _find(number)
    if order is None:
        return refuse(NO_ORDER, f"no order {number}")
    errors = {name: "not a field of a step" for name in sorted(set(data) - STEP_FIELDS)}
    try:
        action = Action(data.get("action"))
    except ValueError:
        return invalid({**errors, "action": "one of " + ", ".join(a.value for a in STEP_ROLES)}, "invalid step")
    if action not in STEP_ROLES or _role() not in STEP_ROLES[action]:
        return refuse(ROLE_REFUSED, f"a {_role().value} may not {action.value} an order",
                      allowed=[a.value for a, roles in STEP_ROLES.items() if _role() in roles])
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > 8000:
        errors["note"] = "text of at most 8000 characters"
    elif action in NEEDS_NOTE and not note.strip():
        errors["note"] = f"required: {action.value} must say why (or, for a reply, its text)"
    department_id = data.get("department_id")
    session = get_session()
    if _role() is Role.DEPARTMENT:
        department_id = current_user.department_id
    elif department_id is not None:
        if action not in PART_CHOSEN:
            errors["department_id"] = f"{action.value} takes no department"
        elif isinstance(department_id, bool) or not isinstance(department_id, int) or \
                department_id not in {i for i, _n in department_choices(session)}:
            errors["department_id"] = "the id of an active department"
    elif action is Action.DISPATCH or (action in PART_ALLOWED):
        errors["department_id"] = f"required: the department {action.value} is for"
    if errors:
        return invalid(errors, "invalid step")
    try:
        store.act(session, context(session), order, action, _actor(), department_id=department_id,
                  note=note.strip())
    except InvalidTransition as exc:
        session.rollback()
        return refuse(STEP_REFUSED, str(exc), state=OrderState(order.state).value)
    audit.record(session, f"order.{action.value}", f"order:{order.number}",
                 f"department={department_id or ''}; via API")
    session.commit()
    if not may_see(order):      # a department's user who returned their part
        return jsonify(number=order.number, state=OrderState(order.state).value)
    return jsonify(order_detail(session, order))


# -- follow-ups ------------------------------------------------------------------------------------------------
@bp.route("/follow-ups")
@orders_api
def list_follow_ups():
    """Follow-up visits still to make (pending or being called), oldest first: ?limit= &offset=."""
    if _role() not in REGISTRARS:
        return refuse(ROLE_REFUSED, f"a {_role().value} does not make follow-up visits")
    errors: dict[str, str] = {}
    limit, offset = _paging(errors)
    if errors:
        return invalid(errors, "invalid paging")
    session = get_session()
    stmt = select(FollowUp).where(FollowUp.state.in_(("pending", "calling")))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(FollowUp.created_at, FollowUp.id).limit(limit).offset(offset)).unique().all()
    return jsonify(follow_ups=[follow_up_json(r) for r in rows], total=total, limit=limit, offset=offset,
                   next_offset=offset + limit if offset + limit < total else None)


FOLLOW_UP_FIELDS = frozenset({"rating", "department_rating", "note", "call_uuid"})


@bp.route("/follow-ups/<int:follow_up_id>", methods=["POST"])
@orders_api
def record_follow_up(follow_up_id: int):
    """The citizen's rating {rating, department_rating?, note?, call_uuid?}; unsatisfied reopens the order."""
    if _role() not in REGISTRARS:
        return refuse(ROLE_REFUSED, f"a {_role().value} does not make follow-up visits")
    data = _body()
    if data is None:
        return refuse(NOT_JSON, "the body must be a JSON object")
    session = get_session()
    row = session.get(FollowUp, follow_up_id)
    if row is None or not may_see(row.order):
        return refuse(NO_FOLLOW_UP, f"no follow-up {follow_up_id}")
    errors = {name: "not a field of a follow-up" for name in sorted(set(data) - FOLLOW_UP_FIELDS)}
    ratings = ", ".join(r.value for r in Rating)
    try:
        rating = Rating(data.get("rating"))
    except ValueError:
        rating = None
        errors["rating"] = f"required: one of {ratings}"
    department_rating = None
    if data.get("department_rating") not in (None, ""):
        try:
            department_rating = Rating(data["department_rating"])
        except ValueError:
            errors["department_rating"] = f"one of {ratings}"
    note, call_uuid = data.get("note") or "", data.get("call_uuid") or None
    if not isinstance(note, str) or len(note) > 4000:
        errors["note"] = "text of at most 4000 characters"
    if call_uuid is not None and (not isinstance(call_uuid, str) or len(call_uuid) > 64):
        errors["call_uuid"] = "a call's uuid"
    if errors:
        return invalid(errors, "invalid follow-up")
    if row.state not in ("pending", "calling"):
        return refuse(FOLLOW_UP_DONE, f"follow-up {follow_up_id} is {row.state}", state=row.state)
    try:
        store.record_follow_up(session, context(session), row, _actor(), rating=rating,
                               department_rating=department_rating, note=note.strip(), call_uuid=call_uuid)
    except InvalidTransition as exc:
        session.rollback()
        return refuse(FOLLOW_UP_DONE, str(exc), state=row.state)
    audit.record(session, "order.follow_up", f"order:{row.order.number}", f"rating={rating.value}; via API")
    session.commit()
    return jsonify(follow_up=follow_up_json(row), order=row.order.number,
                   order_state=OrderState(row.order.state).value, reopened=rating.reopens and
                   OrderState(row.order.state) is not OrderState.CLOSED)
