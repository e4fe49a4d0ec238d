"""Demo data for `make run`: roles, logins, groups, skills, queues, numbers and a dozen ready agents."""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.domain.states import AgentState, Role
from engine.store.base import utcnow
from engine.domain.regions import HallLevel
from engine.store.accounts import ensure_roles
from engine.store.models import (Agent, AgentGroup, AgentSkill, Hall, PublishedNumber, Queue, QueueSkill, Skill,
                                 User)

logger = logging.getLogger(__name__)

DEMO_LOGIN = ("admin", "admin123")
DEMO_SUPERVISOR_EXTENSION = "1099"      # the demo supervisor's own phone (the simulator registers it too)
SKILLS = [("tax_policy", "税收政策"), ("etax", "电子税务局与发票"), ("social_fee", "社保费")]
QUEUES = [("tax_policy", "税收政策咨询", "tax_policy"), ("etax", "电子税务局与发票", "etax"),
          ("social_fee", "社保费缴纳", "social_fee")]
NUMBERS = [("12366", "纳税缴费服务热线", "tax_main"), ("12345", "政务服务便民热线", "citizen_main")]
# (extension, name, group index, {skill: level}) — about 20 % hold two skills, one holds all three
AGENTS = [
    ("1001", "王芳", 0, {"tax_policy": 9, "etax": 6}), ("1002", "李娜", 0, {"tax_policy": 7}),
    ("1003", "张伟", 0, {"tax_policy": 6}), ("1004", "刘洋", 0, {"tax_policy": 8}),
    ("1005", "陈静", 0, {"tax_policy": 5, "social_fee": 4}), ("1006", "杨磊", 1, {"etax": 9}),
    ("1007", "赵敏", 1, {"etax": 7}), ("1008", "黄强", 1, {"etax": 6}),
    ("1009", "周婷", 1, {"etax": 5, "tax_policy": 3, "social_fee": 6}), ("1010", "吴刚", 2, {"social_fee": 8}),
    ("1011", "徐丽", 2, {"social_fee": 7}), ("1012", "孙杰", 2, {"social_fee": 6}),
]
GROUPS = [("税政一组", "税收政策咨询"), ("征管二组", "电子税务局与发票"), ("社保三组", "社保费")]


def seed_demo(session: Session) -> bool:
    """Insert the demo data unless the database already has agents; returns True when it seeded."""
    roles = ensure_roles(session)
    if session.scalar(select(func.count(Agent.id))):
        return False
    skills = {code: Skill(code=code, name=name) for code, name in SKILLS}
    session.add_all(skills.values())
    groups = [AgentGroup(name=name, description=desc) for name, desc in GROUPS]
    session.add_all(groups)
    for code, name, skill in QUEUES:
        session.add(Queue(code=code, name=name, ring_timeout_s=15, wrap_up_s=5, moh="moh.wav",
                          skills=[QueueSkill(skill=skills[skill], min_level=1)]))
    for number, name, flow in NUMBERS:
        session.add(PublishedNumber(number=number, name=name, flow=flow))
    now = utcnow()
    for ext, name, group, levels in AGENTS:
        agent = Agent(employee_no=f"A{ext}", name=name, extension=ext, group=groups[group], state=AgentState.READY,
                      state_since=now, skills=[AgentSkill(skill=skills[s], level=lv) for s, lv in levels.items()])
        session.add(agent)
        session.flush()
        session.add(User(username=f"a{ext}", password_hash=generate_password_hash(f"a{ext}"), display_name=name,
                         role=roles[Role.AGENT], agent_id=agent.id))
    session.add(User(username=DEMO_LOGIN[0], password_hash=generate_password_hash(DEMO_LOGIN[1]),
                     display_name="系统管理员", role=roles[Role.ADMIN]))
    session.add(User(username="supervisor", password_hash=generate_password_hash("supervisor123"),
                     display_name="值班班长", role=roles[Role.SUPERVISOR], extension=DEMO_SUPERVISOR_EXTENSION))
    session.flush()
    seed_halls_and_numbers(session)
    logger.info("demo data seeded: %d agents, %d queues, %d numbers", len(AGENTS), len(QUEUES), len(NUMBERS))
    return True


# ---------------------------------------------------------------- halls and published numbers (R-ADM-4, R-SCALE-3)
# 广东省 with five cities and their county-level divisions, GB/T 2260 codes; (code, name, area code, counties)
PROVINCE = ("440000", "广东省")
CITIES = [
    ("440100", "广州市", "020", [
        ("440103", "荔湾区"), ("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区"), ("440111", "白云区"),
        ("440112", "黄埔区"), ("440113", "番禺区"), ("440114", "花都区"), ("440115", "南沙区"), ("440117", "从化区"),
        ("440118", "增城区")]),
    ("440200", "韶关市", "0751", [
        ("440203", "武江区"), ("440204", "浈江区"), ("440205", "曲江区"), ("440222", "始兴县"), ("440224", "仁化县"),
        ("440229", "翁源县"), ("440232", "乳源瑶族自治县"), ("440233", "新丰县"), ("440281", "乐昌市"),
        ("440282", "南雄市")]),
    ("440300", "深圳市", "0755", [
        ("440303", "罗湖区"), ("440304", "福田区"), ("440305", "南山区"), ("440306", "宝安区"), ("440307", "龙岗区"),
        ("440308", "盐田区"), ("440309", "龙华区"), ("440310", "坪山区"), ("440311", "光明区")]),
    ("440500", "汕头市", "0754", [
        ("440507", "龙湖区"), ("440511", "金平区"), ("440512", "濠江区"), ("440513", "潮阳区"), ("440514", "潮南区"),
        ("440515", "澄海区"), ("440523", "南澳县")]),
    ("440600", "佛山市", "0757", [
        ("440604", "禅城区"), ("440605", "南海区"), ("440606", "顺德区"), ("440607", "三水区"), ("440608", "高明区")]),
]
DEMO_NUMBER_TOTAL = 200
NUMBERS_PER_COUNTY, NUMBERS_PER_CITY = 4, 5
# demo agents by hall: most work in the provincial center and answer the hotlines 12366/12345 (province numbers);
# 1001 sits in the 福田 county hall and 1003 in the 深圳 city hall, so Futian's numbers are answered there first,
# then in Shenzhen, then in the province (tiered dispatch county -> city -> province, R-ACD-3).
AGENT_HALLS = {ext: "GD-440000" for ext in (f"10{n:02d}" for n in range(1, 13))} | {"1001": "GD-440304",
                                                                                    "1003": "GD-440300"}


def hall_code(region_code: str) -> str:
    """Demo hall codes: GD-<region code>."""
    return f"GD-{region_code}"


def _demo_number(area: str, region_code: str, index: int) -> str:
    """A unique local DID: area code + 8 digits built from the region code (6 + 4 digits + 3-digit index)."""
    return f"{area}6{region_code[2:]}{index:03d}"


def seed_halls_and_numbers(session: Session) -> int:
    """The 广东省 hall tree (1 province, 5 cities, 42 counties), 200 published numbers across it (the hotlines
    12366/12345 belong to the province hall; every hall has numbers, alternating tax_main / citizen_main) and
    the demo agents placed in halls. Returns the number of numbers in the tree. Does nothing if halls exist."""
    if session.scalar(select(func.count(Hall.id))):
        return 0
    province = Hall(code=hall_code(PROVINCE[0]), name=PROVINCE[1], level=HallLevel.PROVINCE, region_code=PROVINCE[0])
    session.add(province)
    session.flush()
    existing = {n.number: n for n in session.scalars(select(PublishedNumber))}
    count = 0
    for number, name, flow in NUMBERS:
        row = existing.get(number) or PublishedNumber(number=number, name=name, flow=flow)
        row.hall_id = province.id
        session.add(row)
        count += 1

    def add_numbers(hall: Hall, area: str, how_many: int) -> None:
        nonlocal count
        for i in range(1, how_many + 1):
            tax = i % 2 == 1
            session.add(PublishedNumber(
                number=_demo_number(area, hall.region_code, i), hall_id=hall.id,
                flow="tax_main" if tax else "citizen_main",
                name=f"{hall.name}{'纳税缴费服务' if tax else '政务服务便民热线'}{i}"))
            count += 1

    county_total = sum(len(counties) for *_, counties in CITIES)
    province_own = DEMO_NUMBER_TOTAL - count - len(CITIES) * NUMBERS_PER_CITY - county_total * NUMBERS_PER_COUNTY
    add_numbers(province, "020", province_own)
    for code, name, area, counties in CITIES:
        city = Hall(code=hall_code(code), name=name, level=HallLevel.CITY, region_code=code, parent_id=province.id)
        session.add(city)
        session.flush()
        add_numbers(city, area, NUMBERS_PER_CITY)
        for county_code, county_name in counties:
            county = Hall(code=hall_code(county_code), name=county_name, level=HallLevel.COUNTY,
                          region_code=county_code, parent_id=city.id)
            session.add(county)
            session.flush()
            add_numbers(county, area, NUMBERS_PER_COUNTY)
    halls = {h.code: h.id for h in session.scalars(select(Hall))}
    for agent in session.scalars(select(Agent).where(Agent.extension.in_(AGENT_HALLS))):
        agent.hall_id = halls[AGENT_HALLS[agent.extension]]
    session.flush()
    logger.info("demo halls seeded: %d halls, %d numbers", len(halls), count)
    return count
