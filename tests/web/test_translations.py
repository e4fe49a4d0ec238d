"""Every user-visible string is translated: the Chinese catalog has no empty or fuzzy entry and lacks no message
the code and templates ask for (extracted as admin_web/babel.cfg says); the engine's English refusals and
validation messages reach pages only through one table (admin_web.labels.ENGINE_MESSAGES), and its codes
(not-ready reasons, call-log kinds and details) only through label registries."""
from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import admin_web
from admin_web import labels

PACKAGE = Path(admin_web.__file__).parent
ROOT = PACKAGE.parent
ZH_PO = PACKAGE / "translations/zh_CN/LC_MESSAGES/messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}     # as babel.cfg's command line: -k _l -k lazy_gettext


def _catalog() -> dict:
    with open(ZH_PO, "rb") as f:
        return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(f) if m.id}


def _extracted() -> dict[str, list[str]]:
    """msgid → where it is asked for, extracted with admin_web/babel.cfg's mapping."""
    with open(PACKAGE / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(PACKAGE), method_map, options_map,
                                                                          keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def test_no_chinese_entry_is_empty_or_fuzzy():
    bad = sorted(msgid for msgid, m in _catalog().items()
                 if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))
    assert bad == []


def test_every_extracted_message_is_in_the_chinese_catalog():
    found, catalog = _extracted(), _catalog()
    assert len(found) > 1000                      # the templates were read too (jinja2 extractor present)
    missing = {msgid: where[:2] for msgid, where in found.items() if msgid not in catalog}
    assert missing == {}


# -- the engine's messages ---------------------------------------------------------------------------------------

def _text(node: ast.expr) -> str | None:
    """A string literal, or an f-string with each {…} as a sample value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x7" for v in node.values)
    return None


def _messages(path: str, *, returns_in: tuple[str, ...] = (), raises: tuple[str, ...] = (),
              appends: bool = False, functions: tuple[str, ...] | None = None) -> list[str]:
    """The messages a module hands out: strings returned by (or assigned to `message` in) the named functions,
    raised in the named exceptions, or appended to `problems`."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef) or (functions is not None and func.name not in functions):
            continue
        for node in ast.walk(func):
            value = None
            if isinstance(node, ast.Return) and node.value is not None and (func.name in returns_in
                                                                           or "*" in returns_in):
                value = node.value
            elif isinstance(node, ast.Assign) and func.name in returns_in and any(
                    isinstance(t, ast.Name) and t.id == "message" for t in node.targets):
                value = node.value
            elif (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                  and getattr(node.exc.func, "id", None) in raises and node.exc.args):
                value = node.exc.args[0]
            elif (appends and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "append" and getattr(node.func.value, "id", None) == "problems"):
                value = node.args[0]
            text = _text(value) if value is not None else None
            if text:
                found.append(text)
    return found


ENGINE_SOURCES = [
    # what an agent's request is refused with (the console shows it from AgentRequest.result)
    ("engine/acd/agent_actions.py", {"returns_in": ("*",)}),
    ("engine/acd/center.py", {"returns_in": ("_extend_wrap_up", "_supervise", "_on_agent_request"),
                              "raises": ("InvalidTransition",),
                              "functions": ("_extend_wrap_up", "_supervise", "_on_agent_request")}),
    ("engine/domain/agent.py", {"raises": ("InvalidTransition",)}),
    # the report definitions a form saves, a holiday override, a queue's overflow rules, a prompt upload
    ("engine/reports/definitions.py", {"appends": True, "functions": ("validate",)}),
    ("engine/store/numbers.py", {"raises": ("ValueError",), "functions": ("set_override",)}),
    ("engine/store/repos.py", {"raises": ("OverflowRuleError",), "functions": ("parse_overflow", "_overflow_step")}),
    ("engine/prompts.py", {"raises": ("PromptError",)}),
]


@pytest.mark.parametrize("path,how", ENGINE_SOURCES, ids=[p for p, _h in ENGINE_SOURCES])
def test_every_engine_message_a_page_shows_is_in_the_table(path, how):
    messages = _messages(path, **how)
    assert messages, f"no messages found in {path}: has the code moved?"
    unknown = [m for m in messages if not labels.engine_message_known(m)]
    assert unknown == []


def test_the_orphaned_request_answer_is_in_the_table():
    from engine.store.repos import ORPHANED_REQUEST
    assert labels.engine_message_known(ORPHANED_REQUEST.partition(":")[2].strip())


def test_engine_messages_read_in_chinese_with_their_values_named(app):
    from engine.domain.agent import Agent as AgentModel, AgentTrigger, apply
    from engine.domain.errors import InvalidTransition
    from engine.domain.states import AgentState
    from engine.reports.definitions import Definitions
    from engine.store.repos import OverflowRuleError, parse_overflow
    with pytest.raises(InvalidTransition) as refused:
        apply(AgentModel(agent_id=1, employee_no="1001", name="张三", extension="8001", skills={},
                         state=AgentState.TALKING), AgentTrigger.READY, 0.0)
    with pytest.raises(ValueError) as definitions:
        Definitions(service_level_s=7, rest_reasons=("nap",))
    with pytest.raises(OverflowRuleError) as overflow:
        parse_overflow('[{"after_s": 30, "action": "overflow", "queue": "nowhere"}]', {}, {"tax"}, "tax",
                       strict=True)
    with app.test_request_context("/"):                  # the console's default language
        assert labels.engine_message(refused.value) == "坐席 1001 处于“通话中”状态，不能示闲。"
        both = labels.engine_message(definitions.value)
        assert "服务水平阈值必须是" in both and "休息原因必须是示忙原因" in both and "must" not in both
        assert labels.engine_message(overflow.value).startswith("队列 tax：规则 ")
        assert "请选择已有的队列" in labels.engine_message(overflow.value)
    with app.test_request_context("/?lang=en"):
        assert labels.engine_message(refused.value) == "Agent 1001 cannot set ready while Talking."


def test_a_message_not_in_the_table_is_still_framed_in_the_users_language(app, caplog):
    with app.test_request_context("/"):
        assert labels.engine_message("the moon is made of cheese") == "引擎拒绝了此操作：the moon is made of cheese"
    assert "not in admin_web.labels.ENGINE_MESSAGES" in caplog.text


def test_a_refused_request_carries_its_translated_reason(as_agent, seed, db):
    from engine.store.models import AgentRequest
    request_id = as_agent.post("/api/v1/me/state", json={"action": "ready"}).get_json()["request"]["id"]
    row = db.get(AgentRequest, request_id)
    row.processed_at, row.result = dt.datetime.now(dt.timezone.utc), "refused: agent 1001: cannot ready while talking"
    db.commit()
    data = as_agent.get(f"/api/v1/requests/{request_id}").get_json()
    assert data["message"] == "agent 1001: cannot ready while talking"            # the engine's words, for CRMs
    assert data["message_label"] == "坐席 1001 处于“通话中”状态，不能示闲。"
    english = as_agent.get(f"/api/v1/requests/{request_id}?lang=en").get_json()
    assert english["message_label"] == "Agent 1001 cannot set ready while Talking."


def test_a_holiday_the_store_refuses_says_why_in_chinese(as_admin, monkeypatch):
    from engine.store import numbers
    real = numbers.set_override
    # the form keeps names short; the store's own check (a name of 65 characters) is what is refused here
    monkeypatch.setattr("admin_web.holidays.views.set_override",
                        lambda session, day, kind, name="": real(session, day, kind, "长" * 65))
    page = as_admin.post("/holidays/overrides", data={"date": "2026-10-01", "kind": "holiday", "name": "国庆节"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "2026-10-01：名称超过 64 个字符。" in text
    assert "name longer than" not in text


# -- codes through label registries -------------------------------------------------------------------------------

def test_definitions_name_the_rest_reasons_not_their_codes(as_admin):
    text = as_admin.get("/reports/definitions").get_data(as_text=True)
    for code, chinese in (("break", "小休"), ("meal", "用餐"), ("no_answer", "未接")):
        assert f'value="{code}"' in text                      # the stored code stays the form's value
        label = text.split(f'value="{code}"', 1)[1].split("</li>", 1)[0]
        assert chinese in label and code not in label.split(">", 1)[1], code


def test_reports_submenu_is_translated_on_every_reports_page(as_supervisor):
    for path in ("/reports/scorecard?month=2026-03", "/reports/service", "/orders/reports"):
        text = as_supervisor.get(path, follow_redirects=True).get_data(as_text=True)
        nav = text.split('<nav class="subnav filters">', 1)[1].split("</nav>", 1)[0]
        assert "队列与服务" in nav and "坐席统计" in nav, path
        for code in ("service", "callers", "traffic", "agents", "regions"):
            assert f">{code}</a>" not in nav, (path, code)


def test_call_log_kinds_and_details_are_named(app):
    with app.test_request_context("/"):
        assert labels.event_label("abandoned") == "放弃"
        assert labels.detail_label("ringing") == "坐席振铃时"
        assert labels.detail_label("张三 13800138000") == "张三 13800138000"     # data stays as it is


def test_the_agents_page_notes_a_refused_request_in_words(as_supervisor, db, seed):
    from sqlalchemy import select

    from engine.store.models import AgentRequest
    assert as_supervisor.post(f"/agents/{seed.agent_id}/state", data={"command": "not_ready:meal"}).status_code == 302
    row = next(a for a in as_supervisor.get("/agents/state.json").get_json()["agents"] if a["id"] == seed.agent_id)
    assert row["request"]["action_label"] == "示忙: 用餐" and row["request"]["result_label"] == "处理中"
    req = db.scalars(select(AgentRequest)).one()
    req.result = "refused: agent 1001: cannot not_ready while talking"
    db.commit()
    row = next(a for a in as_supervisor.get("/agents/state.json").get_json()["agents"] if a["id"] == seed.agent_id)
    assert row["request"]["result_label"] == "被拒绝: 坐席 1001 处于“通话中”状态，不能示忙。"
    assert row["request"]["result"].startswith("refused:")               # the engine's words stay for the API
    script = (PACKAGE / "static/js/agents_live.js").read_text(encoding="utf-8")
    assert "r.action_label" in script and "r.result_label" in script and "r.reason" not in script
