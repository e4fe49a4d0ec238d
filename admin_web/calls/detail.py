"""Reads for one call's page: its record, and every offer the ACD made (who, why, how it ended)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web.timeutil import seconds_between
from engine.store.models import Agent, Callback, CallOffer, CallRecord, Queue, Voicemail


@dataclasses.dataclass(frozen=True)
class OfferRow:
    """One offer of the call to an agent, with the strategy's reason for choosing that agent."""

    offer: CallOffer
    agent: str
    queue_name: str
    ring_s: int | None


@dataclasses.dataclass(frozen=True)
class CallDetail:
    """What the call page shows; `record` is None while the call is still going (offers come first)."""

    call_uuid: str
    record: CallRecord | None
    queue: str
    agent: str
    wait_s: int | None
    talk_s: int | None
    ivr_steps: list[str]
    offers: list[OfferRow]
    callback: Callback | None
    voicemail: Voicemail | None

    @property
    def started_at(self) -> dt.datetime | None:
        return self.record.started_at if self.record else None


def _agent(emp_no: str | None, name: str | None) -> str:
    return f"{emp_no} {name}" if emp_no else ""


def call_detail(session: Session, call_uuid: str) -> CallDetail | None:
    """The call's record and offers in the order they were made; None when nothing is known of the call."""
    found = session.execute(select(CallRecord, Queue.name, Agent.employee_no, Agent.name)
                            .outerjoin(Queue, CallRecord.queue_id == Queue.id)
                            .outerjoin(Agent, CallRecord.agent_id == Agent.id)
                            .where(CallRecord.call_uuid == call_uuid)).first()
    offers = [OfferRow(offer=offer, agent=_agent(emp_no, name), queue_name=queue_name or "",
                       ring_s=seconds_between(offer.offered_at, offer.settled_at))
              for offer, emp_no, name, queue_name in session.execute(
                  select(CallOffer, Agent.employee_no, Agent.name, Queue.name)
                  .outerjoin(Agent, CallOffer.agent_id == Agent.id)
                  .outerjoin(Queue, CallOffer.queue_code == Queue.code)
                  .where(CallOffer.call_uuid == call_uuid)
                  .order_by(CallOffer.offered_at, CallOffer.id))]
    callback = session.scalar(select(Callback).where(Callback.call_uuid == call_uuid))
    voicemail = session.scalar(select(Voicemail).where(Voicemail.call_uuid == call_uuid))
    if found is None and not offers and callback is None and voicemail is None:
        return None
    record, queue_name, emp_no, agent_name = found if found is not None else (None, None, None, None)
    wait_s = talk_s = None
    if record is not None:
        wait_s = (seconds_between(record.enqueued_at, record.answered_at or record.ended_at)
                  if record.enqueued_at else None)
        talk_s = seconds_between(record.answered_at, record.ended_at)
    return CallDetail(call_uuid=call_uuid, record=record, queue=queue_name or "", agent=_agent(emp_no, agent_name),
                      wait_s=wait_s, talk_s=talk_s,
                      ivr_steps=[s for s in (record.ivr_path.split(" > ") if record and record.ivr_path else []) if s],
                      offers=offers, callback=callback, voicemail=voicemail)
