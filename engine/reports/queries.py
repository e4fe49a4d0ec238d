"""Call figures per period and per queue / skill / hall / agent / group / direction / trunk group, from rollups.

Ranges are [start, end) epochs. Grains of a day or longer over whole days read the daily table (a year is
a few hundred thousand rows at most); 15-minute and hourly grains read the 15-minute table.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.reports.definitions import Definitions
from engine.reports.figures import MAX_NAMES, REWAITS, SUM_NAMES, add_sums, call_figures, empty_sums, merged
from engine.reports.periods import SUB_DAY_GRAINS, day_start, period_of
from engine.reports.rollups import REWAIT
from engine.store.models import Agent, AgentGroup, Hall, Queue, QueueSkill, Skill
from engine.store.models.reports import ReportCalls15m, ReportCallsDay

DIMENSIONS = ("all", "queue", "skill", "hall", "agent", "group", "direction", "trunk")
_DIM_COLUMN = {"queue": "queue_code", "skill": "queue_code", "hall": "hall_id", "agent": "agent_id",
               "group": "agent_id", "direction": "direction", "trunk": "trunk"}
# Where a call's wait after a transfer back to a queue counts (engine.reports.rollups.REWAIT): for the queue it
# entered (and that queue's skills) and the agent who took it (and the agent's group). Everywhere else one
# caller's call is one request: totals, periods, halls, directions, trunk groups.
EVERY_WAIT_DIMENSIONS = ("queue", "skill", "agent", "group")


def counts_every_wait(dimension: str, where: dict | None = None) -> bool:
    """Whether figures per `dimension` (filtered by `where`) count the waits after a transfer back to a queue."""
    return dimension in EVERY_WAIT_DIMENSIONS or any(name in EVERY_WAIT_DIMENSIONS for name in (where or {}))


@dataclasses.dataclass
class Row:
    """One line of a report: a period × a dimension value, with its sums and figures."""

    period_start: int
    period: str
    key: str
    label: str
    sums: dict[str, int]
    figures: dict[str, float | int | None]

    def as_dict(self) -> dict:
        return {"period_start": self.period_start, "period": self.period, "key": self.key, "label": self.label,
                **self.figures}


@dataclasses.dataclass
class Report:
    """Rows in period then label order, and the total of the whole range."""

    rows: list[Row]
    total: Row
    dimension: str
    grain: str
    start: int
    end: int


def uses_daily_table(start: int, end: int, grain: str) -> bool:
    """Whether the daily rollup answers this range and grain exactly."""
    return grain not in SUB_DAY_GRAINS and day_start(start) == start and day_start(end) == end


def raw_sums(session: Session, start: int, end: int, grain: str, dimension: str,
             where: dict | None = None, by_agent: bool = False) -> dict[tuple[int, str, bool], dict[str, int]]:
    """{(bucket, raw dimension value, rewait): sums} of the range (bucket = 15-minute or day start; rewait: the
    rows of waits after a transfer back to a queue, engine.reports.rollups.REWAIT).

    An ORM query of the rollup model, so that a console session scoped to some halls gets its criteria (the
    call's hall; the handling agent's hall with `by_agent`, as agent statistics count: admin_web.scope)."""
    model = ReportCallsDay if uses_daily_table(start, end, grain) else ReportCalls15m
    bucket = (model.day if model is ReportCallsDay else model.bucket).label("bucket")
    dim = getattr(model, _DIM_COLUMN[dimension]).label("dim") if dimension in _DIM_COLUMN else None
    rewait = case((model.trunk == REWAIT, 1), else_=0).label("rewait")
    cols = [func.sum(getattr(model, n)).label(n) for n in SUM_NAMES]
    cols += [func.max(getattr(model, n)).label(n) for n in MAX_NAMES]
    group = [bucket] + ([dim] if dim is not None else []) + [rewait]
    query = select(*group, *cols).where(bucket.element >= start, bucket.element < end).group_by(
        *(c.element for c in group))
    for name, value in (where or {}).items():
        query = query.where(getattr(model, _DIM_COLUMN.get(name, name)) == value)
    if by_agent:
        query = query.execution_options(scope_by="agent")
    out: dict[tuple[int, str, bool], dict[str, int]] = {}
    for row in session.execute(query).mappings():
        key = str(row["dim"]) if dim is not None else ""
        if dimension == "trunk" and key == REWAIT:
            key = ""                    # not a trunk group: call entries, as every other call entry
        sums = {n: int(row[n] or 0) for n in (*SUM_NAMES, *MAX_NAMES)}
        slot = (int(row["bucket"]), key, bool(row["rewait"]))
        out[slot] = add_sums(out[slot], sums) if slot in out else sums
    return out


def fold_rewaits(raw: dict[tuple[int, str, bool], dict[str, int]], every_wait: bool) -> dict[tuple[int, str],
                                                                                                 dict[str, int]]:
    """{(bucket, value): sums} from raw_sums: the rows of waits after a transfer back to a queue added in when
    `every_wait`, else left out; either way their `queued` entries are counted as `rewaits`."""
    out: dict[tuple[int, str], dict[str, int]] = {}
    for (bucket, key, rewait), sums in raw.items():
        acc = out.get((bucket, key))
        if acc is None:
            acc = out[(bucket, key)] = empty_sums()
        if not rewait:
            add_sums(acc, sums)
            continue
        acc[REWAITS] += sums["queued"]
        if every_wait:
            add_sums(acc, sums)
    return out


def sums_by(session: Session, start: int, end: int, grain: str, dimension: str,
            where: dict | None = None, by_agent: bool = False) -> dict[tuple[int, str], dict[str, int]]:
    """{(bucket, raw dimension value): sums} of the range (bucket = 15-minute or day start), the waits after a
    transfer back to a queue counted as `counts_every_wait` says for the dimension."""
    return fold_rewaits(raw_sums(session, start, end, grain, dimension, where, by_agent),
                        counts_every_wait(dimension, where))


def dimension_map(session: Session, dimension: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(raw value → report keys, report key → label) for a dimension (skills: a queue counts for each skill
    it requires; groups: an agent counts for the group it belongs to now)."""
    if dimension == "queue":
        return {}, {q.code: q.name for q in session.scalars(select(Queue))} | {"": "—"}
    if dimension == "skill":
        names = {str(s.id): s.name for s in session.scalars(select(Skill))}
        queues: dict[str, list[str]] = defaultdict(list)
        for qs in session.execute(select(Queue.code, QueueSkill.skill_id).join(QueueSkill)):
            queues[qs.code].append(str(qs.skill_id))
        return dict(queues), names
    if dimension == "hall":
        return {}, {str(h.id): h.name for h in session.scalars(select(Hall))} | {"0": "—"}
    if dimension in ("agent", "group"):
        agents = session.scalars(select(Agent)).all()
        if dimension == "agent":
            return {}, {str(a.id): f"{a.employee_no} {a.name}" for a in agents} | {"0": "—"}
        groups = {str(g.id): g.name for g in session.scalars(select(AgentGroup))}
        return {str(a.id): [str(a.group_id)] for a in agents if a.group_id is not None}, groups
    return {}, {}


def call_report(session: Session, start: int, end: int, grain: str, dimension: str, d: Definitions,
                where: dict | None = None) -> Report:
    """Call figures of [start, end) per period of `grain` and per value of `dimension`."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    every = raw_sums(session, start, end, grain, dimension, where)
    raw = fold_rewaits(every, counts_every_wait(dimension, where))
    mapping, labels = dimension_map(session, dimension)
    grouped: dict[tuple[int, str, str], dict[str, int]] = {}
    for (bucket, value), sums in raw.items():
        if dimension in ("skill", "group"):
            keys = mapping.get(value, [])
        else:
            keys = [value]
        p_start, p_label = period_of(bucket, grain)
        if grain == "range":
            p_start, p_label = start, ""
        for key in keys:
            add_sums(grouped.setdefault((p_start, p_label, key), empty_sums()), sums)
    per_queue = dimension in ("queue", "skill")
    rows = [Row(p_start, p_label, key, labels.get(key, key), sums, call_figures(sums, d, per_queue))
            for (p_start, p_label, key), sums in grouped.items()]
    rows.sort(key=lambda r: (r.period_start, r.label))
    # the total of the range: one request per caller's call, unless a queue/agent filter asks for every wait
    total_sums = merged(fold_rewaits(every, counts_every_wait("all", where)).values())
    total = Row(start, "", "", "", total_sums, call_figures(total_sums, d, per_queue=bool(where and "queue" in where)))
    return Report(rows, total, dimension, grain, start, end)


def region_report(session: Session, start: int, end: int, hall_id: int | None = None) -> list[dict]:
    """Inbound calls per caller province and city over whole local days [start, end), most calls first.

    The region comes from the caller's number (mobile number segment or landline area code); "" when unknown."""
    from engine.store.models.reports import ReportCallerRegionDay as R
    query = (select(R.province, R.city, func.sum(R.calls).label("calls"))
             .where(R.day >= day_start(start), R.day < end).group_by(R.province, R.city))
    if hall_id is not None:
        query = query.where(R.hall_id == hall_id)
    rows = [{"province": r.province, "city": r.city, "calls": int(r.calls)} for r in session.execute(query)]
    total = sum(r["calls"] for r in rows)
    for r in rows:
        r["share"] = 100.0 * r["calls"] / total if total else None
    rows.sort(key=lambda r: (-r["calls"], r["province"], r["city"]))
    return rows
