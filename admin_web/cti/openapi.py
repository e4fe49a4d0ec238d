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
        "message": {"type": "string", "description": "Why the engine refused ('' otherwise)"}}},
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


def document(server: str = "") -> dict:
    """The whole document; `server` is the site's base URL."""
    json_body = lambda schema: {"required": False, "content": {"application/json": {  # noqa: E731
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    writes = {"202": _ok("Accepted", "Queued for the engine; poll the request for its answer"),
              "400": _ERR, "422": _ERR, **_AUTH_ERRORS}
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
            "gives its answer.")},
        "servers": [{"url": f"{server}/api/v1"}],
        "security": [{"basic": []}, {"session": []}, {"token": []}],
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                                "token": {"type": "http", "scheme": "bearer",
                                          "description": "An API token; a hall's token also needs X-Agent"}},
            "schemas": SCHEMAS,
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
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3 document"}}}},
        },
    }
