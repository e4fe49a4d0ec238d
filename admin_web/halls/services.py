"""Hall writes through engine.store.numbers (save_hall / delete_hall check the tree), with audit entries."""
from __future__ import annotations

from sqlalchemy.orm import Session

from admin_web import audit
from engine.store.models import Hall
from engine.store.numbers import delete_hall, save_hall


def save(session: Session, data: dict, created: bool) -> Hall:
    """Create or update; HallError (nothing written) when the tree would be wrong."""
    hall = save_hall(session, data["code"], data["name"], data["level"], data["region_code"],
                     data["parent_code"] or None, data["active"])
    audit.record(session, "hall.create" if created else "hall.update", f"hall:{hall.code}",
                 f"name={hall.name}; level={hall.level.value}; region={hall.region_code}; "
                 f"parent={data['parent_code'] or '-'}; active={hall.active}")
    return hall


def delete(session: Session, hall: Hall) -> None:
    """Delete a hall without sub-halls (HallError otherwise); its numbers and agents lose their hall."""
    code, name = hall.code, hall.name
    delete_hall(session, code)
    audit.record(session, "hall.delete", f"hall:{code}", f"name={name}")
