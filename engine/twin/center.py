"""The twin's center: a fresh database with one queue and its agents, and a flow that puts every call straight into
that queue (the twin measures the queue; the IVR in front of it is not part of the Erlang figures)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.domain.states import AgentState
from engine.store.migrate import upgrade
from engine.store.models import Agent, AgentSkill, PublishedNumber, Queue, QueueSkill, Skill
from engine.store.session import make_engine, make_session_factory, transaction

DID = "95566"
FLOW = "twin"
FIRST_EXTENSION = 6001
RING_TIMEOUT_S = 20
MAX_WAIT_S = 4 * 3600          # nobody is released by the queue: callers leave by their own patience


@dataclasses.dataclass(frozen=True)
class TwinCenter:
    database_url: str
    flows_dir: str
    queue_code: str
    agents: dict[int, str]      # agent id -> extension, in the order they are staffed


def write_flow(flows_dir: Path, queue_code: str) -> None:
    """The number's flow: straight into the queue."""
    flows_dir.mkdir(parents=True, exist_ok=True)
    (flows_dir / f"{FLOW}.yaml").write_text(
        f"# digital twin (engine.twin): every call goes straight into the queue\n"
        f"name: {FLOW}\ndescription: 数字孪生\nstart: queue\nnodes:\n  queue:\n    type: queue\n"
        f"    queue: {queue_code}\n", encoding="utf-8")


def seed(database_url: str, flows_dir: Path, queue_code: str, agents: int, wrap_up_s: float,
         strategy: str = "longest_idle") -> TwinCenter:
    """Migrate the empty database and insert the queue, its skill, the number and `agents` agents (logged out)."""
    write_flow(flows_dir, queue_code)
    upgrade(database_url)
    eng = make_engine(database_url)
    try:
        with transaction(make_session_factory(eng)) as s:
            skill = Skill(code=queue_code, name=queue_code)
            s.add(skill)
            s.add(Queue(code=queue_code, name=queue_code, strategy=strategy, ring_timeout_s=RING_TIMEOUT_S,
                        wrap_up_s=int(round(wrap_up_s)), max_wait_s=MAX_WAIT_S, moh="local_stream://moh",
                        overflow_rules="[]", skills=[QueueSkill(skill=skill, min_level=1)]))
            s.add(PublishedNumber(number=DID, name="数字孪生", flow=FLOW))
            ids: dict[int, str] = {}
            for i in range(agents):
                ext = str(FIRST_EXTENSION + i)
                row = Agent(employee_no=f"TW{i + 1:04d}", name=f"坐席{i + 1}", extension=ext, position=i + 1,
                            state=AgentState.LOGGED_OUT, skills=[AgentSkill(skill=skill, level=5)])
                s.add(row)
                s.flush()
                ids[row.id] = ext
            return TwinCenter(database_url, str(flows_dir), queue_code, ids)
    finally:
        eng.dispose()
