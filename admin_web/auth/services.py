"""Users: password check at login, and creating users (for the CLI, seeding and tests)."""
from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from admin_web.timeutil import now_utc
from engine.domain.states import Role
from engine.store import accounts
from engine.store.models import User


class LoginResult(enum.Enum):
    """Why a login attempt succeeded or failed."""

    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    INACTIVE = "inactive"


_UNKNOWN_USER_HASH: list[str] = []


def unknown_user_hash() -> str:
    """A hash to check passwords for unknown usernames against, so that they take as long as wrong passwords
    (no telling from the answer time which usernames exist)."""
    if not _UNKNOWN_USER_HASH:
        _UNKNOWN_USER_HASH.append(generate_password_hash("no such user"))
    return _UNKNOWN_USER_HASH[0]


def authenticate(session: Session, username: str, password: str) -> tuple[LoginResult, User | None]:
    """Check the password; on success stamp last_login_at (the caller commits)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(unknown_user_hash(), password)
        return LoginResult.BAD_CREDENTIALS, None
    if not check_password_hash(user.password_hash, password):
        return LoginResult.BAD_CREDENTIALS, None
    if not user.active:
        return LoginResult.INACTIVE, None
    user.last_login_at = now_utc()
    return LoginResult.OK, user


def create_user(session: Session, username: str, password: str, role: Role, *, display_name: str = "",
                agent_id: int | None = None, active: bool = True, locale: str = "zh_CN") -> User:
    """Add a user with a hashed password (the caller commits)."""
    user = User(username=username, password_hash=generate_password_hash(password), display_name=display_name,
                role=accounts.role_row(session, role), agent_id=agent_id, active=active, locale=locale)
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, user_id: int, current: str, new: str) -> bool:
    """Set a new password if `current` is right (the caller commits); a one-time password is then spent."""
    user = session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current):
        return False
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    return True
