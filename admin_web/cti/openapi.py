"""The OpenAPI 3.0 document of the CTI API (served at /api/v1/openapi.json)."""
from __future__ import annotations

from admin_web.cti.queries import AGENT_REASONS, CALL_ACTIONS, STATE_ACTIONS, TRANSFER_KINDS

_ERR = {"$ref": "#/components/responses/Error"}
_AUTH_ERRORS = {"401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"}}


def _ok(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _nullable(kind: str, **extra) -> dict:
    return {"type": kind, "nullable": True, **extra}


SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Per-field validation messages."}}},
    "Agent": {"type": "object", "properties": {
        "id": {"type": "integer"}, "employee_no": {"type": "string", "description": "工号"},
        "name": {"type": "string"}, "extension": {"type": "string"}, "group": _nullable("string")}},
    "TransferOrigin": {"type": "object", "nullable": True, "description": "Who transferred the call and their note.",
                       "properties": {"employee_no": {"type": "string"}, "name": {"type": "string"},
                                      "target": {"type": "string"}, "note": {"type": "string"},
                                      "at": {"type": "string", "format": "date-time"}}},
    "Call": {"type": "object", "nullable": True, "description": (
        "The agent's current call as stored: Agent.current_call_uuid, the Recording row written at answer, "
        "CallOffer rows, AgentStateChange rows and, once ended, the CallRecord. Unknown fields are null."),
        "properties": {
            "uuid": {"type": "string"}, "direction": {"type": "string", "enum": ["inbound", "outbound"]},
            "caller": _nullable("string", description="ANI"), "dnis": _nullable("string", description="DID / hall dialled"),
            "number": _nullable("string", description="The other party: the caller, or the number dialled"),
            "region": {"type": "string", "description": "号码归属地 of the other party ('' if unknown)"},
            "queue": _nullable("string"), "queue_name": _nullable("string"),
            "ivr_path": _nullable("string"), "flow": _nullable("string"), "wait_s": _nullable("integer"),
            "ivr_data": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "Digits and values collected in the IVR (随路数据), e.g. an ID number"},
            "consulted_by": _nullable("string", description="工号 of the agent consulting this agent"),
            "consult": {"type": "object", "nullable": True, "description": "This agent's consultation in progress",
                        "properties": {"target": {"type": "string"}, "conference": {"type": "boolean"}}},
            "offered_at": _nullable("string", format="date-time"),
            "answered_at": _nullable("string", format="date-time"), "talk_s": _nullable("integer"),
            "ended": {"type": "boolean"}, "transfers": _nullable("integer"),
            "transferred_from": {"$ref": "#/components/schemas/TransferOrigin"}}},
    "Request": {"type": "object", "description": "A request queued for the engine and its answer.", "properties": {
        "id": {"type": "integer"}, "action": {"type": "string"}, "reason": _nullable("string"),
        "argument": _nullable("string"), "note": {"type": "string"}, "actor": {"type": "string"},
        "requested_at": {"type": "string", "format": "date-time"},
        "processed_at": _nullable("string", format="date-time"),
        "result": _nullable("string", description="'ok' or 'refused: <why>' as written by the engine"),
        "status": {"type": "string", "enum": ["pending", "ok", "refused"]},
        "message": {"type": "string", "description": "Why the engine refused ('' otherwise)"},
        "message_label": {"type": "string", "description": "The same, in the user's language (for screens)"}}},
    "Accepted": {"type": "object", "properties": {"request": {"$ref": "#/components/schemas/Request"},
                                                  "poll": {"type": "string", "description": "URL of the request"}}},
    "Me": {"type": "object", "properties": {
        "agent": {"$ref": "#/components/schemas/Agent"},
        "state": {"type": "string", "enum": ["logged_out", "ready", "not_ready", "reserved", "talking", "on_hold",
                                             "wrap_up"]},
        "state_label": {"type": "string"}, "reason": _nullable("string"), "reason_label": {"type": "string"},
        "since": {"type": "string", "format": "date-time"}, "seconds_in_state": {"type": "integer"},
        "logged_in_at": _nullable("string", format="date-time"),
        "logged_out_at": _nullable("string", format="date-time"),
        "call": {"$ref": "#/components/schemas/Call"},
        "last_request": {"allOf": [{"$ref": "#/components/schemas/Request"}], "nullable": True},
        "server_time": {"type": "string", "format": "date-time"}}},
    "Today": {"type": "object", "properties": {
        "date": {"type": "string"}, "answered": {"type": "integer"}, "outbound": {"type": "integer"},
        "talk_s": {"type": "integer"}, "longest_talk_s": {"type": "integer"}, "wrap_up_s": {"type": "integer"},
        "average_handling_s": _nullable("integer", description="(talk + wrap-up) / calls"),
        "average_talk_s": _nullable("integer"), "logged_in_s": {"type": "integer"},
        "not_ready_s": {"type": "integer"}, "not_ready_count": {"type": "integer"},
        "first_login_at": _nullable("string", format="date-time")}},
    "Directory": {"type": "object", "properties": {
        "queues": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}}}},
        "agents": {"type": "array", "items": {"type": "object", "properties": {
            "employee_no": {"type": "string"}, "name": {"type": "string"}, "state": {"type": "string"},
            "state_label": {"type": "string"}, "ready": {"type": "boolean"}}}},
        "flows": {"type": "array", "items": {"type": "string"}},
        "reasons": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "label": {"type": "string"}}}}}},
    "StateRequest": {"type": "object", "required": ["action"], "properties": {
        "action": {"type": "string", "enum": list(STATE_ACTIONS)},
        "reason": {"type": "string", "enum": list(AGENT_REASONS), "description": "Required for not_ready only"}}},
    "CallRequest": {"type": "object", "properties": {
        "argument": {"type": "string", "description": (
            "transfer: " + " | ".join(f"{k}:<{'digits' if k == 'number' else 'code' if k == 'queue' else '工号' if k == 'agent' else 'name'}>"
                                      for k in TRANSFER_KINDS) + "; dial: number:<digits> (or just the digits); "
            "consult: queue:<code> | agent:<工号> | number:<digits> (the third party is rung while the caller "
            "still talks to the agent; once it answers the caller waits with music); "
            "answer (a ringing phone without auto-answer), hangup, hold, unhold, consult_transfer (the consulted "
            "party takes the call; a note may be given), conference (the three talk together), consult_cancel "
            "(back to the caller): none")},
        "note": {"type": "string", "maxLength": 500,
                 "description": "transfer and consult_transfer only: the note shown to the next agent (随路数据)"}}},
}


def _dt(description: str = "") -> dict:
    return _nullable("string", format="date-time", **({"description": description} if description else {}))


def _order_parts() -> tuple[dict, dict]:
    """The work orders and follow-ups (admin_web.cti.orders): their schemas and paths."""
    from admin_web.cti.orders import MAX_LIMIT, REFUSALS
    from admin_web.orders.views import STEP_ROLES
    from engine.domain.followup import Rating, RequestType
    from engine.domain.order_clocks import Urgency
    from engine.domain.workorder import Action, OrderState, PartState
    enum = lambda cls: [m.value for m in cls]  # noqa: E731
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    refusal = {"description": "A refusal: `code` says which (OrderRefusal)",
               "content": {"application/json": {"schema": ref("OrderRefusal")}}}
    schemas = {
        "OrderRefusal": {"type": "object", "required": ["error", "code"], "properties": {
            "error": {"type": "string", "description": "What is wrong, in English"},
            "code": {"type": "string", "enum": sorted(REFUSALS), "description": "; ".join(
                f"{code} ({status}): {meaning}" for code, (status, meaning) in sorted(REFUSALS.items()))},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "invalid_fields: what is wrong with each field"},
            "state": {"type": "string", "description": "step_not_possible, follow_up_closed: the state now"},
            "allowed": {"type": "array", "items": {"type": "string"},
                        "description": "role_may_not on a step: the steps the caller's role may take"}}},
        "OrderSummary": {"type": "object", "properties": {
            "number": {"type": "string", "description": "工单编号, e.g. 202612060001"},
            "state": {"type": "string", "enum": enum(OrderState)},
            "request_type": {"type": "string", "enum": enum(RequestType)},
            "urgency": {"type": "string", "enum": enum(Urgency)}, "hard": {"type": "boolean"},
            "title": {"type": "string"}, "source": {"type": "string", "enum": ["call", "voicemail", "manual"]},
            "hall": _nullable("string", description="The hall's code"), "category_id": _nullable("integer"),
            "category": _nullable("string"), "citizen_phone": {"type": "string"},
            "agent": _nullable("string", description="工号 of the agent who took it"),
            "call_uuid": _nullable("string"), "on_the_spot": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "dispatch_due": _dt("When it must be dispatched"), "reply_due": _dt("The earliest open part's"),
            "replied_at": _dt(), "closed_at": _dt(), "url": {"type": "string"}}},
        "OrderPart": {"type": "object", "properties": {
            "department_id": {"type": "integer"}, "department": {"type": "string"},
            "state": {"type": "string", "enum": enum(PartState)}, "extension_asked": {"type": "boolean"},
            "extensions": {"type": "integer"}, "reply": {"type": "string"}, "dispatched_at": _dt(),
            "accepted_at": _dt(), "replied_at": _dt(), "reply_due": _dt()}},
        "OrderStep": {"type": "object", "description": "One line of the timeline", "properties": {
            "id": {"type": "integer"}, "action": {"type": "string", "enum": enum(Action)},
            "actor": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
            "department_id": _nullable("integer"), "department": _nullable("string"), "note": {"type": "string"}}},
        "FollowUp": {"type": "object", "properties": {
            "id": {"type": "integer"}, "order": {"type": "string"}, "title": {"type": "string"},
            "request_type": {"type": "string", "enum": enum(RequestType)}, "citizen_phone": {"type": "string"},
            "round": {"type": "integer"},
            "state": {"type": "string", "enum": ["pending", "calling", "done", "unreachable", "cancelled"]},
            "mode": {"type": "string", "enum": ["manual", "automated"]}, "attempts": {"type": "integer"},
            "next_attempt_at": _dt(), "last_attempt_at": _dt(),
            "last_result": {"type": "string", "description": "What the last automated attempt came to: the switch's "
                            "hang-up cause (NO_ANSWER, USER_BUSY, ...), NO_RATING (hung up before rating), RATED"},
            "call_uuid": _nullable("string"), "created_at": _dt(),
            "rating": _nullable("string", enum=enum(Rating)), "department_rating": _nullable("string", enum=enum(Rating)),
            "note": {"type": "string"}, "done_by": {"type": "string"}, "done_at": _dt()}},
        "Order": {"allOf": [ref("OrderSummary"), {"type": "object", "properties": {
            "content": {"type": "string"}, "wishes": {"type": "string"}, "citizen_name": {"type": "string"},
            "citizen_address": {"type": "string"}, "reply_wanted": {"type": "boolean"},
            "confidential": {"type": "boolean"}, "answer": {"type": "string"}, "region": {"type": "string"},
            "queue": _nullable("string"), "review_errors": {"type": "integer"}, "misdispatches": {"type": "integer"},
            "reopened": {"type": "integer"}, "reviewed_at": _dt(), "dispatched_at": _dt(), "escalated_at": _dt(),
            "parts": {"type": "array", "items": ref("OrderPart")},
            "timeline": {"type": "array", "items": ref("OrderStep")},
            "follow_ups": {"type": "array", "items": ref("FollowUp")},
            "steps_allowed": {"type": "array", "description": "What the caller may do now", "items": {
                "type": "object", "properties": {"action": {"type": "string"},
                                                 "department_id": _nullable("integer")}}}}}]},
        "OrderList": {"type": "object", "properties": {
            "orders": {"type": "array", "items": ref("OrderSummary")}, "total": {"type": "integer"},
            "limit": {"type": "integer"}, "offset": {"type": "integer"},
            "next_offset": _nullable("integer", description="offset of the next page (null on the last)")}},
        "NewOrder": {"type": "object", "required": ["request_type", "title", "content"], "properties": {
            "request_type": {"type": "string", "enum": enum(RequestType)},
            "urgency": {"type": "string", "enum": enum(Urgency), "default": "general"},
            "hard": {"type": "boolean", "default": False, "description": "疑难: the longer reply clock"},
            "title": {"type": "string", "maxLength": 200}, "content": {"type": "string", "maxLength": 8000},
            "wishes": {"type": "string", "maxLength": 2000}, "category_id": {"type": "integer"},
            "citizen_name": {"type": "string", "maxLength": 64},
            "citizen_phone": {"type": "string", "pattern": "^\\+?[0-9]{3,20}$"},
            "citizen_address": {"type": "string", "maxLength": 200},
            "reply_wanted": {"type": "boolean", "default": True}, "confidential": {"type": "boolean", "default": False},
            "call_uuid": {"type": "string", "description": "The call it comes from: the caller's number, region, "
                                                          "IVR data, queue and hall are taken over"},
            "answer": {"type": "string", "maxLength": 8000,
                       "description": "Answered on the spot (当场答复): the order is closed at once"}}},
        "StepRequest": {"type": "object", "required": ["action"], "properties": {
            "action": {"type": "string", "enum": [a.value for a in STEP_ROLES], "description": "; ".join(
                f"{a.value}: {', '.join(r.value for r in roles)}" for a, roles in STEP_ROLES.items())},
            "department_id": {"type": "integer", "description": "dispatch: the department; a part's step: whose "
                                                                "part (a department's user: always their own)"},
            "note": {"type": "string", "maxLength": 8000, "description": "Required for fail_review, return, "
                                                                          "request_extension, reply, send_back"}}},
        "FollowUpList": {"type": "object", "properties": {
            "follow_ups": {"type": "array", "items": ref("FollowUp")}, "total": {"type": "integer"},
            "limit": {"type": "integer"}, "offset": {"type": "integer"}, "next_offset": _nullable("integer")}},
        "FollowUpResult": {"type": "object", "required": ["rating"], "properties": {
            "rating": {"type": "string", "enum": enum(Rating), "description": "unsatisfied reopens the order"},
            "department_rating": {"type": "string", "enum": enum(Rating)},
            "note": {"type": "string", "maxLength": 4000}, "call_uuid": {"type": "string"}}},
        "FollowUpRecorded": {"type": "object", "properties": {
            "follow_up": ref("FollowUp"), "order": {"type": "string"},
            "order_state": {"type": "string", "enum": enum(OrderState)}, "reopened": {"type": "boolean"}}},
    }
    number = [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}]
    paging = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                          "default": 50}},
              {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}]
    body = lambda name: {"required": True, "content": {"application/json": {"schema": ref(name)}}}  # noqa: E731
    scope = (" Scoped like the console: a hall's token sees its hall's subtree, an agent's token and a console user "
             "what their account sees on the console.")
    paths = {
        "/orders": {
            "get": {"operationId": "listOrders", "summary": "Work orders, newest first" + scope,
                    "parameters": [
                        {"name": "state", "in": "query", "schema": {"type": "string", "enum": enum(OrderState)}},
                        {"name": "request_type", "in": "query",
                         "schema": {"type": "string", "enum": enum(RequestType)}},
                        {"name": "since", "in": "query", "description": "Created at or after (ISO 8601 date or "
                         "date-time; without an offset in the centre's time zone)",
                         "schema": {"type": "string"}},
                        {"name": "until", "in": "query", "description": "Created before (exclusive)",
                         "schema": {"type": "string"}},
                        {"name": "number", "in": "query", "schema": {"type": "string"}},
                        {"name": "phone", "in": "query", "description": "The citizen's whole number",
                         "schema": {"type": "string"}}, *paging],
                    "responses": {"200": _ok("OrderList", "A page of orders"), "400": refusal, **_AUTH_ERRORS}},
            "post": {"operationId": "registerOrder", "summary": "Register an order as the acting agent",
                     "requestBody": body("NewOrder"),
                     "responses": {"201": _ok("Order", "The order registered (Location: its URL)"),
                                   "400": refusal, "403": refusal, "401": _AUTH_ERRORS["401"]}}},
        "/orders/{number}": {"get": {
            "operationId": "getOrder", "summary": "One order: parts, timeline, follow-ups, the steps allowed now",
            "parameters": number,
            "responses": {"200": _ok("Order", "The order"), "404": refusal, **_AUTH_ERRORS}}},
        "/orders/{number}/steps": {"post": {
            "operationId": "takeStep", "summary": "Take one step of the order (the steps the caller's role may take)",
            "description": "Every step is one line of the timeline and one webhook event (order.step).",
            "parameters": number, "requestBody": body("StepRequest"),
            "responses": {"200": _ok("Order", "The order after the step"), "400": refusal, "403": refusal,
                          "404": refusal, "409": refusal, "401": _AUTH_ERRORS["401"]}}},
        "/follow-ups": {"get": {
            "operationId": "listFollowUps", "summary": "Follow-up visits to make (pending or calling)" + scope,
            "parameters": paging,
            "responses": {"200": _ok("FollowUpList", "A page of follow-ups"), "400": refusal, **_AUTH_ERRORS}}},
        "/follow-ups/{follow_up_id}": {"post": {
            "operationId": "recordFollowUp", "summary": "Record the citizen's rating (unsatisfied reopens the order)",
            "parameters": [{"name": "follow_up_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": body("FollowUpResult"),
            "responses": {"200": _ok("FollowUpRecorded", "Recorded"), "400": refusal, "403": refusal,
                          "404": refusal, "409": refusal, "401": _AUTH_ERRORS["401"]}}},
    }
    return schemas, paths


def document(server: str = "") -> dict:
    """The whole document; `server` is the site's base URL."""
    json_body = lambda schema: {"required": False, "content": {"application/json": {  # noqa: E731
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    writes = {"202": _ok("Accepted", "Queued for the engine; poll the request for its answer"),
              "400": _ERR, "422": _ERR, **_AUTH_ERRORS}
    order_schemas, order_paths = _order_parts()
    return {
        "openapi": "3.0.3",
        "info": {"title": "Call center CTI API", "version": "1.0.0", "description": (
            "Per-agent API of the call-center engine, used by the agent desktop and by CRMs (R-CTI-8). "
            "Authenticate with the console session cookie (writes then need the X-CSRFToken header) or with "
            "HTTP Basic using the agent's console username and password (checked once, then remembered for five "
            "minutes by each console process, so repeating them costs no password hash), or with an API token "
            "(`callcenter tokens create`) as `Authorization: Bearer cct_…`: an agent's token acts for its agent; a "
            "hall's token acts for the agent of the hall's subtree named on each request in the `X-Agent` header "
            "(employee number; 400 without it, 403 for an agent outside the hall). Writes are JSON from this site. "
            "Actions are queued for the engine, which carries them out within a second; GET /requests/{request_id} "
            "gives its answer. Work orders and follow-up visits (/orders, /follow-ups) are read and changed at "
            "once; their refusals carry a `code` (OrderRefusal). Every change of an order is also sent to the "
            "webhooks an administrator set up on the console (events order.step and follow_up.result, signed "
            "with X-Callcenter-Signature: sha256=<HMAC-SHA256 of the body>).")},
        "servers": [{"url": f"{server}/api/v1"}],
        "security": [{"basic": []}, {"session": []}, {"token": []}],
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                                "token": {"type": "http", "scheme": "bearer",
                                          "description": "An API token; a hall's token also needs X-Agent"}},
            "schemas": {**SCHEMAS, **order_schemas},
            "responses": {
                "Error": _ok("Error", "Invalid request: 'error' and per-field messages"),
                "Unauthorized": _ok("Error", "Not authenticated"),
                "Forbidden": _ok("Error", "The account is not linked to an agent"),
                "NotFound": _ok("Error", "No such thing for this agent")}},
        "paths": {
            "/me": {"get": {"operationId": "getMe", "summary": "The agent, their state and current call",
                            "responses": {"200": _ok("Me", "The agent"), **_AUTH_ERRORS}}},
            "/me/state": {"post": {"operationId": "changeState",
                                   "summary": "Sign in, ready, not ready (with a reason), sign out, extend wrap-up",
                                   "requestBody": {**json_body("StateRequest"), "required": True},
                                   "responses": writes}},
            "/me/call/{action}": {"post": {
                "operationId": "callAction", "summary": "Act on the agent's call or dial out",
                "parameters": [{"name": "action", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": list(CALL_ACTIONS)}}],
                "requestBody": json_body("CallRequest"),
                "responses": {**writes, "404": {"$ref": "#/components/responses/NotFound"}}}},
            "/me/wrapup": {"post": {
                "operationId": "wrapUp", "summary": "Write the wrap-up (disposition and summary) of the current call",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["disposition"],
                    "properties": {"disposition": {"type": "string", "enum": ["resolved", "follow_up", "callback",
                                                                               "complaint", "other"]},
                                   "summary": {"type": "string", "maxLength": 2000}}}}}},
                "responses": {"200": {"description": "The wrap-up as stored"},
                              "409": {"description": "No current or just-finished call"},
                              "422": {"description": "Invalid fields"}, **_AUTH_ERRORS}}},
            "/requests/{request_id}": {"get": {
                "operationId": "getRequest", "summary": "One of the agent's requests and the engine's answer",
                "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _ok("Request", "The request"), "404": {"$ref": "#/components/responses/NotFound"},
                              **_AUTH_ERRORS}}},
            "/me/calls/today": {"get": {"operationId": "getToday", "summary": "The agent's numbers for today",
                                        "responses": {"200": _ok("Today", "Today's numbers"), **_AUTH_ERRORS}}},
            "/directory": {"get": {"operationId": "getDirectory",
                                   "summary": "Transfer targets (queues, agents, IVR flows) and not-ready reasons",
                                   "responses": {"200": _ok("Directory", "Targets"), **_AUTH_ERRORS}}},
            "/events": {"get": {
                "operationId": "events", "summary": "Server-Sent Events of the agent's state and call",
                "description": ("text/event-stream. `state` events carry the Me document, sent at once and on "
                                "every change (the database is polled every 0.5 s); `request` events carry a "
                                "Request when the engine answers it; `bye` ends the stream after about five "
                                "minutes, and EventSource reconnects by itself."),
                "responses": {"200": {"description": "The event stream",
                                      "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                              **_AUTH_ERRORS}}},
            **order_paths,
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3 document"}}}},
        },
    }
