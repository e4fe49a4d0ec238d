"""Child process: the console's users of the web load, with the engine under test on PYTHONPATH.

Run as ``python benchmarks/web/seed_users.py '<json spec>'``; spec: {"database_url", "employee_nos": [...],
"supervisors": N, "page_clients": N, "password"}. Prints {"tokens": {employee_no: token}} (each agent's desktop
authenticates with an API token, as a CRM would; a password hash per request is what issue 14 removed).
"""
import json
import os
import sys

if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)     # this folder must not shadow anything the engine imports


def main(spec: dict) -> None:
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from engine.domain.states import Role
    from engine.store import accounts
    from engine.store.models import Agent, User
    from engine.store.session import make_engine, make_session_factory, transaction

    db = make_engine(spec["database_url"])
    tokens = {}
    try:
        with transaction(make_session_factory(db)) as s:
            roles = accounts.ensure_roles(s)
            ids = {no: agent_id for no, agent_id in s.execute(
                select(Agent.employee_no, Agent.id).where(Agent.employee_no.in_(spec["employee_nos"])))}
            for employee_no in spec["employee_nos"]:
                tokens[employee_no] = accounts.create_token(s, ids[employee_no], "bench-web desktop", "bench")[1]
            password_hash = generate_password_hash(spec["password"])
            for prefix, role, n in (("sup", Role.SUPERVISOR, spec["supervisors"]),
                                    ("page", Role.ADMIN, spec["page_clients"]), ("report", Role.SUPERVISOR, 1)):
                for i in range(n):
                    s.add(User(username=f"{prefix}{i:03d}", password_hash=password_hash, display_name=f"{prefix}{i}",
                               role=roles[role]))
    finally:
        db.dispose()
    print(json.dumps({"tokens": tokens}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
