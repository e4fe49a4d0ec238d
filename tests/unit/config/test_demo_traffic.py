"""`make run`'s demo gives every demo agent login calls (issue 16 item 6): the numbers its simulated callers dial reach,
through the number's hall chain (tiered dispatch, R-ACD-3) and the number's flow, a queue each agent may serve."""
from __future__ import annotations

from sqlalchemy import select

from engine.cli import _sim_args
from engine.config import PROJECT_ROOT, load_config
from engine.demo import HOTLINES, seed_demo
from engine.domain.regions import tier_chain
from engine.domain.routing import is_eligible
from engine.ivr.loader import load_flow
from engine.ivr.model import QueueNode
from engine.store import numbers as numbers_repo
from engine.store import repos
from engine.store.models import PublishedNumber, User
from engine.store.session import make_engine, make_session_factory, transaction


def demo_dids() -> list[str]:
    """The numbers `callcenter run` (with its demo) tells the simulated switch's callers to dial."""
    args = _sim_args(load_config(env={}), demo=True)
    return args[args.index("--dids") + 1].split(",")


def logins_served(sessions, dids: list[str]) -> tuple[set[str], set[str]]:
    """(agent logins some call to `dids` may be offered to, all agent logins) of the demo center."""
    with transaction(sessions) as s:
        agents, queues, _numbers = repos.load_directory(s)
        halls = {h.hall_id: h for h in numbers_repo.hall_refs(s)}
        number_halls = numbers_repo.number_halls(s)
        flows = dict(s.execute(select(PublishedNumber.number, PublishedNumber.flow)).all())
        logins = dict(s.execute(select(User.agent_id, User.username).where(User.agent_id.is_not(None))).all())
    queue_skills = {q.code: q.required_skills for q in queues}
    served = set()
    for did in dids:
        hall = halls.get(number_halls.get(did))
        chain = {h.hall_id for h in tier_chain(hall, halls.values())} if hall else set()
        flow = load_flow(PROJECT_ROOT / "ivr_flows" / f"{flows[did]}.yaml")
        reachable = {node.queue for node in flow.nodes.values() if isinstance(node, QueueNode)}
        for agent in agents:
            in_chain = not chain or agent.hall_id is None or agent.hall_id in chain      # dispatch.may_serve
            if in_chain and any(is_eligible(agent, queue_skills[q]) for q in reachable):
                served.add(logins[agent.agent_id])
    return served, set(logins.values())


def test_every_demo_agent_login_gets_calls_from_the_demo_callers(tmp_path, sqlite_url):
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as s:
        assert seed_demo(s)
    try:
        served, logins = logins_served(sessions, demo_dids())
        assert len(logins) == 12
        assert served == logins
        assert "a1001" in served                       # the README's example login
        # the hotlines alone (the demo before issue 16) never reach the agents of the 福田 and 深圳 halls
        hotline_served, _ = logins_served(sessions, [n for n, _, _ in HOTLINES])
        assert logins - hotline_served == {"a1001", "a1003"}
    finally:
        engine.dispose()
