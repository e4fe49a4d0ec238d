"""Organisation and routing configuration: service halls (province/city/county), routing rules, holiday overrides."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.domain.calendar import DayKind
from engine.domain.regions import HallLevel
from engine.store.base import Base, created_at, intpk, str_enum


class Hall(Base):
    """A service hall (服务厅) / organisation unit at province, city or county level (R-ADM-4, R-ACD-3).

    region_code is the GB/T 2260 administrative code of the area it serves (440000, 440300, 440305)."""

    __tablename__ = "halls"
    __table_args__ = (
        CheckConstraint("length(region_code) = 6", name="region_code_six_digits"),
        CheckConstraint("level <> 'province' OR parent_id IS NULL", name="province_has_no_parent"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[HallLevel] = mapped_column(str_enum(HallLevel, "hall_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="RESTRICT"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]

    parent: Mapped["Hall | None"] = relationship(remote_side="Hall.id", back_populates="children")
    children: Mapped[list["Hall"]] = relationship(back_populates="parent")


class RoutingRule(Base):
    """An ordered routing rule (R-ACD-2): `match` and `action` objects as engine.domain.rules describes."""

    __tablename__ = "routing_rules"
    __table_args__ = (CheckConstraint("position >= 0", name="position_not_negative"),)
    id: Mapped[intpk]
    position: Mapped[int] = mapped_column(default=0, index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    match: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    action: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[created_at]


class HolidayOverride(Base):
    """A local decision about one date, winning over the statutory calendar (e.g. a typhoon day, a deadline
    Saturday)."""

    __tablename__ = "holiday_overrides"
    id: Mapped[intpk]
    date: Mapped[dt.date] = mapped_column(unique=True)
    kind: Mapped[DayKind] = mapped_column(str_enum(DayKind, "day_kind"))
    name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[created_at]
