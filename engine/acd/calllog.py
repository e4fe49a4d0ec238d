"""Writing the immutable call-event log (``engine.domain.calllog``) from what the ACD does to a call."""
from __future__ import annotations

from engine.domain.call import Call
from engine.domain.calllog import CallEventKind
from engine.domain.commands import Command, LogCallEvent

K = CallEventKind
# The entries that end a wait in a queue. After an agent sent the call back to a queue (call.transfers > 0: its
# `queued` entry has detail "transfer"), the one ending that wait carries the number of transfers in `value`, so
# that reports count one caller's call as one request (engine.reports.rollups.REWAIT).
WAIT_ENDS = frozenset({K.ANSWERED, K.ABANDONED, K.CALLBACK_REQUESTED, K.VOICEMAIL, K.RELEASED, K.CUT})


def log(call: Call, kind: CallEventKind, now: float, out: list[Command], *, agent_id: int | None = None,
        wait_s: float | None = None, duration_s: float | None = None, value: int | None = None,
        detail: str = "", private: str = "", queue_code: str | None = None, unless_logged: bool = False) -> None:
    """Append one entry about this call, carrying what every report groups by (queue, hall, queue-entry time);
    detail: codes reports filter by; private: what identifies the caller (stored sealed);
    unless_logged: only if the call has no entry of that kind yet (what a dead engine may not have written)."""
    if kind in WAIT_ENDS and value is None and call.transfers and not unless_logged:
        value = call.transfers      # the end of a wait after a transfer back to a queue (WAIT_ENDS)
    out.append(LogCallEvent(
        call_uuid=call.uuid,
        kind=kind, at=now, queue_code=queue_code or call.queue_code,
        agent_id=agent_id if agent_id is not None else call.agent_id, queued_at=call.enqueued_at,
        ani=call.ani, dnis=call.dnis, hall_id=call.hall_chain[0] if call.hall_chain else None,
        direction=call.direction, wait_s=wait_s, duration_s=duration_s, value=value, detail=detail[:255],
        private=private, unless_logged=unless_logged))


def transfer_detail(kind: str, target: str, prefix: str = "") -> dict[str, str]:
    """A transfer's detail (kind and target) for log(); an outside number goes to the sealed private part."""
    if kind == "number":
        return {"detail": f"{prefix}{kind}:", "private": target}
    return {"detail": f"{prefix}{kind}:{target}"}


def waited(call: Call, now: float) -> float | None:
    """Seconds since the call entered its queue."""
    return None if call.enqueued_at is None else max(0.0, now - call.enqueued_at)

