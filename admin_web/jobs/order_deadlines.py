"""The work-order deadline sweep (issue 15, item 3), run by the report workers with their upkeep: reminders before
each open deadline, warnings after it, 督办 once it is long past, and an alert for deadlines the working calendar
cannot compute (engine.store.orders.sweep); and orders registered during their call completed from the call's record
once it hung up (engine.store.orders.backfill_call_facts). Idempotent — each alert has its key — so any number of workers may
sweep. It runs here, below call control in priority, never in the engine: the engine's CPU is for calls (a sweep
in the engine's process took the GIL from its loop in the middle of a busy hour)."""
from __future__ import annotations

import logging

from engine.store import orders
from engine.store.session import transaction

logger = logging.getLogger(__name__)


def sweep(factory, zone: str) -> orders.SweepResult:
    """One sweep in its own transaction (the worker's session factory, unscoped: it writes for every hall)."""
    with transaction(factory) as session:
        filled = orders.backfill_call_facts(session)
        result = orders.sweep(session, orders.Context.load(session, zone))
    if filled:
        logger.info("work orders: %d completed from their call's record after its hang-up", filled)
    if result.raised:
        logger.info("work orders: %d reminder(s), %d overdue, %d escalation(s), %d calendar alert(s)",
                    result.reminders, result.overdue, result.escalations, result.calendar)
    return result
