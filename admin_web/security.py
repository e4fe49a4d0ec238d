"""Who is logged in (a detached snapshot of users + user_roles) and the role check every view uses."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, jsonify, request
from flask import session as flask_session
from flask_login import current_user
from flask_login import UserMixin

from admin_web.access import Access
from admin_web.extensions import login_manager
from engine.domain.states import Role
from engine.store.models import User

F = TypeVar("F", bound=Callable)


@dataclasses.dataclass(frozen=True)
class ConsoleUser(UserMixin):
    """The logged-in user, copied out of the ORM so no session outlives its request."""

    id: int
    username: str
    display_name: str
    role: Role
    agent_id: int | None
    locale: str
    active: bool = True
    must_change_password: bool = False      # a one-time password: nothing but changing it until it is changed
    hall_id: int | None = None              # the hall whose subtree this user sees (admin_web.scope); None: all
    department_id: int | None = None        # a department user's department: they see only its orders

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Flask-Login refuses inactive users."""
        return self.active

    @classmethod
    def from_model(cls, user: User) -> "ConsoleUser":
        """Snapshot of a users row (its role is eagerly joined by the model)."""
        return cls(id=user.id, username=user.username, display_name=user.display_name or user.username,
                   role=user.role.code, agent_id=user.agent_id, locale=user.locale, active=user.active,
                   must_change_password=bool(user.must_change_password), hall_id=user.hall_id,
                   department_id=user.department_id)


@login_manager.user_loader
def _load_user(user_id: str) -> ConsoleUser | None:
    """Reload the session's user each request, so deactivation or a role change applies at once."""
    from admin_web.db import get_session

    from admin_web.auth.guard import session_alive

    session = get_session()
    user = session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active:
        return None
    idle = dt.timedelta(minutes=current_app.config.get("IDLE_TIMEOUT_MINUTES", 30))
    if not session_alive(session, flask_session.get("sid"), user.id, idle):
        return None                     # logged out, replaced by a new password, or idle too long
    return ConsoleUser.from_model(user)


def roles_required(*roles: Role, scope: str = "hall") -> Callable[[F], F]:
    """Require a logged-in user having one of `roles`: anonymous → login page, wrong role → 403. `scope` says what
    data the route reaches (admin_web.access.SCOPES); a "centre" route changes the centre's shared configuration,
    which a hall's own user may read but never change (403 on anything but GET)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.endswith(".json"):  # polled by scripts: an answer they can read, not a redirect
                    return jsonify(error="login required"), 401
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            if scope == "centre" and current_user.hall_id is not None and request.method not in ("GET", "HEAD"):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = Access("roles", tuple(roles), scope)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


ADMIN = (Role.ADMIN,)
STAFF = (Role.ADMIN, Role.SUPERVISOR)
INSPECTORS = (*STAFF, Role.QUALITY)             # calls and recordings: read, listen, download
MONITORS = (*INSPECTORS, Role.VIEWER)           # home page, wallboard, reports: read only
