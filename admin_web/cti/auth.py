"""Who is calling the API: the logged-in console user (cookie session), HTTP Basic credentials or a CRM's API token
(`Authorization: Bearer cct_…`, engine.store.accounts).

Either way the user must be active and linked to an agent; the agent is the only one they can see or act for. An
agent's token acts for its agent; a hall's token acts, on each request, for the agent of the hall's subtree named in
an `X-Agent: <employee no>` header (audited as token:hall<id>:<employee no>).
Cookie-session writes must carry the CSRF token in an X-CSRFToken header (the desktop page sends it), so another
site cannot drive an agent's phone through the agent's browser.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import threading
import time
from collections.abc import Callable

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from werkzeug.security import check_password_hash

from admin_web.access import Access
from admin_web.auth import guard, services
from admin_web.db import get_session
from admin_web.scope import subtree
from engine.domain.states import Role
from engine.store import accounts
from admin_web.security import ConsoleUser
from engine.store.models import Agent, Hall, User


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


class VerifiedCredentials:
    """HTTP Basic credentials this process has checked, for VERIFIED_S: a client sending the same name and password
    on every call pays the password hash (~0.1 s of CPU, scrypt) once, not per request (issue 14). Kept as an HMAC
    of name, password and the stored hash under the app's secret, never the password: a changed password (a new
    stored hash) or a disabled user (read on every request) no longer matches; a wrong password always pays the
    hash and counts in the login throttle."""

    VERIFIED_S = 300.0
    MAX = 10_000

    def __init__(self):
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def _key(self, secret: str, username: str, password: str, stored_hash: str) -> str:
        return hmac.new(secret.encode(), "\0".join((username, password, stored_hash)).encode(),
                        hashlib.sha256).hexdigest()

    def known(self, secret: str, username: str, password: str, stored_hash: str) -> bool:
        key = self._key(secret, username, password, stored_hash)
        with self._lock:
            return self._expiry.get(key, 0.0) > time.monotonic()

    def remember(self, secret: str, username: str, password: str, stored_hash: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._expiry) >= self.MAX:
                self._expiry = {k: t for k, t in self._expiry.items() if t > now}
                if len(self._expiry) >= self.MAX:
                    self._expiry.clear()
            self._expiry[self._key(secret, username, password, stored_hash)] = now + self.VERIFIED_S


def _verified() -> VerifiedCredentials:
    return current_app.extensions.setdefault("cti_verified_credentials", VerifiedCredentials())


def _basic_user() -> tuple[User | None, bool]:
    """(the active user named by valid HTTP Basic credentials, else None; whether that name or address is locked).
    The same throttle as the login page (admin_web.auth.guard): every try counts, a lock refuses without a check;
    credentials checked in the last VerifiedCredentials.VERIFIED_S pass without hashing again."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
        return None, False
    session = get_session()
    address = request.remote_addr or ""
    if guard.lock_of(session, auth.username, address) is not None:
        return None, True
    user = session.scalar(select(User).where(User.username == auth.username))
    secret, verified = str(current_app.secret_key), _verified()
    if user is not None and user.active and verified.known(secret, auth.username, auth.password, user.password_hash):
        return user, False
    ok = (check_password_hash(user.password_hash, auth.password) if user is not None
          else check_password_hash(services.unknown_user_hash(), auth.password) and False)
    guard.record_attempt(session, auth.username, address, ok)
    session.commit()
    if not ok or user is None or not user.active:
        return None, False
    verified.remember(secret, auth.username, auth.password, user.password_hash)
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


AGENT_HEADER = "X-Agent"


def _token_agent(session, scope: accounts.TokenScope, named: str):
    """(agent id, caller's name, None) for a live token and the X-Agent it was sent with, or (None, None, error).

    A hall's token must name the agent (employee number) in X-Agent, one of the hall's subtree: an agent elsewhere
    and an unknown one get the same 403, so that a token cannot probe other halls. An agent's token acts for its
    agent only: X-Agent may name that agent, no other."""
    if scope.hall_id is not None:
        hall = session.get(Hall, scope.hall_id, execution_options={"unscoped": True})
        if hall is None or not hall.active:
            return None, None, error(403, "this API token's hall is disabled")
        if not named:
            return None, None, error(400, f"a hall's API token must name the agent it acts for in the {AGENT_HEADER} "
                                          "header (the agent's employee number)")
        agent_id = session.scalar(select(Agent.id).where(Agent.employee_no == named,
                                                         Agent.hall_id.in_(subtree(session, scope.hall_id)))
                                  .execution_options(unscoped=True))
        if agent_id is None:
            return None, None, error(403, f"{AGENT_HEADER} names no agent of this token's hall")
        return agent_id, f"token:hall{scope.hall_id}:{named}", None
    if named:
        own = session.scalar(select(Agent.employee_no).where(Agent.id == scope.agent_id)
                             .execution_options(unscoped=True))
        if own != named:
            return None, None, error(403, f"this API token acts for one agent only; {AGENT_HEADER} names another")
    return scope.agent_id, f"token:agent{scope.agent_id}", None


def _caller():
    """(ApiCaller, None) or (None, error response)."""
    bearer = request.headers.get("Authorization", "")
    if current_user.is_authenticated:
        username, agent_id, via = current_user.username, current_user.agent_id, "session"
    elif bearer.startswith("Bearer "):
        # a CRM's API token (R-CTI-8): it acts for one agent, or for any agent of a hall's subtree whom each request
        # names in X-Agent; it works until revoked; only its hash is stored
        session = get_session()
        scope = accounts.token_scope(session, bearer[len("Bearer "):].strip())
        if scope is None:
            return None, error(401, "unknown or revoked API token")
        session.commit()
        agent_id, username, failure = _token_agent(session, scope, request.headers.get(AGENT_HEADER, "").strip())
        if failure is not None:
            return None, failure
        via = "token"
        g._login_user = ConsoleUser(id=0, username=username, display_name="API token", role=Role.AGENT,
                                    agent_id=agent_id, locale="zh_CN", hall_id=scope.hall_id)  # the audit names it
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

    wrapped.access = Access("agent", scope="own")  # type: ignore[attr-defined]
    return wrapped
