"""Routing rules (structured form, validation via save_rule, order, on/off, delete) and the holiday calendar."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import AuditEntry, HolidayOverride, Queue, RoutingRule
from engine.store.numbers import save_hall, save_rule

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(app, tmp_path, db, seed):
    shutil.copytree(ROOT / "ivr_flows", tmp_path / "flows")
    app.config.update(FLOWS_DIR=str(tmp_path / "flows"), PROMPTS_DIR=str(tmp_path / "flows/prompts"))
    db.add_all([Queue(code="tax_policy", name="纳税咨询"), Queue(code="etax", name="电子税务局"),
                Queue(code="social_fee", name="社保费")])      # the queues the shipped flows use
    save_hall(db, "GD-440000", "广东省", "province", "440000")
    db.commit()


def audit(db) -> list[tuple[str, str]]:
    db.expire_all()
    return [(e.action, e.target) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def rules(db) -> list[tuple[str, dict, dict, bool]]:
    db.expire_all()
    return [(r.name, r.match, r.action, r.active)
            for r in db.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))]


def test_create_rule_from_the_structured_form(as_admin, setup, db):
    response = as_admin.post("/rules/new", data={
        "name": "VIP", "active": "y", "caller_in": "13800138000\n13900139000", "called": "12366",
        "time": "08:00-12:00, 14:00-18:00", "weekdays": ["1", "2", "3", "4", "5"], "workday": "yes",
        "region": "深圳", "match_var": "lang=^zh$", "queue": "tax_policy", "priority": "10",
        "skills": "etax=5", "hall": "GD-440000", "flow": "citizen_main", "tag": "vip=1"})
    assert response.status_code == 302
    assert rules(db) == [("VIP", {"caller_in": ["13800138000", "13900139000"], "called": "12366",
                                  "time": ["08:00-12:00", "14:00-18:00"], "weekdays": [1, 2, 3, 4, 5],
                                  "workday": True, "region": "深圳", "var": {"lang": "^zh$"}},
                          {"queue": "tax_policy", "priority": 10, "skills": {"etax": 5}, "hall": "GD-440000",
                           "flow": "citizen_main", "tag": {"vip": "1"}}, True)]
    assert audit(db) == [("rule.create", "rule:VIP")]
    text = as_admin.get("/rules/").get_data(as_text=True)
    assert "主叫号码在 2 个列出的号码中" in text and "队列 tax_policy" in text and "在星期一、星期二" in text
    edit = as_admin.get(f"/rules/{db.scalar(select(RoutingRule.id))}/edit").get_data(as_text=True)
    assert "13800138000\n13900139000" in edit and 'value="08:00-12:00\n14:00-18:00"' in edit


def test_rule_validation_errors_are_shown_at_their_fields(as_admin, setup, db):
    response = as_admin.post("/rules/new", data={"name": "bad", "time": "9-5", "skills": "xx=3",
                                                  "queue": "tax_policy", "caller_prefix": "abc"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "规则未保存" in text
    assert 'time range &#34;9-5&#34; must look like &#34;08:00-18:00&#34;' in text
    assert "unknown skill &#34;xx&#34;" in text and "must be a number or a list of numbers" in text
    text = as_admin.post("/rules/new", data={"name": "blk", "block": "y", "queue": "tax_policy"}).get_data(as_text=True)
    assert "action block cannot be combined with queue" in text
    text = as_admin.post("/rules/new", data={"name": "empty"}).get_data(as_text=True)
    assert "action is empty" in text
    text = as_admin.post("/rules/new", data={"name": "x", "skills": "etax"}).get_data(as_text=True)
    assert "每行写一个 名称=值" in text
    text = as_admin.post("/rules/new", data={"name": "x", "skills": "etax=high"}).get_data(as_text=True)
    assert "每项技能写作" in text
    assert rules(db) == [] and audit(db) == []


def test_duplicate_name_is_refused(as_admin, setup, db):
    save_rule(db, "night", {"time": "18:00-08:00"}, {"flow": "tax_main"})
    db.commit()
    text = as_admin.post("/rules/new", data={"name": "night", "queue": "tax_policy"}).get_data(as_text=True)
    assert "已有同名规则" in text
    assert len(rules(db)) == 1


def test_move_toggle_delete(as_admin, setup, db):
    for name in ("a", "b", "c"):
        save_rule(db, name, {}, {"queue": "tax_policy"})
    db.commit()
    ids = {r.name: r.id for r in db.scalars(select(RoutingRule))}
    assert as_admin.post(f"/rules/{ids['c']}/move/up").status_code == 302
    assert [r[0] for r in rules(db)] == ["a", "c", "b"]
    as_admin.post(f"/rules/{ids['a']}/move/up")                   # already first: nothing changes
    assert [r[0] for r in rules(db)] == ["a", "c", "b"]
    as_admin.post(f"/rules/{ids['a']}/active", data={"active": "0"})
    assert rules(db)[0][3] is False
    as_admin.post(f"/rules/{ids['a']}/active", data={"active": "1"})
    assert rules(db)[0][3] is True
    as_admin.post(f"/rules/{ids['b']}/delete")
    assert [r[0] for r in rules(db)] == ["a", "c"]
    assert audit(db) == [("rule.move", "rule:c"), ("rule.deactivate", "rule:a"), ("rule.activate", "rule:a"),
                         ("rule.delete", "rule:b")]


def test_activation_revalidates(as_admin, setup, db):
    row = save_rule(db, "old", {}, {"queue": "tax_policy"}, active=False)
    db.commit()
    db.execute(RoutingRule.__table__.update().values(action={"queue": "gone"}))
    db.commit()
    text = as_admin.post(f"/rules/{row.id}/active", data={"active": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "规则 old 未启用" in text and "unknown queue" in text
    assert rules(db)[0][3] is False


def test_rules_roles(client, setup, as_supervisor):
    assert as_supervisor.get("/rules/").status_code == 200
    assert as_supervisor.get("/rules/new").status_code == 403
    assert as_supervisor.post("/holidays/overrides", data={"date": "2026-12-01", "kind": "holiday"}).status_code == 403
    as_supervisor.post("/auth/logout")
    from .helpers import login
    login(client, "agent1001")
    assert client.get("/rules/").status_code == 403
    assert client.get("/holidays/").status_code == 403


# ---------------------------------------------------------------- holidays

def test_calendar_shows_statutory_days_and_makeup_days(as_supervisor, setup, monkeypatch):
    monkeypatch.setattr("admin_web.holidays.queries.today", lambda: dt.date(2026, 3, 1))
    text = as_supervisor.get("/holidays/").get_data(as_text=True)
    assert "2026 年" in text and "2027 年" in text
    assert "春节" in text and "国庆节" in text and "调休上班" in text
    assert "2026-02-14" in text                                       # the Saturday worked for the Spring Festival


def test_override_is_added_shown_and_deleted(as_admin, setup, db, monkeypatch):
    monkeypatch.setattr("admin_web.holidays.queries.today", lambda: dt.date(2026, 3, 1))
    response = as_admin.post("/holidays/overrides", data={"date": "2026-07-15", "kind": "holiday", "name": "台风停工"},
                             follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已设置 2026-07-15 为节假日" in text
    special = text[text.index('id="year-2026"'):]
    assert "2026-07-15" in special and "台风停工" in special and "本地调整" in special
    assert 'title="2026-07-15 台风停工"' in text and "holiday override" in text
    db.expire_all()
    assert db.scalar(select(HolidayOverride.name)) == "台风停工"
    as_admin.post("/holidays/overrides/delete", data={"date": "2026-07-15"})
    db.expire_all()
    assert db.scalar(select(HolidayOverride)) is None
    assert audit(db) == [("holiday.set", "date:2026-07-15"), ("holiday.delete", "date:2026-07-15")]


def test_override_validation(as_admin, setup, db):
    response = as_admin.post("/holidays/overrides", data={"date": "15/07/2026", "kind": "holiday"})
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    response = as_admin.post("/holidays/overrides", data={"date": "2026-07-15", "kind": "weekend"})
    assert response.status_code == 400
    text = as_admin.post("/holidays/overrides/delete", data={"date": "2026-01-02"},
                         follow_redirects=True).get_data(as_text=True)
    assert "该日期没有本地调整" in text
    assert db.scalar(select(HolidayOverride)) is None and audit(db) == []


def test_english_calendar(as_admin, setup):
    text = as_admin.get("/holidays/?lang=en").get_data(as_text=True)
    assert "Make-up working day" in text and "Local overrides" in text
