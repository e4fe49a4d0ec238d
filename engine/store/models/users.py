"""Console users and their roles."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.domain.states import Role
from engine.store.base import Base, created_at, intpk, str_enum


class UserRole(Base):
    """A role (admin, supervisor, agent) with its display name."""

    __tablename__ = "user_roles"
    id: Mapped[intpk]
    code: Mapped[Role] = mapped_column(str_enum(Role, "role_code"), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class User(Base):
    """Someone who logs in to the console; an agent's user is linked to the agent."""

    __tablename__ = "users"
    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role_id: Mapped[int] = mapped_column(ForeignKey("user_roles.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    created_at: Mapped[created_at]
    last_login_at: Mapped[dt.datetime | None]
    # a one-time password (the first administrator's, a reset): changed at the next login before anything else
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # a supervisor's (or inspector's) own registered phone: supervision rings only this one
    extension: Mapped[str | None] = mapped_column(String(32))
    # the hall whose subtree this user sees and changes (admin_web/scope.py); none: every hall (the province's)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="SET NULL"), index=True)

    # a department user's department (承办单位): they see and handle only the orders dispatched to it
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"), index=True)

    role: Mapped[UserRole] = relationship(lazy="joined")


class UserSession(Base):
    """A console login, kept on the server so that it can end: at logout, when the password changes or the user is
    disabled (revoked_at), or after the idle timeout (last_seen_at). The cookie carries only its random id."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")


class LoginAttempt(Base):
    """One try at logging in (kept a day): the throttle counts recent failures by username and by address."""

    __tablename__ = "login_attempts"
    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    ok: Mapped[bool]


class ApiToken(Base):
    """A token a CRM uses on the CTI API (R-CTI-8): `Authorization: Bearer cct_…`. It acts either for one agent
    (agent_id) or for a hall (hall_id): a CRM serving a whole hall names, on each request (`X-Agent: <employee
    no>`), the agent of that hall's subtree it drives (admin_web/cti/auth.py). Exactly one of the two is set. Only
    its SHA-256 is kept; it works until revoked."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("(agent_id IS NOT NULL AND hall_id IS NULL) OR (agent_id IS NULL AND hall_id IS NOT NULL)",
                        name="agent_or_hall"),
    )
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[created_at]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
