"""Console accounts as an administrator manages them, from the console (admin_web/users) or the command line
(`callcenter users ...`): create with a one-time password, edit, disable (every session ends), reset the password
(a new one-time password; every session ends), unlock (the login throttle's recent failures are forgotten).

A one-time password is returned to be shown once and never stored in clear; its user must change it at the next
login (users.must_change_password). The last active administrator cannot be disabled nor lose the role.
"""
from __future__ import annotations

import dataclasses
import re
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.domain.states import Role
from engine.store.base import utcnow
from engine.store.models import Agent, Hall, LoginAttempt, User, UserRole, UserSession

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


class AccountError(ValueError):
    """A change refused: `code` says why (the console shows it in the user's language), the message in English
    (the command line, the logs)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def one_time_password() -> str:
    """Easy to read out and type once: four groups of four, no look-alike characters."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(re.findall("....", raw))


@dataclasses.dataclass
class AccountFields:
    display_name: str = ""
    role: Role = Role.AGENT
    agent_id: int | None = None
    extension: str | None = None
    locale: str = "zh_CN"
    hall_id: int | None = None          # the hall whose subtree the user sees; None: every hall
    department_id: int | None = None    # a department user's department (承办单位); their hall is the department's


# The console roles' rows (user_roles): created here only, whoever needs one first (first run, the demo, a test).
ROLE_NAMES = {Role.ADMIN: "管理员", Role.SUPERVISOR: "班长", Role.AGENT: "坐席", Role.QUALITY: "质检员",
              Role.VIEWER: "只读查看", Role.DEPARTMENT: "承办单位"}


def role_row(session: Session, role: Role) -> UserRole:
    """The user_roles row of `role`, created if missing."""
    row = session.scalar(select(UserRole).where(UserRole.code == role))
    if row is None:
        row = UserRole(code=role, name=ROLE_NAMES[role])
        session.add(row)
        session.flush()
    return row


def ensure_roles(session: Session) -> dict[Role, UserRole]:
    """Every role's row exists (needed even without demo data)."""
    return {role: role_row(session, role) for role in ROLE_NAMES}


def _check(session: Session, fields: AccountFields, user_id: int | None) -> None:
    if fields.role is Role.AGENT and fields.agent_id is None:
        raise AccountError("agent_required", "an agent's account must be linked to an agent")
    if fields.agent_id is not None:
        if session.get(Agent, fields.agent_id) is None:
            raise AccountError("no_agent", f"no agent {fields.agent_id}")
        other = session.scalar(select(User.id).where(User.agent_id == fields.agent_id, User.id != (user_id or 0)))
        if other is not None:
            raise AccountError("agent_taken", "that agent already has an account")
    if fields.role is Role.DEPARTMENT:
        from engine.store.models import Department
        if fields.department_id is None:
            raise AccountError("department_required", "a department user's account must name the department")
        department = session.get(Department, fields.department_id)
        if department is None:
            raise AccountError("no_department", f"no department {fields.department_id}")
        fields.hall_id = department.hall_id
    elif fields.department_id is not None:
        fields.department_id = None
    if fields.hall_id is not None and session.get(Hall, fields.hall_id) is None:
        raise AccountError("no_hall", f"no hall {fields.hall_id}")
    if fields.extension is not None and not fields.extension.isdigit():
        raise AccountError("bad_extension", "the extension must contain digits only")


def create(session: Session, username: str, fields: AccountFields) -> tuple[User, str]:
    """A new account and its one-time password (the caller commits, then shows the password once)."""
    if not USERNAME.match(username or ""):
        raise AccountError("bad_username", "a username is 2 to 64 letters, digits or . _ @ -")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise AccountError("username_taken", f"the username {username} is taken")
    _check(session, fields, None)
    password = one_time_password()
    user = User(username=username, password_hash=generate_password_hash(password),
                display_name=fields.display_name or username, role=role_row(session, fields.role),
                agent_id=fields.agent_id, extension=fields.extension or None, locale=fields.locale,
                hall_id=fields.hall_id, department_id=fields.department_id, must_change_password=True)
    session.add(user)
    session.flush()
    return user, password


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).join(UserRole).where(
        UserRole.code == Role.ADMIN, User.active.is_(True))) or 0


def edit(session: Session, user: User, fields: AccountFields) -> None:
    """Change what an account is (the caller commits)."""
    _check(session, fields, user.id)
    if user.role.code is Role.ADMIN and fields.role is not Role.ADMIN and user.active and _active_admins(session) <= 1:
        raise AccountError("last_admin_role", "the last active administrator keeps the role")
    user.display_name = fields.display_name or user.username
    user.role = role_row(session, fields.role)
    user.agent_id, user.extension, user.locale = fields.agent_id, fields.extension or None, fields.locale
    user.hall_id, user.department_id = fields.hall_id, fields.department_id


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable; a disabled account's sessions end at once."""
    if not active and user.active and user.role.code is Role.ADMIN and _active_admins(session) <= 1:
        raise AccountError("last_admin_disable", "the last active administrator cannot be disabled")
    user.active = active
    if not active:
        end_sessions(session, user.id)


def reset_password(session: Session, user: User) -> str:
    """A new one-time password (to be shown once); every session of the account ends."""
    password = one_time_password()
    user.password_hash = generate_password_hash(password)
    user.must_change_password = True
    end_sessions(session, user.id)
    unlock(session, user.username)
    return password


def end_sessions(session: Session, user_id: int, except_sid: str | None = None) -> int:
    """End every session of an account (but the one given)."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if except_sid:
        query = query.where(UserSession.id != except_sid)
    return session.execute(query.values(revoked_at=utcnow())).rowcount or 0


def unlock(session: Session, username: str) -> int:
    """Lift the login throttle's lock on a username (its recent failures are forgotten)."""
    return session.execute(delete(LoginAttempt).where(LoginAttempt.username == username,
                                                      LoginAttempt.ok.is_(False))).rowcount or 0


# ------------------------------------------------------------------ API tokens (CTI API, R-CTI-8)
TOKEN_PREFIX = "cct_"


def token_hash(token: str) -> str:
    import hashlib
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class TokenScope:
    """What a live API token may act for: one agent (agent_id), or any agent of a hall's subtree (hall_id)."""

    token_id: int
    agent_id: int | None = None
    hall_id: int | None = None


def create_token(session: Session, agent_id: int | None = None, name: str = "token", created_by: str = "",
                 hall_id: int | None = None) -> tuple[int, str]:
    """A new token in an agent's name, or a hall's (exactly one of the two): (its id, the token, to be shown once;
    only its hash is kept)."""
    from engine.store.models import ApiToken
    if (agent_id is None) == (hall_id is None):
        raise AccountError("agent_or_hall", "a token acts for exactly one agent or one hall")
    if agent_id is not None and session.get(Agent, agent_id) is None:
        raise AccountError("no_agent", f"no agent {agent_id}")
    if hall_id is not None and session.get(Hall, hall_id) is None:
        raise AccountError("no_hall", f"no hall {hall_id}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=(name or "token")[:64], token_hash=token_hash(token), agent_id=agent_id, hall_id=hall_id,
                   created_by=(created_by or "")[:64])
    session.add(row)
    session.flush()
    return row.id, token


def token_scope(session: Session, token: str) -> TokenScope | None:
    """What a live token acts for (its use stamped), or None (unknown, revoked)."""
    from engine.store.models import ApiToken
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    row.last_used_at = utcnow()
    return TokenScope(token_id=row.id, agent_id=row.agent_id, hall_id=row.hall_id)


def agent_of_token(session: Session, token: str) -> int | None:
    """The agent a live agent token acts for (its use stamped), or None (a hall token names no one agent)."""
    scope = token_scope(session, token)
    return scope.agent_id if scope is not None else None


def revoke_token(session: Session, token_id: int) -> bool:
    from engine.store.models import ApiToken
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
