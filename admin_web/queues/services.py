"""Queue writes with their audit entries (the view commits). The engine re-reads queues every 2 s."""
from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from admin_web import audit
from admin_web.queues import queries
from engine.store.models import Queue, QueueSkill


@dataclasses.dataclass(frozen=True)
class QueueData:
    """What the form says a queue should be (overflow rules already as the engine's JSON)."""

    code: str
    name: str
    strategy: str
    ring_timeout_s: int
    wrap_up_s: int
    max_wait_s: int
    max_size: int
    priority_step_s: int
    no_agent_action: str
    moh: str
    announce_every_s: int
    callback_key: str | None
    voicemail_key: str | None
    skill_levels: dict[int, int]
    overflow_rules: str
    hall_id: int | None = None          # the hall whose queue it is; None: the centre's


_FIELDS = ("name", "strategy", "ring_timeout_s", "wrap_up_s", "max_wait_s", "max_size", "priority_step_s",
           "no_agent_action", "moh", "announce_every_s", "callback_key", "voicemail_key", "overflow_rules", "hall_id")


class QueueInUse(Exception):
    """Other queues overflow to this one; it is not deleted (change their rules first)."""

    def __init__(self, referrers: list[Queue]):
        super().__init__("overflow target of " + ", ".join(q.code for q in referrers))
        self.referrers = referrers


def _describe(queue: Queue) -> dict[str, str]:
    """The audited fields of a queue, as text."""
    skills = ",".join(f"{s.skill.code}:{s.min_level}" for s in sorted(queue.skills, key=lambda s: s.skill.code))
    described = {"code": queue.code, **{f: "" if getattr(queue, f) is None else str(getattr(queue, f))
                                        for f in _FIELDS}}
    described["skills"] = skills
    return described


def _apply(session: Session, queue: Queue, data: QueueData) -> None:
    """Copy the form's values onto the queue; skill rows are updated in place, added or removed."""
    for field in _FIELDS:
        setattr(queue, field, getattr(data, field))
    current = {s.skill_id: s for s in queue.skills}
    for skill_id, row in current.items():
        if skill_id not in data.skill_levels:
            queue.skills.remove(row)
    for skill_id, level in data.skill_levels.items():
        if skill_id in current:
            current[skill_id].min_level = level
        else:
            queue.skills.append(QueueSkill(skill_id=skill_id, min_level=level))
    session.flush()
    for row in queue.skills:
        session.refresh(row, ["skill"])


def create_queue(session: Session, data: QueueData) -> Queue:
    """Add a queue."""
    queue = Queue(code=data.code)
    session.add(queue)
    _apply(session, queue, data)
    audit.record(session, "queue.create", f"queue:{queue.code}",
                 "; ".join(f"{k}={v}" for k, v in _describe(queue).items()))
    return queue


def update_queue(session: Session, queue: Queue, data: QueueData) -> None:
    """Change a queue (not its code); the audit detail lists what changed (old → new)."""
    before = _describe(queue)
    _apply(session, queue, data)
    after = _describe(queue)
    changes = "; ".join(f"{k}: {before[k]} → {after[k]}" for k in after if before[k] != after[k])
    audit.record(session, "queue.update", f"queue:{queue.code}", changes or "no change")


def delete_queue(session: Session, queue: Queue) -> None:
    """Remove a queue (its call records keep their rows without it); refused while other queues overflow to it."""
    referrers = queries.overflow_referrers(session, queue.code)
    if referrers:
        raise QueueInUse(referrers)
    audit.record(session, "queue.delete", f"queue:{queue.code}",
                 "; ".join(f"{k}={v}" for k, v in _describe(queue).items()))
    session.delete(queue)
    session.flush()
