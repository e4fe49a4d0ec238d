"""The store's side of automated follow-up calls (回访, engine.acd.followups): which visits are due now, claimed so
that one engine rings each citizen once, and what each call came to.

A visit is due when it is pending, automated and its next attempt has come, within the calling hours (outside them
its next attempt moves to the next opening: nobody is rung at lunch or on a statutory holiday). Claiming marks it
`calling` with a conditional UPDATE, so two engines (or a restart) never ring the same visit twice; a visit left
`calling` by an engine that died without a result is counted as not reached after STALE_CALLING (the engine that
took over its call, if any, stores the rating meanwhile, which wins).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.domain.commands import SaveFollowUpResult
from engine.domain.events import DueFollowUp
from engine.domain.followup import Rating
from engine.domain.errors import InvalidTransition
from engine.store import orders
from engine.store.models import CallRecord, FollowUp, PublishedNumber, WorkOrder

logger = logging.getLogger(__name__)
STALE_CALLING = dt.timedelta(minutes=15)
DEFER_BUSY = dt.timedelta(minutes=1)        # every trunk channel taken: try again soon
DEFER_BROKEN = dt.timedelta(minutes=10)     # the flow is missing: again once someone may have fixed it
AUTOMATED = orders.Actor("自动回访")        # the name on the visit and on the order's timeline


def claim_due(session: Session, now: dt.datetime, limit: int, zone: str = "Asia/Shanghai") -> list[DueFollowUp]:
    """Up to `limit` visits to ring now, marked `calling` (none when automated follow-up is off)."""
    now = now.astimezone(dt.timezone.utc)
    ctx = orders.Context.load(session, zone, now)
    _release_stale(session, ctx, now)
    settings = ctx.settings
    if not settings.automated_follow_up or settings.calls is None or limit <= 0:
        return []
    due_ids = list(session.scalars(
        select(FollowUp.id).where(FollowUp.state == "pending", FollowUp.mode == "automated",
                                  FollowUp.next_attempt_at <= now)
        .order_by(FollowUp.next_attempt_at, FollowUp.id).limit(limit).execution_options(unscoped=True)))
    if not due_ids:
        return []
    try:
        opens = settings.retry.first_attempt(now, ctx.calendar, ctx.tz).astimezone(dt.timezone.utc)
    except ValueError:
        logger.error("no calling hours in the next 60 days: automated follow-ups wait (check the settings)")
        return []
    if opens > now:                      # outside the calling hours: their next attempt is the next opening
        session.execute(update(FollowUp).where(FollowUp.id.in_(due_ids)).values(next_attempt_at=opens)
                        .execution_options(synchronize_session=False))
        return []
    claimed: list[DueFollowUp] = []
    for follow_up_id in due_ids:
        taken = session.execute(update(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.state == "pending")
                                .values(state="calling", last_attempt_at=now)
                                .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            continue                     # another engine took it first
        row = session.get(FollowUp, follow_up_id, execution_options={"unscoped": True})
        session.refresh(row)
        item = _due(session, row, ctx)
        if item is None:
            row.state, row.next_attempt_at, row.last_result = "unreachable", None, "NO_NUMBER"
            continue
        claimed.append(item)
    return claimed


def _due(session: Session, row: FollowUp, ctx: orders.Context) -> DueFollowUp | None:
    order: WorkOrder = row.order
    number = "".join(ch for ch in (order.citizen_phone or "") if ch.isdigit())
    if not number:
        return None
    calls = ctx.settings.calls
    caller_id = calls.caller_id or _hotline(session, order)
    local = orders.aware(order.created_at).astimezone(ctx.tz)
    variables = {"order_no": order.number, "order_tail": order.number[-4:], "month": str(local.month),
                 "day": str(local.day), "request_type": order.request_type.value, "round": str(row.round)}
    return DueFollowUp(row.id, number, caller_id, calls.flow, variables, calls.ring_s)


def _hotline(session: Session, order: WorkOrder) -> str:
    """The number the citizen called (their order's call), else the hall's first published number."""
    if order.call_uuid:
        dnis = session.scalar(select(CallRecord.dnis).where(CallRecord.call_uuid == order.call_uuid)
                              .execution_options(unscoped=True))
        if dnis:
            return dnis
    query = select(PublishedNumber.number).order_by(PublishedNumber.id).limit(1)
    if order.hall_id is not None:
        query = query.where(PublishedNumber.hall_id == order.hall_id)
    return session.scalar(query.execution_options(unscoped=True)) or ""


def _release_stale(session: Session, ctx: orders.Context, now: dt.datetime) -> None:
    stale = session.scalars(select(FollowUp).where(FollowUp.state == "calling", FollowUp.mode == "automated",
                                                   FollowUp.last_attempt_at < now - STALE_CALLING)
                            .execution_options(unscoped=True))
    for row in stale:
        logger.warning("follow-up %d: its call was placed by an engine that stopped without a result; counted as "
                       "not reached", row.id)
        orders.unanswered_follow_up(session, ctx, row, now)
        row.last_result = "ENGINE_LOST"


def save_follow_up_result(session: Session, cmd: SaveFollowUpResult) -> None:
    """The store writer's part (engine.store.writers): one automated call's outcome on its visit."""
    row = session.get(FollowUp, cmd.follow_up_id, execution_options={"unscoped": True})
    if row is None:
        logger.warning("follow-up %d: result %s for a visit that no longer exists", cmd.follow_up_id, cmd.outcome)
        return
    at = dt.datetime.fromtimestamp(cmd.at, dt.timezone.utc)
    if row.state in ("done", "cancelled", "unreachable") and cmd.outcome != "department":
        logger.info("follow-up %d is %s already; call result %s not applied", row.id, row.state, cmd.outcome)
        return
    ctx = orders.Context.load(session, now=at)
    if cmd.call_uuid:
        row.call_uuid = cmd.call_uuid
    if cmd.outcome == "department":
        row.department_rating = Rating(cmd.rating)
    elif cmd.outcome == "rated":
        try:
            orders.record_follow_up(session, ctx, row, AUTOMATED, rating=Rating(cmd.rating),
                                    department_rating=row.department_rating, note="", call_uuid=cmd.call_uuid,
                                    now=at)
        except InvalidTransition as exc:
            logger.warning("follow-up %d: rating not applied: %s", row.id, exc)
            return
        row.last_result = "RATED"
    elif cmd.outcome == "unanswered":
        orders.unanswered_follow_up(session, ctx, row, at)
        row.last_result = cmd.cause[:32]
    else:                               # deferred: not placed, no attempt counted; tried again shortly
        row.state, row.last_result = "pending", cmd.cause[:32]
        row.next_attempt_at = at + (DEFER_BUSY if cmd.cause == "TRUNK_BUSY" else DEFER_BROKEN)
