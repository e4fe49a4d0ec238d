"""Writing the switch's published status (SaveSwitchStatus) for the wallboard: one row per switch, replaced."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.domain.commands import SaveSwitchStatus
from engine.store.models.switch import SwitchStatus
from engine.store.repos import to_datetime

SWITCH_NAME = "switch"      # the engine drives one switch


COLUMNS = ("name", "connected", "sessions_per_second", "max_sessions", "exempt", "refused_total", "refused_recent",
           "last_refused_at", "updated_at", "sessions", "sessions_last_second")


def switch_status_row(cmd: SaveSwitchStatus, name: str = SWITCH_NAME) -> tuple:
    """The switch_status row of a publication (COLUMNS)."""
    return (name, bool(cmd.connected), cmd.sessions_per_second, cmd.max_sessions, bool(cmd.exempt),
            int(cmd.refused_total), int(cmd.refused_recent), to_datetime(cmd.last_refused_at), to_datetime(cmd.at),
            cmd.sessions, cmd.sessions_last_second)


def save_switch_status(session: Session, cmd: SaveSwitchStatus, name: str = SWITCH_NAME) -> None:
    """Replace the switch's published status (insert the row the first time)."""
    row = session.get(SwitchStatus, name) or SwitchStatus(name=name)
    for column, value in zip(COLUMNS[1:], switch_status_row(cmd, name)[1:]):
        setattr(row, column, value)
    session.add(row)
