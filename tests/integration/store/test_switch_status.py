"""The switch's published status (SaveSwitchStatus) on every database kind: one row, inserted then replaced."""
import pytest
from sqlalchemy import select

from engine.domain.commands import SaveSwitchStatus
from engine.store import repos
from engine.store.models import SwitchStatus
from engine.store.session import make_engine, make_session_factory, transaction
from engine.store.switch_status import save_switch_status


@pytest.fixture
def sessions(database_url):
    eng = make_engine(database_url)
    yield make_session_factory(eng)
    eng.dispose()


def test_switch_status_is_inserted_then_replaced(sessions):
    with transaction(sessions) as s:       # at connect: limits not read yet
        save_switch_status(s, SaveSwitchStatus(connected=False, sessions_per_second=None, max_sessions=None,
                                               exempt=False, refused_total=0, refused_recent=0,
                                               last_refused_at=None, at=1_800_000_000.0))
    with transaction(sessions) as s:
        row = s.scalars(select(SwitchStatus)).one()
        assert (row.name, row.connected, row.sessions_per_second, row.max_sessions, row.exempt) == (
            "switch", False, None, None, False)
        assert (row.refused_total, row.refused_recent, row.last_refused_at) == (0, 0, None)
        assert repos.to_epoch(row.updated_at) == 1_800_000_000.0

    for at in (1_800_000_002.0, 1_800_000_004.5):
        with transaction(sessions) as s:
            save_switch_status(s, SaveSwitchStatus(connected=True, sessions_per_second=30, max_sessions=1000,
                                                   exempt=True, refused_total=7, refused_recent=3,
                                                   last_refused_at=1_800_000_001.25, at=at))
    with transaction(sessions) as s:
        rows = s.scalars(select(SwitchStatus)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.connected, row.sessions_per_second, row.max_sessions, row.exempt) == (True, 30, 1000, True)
        assert (row.refused_total, row.refused_recent) == (7, 3)
        assert repos.to_epoch(row.last_refused_at) == 1_800_000_001.25
        assert repos.to_epoch(row.updated_at) == 1_800_000_004.5

    with transaction(sessions) as s:       # the engine lost the switch; the refusals age out of the 15 minutes
        save_switch_status(s, SaveSwitchStatus(connected=False, sessions_per_second=30, max_sessions=1000,
                                               exempt=True, refused_total=7, refused_recent=0,
                                               last_refused_at=1_800_000_001.25, at=1_800_001_000.0))
    with transaction(sessions) as s:
        row = s.get(SwitchStatus, "switch")
        assert (row.connected, row.refused_recent, row.refused_total) == (False, 0, 7)
        assert repos.to_epoch(row.updated_at) == 1_800_001_000.0
