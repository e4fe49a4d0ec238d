"""The live feed (issue 14, item 1; admin_web/live.py, engine/store/live.py): the engine publishes what changed
once, in the transaction of the change; each console process reads it once for all its streams and wakes only the
streams whose topic moved. A desktop sees its own change at once; idle streams cost the database nothing; the
floor's and the wallboard's figures are computed once per tick for all their viewers. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import event

from engine.domain.states import AgentState, NotReadyReason, Role
from engine.store import accounts
from engine.store.models import Agent
from admin_web.auth.services import create_user
from .helpers import set_state
from .test_cti import _events

STREAMS = 12


@pytest.fixture
def db_url(database_url):
    """The console on each database kind (PostgreSQL: LISTEN/NOTIFY; SQLite: the table read by the listener)."""
    return database_url


@pytest.fixture
def agents(db, seed):
    """STREAMS agents, each with an API token (what a CRM or a desktop would send)."""
    out = []
    for i in range(STREAMS):
        agent = Agent(employee_no=f"3{i:03d}", name=f"坐席{i}", extension=f"83{i:02d}", state=AgentState.READY,
                      state_since=dt.datetime.now(dt.timezone.utc))
        db.add(agent)
        db.flush()
        _, token = accounts.create_token(db, agent.id, "desk")
        out.append((agent.id, token))
    db.commit()
    return out


class Desktop(threading.Thread):
    """One agent's event stream, opened and read in a thread of its own (as each browser has its connection):
    its events, with when each arrived."""

    def __init__(self, app, token: str, want: int = 99, timeout: float = 8.0):
        super().__init__(daemon=True)
        self.app, self.token, self.want, self.timeout = app, token, want, timeout
        self.events: list[tuple[float, str, dict]] = []
        self.opened = threading.Event()
        self.start()

    def run(self) -> None:
        response = self.app.test_client().get("/api/v1/events", headers={"Authorization": f"Bearer {self.token}"},
                                              buffered=False)
        chunks = response.iter_encoded()
        self.opened.set()
        deadline = time.monotonic() + self.timeout
        while len(self.events) < self.want and time.monotonic() < deadline:
            for kind, data in _events(chunks, 1, timeout=deadline - time.monotonic()):
                self.events.append((time.monotonic(), kind, data))
        response.close()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[tuple[float, str, dict]]:
        deadline = time.monotonic() + timeout
        while len(self.events) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.events


def test_a_desktop_sees_its_own_change_at_once_and_only_its_own(app, agents, db):
    app.config.update(CTI_EVENTS_LIFETIME_S=6)
    (mine, my_token), (_other, other_token) = agents[0], agents[1]
    me, other = Desktop(app, my_token, timeout=5.0), Desktop(app, other_token, timeout=5.0)
    assert me.wait_for(1)[0][2]["state"] == "ready" and other.wait_for(1)[0][1] == "state"
    time.sleep(0.2)
    changed_at = time.monotonic()
    set_state(db, mine, AgentState.NOT_READY, NotReadyReason.BREAK)
    at, kind, data = me.wait_for(2)[1]
    assert kind == "state" and data["state"] == "not_ready" and data["agent"]["id"] == mine
    assert at - changed_at < 0.5, at - changed_at
    time.sleep(0.5)
    assert len(other.events) == 1           # another agent's change does not wake this stream


def test_idle_streams_cost_the_database_nothing_but_the_feeds_own_read(app, agents, db):
    app.config.update(CTI_EVENTS_LIFETIME_S=5)
    desktops = [Desktop(app, token, timeout=4.0) for _agent_id, token in agents]
    assert all(len(d.wait_for(1)) == 1 for d in desktops)
    time.sleep(0.3)                         # every stream has sent its first event and waits on the feed
    statements: list[str] = []
    engine = app.extensions["db_engine"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        time.sleep(1.0)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [s for s in statements if "live_changes" not in s] == []    # no stream read anything meanwhile
    assert len(statements) <= 1.0 / app.config["LIVE_POLL_S"] + 2      # one listener, not one per stream
    set_state(db, agents[3][0], AgentState.NOT_READY, NotReadyReason.MEAL)
    assert desktops[3].wait_for(2)[1][2]["state"] == "not_ready"
    time.sleep(0.3)
    assert [len(d.events) for i, d in enumerate(desktops) if i != 3] == [1] * (STREAMS - 1)


def test_the_floor_figures_are_computed_once_per_tick_for_all_viewers(app, db, seed, monkeypatch):
    from admin_web.floor import views
    from .helpers import login
    create_user(db, "super2", "s3cret-pass", Role.SUPERVISOR)
    db.commit()
    app.config.update(FLOOR_SHARED_S=30.0)
    computed = []
    real = views._figures
    monkeypatch.setattr(views, "_figures", lambda: computed.append(1) or real())
    viewers = []
    for username in ("super", "super2"):
        client = app.test_client()
        assert login(client, username).status_code == 302
        viewers.append(client)
    answers = [c.get("/floor/data.json").get_json() for c in viewers for _ in range(3)]
    assert len(computed) == 1 and all(a == answers[0] for a in answers)
    english = viewers[0].get("/floor/data.json?lang=en").get_json()      # another language: its own figures
    assert len(computed) == 2 and english["agents"][0]["state_label"] != answers[0]["agents"][0]["state_label"]
