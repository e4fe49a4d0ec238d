"""Repositories for routing configuration: halls, published numbers (with CSV import/export), routing rules and
holiday overrides. Functions take the caller's session; the caller commits (or rolls back).

CSV of published numbers: header `number,name,flow,hall_code,active` (columns in any order; name, hall_code
and active may be left out). Import checks every row first and writes nothing if any row is wrong; each
error names the row (the header is row 1, as a spreadsheet shows it) and the column.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.calendar import DayKind, DayOverride
from engine.domain.regions import HallLevel, HallRef, validate_region_code, validate_tree
from engine.domain.rules import Rule, RuleError, validate_rule
from engine.store.models import Agent, Hall, HolidayOverride, PublishedNumber, Queue, RoutingRule, Skill
from engine.csvcells import FORMULA_STARTS, safe_row

CSV_COLUMNS = ("number", "name", "flow", "hall_code", "active")
REQUIRED_COLUMNS = ("number", "flow")
_NUMBER = re.compile(r"^\+?\d{3,32}$")
_FLOW = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_TRUE = {"", "1", "true", "yes", "y", "on", "是", "启用"}
_FALSE = {"0", "false", "no", "n", "off", "否", "停用"}


# ---------------------------------------------------------------- halls

class HallError(ValueError):
    """A hall cannot be saved or deleted; `problems` says why."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def to_ref(hall: Hall) -> HallRef:
    """The routing view of a hall row."""
    return HallRef(hall_id=hall.id, code=hall.code, name=hall.name, level=hall.level, parent_id=hall.parent_id,
                   region_code=hall.region_code, active=hall.active)


def hall_refs(session: Session, active_only: bool = False) -> list[HallRef]:
    """Every hall (province first, then by region code), as the pure routing helpers take them."""
    query = select(Hall).order_by(Hall.region_code, Hall.code)
    if active_only:
        query = query.where(Hall.active)
    return [to_ref(h) for h in session.scalars(query)]


def hall_by_code(session: Session, code: str) -> Hall | None:
    return session.scalar(select(Hall).where(Hall.code == code))


def save_hall(session: Session, code: str, name: str, level: HallLevel | str, region_code: str,
              parent_code: str | None = None, active: bool = True) -> Hall:
    """Create or update the hall with this code; the tree is checked (levels, codes inside the parent's)."""
    problems: list[str] = []
    code, name, region_code = (code or "").strip(), (name or "").strip(), (region_code or "").strip()
    if not code or len(code) > 32:
        problems.append("hall code: required, at most 32 characters")
    if not name or len(name) > 64:
        problems.append(f"hall {code}: name required, at most 64 characters")
    try:
        level = HallLevel(level)
    except ValueError:
        problems.append(f"hall {code}: level must be province, city or county")
    if err := validate_region_code(region_code):
        problems.append(f"hall {code}: {err}")
    parent = hall_by_code(session, parent_code) if parent_code else None
    if parent_code and parent is None:
        problems.append(f"hall {code}: parent hall {parent_code} does not exist")
    if problems:
        raise HallError(problems)
    hall = hall_by_code(session, code)
    candidate = HallRef(hall_id=hall.id if hall is not None else -1, code=code, name=name, level=HallLevel(level),
                        parent_id=parent.id if parent is not None else None, region_code=region_code, active=active)
    tree = [h for h in hall_refs(session) if h.code != code] + [candidate]
    mine = [p for p in validate_tree(tree) if p.startswith(f"hall {code}:")]
    if mine:
        raise HallError(mine)       # checked before anything is written
    if hall is None:
        hall = Hall(code=code)
        session.add(hall)
    hall.name, hall.level, hall.region_code, hall.active = name, HallLevel(level), region_code, active
    hall.parent_id = candidate.parent_id
    session.flush()
    return hall


def delete_hall(session: Session, code: str) -> None:
    """Delete a hall without sub-halls; its numbers and agents are left without a hall."""
    hall = hall_by_code(session, code)
    if hall is None:
        raise HallError([f"hall {code} does not exist"])
    children = session.scalar(select(func.count(Hall.id)).where(Hall.parent_id == hall.id))
    if children:
        raise HallError([f"hall {code} has {children} sub-hall(s); move or delete them first"])
    for model in (PublishedNumber, Agent):
        for row in session.scalars(select(model).where(model.hall_id == hall.id)):
            row.hall_id = None
    session.delete(hall)
    session.flush()


def number_halls(session: Session) -> dict[str, int | None]:
    """Active published number -> hall id (None: no hall), for the ACD's tiered dispatch."""
    rows = session.execute(select(PublishedNumber.number, PublishedNumber.hall_id).where(PublishedNumber.active))
    return {number: hall_id for number, hall_id in rows}


def agent_halls(session: Session) -> dict[int, int | None]:
    """Agent id -> hall id (None: no hall)."""
    return {agent_id: hall_id for agent_id, hall_id in session.execute(select(Agent.id, Agent.hall_id))}


# ---------------------------------------------------------------- numbers: CSV

@dataclasses.dataclass(frozen=True)
class NumberRow:
    """One valid CSV row."""

    row: int
    number: str
    name: str
    flow: str
    hall_code: str | None
    active: bool


@dataclasses.dataclass
class ImportReport:
    """What an import did (or, with errors, would not do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    warnings: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.deleted} deleted, {len(self.warnings)} warning(s)")


class NumberImportError(ValueError):
    """The CSV has errors; nothing was written. `report.errors` names rows and columns."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.errors)} error(s), nothing imported: " + "; ".join(report.errors[:5]))
        self.report = report


class UndecodableCsv(ValueError):
    """The file is not text in UTF-8 nor GB18030 (a spreadsheet saved as .xlsx, an image…)."""


def decode_csv(data: bytes) -> str:
    """CSV bytes to text: UTF-8 (with or without BOM), else GB18030 (what Chinese Excel saves); UndecodableCsv
    when it is neither, or holds NUL bytes (a binary file)."""
    if b"\x00" in data:
        raise UndecodableCsv("the file holds binary data, not CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UndecodableCsv("the file is neither UTF-8 nor GB18030 text") from None


def parse_numbers_csv(text: str, halls: Mapping[str, bool], known_flows: Iterable[str] | None = None
                      ) -> tuple[list[NumberRow], list[str], list[str]]:
    """(valid rows, errors, warnings). halls: hall code -> active. known_flows: if given, other flow names are
    warned about (the flow may be added later), never refused."""
    errors: list[str] = []
    warnings: list[str] = []
    flows = set(known_flows) if known_flows is not None else None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        return [], ["row 1: the file is empty (expected a header: " + ",".join(CSV_COLUMNS) + ")"], []
    columns = [cell.strip().lower() for cell in header]
    for i, col in enumerate(columns):
        if col not in CSV_COLUMNS:
            errors.append(f"row 1, column {i + 1}: unknown column \"{header[i]}\" (known: {', '.join(CSV_COLUMNS)})")
        elif columns.index(col) != i:
            errors.append(f"row 1, column {i + 1}: column \"{col}\" appears twice")
    for col in REQUIRED_COLUMNS:
        if col not in columns:
            errors.append(f"row 1: missing column \"{col}\"")
    if errors:
        return [], errors, warnings
    rows: list[NumberRow] = []
    first_row: dict[str, int] = {}
    for line_no, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue                                    # blank lines (Excel leaves some) are skipped
        if len(cells) > len(columns):
            errors.append(f"row {line_no}: {len(cells)} cells but {len(columns)} columns in the header")
            continue
        record = {col: (cells[i].strip() if i < len(cells) else "") for i, col in enumerate(columns)}
        row_errors: list[str] = []
        number = re.sub(r"[\s\-()]", "", record.get("number", ""))
        if not number:
            row_errors.append(f"row {line_no}, column number: required")
        elif not _NUMBER.match(number):
            row_errors.append(f"row {line_no}, column number: \"{record['number']}\" is not a phone number "
                              "(digits, optional leading +)")
        elif number in first_row:
            row_errors.append(f"row {line_no}, column number: {number} already appears on row {first_row[number]}")
        else:
            first_row[number] = line_no
        name = record.get("name", "")
        if name.startswith("'") and name[1:].startswith(FORMULA_STARTS):
            name = name[1:]             # as export_numbers_csv neutralised it (engine.csvcells)
        if len(name) > 64:
            row_errors.append(f"row {line_no}, column name: longer than 64 characters")
        flow = record.get("flow", "")
        if not flow:
            row_errors.append(f"row {line_no}, column flow: required")
        elif not _FLOW.match(flow):
            row_errors.append(f"row {line_no}, column flow: \"{flow}\" is not a flow name (letters, digits, _ . -)")
        elif flows is not None and flow not in flows:
            warnings.append(f"row {line_no}, column flow: flow \"{flow}\" is not loaded; calls to {number} get "
                            "the no-route fallback until it is")
        hall_code = record.get("hall_code", "") or None
        if hall_code is not None and hall_code not in halls:
            row_errors.append(f"row {line_no}, column hall_code: unknown hall \"{hall_code}\"")
        elif hall_code is not None and not halls[hall_code]:
            warnings.append(f"row {line_no}, column hall_code: hall \"{hall_code}\" is inactive")
        active_text = record.get("active", "").lower()
        if active_text not in _TRUE | _FALSE:
            row_errors.append(f"row {line_no}, column active: \"{record['active']}\" is not 1/0, true/false, "
                              "yes/no or 是/否")
        errors += row_errors
        if not row_errors:
            rows.append(NumberRow(line_no, number, name, flow, hall_code, active_text in _TRUE))
    return rows, errors, warnings


def import_numbers_csv(session: Session, text: str, known_flows: Iterable[str] | None = None,
                       replace: bool = False) -> ImportReport:
    """Create or update every number of the CSV, all or nothing. With replace, numbers absent from the file
    are deleted. Raises NumberImportError (having written nothing) when any row is wrong."""
    halls = {code: active for code, active in session.execute(select(Hall.code, Hall.active))}
    rows, errors, warnings = parse_numbers_csv(text, halls, known_flows)
    report = ImportReport(warnings=warnings, errors=errors)
    if errors:
        raise NumberImportError(report)
    hall_ids = {code: hall_id for code, hall_id in session.execute(select(Hall.code, Hall.id))}
    existing = {n.number: n for n in session.scalars(select(PublishedNumber))}
    for row in rows:
        hall_id = hall_ids[row.hall_code] if row.hall_code else None
        current = existing.get(row.number)
        if current is None:
            session.add(PublishedNumber(number=row.number, name=row.name, flow=row.flow, hall_id=hall_id,
                                        active=row.active))
            report.created += 1
        elif (current.name, current.flow, current.hall_id, current.active) == (row.name, row.flow, hall_id,
                                                                              row.active):
            report.unchanged += 1
        else:
            current.name, current.flow, current.hall_id, current.active = row.name, row.flow, hall_id, row.active
            report.updated += 1
    if replace:
        keep = {row.number for row in rows}
        for number, current in existing.items():
            if number not in keep:
                session.delete(current)
                report.deleted += 1
    session.flush()
    return report


def export_numbers_csv(session: Session) -> str:
    """Every published number as CSV text (header number,name,flow,hall_code,active; sorted by number)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = session.execute(select(PublishedNumber.number, PublishedNumber.name, PublishedNumber.flow, Hall.code,
                                  PublishedNumber.active)
                           .outerjoin(Hall, Hall.id == PublishedNumber.hall_id).order_by(PublishedNumber.number))
    for number, name, flow, hall_code, active in rows:
        writer.writerow(safe_row([number, name, flow, hall_code or "", "1" if active else "0"]))
    return out.getvalue()


# ---------------------------------------------------------------- routing rules

def to_rule(row: RoutingRule) -> Rule:
    return Rule(name=row.name, match=dict(row.match or {}), action=dict(row.action or {}), position=row.position,
                active=row.active)


def load_rules(session: Session) -> list[Rule]:
    """Every rule (active or not) in evaluation order."""
    return [to_rule(r) for r in session.scalars(select(RoutingRule).order_by(RoutingRule.position,
                                                                               RoutingRule.id))]


def known_names(session: Session, flows: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Existing queue, skill and hall codes (and flow names, when given) for validating rules."""
    known = {"queues": set(session.scalars(select(Queue.code))), "skills": set(session.scalars(select(Skill.code))),
             "halls": set(session.scalars(select(Hall.code)))}
    if flows is not None:
        known["flows"] = set(flows)
    return known


def save_rule(session: Session, name: str, match: Mapping[str, Any], action: Mapping[str, Any],
              position: int | None = None, active: bool = True, rule_id: int | None = None,
              flows: Iterable[str] | None = None) -> RoutingRule:
    """Create (rule_id None) or update a rule after validating it against the existing queues, skills, halls
    (and flows, when given). Raises RuleError listing every problem. Position None: after the last rule."""
    row = session.get(RoutingRule, rule_id) if rule_id is not None else None
    if rule_id is not None and row is None:
        raise RuleError([f"rule {rule_id} does not exist"])
    if position is None:
        position = row.position if row is not None else (
            (session.scalar(select(func.max(RoutingRule.position))) or 0) + 10)
    rule = Rule(name=(name or "").strip(), match=dict(match or {}), action=dict(action or {}), position=position,
                active=active)
    problems = validate_rule(rule, known_names(session, flows))
    if position < 0:
        problems.append(f"rule '{rule.name}': position must not be negative")
    clash = session.scalar(select(RoutingRule.id).where(RoutingRule.name == rule.name))
    if clash is not None and clash != rule_id:
        problems.append(f"rule '{rule.name}': the name is used by another rule")
    if problems:
        raise RuleError(problems)
    if row is None:
        row = RoutingRule()
        session.add(row)
    row.name, row.match, row.action, row.position, row.active = (rule.name, dict(rule.match), dict(rule.action),
                                                                 position, active)
    session.flush()
    return row


def delete_rule(session: Session, rule_id: int) -> bool:
    row = session.get(RoutingRule, rule_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def reorder_rules(session: Session, rule_ids: Sequence[int]) -> None:
    """Give the rules these positions (10, 20, 30 …) in the order listed; unlisted rules follow."""
    rows = {r.id: r for r in session.scalars(select(RoutingRule))}
    order = [i for i in rule_ids if i in rows] + sorted((i for i in rows if i not in set(rule_ids)),
                                                         key=lambda i: (rows[i].position, i))
    for n, rule_id in enumerate(order, start=1):
        rows[rule_id].position = n * 10
    session.flush()


# ---------------------------------------------------------------- holiday overrides

def load_overrides(session: Session) -> dict[dt.date, DayOverride]:
    """Local calendar overrides, date -> DayOverride."""
    return {r.date: DayOverride(r.kind, r.name) for r in session.scalars(select(HolidayOverride))}


def set_override(session: Session, day: dt.date, kind: DayKind | str, name: str = "") -> HolidayOverride:
    """Declare a date a holiday or a working day (replacing any override of that date)."""
    try:
        kind = DayKind(kind)
    except ValueError:
        raise ValueError(f"{day}: kind must be holiday or workday, not {kind!r}") from None
    if len(name or "") > 64:
        raise ValueError(f"{day}: name longer than 64 characters")
    row = session.scalar(select(HolidayOverride).where(HolidayOverride.date == day))
    if row is None:
        row = HolidayOverride(date=day)
        session.add(row)
    row.kind, row.name = kind, (name or "").strip()
    session.flush()
    return row


def delete_override(session: Session, day: dt.date) -> bool:
    row = session.scalar(select(HolidayOverride).where(HolidayOverride.date == day))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
