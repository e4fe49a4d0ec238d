"""A fresh database for the day: three skills, three queues, DID 12366 -> tax_main, the center's agents.

Queue timings the engine runs itself (wrap-up, overflow/announce steps, maximum wait) are timers on the engine's
clock. The day simulation runs the switch and the engine on one accelerated clock (engine.clock), so it seeds them
as planned (time_scale 1: simulated seconds). With a time_scale below 1 — a simulator scaling its durations for
an engine on the wall clock — they would be seeded multiplied by it (whole seconds, at least 1: the columns are
integers). The ring timeout is never scaled: the engine passes it to the switch, which plays it out itself.
"""
from __future__ import annotations

import dataclasses
import json
import random

from engine.domain.states import AgentState
from engine.store.migrate import upgrade
from engine.store.models import Agent, AgentSkill, PublishedNumber, Queue, QueueSkill, Skill
from engine.store.session import make_engine, make_session_factory, transaction

from .profile import Profile

SKILL_NAMES = {"tax_policy": "税收政策", "etax": "电子税务局与发票", "social_fee": "社保费"}
STRATEGIES = {"tax_policy": "longest_idle", "etax": "highest_skill", "social_fee": "fewest_calls"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "芳娜伟洋静磊敏强婷刚丽杰军勇艳涛明超秀霞平辉鹏华红玲飞斌宇浩凯健俊帆"


@dataclasses.dataclass(frozen=True)
class QueueTimers:
    """The engine-timed settings of one queue, in simulated seconds and as seeded (real seconds)."""

    code: str
    wrap_up_sim: float
    wrap_up_real: int
    max_wait_sim: float
    max_wait_real: int
    steps: tuple            # (after_sim, after_real, action, detail)
    time_scale: float

    def effective(self, real_s: int) -> float:
        """What a seeded (rounded) real-time setting amounts to in simulated seconds."""
        return real_s / self.time_scale


def scaled(sim_s: float, time_scale: float) -> int:
    """Simulated seconds -> the whole real seconds the engine will wait (0 stays 0, else at least 1)."""
    return 0 if sim_s <= 0 else max(1, int(round(sim_s * time_scale)))


@dataclasses.dataclass(frozen=True)
class Seeded:
    agents: dict[int, dict]             # agent id -> {"ext", "employee_no", "skills": {code: level}}
    skills: dict[str, int]              # code -> id
    queues: dict[str, int]              # code -> id
    timers: dict[str, QueueTimers]


def skill_sets(n: int, profile: Profile, rng: random.Random, two_share: float = 0.20,
               three_share: float = 0.05) -> list[dict[str, int]]:
    """Each agent's skills with levels: a primary skill in proportion to the workload it brings (share x
    handling time), ~20 % with a second skill, ~5 % with all three; levels 1-10 (the primary one higher)."""
    load = {q.queue: q.share * (q.talk_mean_s + q.wrap_up_s) for q in profile.queues}
    total = sum(load.values())
    codes = list(load)
    counts = {c: int(n * load[c] / total) for c in codes}
    for c in sorted(codes, key=lambda c: -(n * load[c] / total - counts[c]))[: n - sum(counts.values())]:
        counts[c] += 1
    primaries = [c for c in codes for _ in range(counts[c])]
    rng.shuffle(primaries)
    n_three, n_two = int(round(n * three_share)), int(round(n * two_share))
    order = list(range(n))
    rng.shuffle(order)
    three, two = set(order[:n_three]), set(order[n_three:n_three + n_two])
    out = []
    for i, primary in enumerate(primaries):
        skills = {primary: rng.randint(4, 10)}
        if i in three:
            for c in codes:
                skills.setdefault(c, rng.randint(1, 8))
        elif i in two:
            others = [c for c in codes if c != primary]
            second = rng.choices(others, [load[c] for c in others])[0]
            skills[second] = rng.randint(1, 8)
        out.append(skills)
    return out


def seed(database_url: str, profile: Profile, n_agents: int, time_scale: float, rng: random.Random, *,
         max_wait_sim: float = 1200.0, announce_after_sim: float = 90.0, overflow_after_sim: float | None = None,
         ring_timeout_sim: int = 20, first_extension: int = 3001) -> Seeded:
    """Migrate the empty database and insert the day's configuration; agents start logged out."""
    upgrade(database_url)
    eng = make_engine(database_url)
    try:
        with transaction(make_session_factory(eng)) as s:
            skills = {code: Skill(code=code, name=name) for code, name in SKILL_NAMES.items()}
            s.add_all(skills.values())
            timers: dict[str, QueueTimers] = {}
            queues = {}
            for line in profile.queues:
                steps, rules = [], []
                if announce_after_sim:
                    after = scaled(announce_after_sim, time_scale)
                    rules.append({"after_s": after, "action": "announce", "prompt": "all_busy.wav"})
                    steps.append((announce_after_sim, after, "announce", "all_busy.wav"))
                if overflow_after_sim and line.queue == "social_fee":
                    after = scaled(overflow_after_sim, time_scale)
                    rules.append({"after_s": after, "action": "overflow", "queue": "tax_policy"})
                    steps.append((overflow_after_sim, after, "overflow", "tax_policy"))
                t = QueueTimers(line.queue, line.wrap_up_s, scaled(line.wrap_up_s, time_scale), max_wait_sim,
                                scaled(max_wait_sim, time_scale), tuple(steps), time_scale)
                timers[line.queue] = t
                queues[line.queue] = Queue(
                    code=line.queue, name=line.name, strategy=STRATEGIES.get(line.queue, "longest_idle"),
                    ring_timeout_s=ring_timeout_sim, wrap_up_s=t.wrap_up_real, max_wait_s=t.max_wait_real,
                    moh="local_stream://moh", overflow_rules=json.dumps(rules),
                    skills=[QueueSkill(skill=skills[line.queue], min_level=1)])
            s.add_all(queues.values())
            s.add(PublishedNumber(number="12366", name="纳税缴费服务热线", flow="tax_main"))
            agents = {}
            for i, sk in enumerate(skill_sets(n_agents, profile, rng)):
                ext = str(first_extension + i)
                name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]
                row = Agent(employee_no=f"T{i + 1:04d}", name=name, extension=ext, position=i + 1,
                            state=AgentState.LOGGED_OUT,
                            skills=[AgentSkill(skill=skills[c], level=lv) for c, lv in sk.items()])
                s.add(row)
                s.flush()
                agents[row.id] = {"ext": ext, "employee_no": row.employee_no, "skills": dict(sk)}
            s.flush()
            return Seeded(agents, {c: k.id for c, k in skills.items()}, {c: q.id for c, q in queues.items()},
                          timers)
    finally:
        eng.dispose()


def describe_skills(seeded: Seeded) -> str:
    from collections import Counter
    by_n = Counter(len(a["skills"]) for a in seeded.agents.values())
    holders = Counter(c for a in seeded.agents.values() for c in a["skills"])
    return (f"{len(seeded.agents)} agents: {by_n[1]} one skill, {by_n[2]} two, {by_n[3]} three; holders "
            + ", ".join(f"{c} {holders[c]}" for c in SKILL_NAMES))

