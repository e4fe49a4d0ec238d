"""Work orders in the store (issue 15; R-TKT-1..3): the one place that registers an order and takes its steps.

Every step goes the same way, whoever asks (the console, the CTI API, a follow-up, the deadline sweep): the order's
rows are loaded into engine.domain.workorder's state machine, the step is taken there (or refused, saying why), and
what changed is written back in the caller's transaction: the order's state and counters, its parts, one timeline
row, the deadlines the step starts (engine.domain.deadlines on the working calendar, with the clocks of
engine.domain.order_clocks), the alerts it raises or settles and, when it closes the order, the follow-up visit the
rule selects (engine.domain.followup). Consequences are read from the timeline (webhooks, reports): nothing else
is called from here.

The settings (clocks, office hours, follow-up rule, reminder and escalation margins) are one JSON document in
report_settings ("work_orders"), edited on the console; unknown keys and bad clocks are refused by name.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.domain.calendar import BusinessHours, HoursError, WorkCalendar
from engine.domain.deadlines import CalendarNotCovered, due
from engine.domain.errors import InvalidTransition
from engine.domain.followup import FollowUpRule, Rating, RequestType, RetryPolicy
from engine.domain.order_clocks import DEFAULT_SPEC as DEFAULT_CLOCKS, ClockError, OrderClocks, Step, Urgency
from engine.domain.workorder import Action, OrderState, Part, PartState, Step as TimelineStep, WorkOrder as Machine
from engine.store.base import utcnow
from engine.store.models import (CallRecord, FollowUp, OrderAlert, PublishedNumber, Queue, ReportSetting, WorkOrder,
                                 WorkOrderPart, WorkOrderStep)

logger = logging.getLogger(__name__)

__all__ = ["Actor", "OrderSettings", "SettingsError", "load_settings", "save_settings", "register", "act",
           "record_follow_up", "sweep", "order_timeline", "aware"]

SETTINGS_NAME = "work_orders"
DEFAULT_SPEC: dict[str, Any] = {
    "clocks": {step: dict(keys) for step, keys in DEFAULT_CLOCKS.items()},
    # the departments' office hours, for clocks in working time (7 hours a working day: 7wh is one day)
    "office_hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"]},
    "follow_up": {"always": ["complaint", "report"], "sample_percent": 20, "include_on_the_spot": False,
                  "attempts": 3, "gap_hours": 2, "automated": False,
                  # the automated call: when citizens may be rung (every day but statutory holidays), the flow it
                  # runs (ivr_flows/followup.yaml), the number shown to them ("": the hotline they called), how
                  # long it rings and how many such calls at once (each takes a trunk channel)
                  "calling_hours": ["09:00-12:00", "14:00-20:00"], "call_on_holidays": False,
                  "flow": "followup", "caller_id": "",
                  "ring_seconds": 40, "at_once": 4},
    "remind_before_minutes": 60,        # a reminder this long before a deadline
    "escalate_after_hours": 4,          # 督办 once a deadline is this long past
}


class SettingsError(ValueError):
    """A work-order setting that cannot be used; the message names it."""


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who takes a step: the name on the timeline and the console user (None for the system)."""

    name: str
    user_id: int | None = None


SYSTEM = Actor("system")


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class FollowUpCalls:
    """How the engine places automated follow-up calls (engine.acd.followups)."""

    flow: str = "followup"
    caller_id: str = ""                 # "": the hotline number the citizen called
    ring_s: int = 40
    at_once: int = 4

    def __post_init__(self) -> None:
        if not self.flow.replace("_", "").isalnum():
            raise ValueError(f"the follow-up flow must be a flow's name, got {self.flow!r}")
        if self.caller_id and not self.caller_id.isdigit():
            raise ValueError("the follow-up caller id must be digits")
        if not 10 <= self.ring_s <= 120 or not 1 <= self.at_once <= 30:
            raise ValueError("ring_seconds must be 10-120 and at_once 1-30")


@dataclasses.dataclass(frozen=True)
class OrderSettings:
    clocks: OrderClocks
    office: BusinessHours
    rule: FollowUpRule
    retry: RetryPolicy
    automated_follow_up: bool
    remind_before: dt.timedelta
    escalate_after: dt.timedelta
    spec: Mapping[str, Any]
    calls: "FollowUpCalls | None" = None

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None = None) -> "OrderSettings":
        merged: dict[str, Any] = json.loads(json.dumps(DEFAULT_SPEC))
        for key, value in (spec or {}).items():
            if key not in merged:
                raise SettingsError(f'"{key}" is not a work-order setting ({", ".join(merged)})')
            if isinstance(merged[key], dict) and key != "office_hours":
                if not isinstance(value, Mapping):
                    raise SettingsError(f"{key}: expected a table of settings")
                for sub, item in value.items():
                    if key == "follow_up" and sub not in merged[key]:
                        raise SettingsError(f'follow_up.{sub}: not a follow-up setting ({", ".join(merged[key])})')
                    if key == "clocks" and isinstance(item, Mapping):
                        merged[key].setdefault(sub, {}).update(item)
                    else:
                        merged[key][sub] = item
            else:
                merged[key] = value
        try:
            clocks = OrderClocks.from_spec(merged["clocks"])
        except ClockError as exc:
            raise SettingsError(f"clocks.{exc}") from None
        try:
            office = BusinessHours.from_spec(merged["office_hours"])
        except (HoursError, ValueError, AttributeError) as exc:
            raise SettingsError(f"office_hours: {exc}") from None
        if not any(office.weekly.values()):
            raise SettingsError("office_hours: no working hours on any weekday")
        fu = merged["follow_up"]
        try:
            always = frozenset(RequestType(v) for v in fu["always"])
        except (ValueError, TypeError):
            raise SettingsError("follow_up.always: request types are consultation, complaint, report, help, "
                                "suggestion") from None
        try:
            hours = fu["calling_hours"]
            if isinstance(hours, str):
                hours = [r.strip() for r in hours.replace("，", ",").split(",") if r.strip()]
            calling = BusinessHours.from_spec({"mon-sun": list(hours), "makeup": list(hours),
                                               "holiday": list(hours) if fu["call_on_holidays"] else "closed"})
            if not hours:
                raise HoursError("no hours")
        except (HoursError, ValueError, TypeError, AttributeError):
            raise SettingsError("follow_up.calling_hours: hours like 09:00-12:00, 14:00-20:00") from None
        try:
            rule = FollowUpRule(always, float(fu["sample_percent"]), bool(fu["include_on_the_spot"]))
            retry = RetryPolicy(int(fu["attempts"]), dt.timedelta(hours=float(fu["gap_hours"])), calling)
            calls = FollowUpCalls(str(fu["flow"]).strip(), str(fu["caller_id"]).strip(), int(fu["ring_seconds"]),
                                  int(fu["at_once"]))
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"follow_up: {exc}") from None
        try:
            remind = dt.timedelta(minutes=float(merged["remind_before_minutes"]))
            escalate = dt.timedelta(hours=float(merged["escalate_after_hours"]))
        except (ValueError, TypeError):
            raise SettingsError("remind_before_minutes and escalate_after_hours are numbers") from None
        if remind < dt.timedelta(0) or escalate <= dt.timedelta(0):
            raise SettingsError("remind_before_minutes must be 0 or more and escalate_after_hours more than 0")
        return cls(clocks, office, rule, retry, bool(fu["automated"]), remind, escalate, merged, calls)


def load_settings(session: Session) -> OrderSettings:
    """The stored settings over the defaults (the defaults when none are stored or the stored ones are broken)."""
    row = session.get(ReportSetting, SETTINGS_NAME)
    if row is None or not row.value:
        return OrderSettings.from_spec()
    try:
        return OrderSettings.from_spec(json.loads(row.value))
    except (ValueError, SettingsError) as exc:
        logger.error("stored work-order settings unusable, defaults apply: %s", exc)
        return OrderSettings.from_spec()


def save_settings(session: Session, spec: Mapping[str, Any]) -> OrderSettings:
    """Validate and store (SettingsError names what is wrong)."""
    settings = OrderSettings.from_spec(spec)
    row = session.get(ReportSetting, SETTINGS_NAME)
    text = json.dumps(settings.spec, ensure_ascii=False, sort_keys=True)
    if row is None:
        session.add(ReportSetting(name=SETTINGS_NAME, value=text, updated_at=utcnow()))
    else:
        row.value, row.updated_at = text, utcnow()
    return settings


@dataclasses.dataclass(frozen=True)
class Context:
    """What deadlines need: the settings, the working calendar and the centre's time zone."""

    settings: OrderSettings
    calendar: WorkCalendar
    tz: dt.tzinfo

    @classmethod
    def load(cls, session: Session, zone: str = "Asia/Shanghai", now: dt.datetime | None = None) -> "Context":
        from engine.calendar_source import load_calendar
        tz = ZoneInfo(zone)
        today = (now or utcnow()).astimezone(tz).date()
        return cls(load_settings(session), load_calendar(session, today=today), tz)

    def due(self, start: dt.datetime, step: Step, urgency: Urgency, hard: bool = False) -> dt.datetime:
        """When a step started at `start` is due (CalendarNotCovered for a year the calendar does not know)."""
        clock = self.settings.clocks.clock(step, urgency, hard)
        return due(start, clock, self.calendar, self.settings.office, self.tz).astimezone(dt.timezone.utc)


# -- registering ------------------------------------------------------------------------------------------------
def _number(session: Session, now: dt.datetime, tz: dt.tzinfo) -> str:
    day = now.astimezone(tz).strftime("%Y%m%d")
    last = session.scalar(select(func.max(WorkOrder.number)).where(WorkOrder.number.like(f"{day}%"))
                          .execution_options(unscoped=True))
    return f"{day}{(int(last[8:]) + 1 if last else 1):04d}"


def region_of_number(number: str) -> str:
    """号码归属地 of a caller number ('' when unknown or the geocoder data is missing)."""
    try:
        from engine.region_lookup import describe
        return describe(number or "")[1]
    except Exception:  # noqa: BLE001 — the region is a courtesy, never a reason to lose an order
        return ""


def call_facts(session: Session, call_uuid: str) -> dict[str, Any]:
    """What an order takes from its call: the caller's number and region, the IVR path with its data, the queue and
    the hall of the number dialled."""
    record = session.scalar(select(CallRecord).where(CallRecord.call_uuid == call_uuid)
                            .execution_options(unscoped=True))
    if record is None:
        return {}
    hall_id = session.scalar(select(PublishedNumber.hall_id).where(PublishedNumber.number == record.dnis)
                             .execution_options(unscoped=True))
    queue_code = None
    if record.queue_id:
        queue_code = session.scalar(select(Queue.code).where(Queue.id == record.queue_id)
                                    .execution_options(unscoped=True))
    return {"citizen_phone": record.ani or "", "region": region_of_number(record.ani or ""),
            "ivr_data": record.ivr_path or "", "queue_code": queue_code, "hall_id": hall_id,
            "agent_id": record.agent_id}


BACKFILL_WITHIN = dt.timedelta(days=2)       # a call still on after this long has no record to wait for


def backfill_call_facts(session: Session, now: dt.datetime | None = None) -> int:
    """Orders registered while their call was still on (its record is written at the hang-up): once the record
    exists, what the order left blank is taken from it (the caller's number and region, the IVR path and data,
    the queue, the hall of the number dialled, the agent); how many orders were completed."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    waiting = session.scalars(select(WorkOrder).where(WorkOrder.call_uuid.is_not(None),
                                                      WorkOrder.call_facts_at.is_(None),
                                                      WorkOrder.created_at >= now - BACKFILL_WITHIN)
                              .execution_options(unscoped=True)).all()
    done = 0
    for order in waiting:
        facts = call_facts(session, order.call_uuid or "")
        if not facts:
            continue
        order.citizen_phone = order.citizen_phone or facts["citizen_phone"]
        order.region = order.region or facts["region"] or region_of_number(order.citizen_phone)
        order.ivr_data = order.ivr_data or facts["ivr_data"]
        order.queue_code = order.queue_code or facts["queue_code"]
        order.hall_id = order.hall_id if order.hall_id is not None else facts["hall_id"]
        order.agent_id = order.agent_id if order.agent_id is not None else facts["agent_id"]
        order.call_facts_at = now
        done += 1
    return done


def register(session: Session, ctx: Context, actor: Actor, *, request_type: RequestType, title: str,
             content: str = "", urgency: Urgency = Urgency.GENERAL, hard: bool = False,
             category_id: int | None = None, citizen_name: str = "", citizen_phone: str = "",
             citizen_address: str = "", wishes: str = "", reply_wanted: bool = True, confidential: bool = False,
             source: str = "manual", call_uuid: str | None = None, voicemail_id: int | None = None,
             hall_id: int | None = None, agent_id: int | None = None, answer: str = "",
             default_hall_id: int | None = None, external_number: str | None = None,
             now: dt.datetime | None = None) -> WorkOrder:
    """Register an order (answered on the spot when `answer` is given: closed at once as 当场答复)."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)     # the store keeps UTC
    facts = call_facts(session, call_uuid) if call_uuid else {}
    order = WorkOrder(request_type=request_type, title=title.strip(), content=content, urgency=urgency, hard=hard,
                      category_id=category_id, citizen_name=citizen_name,
                      citizen_phone=citizen_phone or facts.get("citizen_phone", ""), citizen_address=citizen_address,
                      wishes=wishes, reply_wanted=reply_wanted, confidential=confidential, source=source,
                      call_uuid=call_uuid, voicemail_id=voicemail_id, external_number=external_number or None,
                      hall_id=hall_id if hall_id is not None else facts.get("hall_id") or default_hall_id,
                      agent_id=agent_id if agent_id is not None else facts.get("agent_id"),
                      region=facts.get("region", ""), ivr_data=facts.get("ivr_data", ""),
                      queue_code=facts.get("queue_code"), created_by_id=actor.user_id, created_at=now,
                      updated_at=now, call_facts_at=now if facts else None)
    if not order.region and order.citizen_phone:
        order.region = region_of_number(order.citizen_phone)
    machine = Machine.register("", actor.name, now)
    steps = [(machine.timeline[-1], None)]
    if answer.strip():
        machine.act(Action.ANSWER_ON_THE_SPOT, actor.name, now, note=answer)
        steps.append((machine.timeline[-1], None))
        order.on_the_spot, order.answer, order.closed_at = True, answer, now
    else:
        _set_dispatch_due(order, ctx, now)
    order.state = machine.state
    for attempt in range(5):
        order.number = _number(session, now, ctx.tz)
        try:
            with session.begin_nested():
                session.add(order)
                session.flush()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    for step, department_id in steps:
        _write_step(session, order, step, actor, department_id)
    if order.urgency is not Urgency.GENERAL and not order.on_the_spot:
        _alert(session, order, "special", now, order.dispatch_due, note=order.urgency.value)
    if order.calendar_gap:
        _alert(session, order, "calendar", now, None, note=str(order.calendar_gap))
    if order.on_the_spot:
        _maybe_follow_up(session, ctx, order, now)
    return order


def _set_dispatch_due(order: WorkOrder, ctx: Context, now: dt.datetime) -> None:
    try:
        order.dispatch_due = ctx.due(now, Step.DISPATCH, order.urgency)
    except CalendarNotCovered as exc:
        order.dispatch_due, order.calendar_gap = None, exc.year


def _reply_due(order: WorkOrder, ctx: Context, start: dt.datetime) -> dt.datetime | None:
    try:
        return ctx.due(start, Step.REPLY, order.urgency, order.hard)
    except CalendarNotCovered as exc:
        order.calendar_gap = exc.year
        return None


# -- taking a step ----------------------------------------------------------------------------------------------
def _machine(session: Session, order: WorkOrder) -> Machine:
    last = session.scalar(select(WorkOrderStep).where(WorkOrderStep.order_id == order.id)
                          .order_by(WorkOrderStep.id.desc()).limit(1).execution_options(unscoped=True))
    machine = Machine(order.number, OrderState(order.state), review_errors=order.review_errors,
                      misdispatches=order.misdispatches, reopened=order.reopened, on_the_spot=order.on_the_spot)
    for part in order.parts:
        machine.parts[str(part.department_id)] = Part(str(part.department_id), PartState(part.state),
                                                      part.extension_asked, part.extensions, part.reply)
    if last is not None:
        machine.timeline.append(TimelineStep(Action(last.action), last.actor, aware(last.at)))
    return machine


def act(session: Session, ctx: Context, order: WorkOrder, action: Action, actor: Actor, *,
        department_id: int | None = None, note: str = "", now: dt.datetime | None = None) -> WorkOrder:
    """Take one step on the order, or raise InvalidTransition (nothing written) saying why."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)     # the store keeps UTC
    machine = _machine(session, order)
    last_at = machine.timeline[-1].at if machine.timeline else None
    if last_at is not None and now < last_at:
        now = last_at               # two consoles' clocks a little apart: the timeline stays in order
    machine.act(action, actor.name, now, "" if department_id is None else str(department_id), note)
    order.state, order.review_errors = machine.state, machine.review_errors
    order.misdispatches, order.reopened, order.updated_at = machine.misdispatches, machine.reopened, now
    parts = {p.department_id: p for p in order.parts}
    part = parts.get(department_id) if department_id is not None else None
    if action is Action.DISPATCH:
        if part is None:
            part = WorkOrderPart(department_id=department_id, dispatched_at=now)
            order.parts.append(part)
        part.dispatched_at, part.accepted_at, part.replied_at = now, None, None
        part.reply_due = _reply_due(order, ctx, now)
        part.notice_needed = order.urgency is not Urgency.GENERAL
        if order.dispatched_at is None:
            order.dispatched_at = now
            order.late_dispatch = order.dispatch_due is not None and now > aware(order.dispatch_due)
        session.flush()
        if part.notice_needed:
            _alert(session, order, "special", now, None, part=part, note=order.urgency.value)
    for p in order.parts:
        p.state = machine.parts[str(p.department_id)].state
        p.extension_asked = machine.parts[str(p.department_id)].extension_asked
        p.extensions = machine.parts[str(p.department_id)].extensions
    if action is Action.PASS_REVIEW:
        order.reviewed_at = now
    elif action is Action.ACCEPT:
        part.accepted_at = now
        _settle(session, order, now, actor, part=part, kinds=("special",))
    elif action is Action.GRANT_EXTENSION:
        if part.reply_due is not None:
            part.reply_due = _reply_due(order, ctx, aware(part.reply_due)) or part.reply_due
    elif action is Action.REPLY:
        part.reply, part.replied_at = note, now
        _settle(session, order, now, actor, part=part)
    elif action is Action.RETURN:
        _settle(session, order, now, actor, part=part)
    elif action in (Action.SEND_BACK, Action.REOPEN):
        for p in order.parts:
            if p.state is PartState.ACCEPTED and p.replied_at is not None:
                p.replied_at, p.reply_due = None, _reply_due(order, ctx, now)
        order.replied_at, order.closed_at = None, None
    elif action is Action.CLOSE:
        order.closed_at, order.answer = now, note or order.answer
        _settle(session, order, now, actor)
        _maybe_follow_up(session, ctx, order, now)
    if order.state is OrderState.REPLIED and order.replied_at is None:
        order.replied_at = now
    if action is Action.DISPATCH:
        _settle(session, order, now, actor, dispatch_only=True)
    open_dues = [aware(p.reply_due) for p in order.parts
                 if p.reply_due is not None and p.state in (PartState.DISPATCHED, PartState.ACCEPTED)]
    order.reply_due = min(open_dues) if open_dues else None
    _write_step(session, order, machine.timeline[-1], actor, department_id)
    return order


def _write_step(session: Session, order: WorkOrder, step: TimelineStep, actor: Actor,
                department_id: int | None) -> None:
    session.add(WorkOrderStep(order_id=order.id, action=step.action, actor=actor.name, user_id=actor.user_id,
                              at=step.at, department_id=department_id, note=step.note))
    session.flush()


def _alert(session: Session, order: WorkOrder, kind: str, now: dt.datetime, due_at: dt.datetime | None, *,
           part: WorkOrderPart | None = None, note: str = "", key: str | None = None) -> OrderAlert | None:
    key = key or f"{kind}:{order.id}:{part.id if part is not None else '-'}:{order.reopened}"
    existing = session.scalar(select(OrderAlert).where(OrderAlert.key == key).execution_options(unscoped=True))
    if existing is not None:
        return None
    alert = OrderAlert(key=key, kind=kind, order_id=order.id, part_id=part.id if part is not None else None,
                       department_id=part.department_id if part is not None else None, hall_id=order.hall_id,
                       at=now, due=due_at, note=note[:255])
    session.add(alert)
    session.flush()
    return alert


def _settle(session: Session, order: WorkOrder, now: dt.datetime, actor: Actor, *, part: WorkOrderPart | None = None,
            kinds: tuple[str, ...] = ("reminder", "overdue", "escalation"), dispatch_only: bool = False) -> None:
    """Open alerts the step has answered are done (a reply settles its part's reminders, closing the order all)."""
    query = select(OrderAlert).where(OrderAlert.order_id == order.id, OrderAlert.done_at.is_(None),
                                     OrderAlert.kind.in_(kinds)).execution_options(unscoped=True)
    if part is not None:
        query = query.where(OrderAlert.part_id == part.id)
    elif dispatch_only:
        query = query.where(OrderAlert.part_id.is_(None))
    for alert in session.scalars(query):
        alert.done_at, alert.done_by = now, actor.name


def _maybe_follow_up(session: Session, ctx: Context, order: WorkOrder, now: dt.datetime) -> FollowUp | None:
    """A closed order the rule selects enters the follow-up list (a reopened one, once more per closing)."""
    if not ctx.settings.rule.selects(order.number, RequestType(order.request_type), order.on_the_spot):
        return None
    rounds = session.scalar(select(func.count(FollowUp.id)).where(FollowUp.order_id == order.id)
                            .execution_options(unscoped=True)) or 0
    automated = ctx.settings.automated_follow_up and bool(order.citizen_phone)
    try:
        first = ctx.settings.retry.first_attempt(now, ctx.calendar, ctx.tz) if automated else None
    except ValueError:
        first = None
    follow_up = FollowUp(order_id=order.id, round=rounds + 1, hall_id=order.hall_id, state="pending", created_at=now,
                         mode="automated" if automated else "manual",
                         next_attempt_at=first.astimezone(dt.timezone.utc) if first else None)
    session.add(follow_up)
    session.flush()
    return follow_up


# -- follow-up results ------------------------------------------------------------------------------------------
def record_follow_up(session: Session, ctx: Context, follow_up: FollowUp, actor: Actor, *, rating: Rating,
                     department_rating: Rating | None = None, note: str = "", call_uuid: str | None = None,
                     now: dt.datetime | None = None) -> FollowUp:
    """The citizen's rating; 不满意 reopens the order for rectification (整改) with their words on the timeline."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)     # the store keeps UTC
    if follow_up.state in ("done", "cancelled"):
        raise InvalidTransition(f"follow-up {follow_up.id} is already {follow_up.state}")
    follow_up.state, follow_up.rating, follow_up.department_rating = "done", rating, department_rating
    follow_up.note, follow_up.done_by, follow_up.done_at = note, actor.name, now
    follow_up.call_uuid = call_uuid or follow_up.call_uuid
    order = follow_up.order
    if rating.reopens and order.state is OrderState.CLOSED and not order.on_the_spot and order.parts:
        act(session, ctx, order, Action.REOPEN, actor, note=note.strip() or "回访不满意", now=now)
    return follow_up


def unanswered_follow_up(session: Session, ctx: Context, follow_up: FollowUp, now: dt.datetime) -> FollowUp:
    """An automated follow-up call nobody answered: ring again within the calling hours, or give up."""
    now = now.astimezone(dt.timezone.utc)
    follow_up.attempts += 1
    follow_up.last_attempt_at = now
    try:
        nxt = ctx.settings.retry.next_attempt(now, follow_up.attempts, ctx.calendar, ctx.tz)
    except ValueError:
        nxt = None
    if nxt is None:
        follow_up.state, follow_up.next_attempt_at = "unreachable", None
    else:
        follow_up.state, follow_up.next_attempt_at = "pending", nxt.astimezone(dt.timezone.utc)
    return follow_up


# -- the deadline sweep -----------------------------------------------------------------------------------------
@dataclasses.dataclass
class SweepResult:
    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    calendar: int = 0

    @property
    def raised(self) -> int:
        return self.reminders + self.overdue + self.escalations + self.calendar


def _deadline_alerts(session: Session, ctx: Context, order: WorkOrder, due_at: dt.datetime, now: dt.datetime,
                     result: SweepResult, part: WorkOrderPart | None) -> None:
    which = f"{'reply' if part is not None else 'dispatch'}:{order.id}:{part.id if part is not None else '-'}:" \
            f"{due_at.isoformat()}"
    settings = ctx.settings
    if now >= due_at + settings.escalate_after:
        if _alert(session, order, "escalation", now, due_at, part=part, key=f"escalation:{which}") is not None:
            result.escalations += 1
            order.escalated_at = order.escalated_at or now
    if now >= due_at:
        if _alert(session, order, "overdue", now, due_at, part=part, key=f"overdue:{which}") is not None:
            result.overdue += 1
    elif now >= due_at - settings.remind_before:
        if _alert(session, order, "reminder", now, due_at, part=part, key=f"reminder:{which}") is not None:
            result.reminders += 1


def sweep(session: Session, ctx: Context, now: dt.datetime | None = None) -> SweepResult:
    """Reminders before each open deadline, warnings after it, 督办 once it is long past, and a calendar alert
    for deadlines the calendar cannot compute (retried each time: a new chinese_calendar fills the gap).
    Idempotent: each alert has its key, so any number of sweepers may run."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)     # the store keeps UTC
    result = SweepResult()
    horizon = now + ctx.settings.remind_before
    waiting = session.scalars(select(WorkOrder).where(
        WorkOrder.state.in_((OrderState.REGISTERED, OrderState.REVIEWED)), WorkOrder.dispatch_due.is_not(None),
        WorkOrder.dispatch_due <= horizon).execution_options(unscoped=True)).unique()
    for order in waiting:
        _deadline_alerts(session, ctx, order, aware(order.dispatch_due), now, result, None)
    parts = session.scalars(select(WorkOrderPart).where(
        WorkOrderPart.state.in_((PartState.DISPATCHED, PartState.ACCEPTED)), WorkOrderPart.reply_due.is_not(None),
        WorkOrderPart.reply_due <= horizon).execution_options(unscoped=True)).unique()
    for part in parts:
        _deadline_alerts(session, ctx, part.order, aware(part.reply_due), now, result, part)
    gaps = session.scalars(select(WorkOrder).where(WorkOrder.calendar_gap.is_not(None),
                                                   WorkOrder.state != OrderState.CLOSED)
                           .execution_options(unscoped=True)).unique()
    for order in gaps:
        order.calendar_gap = None
        if order.state in (OrderState.REGISTERED, OrderState.REVIEWED) and order.dispatch_due is None:
            _set_dispatch_due(order, ctx, aware(order.created_at))
        for part in order.parts:
            if part.reply_due is None and part.state in (PartState.DISPATCHED, PartState.ACCEPTED):
                part.reply_due = _reply_due(order, ctx, aware(part.dispatched_at))
        if order.calendar_gap is None:
            _settle(session, order, now, SYSTEM, kinds=("calendar",))
        elif _alert(session, order, "calendar", now, None, note=str(order.calendar_gap),
                    key=f"calendar:{order.id}:{order.calendar_gap}") is not None:
            result.calendar += 1
    session.flush()
    return result


def order_timeline(session: Session, order: WorkOrder) -> list[WorkOrderStep]:
    return list(session.scalars(select(WorkOrderStep).where(WorkOrderStep.order_id == order.id)
                                .order_by(WorkOrderStep.id)))


# -- the month's counts for seed 004's 业务指标 ---------------------------------------------------------------------
def business_counts(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None):
    """The counts engine.reports.seed004.score takes, for [start, end) (the session's scope applies):

    * reviews: orders first reviewed (初审) in the period; review_errors: those of them a review failed;
    * dispatched: orders first dispatched in the period; dispatched_accurately: those never returned as not the
      department's (a re-dispatch counts against accuracy);
    * late_dispatches: orders whose dispatch deadline fell in the period and that were dispatched after it or,
      past it, not at all (an order answered on the spot is never dispatched and never late);
    * due_follow_up: follow-ups the rule created in the period (cancelled ones aside); followed_up: those done.
    """
    from sqlalchemy import and_, distinct, or_
    from engine.reports.seed004 import BusinessCounts
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    first_review = (select(WorkOrderStep.order_id, func.min(WorkOrderStep.at).label("at"))
                    .where(WorkOrderStep.action.in_((Action.PASS_REVIEW, Action.FAIL_REVIEW)))
                    .group_by(WorkOrderStep.order_id).subquery())
    reviewed = select(first_review.c.order_id).where(first_review.c.at >= start, first_review.c.at < end)
    reviews = session.scalar(select(func.count()).select_from(reviewed.subquery())) or 0
    review_errors = session.scalar(select(func.count(distinct(WorkOrderStep.order_id))).where(
        WorkOrderStep.action == Action.FAIL_REVIEW, WorkOrderStep.order_id.in_(reviewed))) or 0
    in_period = and_(WorkOrder.dispatched_at >= start, WorkOrder.dispatched_at < end)
    dispatched = session.scalar(select(func.count(WorkOrder.id)).where(in_period)) or 0
    accurate = session.scalar(select(func.count(WorkOrder.id)).where(in_period, WorkOrder.misdispatches == 0)) or 0
    late = session.scalar(select(func.count(WorkOrder.id)).where(
        WorkOrder.dispatch_due >= start, WorkOrder.dispatch_due < end, WorkOrder.on_the_spot.is_(False),
        or_(WorkOrder.dispatched_at > WorkOrder.dispatch_due,
            and_(WorkOrder.dispatched_at.is_(None), WorkOrder.dispatch_due < now)))) or 0
    follow_ups = and_(FollowUp.created_at >= start, FollowUp.created_at < end, FollowUp.state != "cancelled")
    due_follow_up = session.scalar(select(func.count(FollowUp.id)).where(follow_ups)) or 0
    followed_up = session.scalar(select(func.count(FollowUp.id)).where(follow_ups, FollowUp.state == "done")) or 0
    return BusinessCounts(reviews=reviews, review_errors=review_errors, late_dispatches=late, dispatched=dispatched,
                          dispatched_accurately=accurate, due_follow_up=due_follow_up, followed_up=followed_up)
