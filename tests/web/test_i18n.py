"""Language: Chinese by default, English on request, remembered; catalogs complete and compiled."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

import admin_web
from engine.store.models import User

from .helpers import login

PACKAGE = Path(admin_web.__file__).parent
TRANSLATIONS = PACKAGE / "translations"


def test_default_is_simplified_chinese(client, seed):
    text = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in text
    assert "呼叫中心管理台" in text and "用户名" in text


def test_lang_en_switches_to_english_and_is_remembered(as_admin):
    text = as_admin.get("/agents/?lang=en").get_data(as_text=True)
    assert "Employee no." in text and "Ready" in text and "工号" not in text
    assert "Employee no." in as_admin.get("/agents/").get_data(as_text=True)
    assert "工号" in as_admin.get("/agents/?lang=zh_CN").get_data(as_text=True)


def test_unknown_lang_is_ignored(client, seed):
    assert "用户名" in client.get("/auth/login?lang=xx").get_data(as_text=True)


def test_user_locale_applies_after_login(client, seed, db):
    db.scalar(select(User).where(User.username == "super")).locale = "en"
    db.commit()
    login(client, "super")
    assert "Today" in client.get("/").get_data(as_text=True)


def test_404_page_is_translated(as_admin):
    response = as_admin.get("/no/such/page")
    assert response.status_code == 404
    assert "页面或记录不存在" in response.get_data(as_text=True)
    assert "This page or record does not exist." in as_admin.get("/nope?lang=en").get_data(as_text=True)


def _extracted_ids() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    return {msg[2] if isinstance(msg[2], str) else msg[2][0]
            for msg in extract_from_dir(str(PACKAGE), method_map, keywords=keywords)}


def test_every_message_is_in_the_template_and_translated_to_chinese():
    ids = _extracted_ids()
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        pot_ids = {m.id for m in read_po(f) if m.id}
    assert ids - pot_ids == set(), "run pybabel extract/update (see admin_web/babel.cfg)"
    with open(TRANSLATIONS / "zh_CN/LC_MESSAGES/messages.po", "rb") as f:
        zh = {m.id: m for m in read_po(f) if m.id}
    missing = sorted(i for i in ids if i not in zh or not zh[i].string or zh[i].fuzzy)
    assert missing == []


def test_compiled_catalogs_match_their_sources():
    for lang in ("zh_CN", "en"):
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as f:
            po = {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}
        with open(folder / "messages.mo", "rb") as f:
            mo = {m.id: m.string for m in read_mo(f) if m.id}
        assert mo == po, f"run pybabel compile -d admin_web/translations ({lang})"


def test_things_have_a_name_people_a_full_name_and_a_holidays_source_is_its_source(as_admin):
    """The walkthrough found 姓名 (a person's name) over queues' and skills' names and 源文件 for a holiday's 来源."""
    assert "<th>名称</th>" in as_admin.get("/queues/").get_data(as_text=True)
    assert "<th>名称</th>" in as_admin.get("/skills/").get_data(as_text=True)
    assert "<th>姓名</th>" in as_admin.get("/agents/").get_data(as_text=True)
    holidays = as_admin.get("/holidays/").get_data(as_text=True)
    assert "<th>来源</th>" in holidays and "源文件" not in holidays
