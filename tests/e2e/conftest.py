"""Whole-product fixtures: the simulated FreeSWITCH on an ephemeral port and the engine connected to it over ESL."""
from __future__ import annotations

import shutil

import gevent
import pytest
from sqlalchemy import update

from engine.bootstrap import Engine
from engine.config import PROJECT_ROOT, load_config
from engine.demo import AGENTS, seed_demo
from engine.fsim import SimSwitch
from engine.store.models import Queue
from engine.store.session import make_engine, make_session_factory, transaction

TIME_SCALE = 0.05       # simulated prompts, rings and patience run 20x faster


def wait_until(predicate, timeout=15.0, what="condition"):
    """Poll (cooperatively) until predicate() is truthy; fail naming what was awaited."""
    with gevent.Timeout(timeout, AssertionError(f"timed out waiting for {what}")):
        while True:
            value = predicate()
            if value:
                return value
            gevent.sleep(0.02)


def demo_switch(password: str = "ClueCon") -> SimSwitch:
    """A started simulated switch with the demo agents' phones registered and answering after ~1 s (scaled)."""
    switch = SimSwitch(host="127.0.0.1", esl_port=0, password=password, control_port=None,
                       dialplan_dir=str(PROJECT_ROOT / "dialplans"), time_scale=TIME_SCALE)
    switch.start()
    for ext, *_ in AGENTS:
        switch.add_phone(ext, behaviour="answer", answer_delay=1.0)
    return switch


@pytest.fixture
def sim():
    """The simulated switch of the demo's phones (demo mode: the shipped event socket password)."""
    switch = demo_switch()
    yield switch
    switch.stop()


def seeded_demo(url: str) -> str:
    """The demo data in a migrated database, wrap-up shortened for tests; the url."""
    eng = make_engine(url)
    with transaction(make_session_factory(eng)) as session:
        seed_demo(session)
        session.execute(update(Queue).values(wrap_up_s=1))
    eng.dispose()
    return url


def config_for(esl_port: int, db_url: str, tmp_path):
    """The shipped configuration pointed at a simulator, a test database and a copy of the flows."""
    flows = tmp_path / "flows"
    flows.mkdir()
    for path in (PROJECT_ROOT / "ivr_flows").glob("*.yaml"):
        shutil.copy(path, flows / path.name)
    return load_config(env={"CALLCENTER_ESL_PORT": str(esl_port), "CALLCENTER_DATABASE_URL": db_url,
                            "CALLCENTER_PATHS_RECORDINGS_DIR": str(tmp_path / "recordings"),
                            "CALLCENTER_PATHS_FLOWS_DIR": str(flows),
                            "CALLCENTER_PATHS_PROMPTS_DIR": str(PROJECT_ROOT / "ivr_flows" / "prompts")})


@pytest.fixture
def db_url(sqlite_url):
    """A migrated SQLite database with the demo data, wrap-up shortened for tests."""
    return seeded_demo(sqlite_url)


@pytest.fixture
def engine_config(sim, db_url, tmp_path):
    """The shipped configuration pointed at the simulator, the test database and a copy of the flows."""
    return config_for(sim.esl_port, db_url, tmp_path)


@pytest.fixture
def engine(engine_config):
    """The engine, connected to the simulator over real ESL TCP."""
    eng = Engine(engine_config, directory_reload_s=0.3)
    eng.start()
    wait_until(lambda: eng.switch.connected, 10, "the engine to connect to the switch")
    wait_until(lambda: eng.center.floor.directory_loaded, 10, "the directory")
    yield eng
    eng.stop()
