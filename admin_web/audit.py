"""Audit log writer: every create/edit/delete from the console adds one AuditEntry in the same transaction."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy.orm import Session

from engine.store.models import AuditEntry


def record(session: Session, action: str, target: str, detail: str = "") -> AuditEntry:
    """Add an audit entry by the logged-in user; committed (or rolled back) with the change it describes."""
    entry = AuditEntry(actor=current_user.username, action=action, target=target[:128], detail=detail)
    session.add(entry)
    return entry
