"""A small hand-made day at a 12366 center (Monday 2 March 2026, local time UTC+8), written as log entries.

Queues tax (skill 税收政策) and etax (skill 电子税务局); agents 1 and 2 in group 一组, agent 3 in group 二组; hall 1.

  C1  queued tax 09:00:10, rung agent 1, answered 09:00:18 (wait 8), held 30 s, talk 300 s incl. hold, wrap 30 s,
      rated 1 (satisfied)
  C2  queued tax 09:10:00, agent 2 rang, caller hung up while ringing 09:10:20 (wait 20)
  C3  queued tax 09:14:50, answered by agent 2 at 09:15:10 (wait 20: crosses the 09:15 boundary, counted at 09:00),
      talk 240, wrap 30, rated 3 (valid, not satisfied)
  C4  queued tax 09:20:00, abandoned 09:20:03 (wait 3: a short abandon)
  C5  queued tax 09:30:00, asked for a callback at 09:31:00 (wait 60)
  C6  queued etax 09:40:00, answered by agent 3 at 09:40:40 (wait 40), transferred to tax at 09:42:00 (talk 80,
      wrap 20); entered tax again 09:42:01 (a transfer back to a queue: no new request), answered by agent 1 at
      09:42:06 (wait 5; the answer of that second wait carries the transfers, value 1, as the engine writes it),
      talk 240, wrap 30, rated 4
  C7  queued etax 23:55:00, overflowed to tax 23:55:30, answered by agent 1 at 00:00:30 the next day (wait 330),
      talk 120 (a call spanning midnight: every figure stays on 2 March, 23:45 interval)
  C8  IVR only, 10:00
  C9  agent 2 dialled out at 11:00, 60 s of talk
  C10 queued tax 10:30:00, released after the queue's maximum wait at 10:40:00 (wait 600)
  Trunk group pri-1 all busy 10:05:00–10:05:40 and 10:50:00–10:52:00.

Agent 1's states: ready 08:55, ringing 09:00:12, talking 09:00:18, wrap-up 09:05:18, ready 09:05:48, not ready
(break) 10:00, ready 10:15, not ready (meal) 12:00, ready 13:00, not ready (training) 23:50, logged out 00:10 the
next day (logged in across midnight).
"""
from __future__ import annotations

import datetime as dt

from engine.domain.calllog import CallEventKind as K
from engine.domain.commands import LogCallEvent
from engine.domain.states import AgentState as S, NotReadyReason as R
from engine.store.calllog import append
from engine.store.models import (Agent, AgentGroup, AgentStateChange, Hall, Queue, QueueSkill, Skill)
from engine.domain.regions import HallLevel

LOCAL = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 2)


def t(h: int, m: int, s: int = 0, day: int = 2) -> float:
    return dt.datetime(2026, 3, day, h, m, s, tzinfo=LOCAL).timestamp()


def seed_directory(session) -> None:
    g1, g2 = AgentGroup(id=1, name="一组"), AgentGroup(id=2, name="二组")
    tax, etax = Skill(id=1, code="tax", name="税收政策"), Skill(id=2, code="etax", name="电子税务局")
    session.add_all([g1, g2, tax, etax, Hall(id=1, code="tc", name="太仓市局", level=HallLevel.CITY, region_code="320585")])
    session.flush()
    session.add_all([Agent(id=1, employee_no="1001", name="张三", extension="8001", group_id=1),
                     Agent(id=2, employee_no="1002", name="李四", extension="8002", group_id=1),
                     Agent(id=3, employee_no="1003", name="王五", extension="8003", group_id=2)])
    q_tax, q_etax = Queue(id=1, code="tax", name="税收政策"), Queue(id=2, code="etax", name="电子税务局")
    session.add_all([q_tax, q_etax])
    session.flush()
    session.add_all([QueueSkill(queue_id=1, skill_id=1), QueueSkill(queue_id=2, skill_id=2)])
    session.flush()


def entries() -> list[LogCallEvent]:
    out: list[LogCallEvent] = []

    def log(uuid, kind, at, queued_at=None, **kw):
        kw.setdefault("hall_id", 1)
        kw.setdefault("ani", "13800138000")
        kw.setdefault("dnis", "12366")
        out.append(LogCallEvent(uuid, kind, at, queued_at=queued_at, **kw))

    # C1
    q = t(9, 0, 10)
    log("C1", K.ARRIVED, t(9, 0, 0), ani="075512345678")
    log("C1", K.IVR_ENTERED, t(9, 0, 2), detail="tax_main")
    log("C1", K.QUEUED, q, q, queue_code="tax")
    log("C1", K.OFFERED, t(9, 0, 12), q, queue_code="tax", agent_id=1)
    log("C1", K.ANSWERED, t(9, 0, 18), q, queue_code="tax", agent_id=1, wait_s=8.0, duration_s=6.0)
    log("C1", K.HELD, t(9, 2, 0), q, queue_code="tax", agent_id=1)
    log("C1", K.RETRIEVED, t(9, 2, 30), q, queue_code="tax", agent_id=1, duration_s=30.0)
    log("C1", K.TALK_ENDED, t(9, 5, 18), q, queue_code="tax", agent_id=1, duration_s=300.0)
    log("C1", K.WRAP_UP_ENDED, t(9, 5, 48), q, queue_code="tax", agent_id=1, duration_s=30.0)
    log("C1", K.SURVEY, t(9, 5, 30), q, queue_code="tax", agent_id=1, value=5, detail="scale:1-5")
    log("C1", K.ENDED, t(9, 5, 35), q, queue_code="tax", agent_id=1, duration_s=335.0, detail="answered")
    # C2: abandoned while agent 2's phone rang
    q = t(9, 10, 0)
    log("C2", K.ARRIVED, t(9, 9, 50))
    log("C2", K.QUEUED, q, q, queue_code="tax")
    log("C2", K.OFFERED, t(9, 10, 5), q, queue_code="tax", agent_id=2)
    log("C2", K.ABANDONED, t(9, 10, 20), q, queue_code="tax", agent_id=2, wait_s=20.0, detail="ringing")
    log("C2", K.ENDED, t(9, 10, 20), q, queue_code="tax", agent_id=2, duration_s=30.0, detail="abandoned")
    # C3: crosses the 09:15 interval boundary
    q = t(9, 14, 50)
    log("C3", K.ARRIVED, t(9, 14, 40), ani="01088886666")
    log("C3", K.QUEUED, q, q, queue_code="tax")
    log("C3", K.OFFERED, t(9, 15, 2), q, queue_code="tax", agent_id=2)
    log("C3", K.ANSWERED, t(9, 15, 10), q, queue_code="tax", agent_id=2, wait_s=20.0, duration_s=8.0)
    log("C3", K.TALK_ENDED, t(9, 19, 10), q, queue_code="tax", agent_id=2, duration_s=240.0)
    log("C3", K.SURVEY, t(9, 19, 20), q, queue_code="tax", agent_id=2, value=3)
    log("C3", K.WRAP_UP_ENDED, t(9, 19, 40), q, queue_code="tax", agent_id=2, duration_s=30.0)
    # C4: short abandon
    q = t(9, 20, 0)
    log("C4", K.ARRIVED, t(9, 19, 55))
    log("C4", K.QUEUED, q, q, queue_code="tax")
    log("C4", K.ABANDONED, t(9, 20, 3), q, queue_code="tax", wait_s=3.0)
    # C5: callback
    q = t(9, 30, 0)
    log("C5", K.ARRIVED, t(9, 29, 50))
    log("C5", K.QUEUED, q, q, queue_code="tax")
    log("C5", K.CALLBACK_REQUESTED, t(9, 31, 0), q, queue_code="tax", wait_s=60.0)
    # C6: answered in etax, transferred to tax, answered again
    q = t(9, 40, 0)
    log("C6", K.ARRIVED, t(9, 39, 50))
    log("C6", K.QUEUED, q, q, queue_code="etax")
    log("C6", K.ANSWERED, t(9, 40, 40), q, queue_code="etax", agent_id=3, wait_s=40.0, duration_s=4.0)
    log("C6", K.TRANSFERRED, t(9, 42, 0), q, queue_code="etax", agent_id=3, detail="queue:tax")
    log("C6", K.TALK_ENDED, t(9, 42, 0), q, queue_code="etax", agent_id=3, duration_s=80.0)
    log("C6", K.WRAP_UP_ENDED, t(9, 42, 20), q, queue_code="etax", agent_id=3, duration_s=20.0)
    q2 = t(9, 42, 1)
    log("C6", K.QUEUED, q2, q2, queue_code="tax", detail="transfer")
    log("C6", K.ANSWERED, t(9, 42, 6), q2, queue_code="tax", agent_id=1, wait_s=5.0, duration_s=3.0, value=1)
    log("C6", K.TALK_ENDED, t(9, 46, 6), q2, queue_code="tax", agent_id=1, duration_s=240.0)
    log("C6", K.SURVEY, t(9, 46, 10), q2, queue_code="tax", agent_id=1, value=4)
    log("C6", K.WRAP_UP_ENDED, t(9, 46, 36), q2, queue_code="tax", agent_id=1, duration_s=30.0)
    # C7: spans midnight, overflowed etax -> tax
    q = t(23, 55, 0)
    log("C7", K.ARRIVED, t(23, 54, 50), ani="02150001234")
    log("C7", K.QUEUED, q, q, queue_code="etax")
    log("C7", K.OVERFLOWED, t(23, 55, 30), q, queue_code="etax", wait_s=30.0, detail="overflow:tax")
    log("C7", K.ANSWERED, t(0, 0, 30, day=3), q, queue_code="tax", agent_id=1, wait_s=330.0, duration_s=5.0)
    log("C7", K.TALK_ENDED, t(0, 2, 30, day=3), q, queue_code="tax", agent_id=1, duration_s=120.0)
    # C8: IVR only
    log("C8", K.ARRIVED, t(10, 0, 0), ani="")
    log("C8", K.IVR_ENTERED, t(10, 0, 1))
    log("C8", K.ENDED, t(10, 0, 40), duration_s=40.0, detail="ivr_only")
    # C9: agent 2 dials out
    log("C9", K.DIALED, t(11, 1, 0), agent_id=2, direction="outbound", duration_s=60.0, detail="answered",
        ani="8002", dnis="13912345678")
    # C10: released after the maximum wait
    q = t(10, 30, 0)
    log("C10", K.ARRIVED, t(10, 29, 50))
    log("C10", K.QUEUED, q, q, queue_code="tax")
    log("C10", K.RELEASED, t(10, 40, 0), q, queue_code="tax", wait_s=600.0, detail="timed_out")
    # trunk group all busy twice
    for start, length in ((t(10, 5, 0), 40.0), (t(10, 50, 0), 120.0)):
        log("", K.TRUNK_ALL_BUSY, start, value=30, detail="pri-1", hall_id=None, ani="")
        log("", K.TRUNK_FREE, start + length, value=30, duration_s=length, detail="pri-1", hall_id=None, ani="")
    return out


AGENT1_STATES = [   # (local time, from, to, reason)
    (t(8, 55), S.LOGGED_OUT, S.READY, None),
    (t(9, 0, 12), S.READY, S.RESERVED, None),
    (t(9, 0, 18), S.RESERVED, S.TALKING, None),
    (t(9, 5, 18), S.TALKING, S.WRAP_UP, None),
    (t(9, 5, 48), S.WRAP_UP, S.READY, None),
    (t(10, 0), S.READY, S.NOT_READY, R.BREAK),
    (t(10, 15), S.NOT_READY, S.READY, None),
    (t(12, 0), S.READY, S.NOT_READY, R.MEAL),
    (t(13, 0), S.NOT_READY, S.READY, None),
    (t(23, 50), S.READY, S.NOT_READY, R.TRAINING),
    (t(0, 10, day=3), S.NOT_READY, S.LOGGED_OUT, None),
]


def write_day(session) -> None:
    """The directory, every log entry (one transaction each, as the engine writes them) and agent 1's states."""
    seed_directory(session)
    session.commit()
    for entry in entries():
        append(session, entry)
        session.commit()
    for at, before, after, reason in AGENT1_STATES:
        session.add(AgentStateChange(agent_id=1, at=dt.datetime.fromtimestamp(at, dt.timezone.utc),
                                     from_state=before, to_state=after, reason=reason))
    session.commit()
