"""Writing the switch's published status (SaveSwitchStatus) for the wallboard: one row per switch, replaced."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.domain.commands import SaveSwitchStatus
from engine.store.models.switch import SwitchStatus
from engine.store.repos import to_datetime

SWITCH_NAME = "switch"      # the engine drives one switch


def save_switch_status(session: Session, cmd: SaveSwitchStatus, name: str = SWITCH_NAME) -> None:
    """Replace the switch's published status (insert the row the first time)."""
    row = session.get(SwitchStatus, name) or SwitchStatus(name=name)
    row.connected, row.exempt = bool(cmd.connected), bool(cmd.exempt)
    row.sessions_per_second, row.max_sessions = cmd.sessions_per_second, cmd.max_sessions
    row.refused_total, row.refused_recent = int(cmd.refused_total), int(cmd.refused_recent)
    row.last_refused_at = to_datetime(cmd.last_refused_at)
    row.updated_at = to_datetime(cmd.at)
    session.add(row)
