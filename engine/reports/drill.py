"""The calls behind a figure: the log entries a figure counts, with their call, caller, queue, agent and outcome.

`DRILL` says, for each figure, which entries it counts (the same conditions as the rollup columns), so that a
figure on a report page links to exactly the entries that make it up.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session

from engine.domain.calllog import CallEventKind as K
from engine.reports.definitions import Definitions
from engine.reports.queries import counts_every_wait
from engine.reports.rollups import LEFT_QUEUE, OVERFLOW_PREFIX, TRUNK_KINDS, WAIT_ENDS, rewait_sql
from engine.store.models import Agent, CallEvent, Queue, QueueSkill

# figure → (kinds, extra condition name)
DRILL: dict[str, tuple[tuple[K, ...], str | None]] = {
    "arrived": ((K.ARRIVED,), None), "ivr_entered": ((K.IVR_ENTERED,), None),
    "requests": ((K.QUEUED,), "requests"), "queued": ((K.QUEUED,), None),
    "overflow_in": ((K.OVERFLOWED,), "overflow_in"), "overflowed": ((K.OVERFLOWED,), None),
    "rewaits": ((K.QUEUED,), "rewait"),
    "offered": ((K.OFFERED,), None), "no_answer": ((K.NO_ANSWER,), None),
    "answered": ((K.ANSWERED,), None), "answer_rate": ((K.ANSWERED,), None), "asa_s": ((K.ANSWERED,), None),
    "answered_within": ((K.ANSWERED,), "within_t"), "service_level": ((K.ANSWERED,), "within_t"),
    "abandoned": ((K.ABANDONED,), None), "abandon_rate": ((K.ABANDONED,), None),
    "avg_abandon_s": ((K.ABANDONED,), None),
    "abandoned_short": ((K.ABANDONED,), "within_s"), "abandoned_ringing": ((K.ABANDONED,), "ringing"),
    "callbacks": ((K.CALLBACK_REQUESTED,), None), "voicemails": ((K.VOICEMAIL,), None),
    "released": ((K.RELEASED,), None), "cut": ((K.CUT,), None),
    "waited": (LEFT_QUEUE, None), "avg_wait_s": (LEFT_QUEUE, None), "max_wait_s": (LEFT_QUEUE, None),
    "queue_time_s": (LEFT_QUEUE, None),
    "talks": ((K.TALK_ENDED,), None), "talk_s": ((K.TALK_ENDED,), None), "aht_s": ((K.TALK_ENDED,), None),
    "handle_s": ((K.TALK_ENDED, K.WRAP_UP_ENDED), None),
    "holds": ((K.HELD,), None), "hold_s": ((K.RETRIEVED,), None),
    "wrapups": ((K.WRAP_UP_ENDED,), None), "wrap_s": ((K.WRAP_UP_ENDED,), None),
    "transfers": ((K.TRANSFERRED,), None), "transfer_s": ((K.TRANSFERRED,), None),
    "rated": ((K.SURVEY,), "valid"), "rating_rate": ((K.SURVEY,), "valid"),
    "satisfied": ((K.SURVEY,), "satisfied"), "satisfaction_rate": ((K.SURVEY,), "valid"),
    "dialed": ((K.DIALED,), None), "dialed_answered": ((K.DIALED,), "connected"),
    "dialed_talk_s": ((K.DIALED,), None), "ended": ((K.ENDED,), None),
    "trunk_busy": ((K.TRUNK_ALL_BUSY,), None), "trunk_freed": ((K.TRUNK_FREE,), None),
    "trunk_busy_s": ((K.TRUNK_FREE,), None), "trunk_busy_avg_s": ((K.TRUNK_FREE,), None),
    "trunk_busy_max_s": ((K.TRUNK_FREE,), None),
}


@dataclasses.dataclass
class Entry:
    """One log entry behind a figure."""

    call_uuid: str
    at: dt.datetime
    queued_at: dt.datetime | None
    kind: str
    direction: str
    ani: str
    dnis: str
    queue_code: str
    agent_id: int | None
    agent: str
    wait_s: float | None
    duration_s: float | None
    value: int | None
    detail: str
    outcome: str


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


_WAIT_KINDS = frozenset((K.QUEUED, *WAIT_ENDS))


def _condition(figure: str, d: Definitions, where: dict):
    e = CallEvent
    kinds, extra = DRILL[figure]
    cond = e.kind.in_([k.value for k in kinds])
    if extra == "rewait":
        cond = and_(cond, rewait_sql())
    elif set(kinds) & _WAIT_KINDS and not counts_every_wait("all", where):
        cond = and_(cond, not_(rewait_sql()))     # one caller's call is one request (rollups.REWAIT)
    queue = where.get("queue")
    if extra == "requests" and queue is not None:
        # a queue's requests: calls that entered it (every wait), and calls overflowed into it
        return or_(and_(cond, func.coalesce(e.queue_code, "") == queue),
                   and_(e.kind == K.OVERFLOWED.value, e.detail == OVERFLOW_PREFIX + queue))
    if extra == "overflow_in":
        target = OVERFLOW_PREFIX + (queue or "")
        return and_(cond, e.detail == target) if queue is not None else and_(cond, e.detail.like(
            OVERFLOW_PREFIX + "%"))
    tests = {
        "within_t": lambda: func.coalesce(e.wait_s, 0.0) <= d.service_level_s,
        "within_s": lambda: func.coalesce(e.wait_s, 0.0) <= d.short_abandon_s,
        "ringing": lambda: e.detail == "ringing",
        "valid": lambda: e.value.in_(list(d.valid_ratings)),
        "satisfied": lambda: e.value.in_(list(d.satisfied_ratings)),
        "connected": lambda: func.coalesce(e.duration_s, 0.0) > 0,
    }
    if extra in tests:
        cond = and_(cond, tests[extra]())
    if queue is not None:
        cond = and_(cond, func.coalesce(e.queue_code, "") == queue)
    return cond


def _dimension_filters(session: Session, where: dict) -> list:
    e = CallEvent
    conds = []
    if "hall" in where:
        hall = int(where["hall"])
        conds.append(e.hall_id == hall if hall else e.hall_id.is_(None))
    if "agent" in where:
        agent = int(where["agent"])
        conds.append(e.agent_id == agent if agent else e.agent_id.is_(None))
    if "group" in where:
        conds.append(e.agent_id.in_(select(Agent.id).where(Agent.group_id == int(where["group"]))))
    if "skill" in where:
        conds.append(e.queue_code.in_(select(Queue.code).join(QueueSkill)
                                      .where(QueueSkill.skill_id == int(where["skill"]))))
    if "direction" in where:
        conds.append(e.direction == where["direction"])
    if "trunk" in where:
        conds.append(and_(e.kind.in_([k.value for k in TRUNK_KINDS]), func.substr(e.detail, 1, 32) == where["trunk"])
                     if where["trunk"] else e.kind.notin_([k.value for k in TRUNK_KINDS]))
    return conds


def _ranges(start: int, end: int):
    """The two ways an entry falls in [start, end): by its call's queue-entry time, or, for entries of calls
    never queued (arrivals, IVR, trunk…), by its own time. Kept as two queries so each uses its own index."""
    e = CallEvent
    s = dt.datetime.fromtimestamp(start, dt.timezone.utc)
    t = dt.datetime.fromtimestamp(end, dt.timezone.utc)
    # coalesce(): "no queue time" must not steer the planner to the index of queued_at (millions of NULLs)
    return (and_(e.queued_at >= s, e.queued_at < t),
            and_(e.at >= s, e.at < t, func.coalesce(e.queued_at, None).is_(None)))


def calls_behind(session: Session, figure: str, start: int, end: int, d: Definitions, where: dict | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[int, list[Entry]]:
    """(how many entries, one page of them) behind `figure` in [start, end) for the dimension filter `where`
    (keys queue, skill, hall, agent, group, direction, trunk), oldest first."""
    if figure not in DRILL:
        raise KeyError(figure)
    where = dict(where or {})
    e = CallEvent
    conds = [_condition(figure, d, where), *_dimension_filters(session, where)]
    # an agent's or a group's figures count the calls its agents took, of whatever hall (admin_web.scope)
    options = {"scope_by": "agent"} if "agent" in where or "group" in where else {}
    total, rows = 0, []
    for in_range in _ranges(start, end):
        total += session.scalar(select(func.count()).select_from(e).where(in_range, *conds)
                                .execution_options(**options)) or 0
        rows += session.scalars(select(e).where(in_range, *conds).order_by(e.at, e.id).limit(limit + offset)
                                .execution_options(**options)).all()
    rows = sorted(rows, key=lambda r: (_aware(r.at), r.id))[offset:offset + limit]
    uuids = {r.call_uuid for r in rows if r.call_uuid}
    outcomes = {}
    if uuids:
        for uuid, detail in session.execute(select(e.call_uuid, e.detail).where(
                e.call_uuid.in_(uuids), e.kind == K.ENDED.value).order_by(e.at)):
            outcomes[uuid] = detail
    agent_ids = {r.agent_id for r in rows if r.agent_id}
    agents = {a.id: f"{a.employee_no} {a.name}" for a in session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
    return total, [Entry(r.call_uuid, _aware(r.at), _aware(r.queued_at), r.kind, r.direction, r.ani, r.dnis,
                         r.queue_code or "", r.agent_id, agents.get(r.agent_id, ""), r.wait_s, r.duration_s, r.value,
                         _shown(r), outcomes.get(r.call_uuid, "")) for r in rows]


def _shown(entry: CallEvent) -> str:
    """An entry's detail as the drill-down shows it: its codes and its private part (the caller's name, the IVR
    path with the data collected, a number transferred to)."""
    return " ".join(filter(None, (entry.detail, entry.private)))
