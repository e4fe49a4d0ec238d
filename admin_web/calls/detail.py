"""Reads for one call's page: its record, the caller's region and the hall of the number dialled, the timeline of the
call-event log, the IVR path and every offer in words, hold and transfers, the recording, the survey rating, the
agent's wrap-up note and the work orders registered from the call."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_web.calls import ivrpath, reasons, timeline
from admin_web.flows.files import flows_dir
from admin_web.orders.queries import visible
from admin_web.scope import SCOPE_KEY
from admin_web.timeutil import as_utc, seconds_between
from engine.domain.calllog import CallEventKind as K
from engine.reports.definitions import RATING_MEANINGS
from engine.store.models import (Agent, Callback, CallEvent, CallNote, CallOffer, CallRecord, Hall, PublishedNumber,
                                 Queue, Recording, Skill, SurveyResult, Voicemail, WorkOrder)
from engine.store.orders import region_of_number


@dataclasses.dataclass(frozen=True)
class OfferRow:
    """One offer of the call to an agent, with the strategy's reason for choosing that agent, in words."""

    offer: CallOffer
    agent: str
    queue_name: str
    ring_s: int | None
    why: str


@dataclasses.dataclass(frozen=True)
class Survey:
    rating: int
    meaning: str
    rated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Note:
    agent: str
    disposition: str
    summary: str
    written_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class CallDetail:
    """What the call page shows; `record` is None while the call is still going (offers come first)."""

    call_uuid: str
    record: CallRecord | None
    queue: str
    agent: str
    wait_s: int | None
    talk_s: int | None
    ivr_steps: list[ivrpath.Step]
    offers: list[OfferRow]
    callback: Callback | None
    voicemail: Voicemail | None
    region: str = ""
    hall: str = ""
    flow: str = ""                  # the first flow's description
    flow_name: str = ""
    ivr_data: dict[str, str] = dataclasses.field(default_factory=dict)
    timeline: list[timeline.Entry] = dataclasses.field(default_factory=list)
    holds: int = 0
    hold_s: int | None = None
    transfers: list[timeline.Entry] = dataclasses.field(default_factory=list)
    recordings: list[Recording] = dataclasses.field(default_factory=list)
    survey: Survey | None = None
    notes: list[Note] = dataclasses.field(default_factory=list)
    orders: list[WorkOrder] = dataclasses.field(default_factory=list)

    @property
    def started_at(self) -> dt.datetime | None:
        return self.record.started_at if self.record else None


def _agent(emp_no: str | None, name: str | None) -> str:
    return f"{emp_no} {name}" if emp_no else ""


def _epoch(value: dt.datetime) -> float:
    return as_utc(value).timestamp()


def _offers(session: Session, call_uuid: str, skill_names: dict[int, str]) -> list[OfferRow]:
    rows = session.execute(select(CallOffer, Agent.employee_no, Agent.name, Queue.name)
                           .outerjoin(Agent, CallOffer.agent_id == Agent.id)
                           .outerjoin(Queue, CallOffer.queue_code == Queue.code)
                           .where(CallOffer.call_uuid == call_uuid)
                           .order_by(CallOffer.offered_at, CallOffer.id))
    return [OfferRow(offer=offer, agent=_agent(emp_no, name), queue_name=queue_name or "",
                     ring_s=seconds_between(offer.offered_at, offer.settled_at),
                     why=reasons.describe(reasons.parse(offer.reason), _epoch(offer.offered_at), skill_names))
            for offer, emp_no, name, queue_name in rows]


def _ivr_completed(events: list[CallEvent]) -> tuple[str, dict[str, str]]:
    """The IVR path so far and the data the IVR collected (随路数据), from the log's ivr_completed entry
    ("path | k=v; k=v", sealed): what a call still in progress has of them."""
    for event in events:
        if event.kind == K.IVR_COMPLETED.value:
            path, _sep, data = (event.private or event.detail or "").partition(" | ")
            return path, dict(item.split("=", 1) for item in data.split("; ") if "=" in item)
    return "", {}


def _hold(events: list[CallEvent], ended_at: dt.datetime | None) -> tuple[int, int | None]:
    """How often and how long the caller was on hold (a hold never taken off lasts until the end of the call)."""
    holds = sum(1 for e in events if e.kind == K.HELD.value)
    if not holds:
        return 0, None
    total, held_at = 0.0, None
    for event in events:
        if event.kind == K.HELD.value:
            held_at = event.at
        elif event.kind == K.RETRIEVED.value:
            total += event.duration_s if event.duration_s is not None else (seconds_between(held_at, event.at) or 0)
            held_at = None
    if held_at is not None and ended_at is not None:
        total += seconds_between(held_at, ended_at) or 0
    return holds, int(round(total))


def _hidden(session: Session, call_uuid: str, events, callback, voicemail) -> bool:
    """A call whose record the hall scope hides (another hall's), or, still in progress, of which a hall's user sees
    nothing but offers: call_offers carry no hall, so they alone never open a call's page to a hall's user."""
    if session.scalar(select(CallRecord.id).where(CallRecord.call_uuid == call_uuid)
                      .execution_options(unscoped=True)) is not None:
        return True
    return session.info.get(SCOPE_KEY) is not None and not events and callback is None and voicemail is None


def call_detail(session: Session, call_uuid: str) -> CallDetail | None:
    """Everything known of the call; None when nothing is (no record, offer, event, callback or voice message)."""
    found = session.execute(select(CallRecord, Queue.name, Agent.employee_no, Agent.name)
                            .outerjoin(Queue, CallRecord.queue_id == Queue.id)
                            .outerjoin(Agent, CallRecord.agent_id == Agent.id)
                            .where(CallRecord.call_uuid == call_uuid)).first()
    skill_names = dict(session.execute(select(Skill.id, Skill.name)).all())
    offers = _offers(session, call_uuid, skill_names)
    events = list(session.scalars(select(CallEvent).where(CallEvent.call_uuid == call_uuid)
                                  .order_by(CallEvent.at, CallEvent.id)))
    callback = session.scalar(select(Callback).where(Callback.call_uuid == call_uuid))
    voicemail = session.scalar(select(Voicemail).where(Voicemail.call_uuid == call_uuid))
    if found is None and not offers and not events and callback is None and voicemail is None:
        return None
    if found is None and _hidden(session, call_uuid, events, callback, voicemail):
        return None
    record, queue_name, emp_no, agent_name = found if found is not None else (None, None, None, None)
    wait_s = talk_s = None
    if record is not None:
        wait_s = (seconds_between(record.enqueued_at, record.answered_at or record.ended_at)
                  if record.enqueued_at else None)
        talk_s = seconds_between(record.answered_at, record.ended_at)
    queues = dict(session.execute(select(Queue.code, Queue.name)).all())
    agents = {i: _agent(e, n) for i, e, n in session.execute(select(Agent.id, Agent.employee_no, Agent.name))}
    flows = ivrpath.load(flows_dir())
    flow_words = {name: (f.description or name) for name, f in flows.items()}
    first_flow = next((e.detail for e in events if e.kind == K.IVR_ENTERED.value and e.detail), None) \
        or (record.flow if record else None)
    entries = timeline.entries(events, agents, queues, flow_words)
    ani = record.ani if record else next((e.ani for e in events if e.ani), "")
    dnis = record.dnis if record else next((e.dnis for e in events if e.dnis), "")
    hall = session.scalar(select(Hall.name).join(PublishedNumber, PublishedNumber.hall_id == Hall.id)
                          .where(PublishedNumber.number == dnis)) if dnis else None
    holds, hold_s = _hold(events, record.ended_at if record else None)
    live_path, ivr_data = _ivr_completed(events)
    survey = session.scalar(select(SurveyResult).where(SurveyResult.call_uuid == call_uuid))
    notes = [Note(agents.get(n.agent_id, "") if n.agent_id else "", n.disposition, n.summary, n.written_at)
             for n in session.scalars(select(CallNote).where(CallNote.call_uuid == call_uuid)
                                      .order_by(CallNote.written_at))]
    orders = list(session.scalars(visible(select(WorkOrder).where(WorkOrder.call_uuid == call_uuid))
                                  .order_by(WorkOrder.created_at)).unique())
    recordings = list(session.scalars(select(Recording).where(Recording.call_uuid == call_uuid)
                                      .order_by(Recording.started_at)))
    return CallDetail(
        call_uuid=call_uuid, record=record, queue=queue_name or "", agent=_agent(emp_no, agent_name),
        wait_s=wait_s, talk_s=talk_s,
        ivr_steps=ivrpath.in_words(record.ivr_path if record else live_path, first_flow, flows, queues),
        offers=offers, callback=callback, voicemail=voicemail, region=region_of_number(ani or ""),
        hall=hall or "", flow=flow_words.get(first_flow or "", first_flow or ""), flow_name=first_flow or "",
        ivr_data=ivr_data,
        timeline=entries, holds=holds, hold_s=hold_s,
        transfers=[e for e in entries if e.kind == K.TRANSFERRED.value], recordings=recordings,
        survey=Survey(survey.rating, RATING_MEANINGS.get(survey.rating, str(survey.rating)), survey.rated_at)
        if survey else None, notes=notes, orders=orders)
