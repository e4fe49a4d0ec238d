"""The seeded center's configuration rows: three skills and queues, the 12366 number, teams of agents.

Rows that already exist (same skill/queue code, same employee number) are reused, so the year can be seeded
into a database that holds the demo data.
"""
from __future__ import annotations

import dataclasses
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.states import AgentState
from engine.store.base import utcnow
from engine.store.models import Agent, AgentGroup, AgentSkill, PublishedNumber, Queue, QueueSkill, Skill


@dataclasses.dataclass(frozen=True)
class Line:
    """One business line of the menu: key, queue (= skill) code, share of callers, handling times."""

    key: str
    queue: str
    name: str
    share: float
    talk_mean_s: float
    wrap_up_s: tuple[float, float]


LINES = (Line("1", "tax_policy", "税收政策", 0.55, 280.0, (45.0, 60.0)),
         Line("2", "etax", "电子税务局与发票", 0.30, 360.0, (50.0, 60.0)),
         Line("3", "social_fee", "社保费", 0.15, 240.0, (40.0, 55.0)))
FLOW = "tax_main"
DNIS = "12366"
TEAM_SIZE = 12
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "芳娜伟洋静磊敏强婷刚丽杰军勇艳涛明超秀霞平辉鹏华红玲飞斌宇浩凯健俊帆"


@dataclasses.dataclass(frozen=True)
class SeatPlan:
    """Who the simulation staffs: agent id -> employee number and the queues the agent can take."""

    agents: dict[int, tuple[str, frozenset[str]]]
    queue_ids: dict[str, int]


def skill_sets(n: int, rng: random.Random) -> list[dict[str, int]]:
    """A primary skill in proportion to the work each line brings, ~20 % with two skills, ~5 % with all three."""
    load = {line.queue: line.share * (line.talk_mean_s + sum(line.wrap_up_s) / 2) for line in LINES}
    total = sum(load.values())
    primaries = [code for code in load for _ in range(round(n * load[code] / total))]
    primaries = (primaries + [LINES[0].queue] * n)[:n]
    rng.shuffle(primaries)
    order = list(range(n))
    rng.shuffle(order)
    three, two = set(order[:round(n * 0.05)]), set(order[round(n * 0.05):round(n * 0.25)])
    out = []
    for i, primary in enumerate(primaries):
        skills = {primary: rng.randint(5, 10)}
        others = [line.queue for line in LINES if line.queue != primary]
        if i in three:
            skills.update({code: rng.randint(2, 8) for code in others})
        elif i in two:
            skills[rng.choice(others)] = rng.randint(2, 8)
        out.append(skills)
    return out


def ensure_center(session: Session, agents: int, rng: random.Random) -> SeatPlan:
    """Create (or reuse) the skills, queues, the 12366 number, teams and `agents` agents; return the plan."""
    skills = {s.code: s for s in session.scalars(select(Skill))}
    for line in LINES:
        if line.queue not in skills:
            skills[line.queue] = Skill(code=line.queue, name=line.name)
            session.add(skills[line.queue])
    queues = {q.code: q for q in session.scalars(select(Queue))}
    for line in LINES:
        if line.queue not in queues:
            queues[line.queue] = Queue(code=line.queue, name=line.name, wrap_up_s=int(line.wrap_up_s[1]),
                                       callback_key="9", skills=[QueueSkill(skill=skills[line.queue], min_level=1)])
            session.add(queues[line.queue])
    if session.scalar(select(PublishedNumber).where(PublishedNumber.number == DNIS)) is None:
        session.add(PublishedNumber(number=DNIS, name="纳税缴费服务热线", flow=FLOW))
    teams = {g.name: g for g in session.scalars(select(AgentGroup))}
    existing = {a.employee_no: a for a in session.scalars(select(Agent))}
    levels = skill_sets(agents, rng)
    now = utcnow()
    plan: dict[str, Agent] = {}
    for i in range(agents):
        employee_no = f"Y{3001 + i}"
        agent = existing.get(employee_no)
        if agent is None:
            team_name = f"话务{i // TEAM_SIZE + 1}组"
            if team_name not in teams:
                teams[team_name] = AgentGroup(name=team_name, description="12366 seeded year")
                session.add(teams[team_name])
            agent = Agent(employee_no=employee_no, name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                          extension=str(3001 + i), group=teams[team_name], position=i, state=AgentState.LOGGED_OUT,
                          state_since=now, skills=[AgentSkill(skill=skills[c], level=lv)
                                                   for c, lv in levels[i].items()])
            session.add(agent)
        plan[employee_no] = agent
    session.flush()
    line_skills = {skills[line.queue].id: line.queue for line in LINES}
    return SeatPlan(agents={a.id: (no, frozenset(line_skills[s.skill_id] for s in a.skills if s.skill_id in line_skills)
                                   or frozenset({LINES[0].queue})) for no, a in plan.items()},
                    queue_ids={code: q.id for code, q in queues.items()})
