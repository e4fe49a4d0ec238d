"""Switch CDRs (mod_xml_cdr posts, kept by the console) and their reconciliation with the call records.

The console stores each caller leg's CDR once (`store_cdr`; the switch retries a post that failed, so a repeat is
not an error). The active engine asks for the CDRs that are unreconciled a while after they arrived
(`unreconciled`): those whose call already has its record are marked `known` at once; the others come back with
what the database holds of their call (a CallTrace) for the core to close; the core's SaveCdrReconciled, written in
the same batch as the record it closes the call with, marks them `closed`."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.domain.commands import SaveCdrReconciled
from engine.domain.events import CallTrace, Cdr
from engine.store.models import CallEvent, CallRecord, Recording, SwitchCdr
from engine.store.repos import to_datetime, to_epoch

AGENT_LEG_MARKS = ("cc_call_uuid", "cc_consult_of")    # an agent's (or a consulted party's) leg: not a call


def is_call(cdr: Cdr) -> bool:
    """A caller's leg (or an outbound call of ours), not an agent's or a consulted party's leg."""
    return not any(cdr.mark(name) and cdr.mark(name) != cdr.uuid for name in AGENT_LEG_MARKS)


def store_cdr(session: Session, cdr: Cdr, now: float) -> bool:
    """Keep a posted CDR (False: it was already there, from an earlier try of the same post)."""
    if session.get(SwitchCdr, cdr.uuid) is not None:
        return False
    session.add(SwitchCdr(
        call_uuid=cdr.uuid, direction=cdr.direction[:16], received_at=to_datetime(now),
        started_at=to_datetime(cdr.started_at), answered_at=to_datetime(cdr.answered_at),
        ended_at=to_datetime(cdr.ended_at), hangup_cause=cdr.hangup_cause[:64], disposition=cdr.disposition[:32],
        variables=json.dumps({"ani": cdr.ani, "dnis": cdr.dnis, "caller_name": cdr.caller_name,
                              "marks": dict(cdr.marks)}, ensure_ascii=False),
        reconciled_at=None, reconciled=""))
    return True


def _cdr_of(row: SwitchCdr) -> Cdr:
    data = json.loads(row.variables or "{}")
    return Cdr(uuid=row.call_uuid, direction=row.direction, ani=data.get("ani", ""), dnis=data.get("dnis", ""),
               caller_name=data.get("caller_name", ""), started_at=to_epoch(row.started_at or row.ended_at),
               answered_at=to_epoch(row.answered_at) if row.answered_at else None, ended_at=to_epoch(row.ended_at),
               hangup_cause=row.hangup_cause, disposition=row.disposition, marks=data.get("marks", {}))


def recent(session: Session, since: float) -> list[Cdr]:
    """CDRs received since an instant, reconciled or not (how calls ended while an engine was disconnected)."""
    rows = session.scalars(select(SwitchCdr).where(SwitchCdr.received_at >= to_datetime(since))).all()
    return [_cdr_of(row) for row in rows]


def unreconciled(session: Session, received_before: float, now: float, limit: int = 200
                 ) -> tuple[list[Cdr], dict[str, CallTrace]]:
    """CDRs not reconciled yet and received before `received_before` whose call has no record, with their calls'
    traces; those whose call has its record are marked `known` here."""
    rows = session.scalars(select(SwitchCdr).where(SwitchCdr.reconciled_at.is_(None),
                                                   SwitchCdr.received_at < to_datetime(received_before))
                           .order_by(SwitchCdr.received_at).limit(limit)).all()
    if not rows:
        return [], {}
    uuids = [row.call_uuid for row in rows]
    recorded = set(session.scalars(select(CallRecord.call_uuid).where(CallRecord.call_uuid.in_(uuids))))
    if recorded:
        session.execute(update(SwitchCdr).where(SwitchCdr.call_uuid.in_(recorded))
                        .values(reconciled_at=to_datetime(now), reconciled="known"))
    open_uuids = [u for u in uuids if u not in recorded]
    kinds: dict[str, set[str]] = {u: set() for u in open_uuids}
    recordings: dict[str, list[str]] = {u: [] for u in open_uuids}
    if open_uuids:
        for uuid, kind in session.execute(select(CallEvent.call_uuid, CallEvent.kind)
                                          .where(CallEvent.call_uuid.in_(open_uuids))):
            kinds[uuid].add(kind)
        for uuid, path in session.execute(select(Recording.call_uuid, Recording.path)
                                          .where(Recording.call_uuid.in_(open_uuids),
                                                 Recording.status == "recording")):
            recordings[uuid].append(path)
    traces = {u: CallTrace(frozenset(kinds[u]), tuple(recordings[u])) for u in open_uuids}
    return [_cdr_of(row) for row in rows if row.call_uuid in traces], traces


def save_cdr_reconciled(session: Session, cmd: SaveCdrReconciled) -> None:
    """Mark a CDR accounted for (the first mark stays)."""
    session.execute(update(SwitchCdr).where(SwitchCdr.call_uuid == cmd.call_uuid, SwitchCdr.reconciled_at.is_(None))
                    .values(reconciled_at=to_datetime(cmd.at), reconciled=cmd.how[:16]))


def prune(session: Session, older_than: dt.datetime) -> int:
    """Forget reconciled CDRs received before a date (the call records are the lasting data)."""
    from sqlalchemy import delete
    result = session.execute(delete(SwitchCdr).where(SwitchCdr.reconciled_at.is_not(None),
                                                     SwitchCdr.received_at < older_than))
    return int(result.rowcount or 0)
