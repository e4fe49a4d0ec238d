"""Declarative base with a naming convention for every constraint, and the shared column types."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from sqlalchemy import DateTime, Enum, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC (the only clock the store uses)."""
    return dt.datetime.now(dt.timezone.utc)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column storing the member values, checked by a named CHECK constraint."""
    return Enum(enum_cls, name=name, native_enum=False, create_constraint=True, length=24,
                values_callable=lambda members: [m.value for m in members], validate_strings=True)


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: DateTime(timezone=True), str: String(255)}


intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(default=utcnow, server_default=func.current_timestamp())]
