"""Webhook deliveries (issue 15 item 7, R-NF-4), run by the report workers with their upkeep, next to the deadline
sweep: never in the engine, whose CPU is for calls, and never in a console request (but the test delivery).

The orders' timeline (work_order_steps) is the change feed: every state change of an order is one step row, in
id order. Each active hook (engine.store.models.webhooks) keeps a cursor in it, and one in the follow-up results
(follow_ups done, by done_at and id); what lies past the cursors — within the hook's hall subtree — is POSTed one
event at a time, in order, as JSON:

    {"event": "order.step", "delivery": "3-step-1842", "step_id": 1842, "order": "202612060001",
     "state": "dispatched", "action": "dispatch", "actor": "班长", "at": "2026-12-06T08:15:02+00:00",
     "department": "税政一科", "department_id": 4, "note": "…", "hall": "GD-440300", "request_type": "complaint",
     "urgency": "general", "title": "…", "order_url": "/api/v1/orders/202612060001"}

`state` is the order's state right after that step (the timeline replayed through engine.domain.workorder), not
its state now: a receiver that is behind still sees each change as it happened. Headers: `X-Callcenter-Event`,
`X-Callcenter-Delivery` (stable across retries: receivers drop a repeat by it) and `X-Callcenter-Signature:
sha256=<hex HMAC-SHA256 of the body under the hook's secret>`.

A 2xx answer moves the cursor past the event (committed at once: a worker that dies re-sends at most that one).
Anything else — another status, a redirect, a timeout, a refused connection — stops the hook where it is: the
error is recorded, and the same event is tried again after 30 s, 1 min, 2 min, … at most an hour (at least once,
in order, nothing skipped). A round sends at most MAX_PER_ROUND events per hook and stops taking hooks after
ROUND_BUDGET_S, so one slow endpoint (TIMEOUT_S each) cannot hold the worker's report jobs; a hook is claimed for
the round, so two workers never send the same hook's events side by side.

Steps younger than SETTLE are left for the next round: an id is taken when a step is written and becomes visible
when its transaction commits, so a younger id can be visible before an older one; waiting until the rows have
settled keeps the cursor from passing a step still being committed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import heapq
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from admin_web.scope import subtree
from engine.domain.errors import InvalidTransition
from engine.domain.workorder import Action, OrderState, WorkOrder as Machine
from engine.store.base import utcnow
from engine.store.models import (Agent, Department, FollowUp, Hall, Webhook, WebhookDelivery, WorkOrder,
                                 WorkOrderPart, WorkOrderStep)
from engine.store.models.webhooks import PING_EVENT
from engine.store.session import transaction

logger = logging.getLogger(__name__)

TIMEOUT_S = 5.0                             # one POST
MAX_PER_ROUND = 50                          # events per hook per round
ROUND_BUDGET_S = 15.0                       # no further hook is taken after this long
SETTLE = dt.timedelta(seconds=5)
LEASE = dt.timedelta(minutes=2)             # a hook claimed by a worker for its round
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
KEEP_DELIVERIES = dt.timedelta(days=30)
USER_AGENT = "callcenter-webhooks/1"
SIGNATURE_HEADER = "X-Callcenter-Signature"
DELIVERY_HEADER = "X-Callcenter-Delivery"
EVENT_HEADER = "X-Callcenter-Event"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the body under the secret>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and the tests): the signature matches the body."""
    return hmac.compare_digest(sign(secret, body), signature or "")


def backoff(failures: int) -> dt.timedelta:
    """The pause after `failures` failures in a row: 30 s, doubling, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(0, min(failures - 1, 16))), BACKOFF_MAX)


def valid_url(url: str) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= 500


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: urllib would follow a POST's 302 with a GET without the body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, secret: str, event: str, delivery: str, payload: dict, timeout: float = TIMEOUT_S) -> Outcome:
    """POST one event; never raises (the outcome says what happened)."""
    body = encode(payload)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, EVENT_HEADER: event,
        DELIVERY_HEADER: delivery, SIGNATURE_HEADER: sign(secret, body)})
    started = time.monotonic()
    status, error = None, ""
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            response.read(4096)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason or ''}".strip()
        exc.close()
    except urllib.error.URLError as exc:
        error = f"{type(exc.reason).__name__}: {exc.reason}" if isinstance(exc.reason, BaseException) \
            else str(exc.reason)
    except (OSError, ValueError) as exc:      # a timeout while reading, a malformed URL
        error = f"{type(exc).__name__}: {exc}"
    if status is not None and not 200 <= status < 300 and not error:
        error = f"HTTP {status}"
    return Outcome(status, error[:500], int((time.monotonic() - started) * 1000))


# -- the events ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Event:
    kind: str               # "order.step" or "follow_up.result"
    ref_id: int
    at: dt.datetime
    payload: dict

    def delivery(self, hook_id: int) -> str:
        return f"{hook_id}-{'step' if self.kind == 'order.step' else 'follow-up'}-{self.ref_id}"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _iso(value: dt.datetime | None) -> str | None:
    value = _aware(value)
    return value.isoformat() if value is not None else None


def orders_of(halls: frozenset[int]):
    """The orders a hall's hook sees: the console's hall scope (admin_web.scope) — the order's hall, an order
    taken by one of the halls' agents, or dispatched to one of their departments."""
    ids = tuple(halls)
    return or_(WorkOrder.hall_id.in_(ids), WorkOrder.agent_id.in_(select(Agent.id).where(Agent.hall_id.in_(ids))),
               exists().where(WorkOrderPart.order_id == WorkOrder.id,
                              WorkOrderPart.department_id.in_(select(Department.id)
                                                              .where(Department.hall_id.in_(ids)))))


def states_after(steps: list[WorkOrderStep]) -> dict[int, str]:
    """The order's state right after each of its steps (all of them, in id order), by replaying the timeline; {}
    when it cannot be replayed (rows written by hand, a department since removed)."""
    if not steps or steps[0].action is not Action.REGISTER:
        return {}
    out: dict[int, str] = {}
    try:
        machine = Machine.register("", steps[0].actor, _aware(steps[0].at), note=steps[0].note or "")
        out[steps[0].id] = machine.state.value
        for step in steps[1:]:
            machine.act(Action(step.action), step.actor, _aware(step.at),
                        "" if step.department_id is None else str(step.department_id), step.note or "")
            out[step.id] = machine.state.value
    except (InvalidTransition, ValueError, AttributeError, KeyError):
        return {}
    return out


def step_events(session: Session, hook: Webhook, halls: frozenset[int] | None, limit: int,
                settled: dt.datetime) -> list[Event]:
    """The timeline steps past the hook's cursor, in id order, up to the first one not yet settled."""
    stmt = (select(WorkOrderStep, WorkOrder).join(WorkOrder, WorkOrder.id == WorkOrderStep.order_id)
            .where(WorkOrderStep.id > hook.last_delivered_step_id).order_by(WorkOrderStep.id).limit(limit))
    if halls is not None:
        stmt = stmt.where(orders_of(halls))
    rows = session.execute(stmt.execution_options(unscoped=True)).unique().all()
    taken = []
    for step, order in rows:
        if _aware(step.at) > settled:
            break
        taken.append((step, order))
    if not taken:
        return []
    timelines: dict[int, dict[int, str]] = {}
    for order_id in {order.id for _s, order in taken}:
        timeline = session.scalars(select(WorkOrderStep).where(WorkOrderStep.order_id == order_id)
                                   .order_by(WorkOrderStep.id).execution_options(unscoped=True)).unique().all()
        timelines[order_id] = states_after(list(timeline))
    hall_codes = dict(session.execute(select(Hall.id, Hall.code).execution_options(unscoped=True)).all())
    events = []
    for step, order in taken:
        state = timelines[order.id].get(step.id) or OrderState(order.state).value
        payload = {"event": "order.step", "step_id": step.id, "order": order.number, "state": state,
                   "action": Action(step.action).value, "actor": step.actor, "at": _iso(step.at),
                   "department": step.department.name if step.department is not None else None,
                   "department_id": step.department_id, "hall": hall_codes.get(order.hall_id),
                   "request_type": order.request_type.value, "urgency": order.urgency.value, "title": order.title,
                   "order_url": f"/api/v1/orders/{order.number}"}
        if step.note:
            payload["note"] = step.note
        events.append(Event("order.step", step.id, _aware(step.at), payload))
    return events


def follow_up_events(session: Session, hook: Webhook, halls: frozenset[int] | None, limit: int,
                     settled: dt.datetime) -> list[Event]:
    """The follow-up results (ratings recorded) past the hook's cursor, by done_at and id."""
    stmt = (select(FollowUp).where(FollowUp.state == "done", FollowUp.done_at.is_not(None),
                                   FollowUp.done_at <= settled)
            .order_by(FollowUp.done_at, FollowUp.id).limit(limit))
    if hook.last_follow_up_at is not None:
        last = _aware(hook.last_follow_up_at)
        stmt = stmt.where(or_(FollowUp.done_at > last,
                              and_(FollowUp.done_at == last, FollowUp.id > hook.last_follow_up_id)))
    if halls is not None:
        stmt = stmt.where(FollowUp.hall_id.in_(tuple(halls)))
    events = []
    for row in session.scalars(stmt.execution_options(unscoped=True)).unique():
        order = row.order
        payload = {"event": "follow_up.result", "follow_up_id": row.id, "order": order.number,
                   "state": OrderState(order.state).value, "round": row.round, "mode": row.mode,
                   "rating": row.rating.value if row.rating else None,
                   "department_rating": row.department_rating.value if row.department_rating else None,
                   "actor": row.done_by, "at": _iso(row.done_at), "order_url": f"/api/v1/orders/{order.number}"}
        if row.note:
            payload["note"] = row.note
        events.append(Event("follow_up.result", row.id, _aware(row.done_at), payload))
    return events


def pending_events(session: Session, hook: Webhook, now: dt.datetime, limit: int = MAX_PER_ROUND,
                   settle: dt.timedelta = SETTLE) -> list[Event]:
    """What the hook is owed now, in the order it is sent: each feed in its own order, merged by time."""
    halls = subtree(session, hook.hall_id) if hook.hall_id is not None else None
    settled = now - settle
    feeds: list[Iterable[Event]] = []
    if "order.step" in hook.event_set:
        feeds.append(step_events(session, hook, halls, limit, settled))
    if "follow_up.result" in hook.event_set:
        feeds.append(follow_up_events(session, hook, halls, limit, settled))
    return list(heapq.merge(*feeds, key=lambda e: e.at))[:limit]


def backlog(session: Session, hook: Webhook) -> int:
    """How many steps past the hook's cursor (the console shows it; the hall scope aside, an upper bound)."""
    from sqlalchemy import func
    if "order.step" not in hook.event_set:
        return 0
    return session.scalar(select(func.count(WorkOrderStep.id)).where(
        WorkOrderStep.id > hook.last_delivered_step_id).execution_options(unscoped=True)) or 0


# -- delivering ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class DeliverResult:
    sent: int = 0
    failed: int = 0
    hooks: int = 0


def _claim(factory, hook_id: int, now: dt.datetime) -> bool:
    with transaction(factory) as session:
        result = session.execute(
            update(Webhook).where(Webhook.id == hook_id, Webhook.active.is_(True),
                                  or_(Webhook.claimed_until.is_(None), Webhook.claimed_until < now))
            .values(claimed_until=now + LEASE).execution_options(synchronize_session=False))
        return result.rowcount == 1


def _release(factory, hook_id: int) -> None:
    with transaction(factory) as session:
        session.execute(update(Webhook).where(Webhook.id == hook_id).values(claimed_until=None)
                        .execution_options(synchronize_session=False))


def _record(session: Session, hook: Webhook, event: str, ref_id: int | None, delivery: str, outcome: Outcome,
            at: dt.datetime) -> WebhookDelivery:
    row = WebhookDelivery(webhook_id=hook.id, event=event, ref_id=ref_id, delivery=delivery,
                          status_code=outcome.status, ok=outcome.ok, error=outcome.error, at=at,
                          duration_ms=outcome.duration_ms)
    session.add(row)
    return row


def _deliver_hook(factory, hook_id: int, now: dt.datetime, limit: int, settle: dt.timedelta,
                  deadline: float, result: DeliverResult) -> None:
    with factory() as session:
        hook = session.get(Webhook, hook_id)
        if hook is None or not hook.active:
            return
        url, secret = hook.url, hook.secret
        events = pending_events(session, hook, now, limit, settle)
    for event in events:
        delivery = event.delivery(hook_id)
        outcome = post(url, secret, event.kind, delivery, {**event.payload, "delivery": delivery})
        at = max(now, utcnow())
        with transaction(factory) as session:
            hook = session.get(Webhook, hook_id)
            if hook is None:
                return
            _record(session, hook, event.kind, event.ref_id, delivery, outcome, at)
            if outcome.ok:
                if event.kind == "order.step":
                    hook.last_delivered_step_id = max(hook.last_delivered_step_id, event.ref_id)
                else:
                    hook.last_follow_up_at, hook.last_follow_up_id = event.at, event.ref_id
                hook.last_delivered_at, hook.failures, hook.next_attempt_at = at, 0, None
            else:
                hook.failures += 1
                hook.last_error, hook.last_error_at = f"{delivery}: {outcome.error}"[:500], at
                hook.next_attempt_at = now + backoff(hook.failures)
        if not outcome.ok:
            result.failed += 1
            logger.warning("webhook %s: %s not delivered (%s); again after %s", hook_id, delivery, outcome.error,
                           backoff(hook.failures))
            return
        result.sent += 1
        if time.monotonic() > deadline:
            return


def deliver(factory, *, now: dt.datetime | None = None, limit: int = MAX_PER_ROUND, settle: dt.timedelta = SETTLE,
            budget_s: float = ROUND_BUDGET_S) -> DeliverResult:
    """One round over every active hook that is due; never raises (a hook that fails is logged and left for the
    next round)."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    result = DeliverResult()
    deadline = time.monotonic() + budget_s
    try:
        with transaction(factory) as session:
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.at < now - KEEP_DELIVERIES)
                            .execution_options(synchronize_session=False))
            due = session.scalars(select(Webhook.id).where(
                Webhook.active.is_(True), or_(Webhook.next_attempt_at.is_(None), Webhook.next_attempt_at <= now))
                .order_by(Webhook.id)).all()
    except Exception:           # the database away: the next round tries again
        logger.exception("webhooks: could not read the hooks")
        return result
    for hook_id in due:
        if time.monotonic() > deadline:
            break
        try:
            if not _claim(factory, hook_id, now):
                continue
        except Exception:
            logger.exception("webhook %s: could not be claimed", hook_id)
            continue
        result.hooks += 1
        try:
            _deliver_hook(factory, hook_id, now, limit, settle, deadline, result)
        except Exception:
            logger.exception("webhook %s: delivery round failed", hook_id)
        finally:
            try:
                _release(factory, hook_id)
            except Exception:   # the lease runs out by itself
                logger.exception("webhook %s: could not be released", hook_id)
    if result.sent or result.failed:
        logger.info("webhooks: %d event(s) delivered, %d failure(s), %d hook(s)", result.sent, result.failed,
                    result.hooks)
    return result


def ping(session: Session, hook: Webhook, actor: str = "") -> WebhookDelivery:
    """The console's test delivery: a `ping` event, signed like the others; the cursors do not move. Recorded in
    the deliveries (the caller commits)."""
    now = utcnow()
    delivery = f"{hook.id}-ping-{int(now.timestamp() * 1000)}"
    hall = session.get(Hall, hook.hall_id, execution_options={"unscoped": True}) if hook.hall_id else None
    payload = {"event": PING_EVENT, "delivery": delivery, "webhook_id": hook.id, "at": now.isoformat(),
               "hall": hall.code if hall is not None else None, "events": sorted(hook.event_set), "actor": actor}
    outcome = post(hook.url, hook.secret, PING_EVENT, delivery, payload)
    return _record(session, hook, PING_EVENT, None, delivery, outcome, now)


def new_cursor(session: Session) -> tuple[int, dt.datetime]:
    """Where a new hook starts: after the last step and the last follow-up result of now (the history is not
    sent; a receiver reads it from the API)."""
    from sqlalchemy import func
    last_step = session.scalar(select(func.max(WorkOrderStep.id)).execution_options(unscoped=True)) or 0
    return last_step, utcnow()
