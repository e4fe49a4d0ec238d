"""Child process: migrate the scratch database and seed the failover center, with the project's own engine code.

Run as ``python benchmarks/failover/seed_db.py '<json spec>'`` with PYTHONPATH=<project root>. Spec:
{"database_url", "agents": [{"extension", "employee_no", "username", "password", "skills": {queue: level}}],
"queues": [{"code", "ring_timeout_s", "wrap_up_s", "callback_key"}], "numbers": {did: flow}}. Each queue
requires the skill of its own name. Agents are stored ready (logged in) as of now; each has a console user (role
agent) for the CTI API, with a cheap password hash: the benchmark's requests must not load the console.
"""
import json
import os
import sys

if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)     # this folder must not shadow anything the engine imports


def main(spec: dict) -> None:
    from werkzeug.security import generate_password_hash

    from engine.store.accounts import ensure_roles
    from engine.domain.states import AgentState, Role
    from engine.store.base import utcnow
    from engine.store.migrate import upgrade
    from engine.store.models import Agent, AgentSkill, PublishedNumber, Queue, QueueSkill, Skill, User
    from engine.store.session import make_engine, make_session_factory, transaction

    url = spec["database_url"]
    upgrade(url)
    db = make_engine(url)
    try:
        with transaction(make_session_factory(db)) as s:
            roles = ensure_roles(s)
            skills = {}
            for q in spec["queues"]:
                skills[q["code"]] = Skill(code=q["code"], name=f"failover {q['code']}")
                s.add(Queue(code=q["code"], name=f"failover {q['code']}", strategy="longest_idle",
                            ring_timeout_s=int(q["ring_timeout_s"]), wrap_up_s=int(q["wrap_up_s"]), max_wait_s=900,
                            moh="moh.wav", callback_key=q.get("callback_key"),
                            skills=[QueueSkill(skill=skills[q["code"]], min_level=1)]))
            for did, flow in spec["numbers"].items():
                s.add(PublishedNumber(number=did, name=f"failover {flow}", flow=flow))
            now = utcnow()
            for i, a in enumerate(spec["agents"]):
                agent = Agent(employee_no=a["employee_no"], name=f"Failover {a['extension']}",
                              extension=a["extension"], position=i + 1, state=AgentState.READY, state_since=now,
                              skills=[AgentSkill(skill=skills[q], level=lv) for q, lv in a["skills"].items()])
                s.add(agent)
                s.flush()
                s.add(User(username=a["username"], display_name=agent.name, role=roles[Role.AGENT],
                           agent_id=agent.id, password_hash=generate_password_hash(a["password"],
                                                                                   method="pbkdf2:sha256:1000")))
    finally:
        db.dispose()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
