"""Queues: list with today's counts, create/edit with every validation rule, overflow rows → engine JSON,
delete (refused for an overflow target), roles, audit."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from admin_web.timeutil import day_range
from engine.domain.routing import STRATEGIES
from engine.domain.states import CallOutcome, HangupSide
from engine.store.models import AuditEntry, CallRecord, Queue, QueueSkill
from engine.store.repos import parse_overflow


@pytest.fixture
def queues(db, seed):
    """Two queues: tax (skill tax ≥ 3) overflowing to etax after 60 s; etax (skill etax ≥ 1)."""
    etax = Queue(code="etax", name="电子税务局", skills=[QueueSkill(skill_id=seed.skill_ids["etax"], min_level=1)])
    tax = Queue(code="tax", name="纳税咨询", strategy="highest_skill",
                skills=[QueueSkill(skill_id=seed.skill_ids["tax"], min_level=3)],
                overflow_rules=json.dumps([{"after_s": 30, "action": "widen", "skills": {"tax": 1}},
                                           {"after_s": 60, "action": "overflow", "queue": "etax"}]))
    db.add_all([etax, tax])
    db.commit()
    return {"tax": tax.id, "etax": etax.id}


def form_data(seed, **changes) -> dict:
    """A valid queue form post (tax ≥ 2 required, no overflow rules), with `changes` applied."""
    data = {"code": "social", "name": "社保费咨询", "strategy": "longest_idle", "ring_timeout_s": "20",
            "wrap_up_s": "30", "max_wait_s": "600", "max_size": "0", "priority_step_s": "60",
            "no_agent_action": "wait", "moh": "local_stream://moh", "announce_every_s": "0",
            "callback_key": "", "voicemail_key": "",
            "skills-0-skill_id": str(seed.skill_ids["etax"]), "skills-0-min_level": "",
            "skills-1-skill_id": str(seed.skill_ids["tax"]), "skills-1-min_level": "2"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def rule(index: int, seed, after_s="", action="", queue="", prompt="", tax="", etax="") -> dict:
    """The fields of one overflow row as the page posts them."""
    return {f"rules-{index}-after_s": str(after_s), f"rules-{index}-action": action,
            f"rules-{index}-queue": queue, f"rules-{index}-prompt": prompt,
            f"rules-{index}-levels-0-skill_id": str(seed.skill_ids["etax"]), f"rules-{index}-levels-0-level": str(etax),
            f"rules-{index}-levels-1-skill_id": str(seed.skill_ids["tax"]), f"rules-{index}-levels-1-level": str(tax)}


def stored(db, code: str) -> Queue | None:
    db.expire_all()
    return db.scalar(select(Queue).where(Queue.code == code))


def audit_actions(db) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.target) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# list --------------------------------------------------------------------------------------------------------

def test_list_shows_settings_skills_rules_and_todays_counts(as_supervisor, db, queues):
    start = day_range("Asia/Shanghai")[0]
    for minute, outcome in enumerate([CallOutcome.ANSWERED, CallOutcome.ANSWERED, CallOutcome.ABANDONED,
                                      CallOutcome.TIMED_OUT], start=1):
        when = start + dt.timedelta(minutes=minute)
        db.add(CallRecord(call_uuid=f"c{minute}", ani="139", dnis="12366", queue_id=queues["tax"], started_at=when,
                          ended_at=when + dt.timedelta(seconds=30), outcome=outcome, hangup_cause="NORMAL_CLEARING",
                          hangup_side=HangupSide.CALLER))
    yesterday = start - dt.timedelta(hours=2)
    db.add(CallRecord(call_uuid="old", ani="139", dnis="12366", queue_id=queues["tax"], started_at=yesterday,
                      ended_at=yesterday, outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING",
                      hangup_side=HangupSide.CALLER))
    db.commit()
    response = as_supervisor.get("/queues/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "纳税咨询" in text and "电子税务局" in text
    assert "最高技能" in text and "最长空闲" in text            # translated strategy names
    assert "税收政策 ≥ 3" in text
    assert "30 秒后：放宽技能要求 税收政策 ≥ 1" in text and "60 秒后：转到其他队列 电子税务局" in text
    row = text[text.index('data-queue="tax"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="num">4</td>' in row and '<td class="num">2</td>' in row and '<td class="num">1</td>' in row
    assert "每 2 秒" in text                                   # changes apply at once
    assert "新建队列" not in text and "/queues/new" not in text  # supervisors only view


def test_every_engine_strategy_is_offered_with_an_explanation(as_admin, seed):
    text = as_admin.get("/queues/new").get_data(as_text=True)
    for code in STRATEGIES:
        assert f'value="{code}"' in text
    assert "第一个接听的坐席接通" in text                         # ring_all's one-line explanation
    assert as_admin.get("/queues/new?lang=en").get_data(as_text=True).count("<dd>") == len(STRATEGIES)


def test_roles(client, as_agent, seed, queues):
    assert as_agent.get("/queues/").status_code == 403
    assert as_agent.get("/queues/new").status_code == 403
    assert as_agent.post(f"/queues/{queues['etax']}/delete").status_code == 403


def test_supervisor_cannot_change_queues(as_supervisor, db, queues):
    assert as_supervisor.get("/queues/new").status_code == 403
    assert as_supervisor.post("/queues/new", data={}).status_code == 403
    assert as_supervisor.get(f"/queues/{queues['tax']}/edit").status_code == 403
    assert as_supervisor.post(f"/queues/{queues['etax']}/delete").status_code == 403
    assert stored(db, "etax") is not None


def test_anonymous_is_sent_to_login(client, seed):
    response = client.get("/queues/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# create / edit -----------------------------------------------------------------------------------------------

def test_create_with_overflow_rows_writes_the_engine_json(as_admin, db, seed, queues):
    data = form_data(seed, callback_key="1", voicemail_key="2", announce_every_s="45", max_size="30",
                     no_agent_action="reject", strategy="ring_all", moh="moh.wav",
                     **rule(0, seed, after_s=90, action="overflow", queue="etax"),
                     **rule(1, seed, after_s=20, action="widen", tax=1, etax=2),
                     **rule(2, seed, after_s=40, action="announce", prompt="all_busy.wav"),
                     **rule(3, seed))                                          # a blank row is ignored
    response = as_admin.post("/queues/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    queue = stored(db, "social")
    assert (queue.name, queue.strategy, queue.no_agent_action, queue.moh) == ("社保费咨询", "ring_all", "reject",
                                                                              "moh.wav")
    assert (queue.callback_key, queue.voicemail_key, queue.announce_every_s, queue.max_size) == ("1", "2", 45, 30)
    assert {s.skill_id: s.min_level for s in queue.skills} == {seed.skill_ids["tax"]: 2}
    rules = json.loads(queue.overflow_rules)
    assert rules == [{"after_s": 20, "action": "widen", "skills": {"etax": 2, "tax": 1}},
                     {"after_s": 40, "action": "announce", "prompt": "all_busy.wav"},
                     {"after_s": 90, "action": "overflow", "queue": "etax"}]
    steps = parse_overflow(queue.overflow_rules, seed.skill_ids, {"etax", "tax", "social"}, "social", strict=True)
    assert [s.action for s in steps] == ["widen", "announce", "overflow"]
    entry = db.scalars(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.target) == ("admin", "queue.create", "queue:social")
    assert "strategy=ring_all" in entry.detail and "skills=tax:2" in entry.detail


def test_create_minimal_queue_stores_no_keys_and_no_rules(as_admin, db, seed):
    assert as_admin.post("/queues/new", data=form_data(seed)).status_code == 302
    queue = stored(db, "social")
    assert queue.callback_key is None and queue.voicemail_key is None and queue.overflow_rules == "[]"


def test_edit_keeps_code_and_audits_changes(as_admin, db, seed, queues):
    page = as_admin.get(f"/queues/{queues['tax']}/edit").get_data(as_text=True)
    assert '<input disabled id="code" maxlength="32" name="code" required type="text" value="tax">' in page
    data = form_data(seed, code="renamed", name="纳税咨询（新）", ring_timeout_s="25",
                     **rule(0, seed, after_s=30, action="widen", tax=1),
                     **rule(1, seed, after_s=60, action="overflow", queue="etax"))
    response = as_admin.post(f"/queues/{queues['tax']}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    queue = stored(db, "tax")
    assert queue is not None and stored(db, "renamed") is None              # the code did not change
    assert queue.name == "纳税咨询（新）" and queue.ring_timeout_s == 25
    assert {s.skill_id: s.min_level for s in queue.skills} == {seed.skill_ids["tax"]: 2}
    entry = db.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.target) == ("queue.update", "queue:tax")
    assert "ring_timeout_s: 20 → 25" in entry.detail and "skills: tax:3 → tax:2" in entry.detail


def test_edit_form_shows_stored_rules_as_rows(as_admin, queues):
    text = as_admin.get(f"/queues/{queues['tax']}/edit").get_data(as_text=True)
    assert '<option selected value="widen">' in text and '<option selected value="overflow">' in text
    assert '<option selected value="etax">' in text
    assert 'name="rules-3-after_s"' in text and 'name="rules-4-after_s"' not in text   # 2 rules + 2 blank rows


def test_add_rule_row_saves_nothing(as_admin, db, seed):
    response = as_admin.post("/queues/new", data={**form_data(seed), **rule(0, seed), "add_rule": "1"})
    assert response.status_code == 200
    assert 'name="rules-1-after_s"' in response.get_data(as_text=True)
    assert stored(db, "social") is None and audit_actions(db) == []


def test_unreadable_stored_rules_are_flagged(as_admin, db, queues):
    db.get(Queue, queues["etax"]).overflow_rules = "{not json"
    db.commit()
    assert "无法读取" in as_admin.get(f"/queues/{queues['etax']}/edit").get_data(as_text=True)
    assert "无法读取" in as_admin.get("/queues/").get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"code": ""}, "该字段是必填字段"),
    ({"code": "Tax-2"}, "只能使用小写字母、数字和“_”"),
    ({"code": "tax"}, "已有队列使用此代码"),
    ({"name": " "}, "该字段是必填字段"),
    ({"strategy": "random"}, "不是有效的选择"),
    ({"ring_timeout_s": "4"}, "振铃超时必须在 5 到 120 秒之间"),
    ({"ring_timeout_s": "121"}, "振铃超时必须在 5 到 120 秒之间"),
    ({"ring_timeout_s": ""}, "该字段是必填字段"),
    ({"ring_timeout_s": "abc"}, "不是有效的整数"),
    ({"wrap_up_s": "-1"}, "话后处理时长必须在 0 到 600 秒之间"),
    ({"wrap_up_s": "601"}, "话后处理时长必须在 0 到 600 秒之间"),
    ({"max_wait_s": "9"}, "最长等待必须在 10 到 7200 秒之间"),
    ({"max_wait_s": "7201"}, "最长等待必须在 10 到 7200 秒之间"),
    ({"max_size": "-1"}, "容量须为 0（不限）或更大"),
    ({"priority_step_s": "0"}, "优先级步长必须在 1 到 3600 秒之间"),
    ({"priority_step_s": "3601"}, "优先级步长必须在 1 到 3600 秒之间"),
    ({"no_agent_action": "hangup"}, "不是有效的选择"),
    ({"moh": ""}, "该字段是必填字段"),
    ({"moh": "my music.wav"}, "请填写提示音文件名"),
    ({"moh": "../../etc/passwd"}, "请填写提示音文件名"),
    ({"announce_every_s": "3601"}, "请填写 0（从不）或不超过 3600 的秒数"),
    ({"callback_key": "12"}, "一个按键：0-9、* 或 #"),
    ({"voicemail_key": "a"}, "一个按键：0-9、* 或 #"),
    ({"callback_key": "#", "voicemail_key": "#"}, "留言键必须与回拨键不同"),
    ({"skills-1-min_level": ""}, "请至少选择一项所需技能"),
    ({"skills-1-min_level": "11"}, "等级必须在 1 到 10 之间"),
    ({"skills-1-min_level": "0"}, "等级必须在 1 到 10 之间"),
    ({"skills-1-skill_id": "999"}, "未知技能"),
])
def test_validation_rules(as_admin, db, seed, queues, changes, message):
    response = as_admin.post("/queues/new", data=form_data(seed, **changes))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert message in text
    assert 'name="name"' in text                       # the form is shown again
    assert stored(db, "social") is None and audit_actions(db) == []


@pytest.mark.parametrize("row, message", [
    (dict(after_s=30), "请选择随后的处理"),
    (dict(action="announce", prompt="x.wav"), "请填写规则生效的秒数"),
    (dict(after_s=-1, action="announce", prompt="x.wav"), "时间必须在 0 到 7200 秒之间"),
    (dict(after_s="soon", action="announce", prompt="x.wav"), "不是有效的整数"),
    (dict(after_s=600, action="announce", prompt="x.wav"), "该规则永远不会生效：呼叫在等待 600 秒后离开队列"),
    (dict(after_s=30, action="widen"), "请至少填写一项放宽后所需的技能等级"),
    (dict(after_s=30, action="widen", tax=11), "等级必须在 1 到 10 之间"),
    (dict(after_s=30, action="overflow"), "请选择呼叫转入的队列"),
    (dict(after_s=30, action="overflow", queue="social"), "队列不能溢出到自身"),
    (dict(after_s=30, action="announce"), "请填写要播放的提示音"),
    (dict(after_s=30, action="announce", prompt="../secret.wav"), "请填写提示音文件名"),
    (dict(after_s=30, action="explode"), "不是有效的选择"),
])
def test_overflow_row_rules(as_admin, db, seed, queues, row, message):
    response = as_admin.post("/queues/new", data=form_data(seed, **rule(0, seed, **row)))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored(db, "social") is None and audit_actions(db) == []


def test_engine_parser_message_is_shown(as_admin, db, seed, queues):
    """A target queue that does not exist (deleted meanwhile) is refused by parse_overflow(strict=True)."""
    response = as_admin.post("/queues/new", data=form_data(seed, **rule(0, seed, after_s=30, action="overflow",
                                                                          queue="gone")))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "引擎不接受这些溢出规则" in text and "请选择已有的队列" in text and "must name" not in text
    assert stored(db, "social") is None


# delete ------------------------------------------------------------------------------------------------------

def test_delete_keeps_call_records(as_admin, db, seed, queues):
    now = dt.datetime.now(dt.timezone.utc)
    db.add(CallRecord(call_uuid="k1", ani="139", dnis="12366", queue_id=queues["tax"], started_at=now, ended_at=now,
                      outcome=CallOutcome.ANSWERED, hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER))
    db.commit()
    response = as_admin.post(f"/queues/{queues['tax']}/delete", follow_redirects=True)
    assert "队列 tax 已删除" in response.get_data(as_text=True)
    assert stored(db, "tax") is None
    assert db.scalar(select(CallRecord).where(CallRecord.call_uuid == "k1")).queue_id is None
    assert audit_actions(db) == [("admin", "queue.delete", "queue:tax")]


def test_delete_of_an_overflow_target_is_refused(as_admin, db, queues):
    response = as_admin.post(f"/queues/{queues['etax']}/delete", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "队列 etax 是 纳税咨询 (tax) 的溢出目标" in text
    assert stored(db, "etax") is not None and audit_actions(db) == []
    page = as_admin.get(f"/queues/{queues['etax']}/edit").get_data(as_text=True)
    assert "纳税咨询" in page


def test_delete_unknown_queue_is_404(as_admin, seed):
    assert as_admin.post("/queues/999/delete").status_code == 404
    assert as_admin.get("/queues/999/edit").status_code == 404


def test_english(as_admin, queues):
    text = as_admin.get("/queues/?lang=en").get_data(as_text=True)
    assert "Highest skill" in text and "after 60 s: Move to another queue 电子税务局" in text


def test_csrf_is_required(app, as_admin, db, seed):
    app.config["WTF_CSRF_ENABLED"] = True
    assert as_admin.post("/queues/new", data=form_data(seed)).status_code == 400
    assert stored(db, "social") is None
