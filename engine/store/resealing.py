"""Sealing what is still clear, and rotating the database's field keys (engine.store.sealed).

`reseal` goes through every column of type Sealed, in primary-key order and chunks of one transaction each, and
rewrites each value that is clear (written before sealing) or sealed under another key than the first: afterwards
every value is sealed under the first key and the older keys can be dropped. It records the key it finished with
(report_settings `data_sealed_with`); `reseal_if_needed`, run by `callcenter db upgrade` and `callcenter run`,
does nothing when that is the first key already. `unseal` writes every value clear again (before a downgrade
below the migration that widened the columns).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import String, Table, bindparam, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from engine.store.base import Base
from engine.store.models import ReportSetting
from engine.store.sealed import Sealed, is_sealed, key_id, keys, open_value, seal

logger = logging.getLogger(__name__)
MARKER = "data_sealed_with"


@dataclasses.dataclass
class Outcome:
    rewritten: dict[str, int] = dataclasses.field(default_factory=dict)     # table -> values rewritten
    key: str = ""

    @property
    def total(self) -> int:
        return sum(self.rewritten.values())


def sealed_tables() -> list[tuple[Table, list]]:
    """Every table with sealed columns, and those columns."""
    out = []
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, Sealed)]
        if cols:
            out.append((table, cols))
    return out


def _wanted(stored: str | None, column, current: str, clear: bool) -> str | None:
    """The value to store instead, or None when it stays."""
    if stored is None or stored == "":
        return None
    if clear:
        return open_value(stored) if is_sealed(stored) else None
    if is_sealed(stored) and key_id(stored) == current:
        return None
    return seal(open_value(stored), column.type.searchable)


def _pass(factory: sessionmaker[Session], clear: bool, chunk: int) -> Outcome:
    current = keys().current_id
    outcome = Outcome(key="" if clear else current)
    for table, cols in sealed_tables():
        (pk,) = table.primary_key.columns
        raw = [type_coerce(c, String()).label(c.name) for c in cols]
        update = (table.update().where(pk == bindparam("_pk"))
                  .values({c.name: bindparam("_" + c.name, type_=String()) for c in cols}))
        last, done = None, 0
        while True:
            with factory.begin() as session:
                query = select(pk.label("_pk"), *raw).order_by(pk).limit(chunk)
                if last is not None:
                    query = query.where(pk > last)
                rows = session.execute(query).all()
                if not rows:
                    break
                changes = []
                for row in rows:
                    values = {"_pk": row._pk}
                    changed = False
                    for c in cols:
                        stored = getattr(row, c.name)
                        new = _wanted(stored, c, current, clear)
                        changed |= new is not None
                        values["_" + c.name] = stored if new is None else new
                    if changed:
                        changes.append(values)
                if changes:
                    session.execute(update, changes)
                done += len(changes)
                last = rows[-1]._pk
        if done:
            outcome.rewritten[table.name] = done
    return outcome


def _mark(factory: sessionmaker[Session], value: str) -> None:
    with factory.begin() as session:
        row = session.get(ReportSetting, MARKER)
        if row is None:
            session.add(ReportSetting(name=MARKER, value=value, updated_at=dt.datetime.now(dt.timezone.utc)))
        else:
            row.value, row.updated_at = value, dt.datetime.now(dt.timezone.utc)


def reseal(factory: sessionmaker[Session], chunk: int = 2000) -> Outcome:
    """Every value sealed under the first key (clear ones sealed, others re-sealed)."""
    outcome = _pass(factory, False, chunk)
    _mark(factory, outcome.key)
    if outcome.total:
        logger.info("sealed %d values under key %s: %s", outcome.total, outcome.key, outcome.rewritten)
    return outcome


def unseal(factory: sessionmaker[Session], chunk: int = 2000) -> Outcome:
    """Every value written clear again."""
    outcome = _pass(factory, True, chunk)
    _mark(factory, "")
    return outcome


def reseal_if_needed(factory: sessionmaker[Session]) -> Outcome | None:
    """`reseal` unless the last one finished under the current first key."""
    with factory() as session:
        row = session.get(ReportSetting, MARKER)
        if row is not None and row.value == keys().current_id:
            return None
    return reseal(factory)
