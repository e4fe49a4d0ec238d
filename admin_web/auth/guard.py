"""Logins that can end and can't be guessed at: server-side sessions and the login throttle (issue 13, R-NF-4).

* **Sessions.** Each login is a `user_sessions` row with a random id; the signed cookie carries only that id
  (`sid`) besides Flask-Login's user id. A session ends at logout, when its user's password changes (every other
  session of that user) or the user is disabled, and after IDLE_TIMEOUT of no request: a copied cookie is dead
  after any of them. `last_seen_at` is written at most once a minute per session.
* **Throttle.** Every attempt is kept a day (`login_attempts`). A username with USER_FAILURES failures in a row
  within WINDOW is locked for LOCKOUT (whether or not it exists, so the lock tells nothing); an address with
  ADDRESS_FAILURES failures within WINDOW is refused for LOCKOUT. While locked, the password is not checked.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from admin_web.timeutil import as_utc, now_utc
from engine.store import accounts
from engine.store.models import LoginAttempt, UserSession

WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
USER_FAILURES = 10
ADDRESS_FAILURES = 50
KEEP_ATTEMPTS = dt.timedelta(days=1)
TOUCH_EVERY = dt.timedelta(seconds=60)


# ------------------------------------------------------------------ sessions
def start_session(db: Session, user_id: int, address: str) -> str:
    """A new login of this user; its id goes into the cookie."""
    sid = secrets.token_urlsafe(32)
    now = now_utc()
    db.add(UserSession(id=sid, user_id=user_id, created_at=now, last_seen_at=now, address=(address or "")[:64]))
    return sid


def session_alive(db: Session, sid: str | None, user_id: int, idle_timeout: dt.timedelta) -> bool:
    """Whether the cookie's session is still on (not revoked, not idle too long); keeps it alive."""
    row = db.get(UserSession, sid) if sid else None
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return False
    now = now_utc()
    seen = as_utc(row.last_seen_at)
    if now - seen > idle_timeout:
        row.revoked_at = now
        db.commit()
        return False
    if now - seen > TOUCH_EVERY:
        row.last_seen_at = now
        db.commit()
    return True


def end_session(db: Session, sid: str | None) -> None:
    if sid:
        db.execute(update(UserSession).where(UserSession.id == sid, UserSession.revoked_at.is_(None))
                   .values(revoked_at=now_utc()))


end_sessions_of = accounts.end_sessions      # password changed, disabled: every other session of the user ends


# ------------------------------------------------------------------ throttle
@dataclasses.dataclass(frozen=True)
class Lock:
    """Why a login may not be tried now, and until when."""

    by: str             # "user" or "address"
    until: dt.datetime

    def minutes_left(self, now: dt.datetime) -> int:
        return max(1, int((self.until - now).total_seconds() // 60) + 1)


def lock_of(db: Session, username: str, address: str, now: dt.datetime | None = None) -> Lock | None:
    """The lock on this username or this address, if any."""
    now = now or now_utc()
    since = now - WINDOW
    last_ok = db.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username,
                                                                LoginAttempt.ok.is_(True)))
    start = max(since, as_utc(last_ok)) if last_ok is not None else since
    user_fails = db.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.ok.is_(False), LoginAttempt.at > start)).one()
    if user_fails[0] >= USER_FAILURES and as_utc(user_fails[1]) + LOCKOUT > now:
        return Lock("user", as_utc(user_fails[1]) + LOCKOUT)
    address_fails = db.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.address == address, LoginAttempt.ok.is_(False), LoginAttempt.at > since)).one()
    if address_fails[0] >= ADDRESS_FAILURES and as_utc(address_fails[1]) + LOCKOUT > now:
        return Lock("address", as_utc(address_fails[1]) + LOCKOUT)
    return None


def record_attempt(db: Session, username: str, address: str, ok: bool) -> None:
    now = now_utc()
    db.add(LoginAttempt(username=username[:64], address=(address or "")[:64], at=now, ok=ok))
    if not ok:
        db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS))


unlock = accounts.unlock     # an administrator lifts a user's lock
