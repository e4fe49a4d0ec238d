"""The sampling plans' weekly draw (issue 17, item 2), run by the report workers with their upkeep: once the week is
over, each active plan draws its sample of the last full week (Monday to Sunday) and shares it among its
inspectors with their due date (engine.store.quality.auto_draw). Once per plan and week — the plan keeps the last
week it drew — so any number of workers may run it (two racing on the same plan: the second's reviews collide with
the first's on (plan, recording) and its transaction is rolled back). Like the deadline sweep, it runs below call
control, never in the engine."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import IntegrityError

from engine.reports import periods
from engine.reports.definitions import load_definitions
from engine.store import quality
from engine.store.models.quality import QaPlan
from engine.store.session import transaction

logger = logging.getLogger(__name__)


def draw_due(factory, now: dt.datetime | None = None) -> list[quality.AutoDraw]:
    """Draw every plan that has not drawn last week yet, each in its own transaction."""
    now = now or dt.datetime.now(dt.timezone.utc)
    today = periods.local(now.timestamp()).date()
    with transaction(factory) as session:
        plan_ids = [p.id for p in quality.due_plans(session, today)]
    done = []
    for plan_id in plan_ids:
        try:
            with transaction(factory) as session:
                plan = session.get(QaPlan, plan_id)
                if plan is None or plan not in quality.due_plans(session, today):
                    continue                # another worker drew it meanwhile
                outcome = quality.auto_draw(session, plan, today, load_definitions(session), now)
        except IntegrityError:
            logger.info("quality plan %d: another worker drew the week at the same time", plan_id)
            continue
        if outcome.refused:
            logger.warning("quality plan %d could not draw the week of %s: %s (draw it by hand once fixed)",
                           plan_id, outcome.week, outcome.refused)
        else:
            logger.info("quality plan %d drew %d calls of the week of %s", plan_id, outcome.result.added,
                        outcome.week)
        done.append(outcome)
    return done
