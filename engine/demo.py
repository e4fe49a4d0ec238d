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
HOTLINES = [("12366", "纳税缴费服务热线", "tax_main"), ("12345", "政务服务便民热线", "citizen_main")]
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
    for number, name, flow in HOTLINES:
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
    seed_knowledge(session)
    seed_work_orders(session)
    seed_quality(session)
    logger.info("demo data seeded: %d agents, %d queues, %d hotlines", len(AGENTS), len(QUEUES), len(HOTLINES))
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


def number_plan() -> list[tuple[str, str, str, str]]:
    """(number, hall code, flow, name) of the 200 demo numbers: the hotlines 12366/12345 and the province hall's own
    numbers, then each city's and its counties' (every hall has numbers, alternating tax_main / citizen_main)."""
    plan = [(number, hall_code(PROVINCE[0]), flow, name) for number, name, flow in HOTLINES]

    def add(region_code: str, hall_name: str, area: str, how_many: int) -> None:
        for i in range(1, how_many + 1):
            tax = i % 2 == 1
            plan.append((_demo_number(area, region_code, i), hall_code(region_code),
                         "tax_main" if tax else "citizen_main",
                         f"{hall_name}{'纳税缴费服务' if tax else '政务服务便民热线'}{i}"))

    county_total = sum(len(counties) for *_, counties in CITIES)
    province_own = DEMO_NUMBER_TOTAL - len(plan) - len(CITIES) * NUMBERS_PER_CITY - county_total * NUMBERS_PER_COUNTY
    add(PROVINCE[0], PROVINCE[1], "020", province_own)
    for code, name, area, counties in CITIES:
        add(code, name, area, NUMBERS_PER_CITY)
        for county_code, county_name in counties:
            add(county_code, county_name, area, NUMBERS_PER_COUNTY)
    return plan


def _demo_dids() -> list[tuple[str, str, str]]:
    """(number, name, flow) the demo callers dial: the hotlines, and the first number of every hall below the province
    that has demo agents. Tiered dispatch offers a number's call to its own hall's agents, then to its parent halls'
    (R-ACD-3), never to a child hall's: 1001 (福田) and 1003 (深圳) never get a hotline call, so without their halls'
    numbers the README's example login a1001 would never ring."""
    own_halls = set(AGENT_HALLS.values()) - {hall_code(PROVINCE[0])}
    firsts: dict[str, tuple[str, str, str]] = {}
    for number, hall, flow, name in number_plan():
        if hall in own_halls and hall not in firsts:
            firsts[hall] = (number, name, flow)
    return HOTLINES + list(firsts.values())


# the numbers `make run`'s demo callers dial (engine/cli.py hands them to the simulated switch)
NUMBERS = _demo_dids()


def seed_halls_and_numbers(session: Session) -> int:
    """The 广东省 hall tree (1 province, 5 cities, 42 counties), the 200 published numbers of `number_plan` across
    it (the hotlines 12366/12345 belong to the province hall) and the demo agents placed in halls. Returns the number
    of numbers in the tree. Does nothing if halls exist."""
    if session.scalar(select(func.count(Hall.id))):
        return 0
    province = Hall(code=hall_code(PROVINCE[0]), name=PROVINCE[1], level=HallLevel.PROVINCE, region_code=PROVINCE[0])
    session.add(province)
    session.flush()
    halls = {province.code: province.id}
    for code, name, _area, counties in CITIES:
        city = Hall(code=hall_code(code), name=name, level=HallLevel.CITY, region_code=code, parent_id=province.id)
        session.add(city)
        session.flush()
        halls[city.code] = city.id
        for county_code, county_name in counties:
            county = Hall(code=hall_code(county_code), name=county_name, level=HallLevel.COUNTY,
                          region_code=county_code, parent_id=city.id)
            session.add(county)
            session.flush()
            halls[county.code] = county.id
    existing = {n.number: n for n in session.scalars(select(PublishedNumber))}
    count = 0
    for number, hall, flow, name in number_plan():
        row = existing.get(number) or PublishedNumber(number=number, name=name, flow=flow)
        row.hall_id = halls[hall]
        session.add(row)
        count += 1
    for agent in session.scalars(select(Agent).where(Agent.extension.in_(AGENT_HALLS))):
        agent.hall_id = halls[AGENT_HALLS[agent.extension]]
    session.flush()
    logger.info("demo halls seeded: %d halls, %d numbers", len(halls), count)
    return count


# ---------------------------------------------------------------- knowledge base (知识库, issue 15 item 5)
# the category tree: (name, [sub-categories])
KNOWLEDGE_CATEGORIES = [
    ("税费政策", ["个人所得税", "增值税"]),
    ("电子税务局与发票", ["电子税务局", "发票"]),
    ("社保费", []),
    ("政务服务（12345）", ["户籍与证照", "住房公积金"]),
]
# (category, title, keywords, body, queues, IVR choices, state); 12345 answers follow the citizen flow's choices
KNOWLEDGE_ARTICLES = [
    ("个人所得税", "个人所得税专项附加扣除怎么填报", "个税 专项扣除 子女教育 赡养老人 住房租金 房贷利息",
     "专项附加扣除共七项：子女教育、继续教育、大病医疗、住房贷款利息、住房租金、赡养老人、3岁以下婴幼儿照护。\n"
     "填报方式：登录“个人所得税”APP或自然人电子税务局网页端，进入“专项附加扣除填报”，选择扣除年度和项目，"
     "按提示填写信息。\n"
     "申报方式：可选择“通过扣缴义务人申报”，由任职单位在每月预扣预缴时扣除；也可选择“综合所得年度自行申报”，"
     "在次年3月1日至6月30日办理年度汇算时扣除。\n"
     "主要标准：子女教育、3岁以下婴幼儿照护每个子女每月2000元；赡养老人独生子女每月3000元；"
     "住房贷款利息每月1000元；住房租金按城市每月1500元、1100元或800元。",
     ["tax_policy"], ["to_policy"], "published"),
    ("个人所得税", "个人所得税综合所得年度汇算怎么办理", "个税 汇算 退税 补税",
     "办理时间：每年3月1日至6月30日，办理上一年度的综合所得汇算。\n"
     "需要办理的情形：已预缴税额大于年度应纳税额且申请退税的；综合所得收入超过12万元且需要补税金额超过400元的。\n"
     "办理渠道：“个人所得税”APP首页“综合所得年度汇算”，可选择使用已填好的申报数据，核对收入、扣除后提交；"
     "退税需填写本人实名的境内银行账户。\n"
     "提醒：年度汇算初期可能需要预约，按APP提示的日期办理即可。",
     ["tax_policy"], ["to_policy"], "published"),
    ("电子税务局", "电子税务局登录不了怎么办", "登录 密码 实名 关联企业 账户中心",
     "1. 忘记密码：在登录页点击“忘记密码”，通过本人实名手机号接收验证码重置。\n"
     "2. 提示未查询到关联企业：企业办税人员须先完成实名认证，再由法定代表人或财务负责人登录，"
     "在“账户中心—人员权限管理”中添加该办税人员并授权。\n"
     "3. 页面空白或无法加载：请使用新版Chrome或Edge浏览器，清除缓存后重试。\n"
     "4. 仍无法登录：请记下页面提示的原文或截图，转人工或到办税服务厅处理。",
     ["etax"], ["to_etax"], "published"),
    ("发票", "数电发票（全面数字化的电子发票）怎么开具", "数电发票 全电发票 开票 蓝字发票 开票额度",
     "开具路径：登录电子税务局，进入“我要办税—开票业务—蓝字发票开具”，选择发票类型"
     "（增值税专用发票或普通发票），填写购买方名称、纳税人识别号和项目信息，核对后提交。\n"
     "交付：开具后系统自动交付到购买方的税务数字账户，也可通过邮箱、二维码等方式交付。\n"
     "开票额度不足：可在“开票业务—开票额度调整申请”中提出，税务机关审核后调整。",
     ["etax"], ["to_etax"], "published"),
    ("发票", "发票开错了怎么红冲", "红冲 红字发票 确认单 作废 开错",
     "数电发票开错后不能作废，应开具红字发票冲销。\n"
     "受票方未确认用途（未勾选抵扣、未入账）的，开票方可直接在“红字发票开具”中全额冲红。\n"
     "受票方已确认用途的，由开票方或受票方在电子税务局填开《红字发票信息确认单》，经对方确认后，"
     "开票方据此开具红字发票。",
     ["etax"], ["to_etax"], "published"),
    ("社保费", "灵活就业人员怎么缴纳社保费", "灵活就业 个体 社保 养老保险 缴费基数",
     "灵活就业人员可自愿参加企业职工基本养老保险和职工基本医疗保险。\n"
     "办理：先到人社、医保部门办理参保登记，再通过“粤税通”小程序、电子税务局（自然人业务）、"
     "银行网点或办税服务厅缴费。\n"
     "缴费基数：在当地公布的缴费基数上下限之间自行选择；可按月、按季或按年缴纳。",
     ["social_fee"], ["to_social"], "published"),
    ("社保费", "城乡居民医保怎么缴费", "城乡居民 医保 居民医保 缴费期",
     "城乡居民基本医疗保险按年度缴费，集中征收期内缴纳下一年度的费用（具体起止日期以当地通告为准）。\n"
     "渠道：“粤税通”小程序、微信或支付宝的城乡居民医保缴费入口、合作银行。\n"
     "新生儿、新参保人员可在征收期外按当地规定办理参保缴费。",
     ["social_fee"], ["to_social"], "published"),
    ("户籍与证照", "居住证怎么办理", "居住证 暂住证 申领 派出所",
     "在居住地居住半年以上，并有合法稳定就业、合法稳定住所或连续就读三者之一的，可申领居住证。\n"
     "办理地点：居住地公安派出所或街道（镇）政务服务中心，部分城市可网上申请。\n"
     "材料：本人居民身份证、近期照片，以及住所证明（租赁合同或房产证明）、就业或就读证明。",
     [], ["citizen_main/to_policy"], "published"),
    ("住房公积金", "住房公积金怎么提取", "公积金 提取 租房 购房 离职",
     "常见提取情形：购买、建造、翻建、大修自住住房；偿还住房贷款本息；租房自住；离职或退休等。\n"
     "渠道：住房公积金管理中心网站或APP、手机政务服务平台，部分情形需到服务网点办理。\n"
     "材料：身份证件和与提取情形对应的证明材料，如购房合同、租赁备案证明等。",
     [], ["citizen_main/to_social"], "published"),
    ("发票", "纸质发票领用（已改为数电发票）", "领票 纸质发票 发票领用",
     "本条为全面推行数电发票前的纸质发票领用流程，现已下架，请按“数电发票怎么开具”答复。",
     ["etax"], [], "retired"),
    ("增值税", "小规模纳税人增值税减免政策", "小规模 增值税 减免 起征点",
     "（草稿，待政策文件发布后补充）",
     ["tax_policy"], [], "draft"),
]


def seed_knowledge(session: Session) -> int:
    """The demo knowledge base: the category tree and the 12366 and 12345 answers above, meant for the demo queues
    and flows' choices; returns how many articles."""
    from engine.store import knowledge as kb
    categories = {}
    for position, (name, children) in enumerate(KNOWLEDGE_CATEGORIES):
        parent = kb.save_category(session, None, name=name, parent_id=None, position=position)
        categories[name] = parent
        for sub_position, child in enumerate(children):
            categories[child] = kb.save_category(session, None, name=child, parent_id=parent.id,
                                                 position=sub_position)
    for category, title, keywords, body, queues, ivr, state in KNOWLEDGE_ARTICLES:
        article = kb.save_article(session, None, kb.ArticleFields(
            title=title, body=body, keywords=keywords, category_id=categories[category].id, queue_codes=queues,
            ivr_choices=ivr), DEMO_LOGIN[0])
        if state in ("published", "retired"):
            kb.publish(article, DEMO_LOGIN[0])
        if state == "retired":
            kb.retire(article, DEMO_LOGIN[0])
    session.flush()
    logger.info("demo knowledge base seeded: %d articles", len(KNOWLEDGE_ARTICLES))
    return len(KNOWLEDGE_ARTICLES)


# ---------------------------------------------------------------- work orders (issue 15): categories, departments
ORDER_CATEGORIES = {
    "税费政策": ["个人所得税", "增值税", "社保费", "发票"],
    "纳税服务": ["办税服务厅", "电子税务局", "12366热线"],
    "城市管理": ["市容环境", "噪音扰民", "占道经营"],
    "民生服务": ["供水供电供气", "交通出行", "教育医疗"],
}
# (name, contact, office phone) of the provincial hall's departments; the first one has the demo login `dept`
DEPARTMENTS = [("纳税服务处", "陈科长", "020-83880001"), ("货物和劳务税处", "林科长", "020-83880002"),
               ("社会保险费处", "黄科长", "020-83880003"), ("征收管理处", "吴科长", "020-83880004"),
               ("城市管理局", "周科长", "020-83880005")]
DEMO_DEPARTMENT_LOGIN = ("dept", "dept123")


def seed_work_orders(session: Session) -> int:
    """The category tree, the province's departments and a department login (`dept` / `dept123`)."""
    from engine.store.models import Department, Hall, OrderCategory
    for position, (name, children) in enumerate(ORDER_CATEGORIES.items()):
        parent = OrderCategory(name=name, position=position)
        session.add(parent)
        session.flush()
        session.add_all(OrderCategory(name=child, parent_id=parent.id, position=i) for i, child in enumerate(children))
    province = session.scalar(select(Hall).where(Hall.parent_id.is_(None)).order_by(Hall.id))
    departments = [Department(hall_id=province.id, name=name, contact=contact, phone=phone)
                   for name, contact, phone in DEPARTMENTS]
    session.add_all(departments)
    session.flush()
    roles = ensure_roles(session)
    session.add(User(username=DEMO_DEPARTMENT_LOGIN[0], password_hash=generate_password_hash(DEMO_DEPARTMENT_LOGIN[1]),
                     display_name=f"{departments[0].name}经办人", role=roles[Role.DEPARTMENT],
                     hall_id=province.id, department_id=departments[0].id))
    session.flush()
    return len(departments)


# ---------------------------------------------------------------- quality inspection (issue 17): a card and a plan
DEMO_QUALITY_LOGIN = ("qc", "qc123")
# (category, item, maximum points or None for a fatal item, guidance) — a common 12366 card, 100 points
QUALITY_ITEMS = [
    ("服务态度", "规范开场白与结束语", 10, "使用“您好，12366纳税缴费服务热线，工号××为您服务”等规范用语"),
    ("服务态度", "语气亲切、耐心倾听，不打断来电人", 15, ""),
    ("业务能力", "准确理解诉求，政策解答准确完整", 30, "依据现行有效政策，口径统一"),
    ("业务能力", "一次解答到位，不推诿", 15, ""),
    ("技术能力", "系统与知识库操作熟练，保持、转接前告知来电人", 15, ""),
    ("记录规范", "工单、小结记录完整准确", 15, "诉求、答复要点、联系方式齐全"),
    ("服务态度", "泄露纳税人信息或与来电人争吵", None, "致命项：违反即整通0分"),
]


def seed_quality(session: Session) -> None:
    """A quality inspector login (`qc` / `qc123`), the 12366 scorecard above and a weekly sampling plan (two random
    calls per agent and week, every complaint or report order's call, unsatisfied ratings, calls over 10 minutes)."""
    from engine.store import quality
    from engine.store.models.quality import QaForm, QaPlan, QaPlanInspector
    roles = ensure_roles(session)
    inspector = User(username=DEMO_QUALITY_LOGIN[0], password_hash=generate_password_hash(DEMO_QUALITY_LOGIN[1]),
                     display_name="质检员", role=roles[Role.QUALITY])
    card = QaForm(name="12366 坐席服务质检评分表")
    session.add_all([inspector, card])
    quality.save_version(session, card, [quality.ItemInput(c, label, float(points or 0), float(points or 0),
                                                           points is None, guidance)
                                         for c, label, points, guidance in QUALITY_ITEMS], None)
    session.flush()
    session.add(QaPlan(name="每周随机抽检", form_id=card.id, per_agent=2, due_days=3, long_call_s=600,
                       inspectors=[QaPlanInspector(user_id=inspector.id)]))
    session.flush()
