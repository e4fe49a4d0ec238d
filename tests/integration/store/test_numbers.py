"""Halls, published numbers (CSV import/export), routing rules and holiday overrides on every database kind."""
import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from engine.calendar_source import load_calendar
from engine.domain.calendar import DayKind
from engine.domain.regions import HallLevel, tier_chain, validate_tree
from engine.domain.rules import RuleContext, RuleError, evaluate
from engine.region_lookup import lookup_region
from engine.store import numbers
from engine.store.models import Agent, Hall, HolidayOverride, PublishedNumber, RoutingRule
from engine.store.session import transaction

FLOWS = {"tax_main", "citizen_main"}


def test_demo_has_200_numbers_across_a_province_city_county_tree(sessions):
    with transaction(sessions) as s:
        halls = numbers.hall_refs(s)
        counts = dict(s.execute(select(PublishedNumber.hall_id, func.count(PublishedNumber.id))
                                .group_by(PublishedNumber.hall_id)).all())
        total = s.scalar(select(func.count(PublishedNumber.id)))
        hotlines = {n.number: n.hall_id for n in s.scalars(select(PublishedNumber).where(
            PublishedNumber.number.in_(["12366", "12345"])))}
        flows = set(s.scalars(select(PublishedNumber.flow)))
        agents_without_hall = s.scalar(select(func.count(Agent.id)).where(Agent.hall_id.is_(None)))
    levels = [h.level for h in halls]
    assert total == 200 and flows == FLOWS
    assert (levels.count(HallLevel.PROVINCE), levels.count(HallLevel.CITY), levels.count(HallLevel.COUNTY)) == (1, 5, 42)
    assert all(counts.get(h.hall_id, 0) >= 4 for h in halls) and None not in counts
    province = next(h for h in halls if h.level is HallLevel.PROVINCE)
    assert (province.name, province.region_code) == ("广东省", "440000")
    assert set(hotlines.values()) == {province.hall_id}
    assert validate_tree(halls) == [] and agents_without_hall == 0
    futian = next(h for h in halls if h.region_code == "440304")
    assert [h.name for h in tier_chain(futian, halls)] == ["福田区", "深圳市", "广东省"]
    assert lookup_region("075583765432", halls).hall.name == "深圳市"


def test_csv_round_trip(sessions):
    with transaction(sessions) as s:
        text = numbers.export_numbers_csv(s)
    lines = text.splitlines()
    assert lines[0] == "number,name,flow,hall_code,active" and len(lines) == 201
    assert "12366,纳税缴费服务热线,tax_main,GD-440000,1" in lines
    edited = text.replace("12345,政务服务便民热线,citizen_main,GD-440000,1",
                          "12345,政务服务便民热线,tax_main,GD-440300,0") + "075512366,深圳12366,tax_main,GD-440304,\n"
    with transaction(sessions) as s:
        report = numbers.import_numbers_csv(s, "\ufeff" + edited, known_flows=FLOWS)
    assert (report.created, report.updated, report.unchanged, report.deleted, report.warnings) == (1, 1, 199, 0, [])
    with transaction(sessions) as s:
        again = numbers.export_numbers_csv(s)
        assert numbers.number_halls(s).get("12345") is None          # inactive numbers are not routed
    assert sorted(again.splitlines()) == sorted(edited.replace("GD-440304,\n", "GD-440304,1\n").splitlines())
    with transaction(sessions) as s:
        report = numbers.import_numbers_csv(s, again, known_flows=FLOWS)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 201)


def test_import_with_replace_deletes_numbers_missing_from_the_file(sessions):
    with transaction(sessions) as s:
        report = numbers.import_numbers_csv(s, "number,flow\n12366,tax_main\n", replace=True)
    assert (report.updated, report.deleted) == (1, 199)       # name and hall emptied
    with transaction(sessions) as s:
        assert [n.number for n in s.scalars(select(PublishedNumber))] == ["12366"]


def test_import_errors_name_row_and_column_and_write_nothing(sessions):
    bad = ("number,name,flow,hall_code,active\n"
           "02099990001,a,tax_main,GD-440000,1\n"
           "02099990002,b,tax_main,GD-999999,1\n"          # row 3: unknown hall
           "02099990001,c,tax_main,,1\n"                   # row 4: duplicate of row 2
           "abc,d,tax_main,,1\n"                           # row 5: not a number
           "02099990005,e,,,maybe\n"                       # row 6: no flow, bad active
           "02099990006,f,new_flow,,1\n")                  # row 7: unknown flow -> warning only
    with transaction(sessions) as s:
        with pytest.raises(numbers.NumberImportError) as err:
            numbers.import_numbers_csv(s, bad, known_flows=FLOWS)
    assert err.value.report.errors == [
        'row 3, column hall_code: unknown hall "GD-999999"',
        "row 4, column number: 02099990001 already appears on row 2",
        'row 5, column number: "abc" is not a phone number (digits, optional leading +)',
        "row 6, column flow: required",
        'row 6, column active: "maybe" is not 1/0, true/false, yes/no or 是/否',
    ]
    assert err.value.report.warnings == [
        'row 7, column flow: flow "new_flow" is not loaded; calls to 02099990006 get the no-route fallback until it is']
    with transaction(sessions) as s:
        assert s.scalar(select(func.count(PublishedNumber.id))) == 200


@pytest.mark.parametrize("text, error", [
    ("", "row 1: the file is empty"),
    ("number,flow,colour\n1,a,b\n", 'row 1, column 3: unknown column "colour"'),
    ("number,name\n12366,x\n", 'row 1: missing column "flow"'),
])
def test_import_header_errors(text, error):
    rows, errors, _warnings = numbers.parse_numbers_csv(text, halls={})
    assert rows == [] and errors[0].startswith(error)


def test_gb18030_csv_from_excel_is_decoded():
    data = "number,name,flow\n12366,纳税服务,tax_main\n".encode("gb18030")
    assert "纳税服务" in numbers.decode_csv(data)
    assert numbers.decode_csv("\ufeffnumber".encode("utf-8")) == "number"


def test_halls_are_validated_and_deleted_with_care(sessions):
    with transaction(sessions) as s:
        hall = numbers.save_hall(s, "GD-440309X", "龙华区服务厅", "county", "440309", parent_code="GD-440300")
        assert hall.parent.code == "GD-440300"
    with transaction(sessions) as s:
        with pytest.raises(numbers.HallError, match="not inside its parent's 440300"):
            numbers.save_hall(s, "BAD", "x", "county", "450101", parent_code="GD-440300")
    with transaction(sessions) as s:
        with pytest.raises(numbers.HallError, match="level must be province, city or county"):
            numbers.save_hall(s, "BAD", "x", "town", "440309")
    with transaction(sessions) as s:
        with pytest.raises(numbers.HallError, match="has 10 sub-hall"):
            numbers.delete_hall(s, "GD-440300")
        numbers.delete_hall(s, "GD-440304")        # its numbers and agents lose the hall
    with transaction(sessions) as s:
        assert numbers.hall_by_code(s, "GD-440304") is None and numbers.hall_by_code(s, "BAD") is None
        assert s.scalar(select(func.count(Agent.id)).where(Agent.hall_id.is_(None))) == 1        # 1001 worked in the 福田 hall


def test_database_refuses_a_bad_level_a_short_code_and_a_province_with_a_parent(sessions):
    with pytest.raises(IntegrityError):
        with transaction(sessions) as s:
            s.execute(text("INSERT INTO halls (code, name, level, region_code, active) "
                           "VALUES ('Z', 'z', 'town', '440000', true)"))
    with pytest.raises(IntegrityError):
        with transaction(sessions) as s:
            s.execute(text("INSERT INTO halls (code, name, level, region_code, active) "
                           "VALUES ('Z', 'z', 'city', '4403', true)"))
    with pytest.raises(IntegrityError):
        with transaction(sessions) as s:
            parent = numbers.hall_by_code(s, "GD-440000")
            s.add(Hall(code="Z", name="z", level=HallLevel.PROVINCE, region_code="450000", parent_id=parent.id))
            s.flush()


def test_rules_are_validated_stored_in_order_and_evaluated(sessions):
    with transaction(sessions) as s:
        numbers.save_rule(s, "default", {}, {"queue": "tax_policy"})
        numbers.save_rule(s, "holiday", {"holiday": True}, {"flow": "citizen_main"}, position=5, flows=FLOWS)
        vip = numbers.save_rule(s, "VIP", {"caller_in": ["13800138000"]}, {"queue": "etax", "priority": 9},
                                position=1)
        with pytest.raises(RuleError) as err:
            numbers.save_rule(s, "VIP", {"time": "9-5"}, {"queue": "nope", "skills": {"xx": 1}})
        assert err.value.problems == ['rule \'VIP\': match time: time range "9-5" must look like "08:00-18:00"',
                                      'rule \'VIP\': action queue: unknown queue "nope"',
                                      'rule \'VIP\': action skills: unknown skill "xx"',
                                      "rule 'VIP': the name is used by another rule"]
        vip_id = vip.id
    with transaction(sessions) as s:
        rules = numbers.load_rules(s)
        assert [r.name for r in rules] == ["VIP", "holiday", "default"]
        assert rules[0].match == {"caller_in": ["13800138000"]}
        calendar = load_calendar(s, [2026])
    now = dt.datetime(2026, 2, 17, 10, 0)
    assert evaluate(rules, RuleContext.build("13800138000", "12366", now, calendar)).rule == "VIP"
    assert evaluate(rules, RuleContext.build("13900000000", "12366", now, calendar)).rule == "holiday"
    with transaction(sessions) as s:
        numbers.reorder_rules(s, [s.scalar(select(RoutingRule.id).where(RoutingRule.name == "default"))])
        numbers.save_rule(s, "VIP", {"caller_in": ["13800138001"]}, {"queue": "etax"}, rule_id=vip_id)
    with transaction(sessions) as s:
        assert [r.name for r in numbers.load_rules(s)] == ["default", "VIP", "holiday"]
        assert numbers.delete_rule(s, vip_id) and not numbers.delete_rule(s, vip_id)


def test_holiday_overrides_merge_into_the_calendar(sessions):
    with transaction(sessions) as s:
        numbers.set_override(s, dt.date(2026, 3, 10), "holiday", "台风停工")
        numbers.set_override(s, dt.date(2026, 2, 17), DayKind.WORKDAY, "值守")
        numbers.set_override(s, dt.date(2026, 3, 10), DayKind.HOLIDAY, "台风停工（延长）")   # replaces
        with pytest.raises(ValueError, match="kind must be holiday or workday"):
            numbers.set_override(s, dt.date(2026, 3, 11), "party")
    with transaction(sessions) as s:
        assert s.scalar(select(func.count(HolidayOverride.id))) == 2
        calendar = load_calendar(s, [2026])
        assert calendar.holiday_name(dt.date(2026, 3, 10)) == "台风停工（延长）"
        assert calendar.is_workday(dt.date(2026, 2, 17)) and calendar.is_holiday(dt.date(2026, 2, 18))
        assert numbers.delete_override(s, dt.date(2026, 2, 17)) and not numbers.delete_override(s, dt.date(2026, 2, 17))
    with transaction(sessions) as s:
        assert load_calendar(s, [2026]).is_holiday(dt.date(2026, 2, 17))
