"""Child process: migrate a fresh database and seed the load scenario, with the engine under test on PYTHONPATH.

Run as ``python benchmarks/load/seed_db.py '<json spec>'`` with PYTHONPATH=<engine root>, so the schema and the
models are the ones of the engine being measured (another checkout may be at another migration).
Spec: {"database_url", "agents": [[extension, employee_no], ...], "queue", "skill", "number", "flow",
"ring_timeout_s", "wrap_up_s", "max_wait_s"}. Agents are stored ready (logged in) as of now; the engine
restores agent states from the database at start.
"""
import json
import os
import sys

if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)     # this folder must not shadow anything the engine imports


def main(spec: dict) -> None:
    from engine.domain.states import AgentState
    from engine.store.base import utcnow
    from engine.store.migrate import upgrade
    from engine.store.models import Agent, AgentSkill, PublishedNumber, Queue, QueueSkill, Skill
    from engine.store.session import make_engine, make_session_factory, transaction

    url = spec["database_url"]
    upgrade(url)
    db = make_engine(url)
    try:
        with transaction(make_session_factory(db)) as s:
            skill = Skill(code=spec["skill"], name="load benchmark")
            s.add(skill)
            s.add(Queue(code=spec["queue"], name="load benchmark", strategy="longest_idle",
                        ring_timeout_s=int(spec["ring_timeout_s"]), wrap_up_s=int(spec["wrap_up_s"]),
                        max_wait_s=int(spec["max_wait_s"]), moh="local_stream://moh",
                        skills=[QueueSkill(skill=skill, min_level=1)]))
            s.add(PublishedNumber(number=spec["number"], name="load benchmark", flow=spec["flow"]))
            now = utcnow()
            for i, (ext, employee_no) in enumerate(spec["agents"]):
                s.add(Agent(employee_no=employee_no, name=f"Load {ext}", extension=ext, position=i + 1,
                            state=AgentState.READY, state_since=now,
                            skills=[AgentSkill(skill=skill, level=5)]))
    finally:
        db.dispose()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
