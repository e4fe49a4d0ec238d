"""Who is calling the API: the logged-in console user (cookie session) or HTTP Basic credentials.

Either way the user must be active and linked to an agent; the agent is the only one they can see or act for.
Cookie-session writes must carry the CSRF token in an X-CSRFToken header (the desktop page sends it), so another
site cannot drive an agent's phone through the agent's browser.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from werkzeug.security import check_password_hash

from admin_web.access import Access
from admin_web.auth import guard, services
from admin_web.db import get_session
from engine.domain.states import Role
from engine.store import accounts
from admin_web.security import ConsoleUser
from engine.store.models import Agent, User


@dataclasses.dataclass(frozen=True)
class ApiCaller:
    """The authenticated user and their agent id, for one API request."""

    username: str
    agent_id: int
    via: str        # "session", "basic" or "token"


def error(status: int, message: str, **extra):
    """A JSON error: {"error": message, ...} with the status; 401 says how to authenticate."""
    response = jsonify(error=message, **extra)
    response.status_code = status
    if status == 401 and "X-Requested-With" not in request.headers \
            and "text/event-stream" not in request.headers.get("Accept", ""):
        response.headers["WWW-Authenticate"] = 'Basic realm="callcenter CTI API", charset="UTF-8"'
    return response


def _basic_user() -> tuple[User | None, bool]:
    """(the active user named by valid HTTP Basic credentials, else None; whether that name or address is locked).
    The same throttle as the login page (admin_web.auth.guard): every try counts, a lock refuses without a check."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
        return None, False
    session = get_session()
    address = request.remote_addr or ""
    if guard.lock_of(session, auth.username, address) is not None:
        return None, True
    user = session.scalar(select(User).where(User.username == auth.username))
    ok = (check_password_hash(user.password_hash, auth.password) if user is not None
          else check_password_hash(services.unknown_user_hash(), auth.password) and False)
    guard.record_attempt(session, auth.username, address, ok)
    session.commit()
    if not ok or user is None or not user.active:
        return None, False
    return user, False


def _cross_site_write() -> str | None:
    """Why a write must be refused as coming from another site: a browser sends a cross-site POST as a "simple"
    request (text/plain, a form) without asking first, and Basic credentials it remembers go with it. Writes must
    be JSON (which a cross-site page cannot send without a preflight this API never grants) and, when the browser
    says where the page came from, come from this site."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.mimetype != "application/json":
        return "writes must be sent as application/json"
    origin = request.headers.get("Origin")
    if origin and origin != request.host_url.rstrip("/"):
        return f"cross-site request from {origin} refused"
    return None


def _caller():
    """(ApiCaller, None) or (None, error response)."""
    bearer = request.headers.get("Authorization", "")
    if current_user.is_authenticated:
        username, agent_id, via = current_user.username, current_user.agent_id, "session"
    elif bearer.startswith("Bearer "):
        # a CRM's API token (R-CTI-8): it acts for one agent, until revoked; only its hash is stored
        session = get_session()
        agent_id = accounts.agent_of_token(session, bearer[len("Bearer "):].strip())
        if agent_id is None:
            return None, error(401, "unknown or revoked API token")
        session.commit()
        username, via = f"token:agent{agent_id}", "token"
        g._login_user = ConsoleUser(id=0, username=username, display_name="API token", role=Role.AGENT,
                                    agent_id=agent_id, locale="zh_CN")     # the audit names the token
    elif request.authorization is not None:
        user, locked = _basic_user()
        if locked:
            return None, error(429, "too many failed logins: try again later, or ask an administrator to unlock")
        if user is None:
            return None, error(401, "wrong username or password")
        username, agent_id, via = user.username, user.agent_id, "basic"
        g._login_user = ConsoleUser.from_model(user)   # current_user for this request only (audit), no cookie
    else:
        return None, error(401, "authentication required: log in to the console or use HTTP Basic")
    agent = get_session().get(Agent, agent_id) if agent_id is not None else None
    if agent is None:
        return None, error(403, "this account is not linked to an agent")
    if not agent.active:
        return None, error(403, "this agent is disabled")
    return ApiCaller(username, agent_id, via), None


def agent_api(view: Callable) -> Callable:
    """Authenticate the caller as an agent (g.caller); check CSRF on cookie-session writes."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        caller, failure = _caller()
        if failure is not None:
            return failure
        refused = _cross_site_write()
        if refused is not None:
            return error(415 if "json" in refused else 403, refused)
        if (caller.via == "session" and request.method not in ("GET", "HEAD", "OPTIONS")
                and current_app.config.get("WTF_CSRF_ENABLED", True)):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except (CSRFError, Exception):  # flask_wtf raises ValidationError for a bad token
                return error(400, "missing or invalid X-CSRFToken header")
        g.caller = caller
        return view(*args, **kwargs)

    wrapped.access = Access("agent")  # type: ignore[attr-defined]
    return wrapped
