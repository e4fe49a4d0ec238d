"""Number writes with their audit entries (the view commits)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from admin_web import audit
from engine.store.models import PublishedNumber
from engine.store.numbers import ImportReport, import_numbers_csv


def save_number(session: Session, number: PublishedNumber | None, data: dict) -> PublishedNumber:
    """Create (number None) or update a published number."""
    created = number is None
    if number is None:
        number = PublishedNumber()
        session.add(number)
    before = None if created else (number.number, number.name, number.flow, number.hall_id, number.active)
    number.number, number.name, number.flow = data["number"], data["name"] or "", data["flow"]
    number.hall_id, number.active = data["hall_id"], data["active"]
    session.flush()
    audit.record(session, "number.create" if created else "number.update", f"number:{number.number}",
                 f"name={number.name}; flow={number.flow}; hall_id={number.hall_id}; active={number.active}"
                 + ("" if created else f"; before={before}"))
    return number


def set_active(session: Session, number: PublishedNumber, active: bool) -> None:
    number.active = active
    session.flush()
    audit.record(session, "number.activate" if active else "number.deactivate", f"number:{number.number}",
                 f"flow={number.flow}")


def import_csv(session: Session, text: str, flows: list[str], replace: bool, filename: str) -> ImportReport:
    """All-or-nothing import (NumberImportError when any row is wrong) with one audit entry."""
    report = import_numbers_csv(session, text, known_flows=flows, replace=replace)
    audit.record(session, "numbers.import", f"file:{filename}",
                 f"{report.summary()}; replace={replace}")
    return report
