"""The knowledge base (知识库) in the console: editors write, publish and retire answers in a category tree; whoever
handles calls searches them in Chinese and gets them suggested on the desktop by the call's queue and IVR choices;
agents flag a wrong answer (纠错) and read the editor's reply; and in a real browser, an agent on a call finds the
answer for the caller and flags one."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from admin_web.auth.services import create_user
from engine.domain.calllog import CallEventKind
from engine.domain.states import AgentState, Role
from engine.store.models import (Agent, AuditEntry, CallEvent, CallOffer, Hall, KnowledgeArticle, KnowledgeCategory,
                                 KnowledgeCorrection, Queue, User)

from .browser import browser, serving  # noqa: F401  (the browser fixture)
from .helpers import PASSWORD, login, set_state

UTC = dt.timezone.utc
TITLE = "个人所得税专项附加扣除怎么填报"
BODY = ("登录“个人所得税”APP，进入“专项附加扣除填报”，选择子女教育、赡养老人等项目填写；可由单位在预扣预缴时扣除，"
        "也可在年度汇算时扣除。")


@pytest.fixture
def queues(db, seed):
    db.add_all([Queue(code="tax_policy", name="税收政策咨询"), Queue(code="etax", name="电子税务局与发票")])
    db.commit()


def client_of(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def editor(app, seed, queues):
    return client_of(app, "admin")


@pytest.fixture
def agent(app, seed, queues):
    return client_of(app, "agent1001")


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def write(editor, data: dict, article_id: int | None = None):
    form = {"title": TITLE, "body": BODY, "keywords": "个税 子女教育", "category_id": "0", "valid_from": "",
            "valid_until": "", "ivr_choices": "", **data}
    url = f"/knowledge/{article_id}/edit" if article_id else "/knowledge/new"
    return editor.post(url, data=form)


def new_article(editor, **data) -> int:
    response = write(editor, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/knowledge/(\d+)$", response.headers["Location"]).group(1))


def publish(editor, article_id: int) -> None:
    assert editor.post(f"/knowledge/{article_id}/publish").status_code == 302


def titles_found(client, query: str) -> list[str]:
    text = page(client.get("/knowledge/", query_string={"q": query}))
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'class="kb-title"[^>]*>(.*?)</a>', text)]


def test_an_editor_writes_and_publishes_and_an_agent_finds_it_in_chinese(editor, agent, db):
    assert editor.post("/knowledge/categories", data={"name": "税费政策", "parent_id": "0", "position": "0"}) \
        .status_code == 302
    top = db.scalar(select(KnowledgeCategory).where(KnowledgeCategory.name == "税费政策"))
    editor.post("/knowledge/categories", data={"name": "个人所得税", "parent_id": str(top.id), "position": "1"})
    income = db.scalar(select(KnowledgeCategory).where(KnowledgeCategory.name == "个人所得税"))
    article_id = new_article(editor, category_id=str(income.id), queue_codes=["tax_policy"])
    assert "草稿" in page(editor.get(f"/knowledge/{article_id}"))
    assert titles_found(agent, "专项扣除") == []                     # a draft: agents do not see it yet
    assert agent.get(f"/knowledge/{article_id}").status_code == 404

    publish(editor, article_id)
    assert titles_found(agent, "专项扣除") == [TITLE]
    assert titles_found(agent, "个税怎么扣") == [TITLE]               # an editor's keyword
    text = page(agent.get(f"/knowledge/{article_id}"))
    assert TITLE in text and "子女教育" in text and "税费政策 › 个人所得税" in text
    assert "草稿" not in text and "编辑信息" not in text              # agents see the answer, not the editing
    # the category tree leads there too, with its sub-categories
    assert TITLE in page(agent.get("/knowledge/", query_string={"category": top.id}))
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("knowledge.%"))))
    assert {"knowledge.category_create", "knowledge.create", "knowledge.publish"} <= actions


def test_the_search_marks_the_words_found_and_speaks_english_on_request(editor, agent, db):
    publish(editor, new_article(editor))
    text = page(agent.get("/knowledge/", query_string={"q": "专项扣除"}))
    assert "<mark>专项</mark>" in text and "<mark>扣除</mark>" in text
    english = page(agent.get("/knowledge/", query_string={"q": "专项扣除", "lang": "en"}))
    assert "Knowledge base" in english and "Report a mistake" not in english
    assert "Report a mistake (纠错)" in page(agent.get("/knowledge/1?lang=en"))


def test_retired_and_expired_articles_are_no_longer_found_by_agents(editor, agent, db):
    retired = new_article(editor)
    publish(editor, retired)
    assert editor.post(f"/knowledge/{retired}/retire").status_code == 302
    assert titles_found(agent, "专项扣除") == []
    assert agent.get(f"/knowledge/{retired}").status_code == 404
    assert titles_found(editor, "专项扣除") == [TITLE]                # editors still find it, marked
    assert "已下架" in page(editor.get(f"/knowledge/{retired}"))

    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    expired = new_article(editor, title="赡养老人专项附加扣除标准", valid_until=yesterday)
    publish(editor, expired)
    assert titles_found(agent, "赡养老人") == []
    assert "不在有效期内" in page(editor.get("/knowledge/manage", query_string={"state": "expired"}))
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert write(editor, {"title": "赡养老人专项附加扣除标准", "valid_from": later}, expired).status_code == 302
    assert titles_found(agent, "赡养老人") == []                      # not valid yet
    assert write(editor, {"title": "赡养老人专项附加扣除标准"}, expired).status_code == 302
    assert titles_found(agent, "赡养老人") == ["赡养老人专项附加扣除标准"]
    db.expire_all()
    assert db.get(KnowledgeArticle, expired).version == 1            # dates are not the text: same version


def test_the_article_form_explains_what_it_refuses(editor, db):
    text = write(editor, {"valid_from": "2026-12-31", "valid_until": "2026-01-01",
                          "ivr_choices": "to_etax\na>b>c>d>e"}).get_data(as_text=True)
    assert "失效日期不能早于生效日期" in text and "a&gt;b&gt;c&gt;d&gt;e" in text
    assert db.scalar(select(KnowledgeArticle)) is None


def test_suggestions_follow_the_calls_queue_and_ivr_choice(editor, agent, db):
    policy = new_article(editor, queue_codes=["tax_policy"])
    etax = new_article(editor, title="电子税务局登录不了怎么办", body="忘记密码可在登录页重置。",
                       ivr_choices="to_etax")
    citizen = new_article(editor, title="居住证怎么办理", body="向居住地派出所申领。",
                          ivr_choices="citizen_main / menu > key:1")
    for article_id in (policy, etax, citizen):
        publish(editor, article_id)
    assert db.get(KnowledgeArticle, citizen).targets[0].value == "citizen_main/menu>key:1"

    def suggested(**args):
        body = agent.get("/knowledge/suggestions.json", query_string=args).get_json()
        return [a["title"] for a in body["articles"]]

    assert suggested(queue="tax_policy") == [TITLE]
    assert suggested(queue="etax", ivr="welcome > menu > key:2 > to_etax > queue:etax", flow="tax_main") \
        == ["电子税务局登录不了怎么办"]
    assert suggested(queue="tax_policy", ivr="welcome > menu > key:1 > to_policy > queue:tax_policy",
                     flow="citizen_main") == ["居住证怎么办理", TITLE]
    assert suggested(queue="tax_policy", ivr="welcome > menu > key:1 > to_policy", flow="tax_main") == [TITLE]
    assert suggested() == []
    first = agent.get("/knowledge/suggestions.json?queue=tax_policy").get_json()["articles"][0]
    assert first["url"] == f"/knowledge/{policy}" and "子女教育" in first["snippet"]
    editor.post(f"/knowledge/{policy}/retire")
    assert suggested(queue="tax_policy") == []
    found = agent.get("/knowledge/search.json", query_string={"q": "登录不了"}).get_json()
    assert [a["title"] for a in found["articles"]] == ["电子税务局登录不了怎么办"] and "登录" in found["terms"]


def test_a_correction_goes_from_the_agent_to_the_editor_and_back(app, editor, agent, db, seed):
    article_id = new_article(editor)
    publish(editor, article_id)
    db.get(Agent, seed.agent_id).current_call_uuid = "call-kb-1"
    db.commit()
    # on the desktop (JSON, with the call) ...
    response = agent.post(f"/knowledge/{article_id}/corrections",
                          json={"problem": "漏了3岁以下婴幼儿照护", "call_uuid": "call-kb-1"})
    assert response.status_code == 201 and "编辑" in response.get_json()["message"]
    assert agent.post(f"/knowledge/{article_id}/corrections", json={"problem": " "}).status_code == 400
    # ... or on the article page, which carries the call it was opened for
    assert 'value="call-kb-1"' in page(agent.get(f"/knowledge/{article_id}?call=call-kb-1"))
    assert 'value="someone-elses-call"' not in page(agent.get(f"/knowledge/{article_id}?call=someone-elses-call"))
    response = agent.post(f"/knowledge/{article_id}/corrections", data={"problem": "标准写得不清楚",
                                                                         "call_uuid": "someone-elses-call"})
    assert response.status_code == 302
    first, second = db.scalars(select(KnowledgeCorrection).order_by(KnowledgeCorrection.id)).all()
    assert (first.call_uuid, first.flagged_by, first.agent_id, first.article_version) == \
        ("call-kb-1", "agent1001", seed.agent_id, 1)
    assert second.call_uuid is None                                   # not a call of theirs: not attached
    mine = page(agent.get("/knowledge/corrections/mine"))
    assert "漏了3岁以下婴幼儿照护" in mine and "待处理" in mine

    listing = page(editor.get("/knowledge/corrections"))
    assert "漏了3岁以下婴幼儿照护" in listing and "agent1001" in listing
    assert '<span class="kb-count">2</span>' in page(editor.get("/knowledge/"))
    detail = page(editor.get(f"/knowledge/corrections/{first.id}"))
    assert "call-kb-1" in detail and "修改条目" in detail
    # the editor fixes the article from the correction, and comes back to it
    response = write(editor, {"body": BODY + "3岁以下婴幼儿照护每个子女每月2000元。"}, article_id)
    assert response.status_code == 302
    response = editor.post(f"/knowledge/{article_id}/edit?correction={first.id}",
                           data={"title": TITLE, "body": BODY + "3岁以下婴幼儿照护每个子女每月2000元。补充说明。",
                                 "keywords": "个税 子女教育", "category_id": "0"})
    assert response.headers["Location"].endswith(f"/knowledge/corrections/{first.id}")
    db.expire_all()
    assert db.get(KnowledgeArticle, article_id).version == 3
    assert "条目现为第 3 版" in page(editor.get(f"/knowledge/corrections/{first.id}"))
    assert editor.post(f"/knowledge/corrections/{first.id}/resolve",
                       data={"decision": "fixed", "answer": "已补充婴幼儿照护"}).status_code == 302
    assert editor.post(f"/knowledge/corrections/{second.id}/resolve",
                       data={"decision": "rejected", "answer": ""}).status_code == 400   # an answer is needed
    assert editor.post(f"/knowledge/corrections/{second.id}/resolve",
                       data={"decision": "rejected", "answer": "标准以文件为准"}).status_code == 302
    mine = page(agent.get("/knowledge/corrections/mine"))
    assert "已补充婴幼儿照护" in mine and "已修正" in mine and "已驳回" in mine
    assert "婴幼儿照护每个子女每月2000元" in page(agent.get(f"/knowledge/{article_id}"))
    assert "没有纠错" not in page(editor.get(f"/knowledge/{article_id}"))
    assert editor.post(f"/knowledge/corrections/{first.id}/resolve",
                       data={"decision": "rejected", "answer": "再来"}).status_code == 302
    db.expire_all()
    assert db.get(KnowledgeCorrection, first.id).state == "fixed"   # handled once
    actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("knowledge.%"))))
    assert actions.count("knowledge.flag") == 2 and "knowledge.correction_fixed" in actions \
        and "knowledge.correction_rejected" in actions


def test_the_category_tree_keeps_its_shape(editor, db):
    editor.post("/knowledge/categories", data={"name": "电子税务局与发票", "parent_id": "0", "position": "0"})
    top = db.scalar(select(KnowledgeCategory).where(KnowledgeCategory.name == "电子税务局与发票"))
    editor.post("/knowledge/categories", data={"name": "发票", "parent_id": str(top.id), "position": "0"})
    child = db.scalar(select(KnowledgeCategory).where(KnowledgeCategory.name == "发票"))
    # not under its own child
    response = editor.post(f"/knowledge/categories/{top.id}", data={"name": "电子税务局与发票",
                                                                     "parent_id": str(child.id), "position": "0"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(KnowledgeCategory, top.id).parent_id is None
    # not deleted while it holds an article
    new_article(editor, category_id=str(child.id))
    editor.post(f"/knowledge/categories/{child.id}/delete")
    assert "只能删除空分类" in page(editor.get("/knowledge/categories"))
    db.expire_all()
    assert db.get(KnowledgeCategory, child.id) is not None
    editor.post(f"/knowledge/categories/{child.id}", data={"name": "数电发票", "parent_id": str(top.id),
                                                            "position": "2"})
    db.expire_all()
    assert db.get(KnowledgeCategory, child.id).name == "数电发票"
    editor.post("/knowledge/categories", data={"name": "空分类", "parent_id": "0", "position": "0"})
    empty = db.scalar(select(KnowledgeCategory.id).where(KnowledgeCategory.name == "空分类"))
    assert editor.post(f"/knowledge/categories/{empty}/delete").status_code == 302
    db.expire_all()
    assert db.get(KnowledgeCategory, empty) is None


def test_who_may_do_what(app, editor, agent, db, seed):
    article_id = new_article(editor)
    publish(editor, article_id)
    create_user(db, "qc", PASSWORD, Role.QUALITY)
    hall = Hall(code="GD-440300", name="深圳市", level="city", region_code="440300")
    db.add(hall)
    db.flush()
    create_user(db, "sz-boss", PASSWORD, Role.SUPERVISOR)
    db.scalar(select(User).where(User.username == "sz-boss")).hall_id = hall.id
    db.commit()
    quality, city = client_of(app, "qc"), client_of(app, "sz-boss")
    assert quality.get("/knowledge/").status_code == 403              # reads recordings, does not take calls
    assert quality.get("/knowledge/suggestions.json").status_code == 403
    for url in ("/knowledge/manage", "/knowledge/new", "/knowledge/categories", "/knowledge/corrections"):
        assert agent.get(url).status_code == 403, url
    assert agent.post("/knowledge/new", data={"title": "x", "body": "y"}).status_code == 403
    assert agent.post(f"/knowledge/{article_id}/retire").status_code == 403
    assert app.test_client().get("/knowledge/search.json?q=个税").status_code == 401
    # a hall's supervisor reads the centre's knowledge base, drafts included, but does not change it
    assert TITLE in page(city.get(f"/knowledge/{article_id}"))
    assert f'action="/knowledge/{article_id}/retire"' not in page(city.get(f"/knowledge/{article_id}"))
    assert city.post(f"/knowledge/{article_id}/retire").status_code == 403
    assert city.post("/knowledge/categories", data={"name": "x", "parent_id": "0"}).status_code == 403
    assert city.post(f"/knowledge/{article_id}/corrections", data={"problem": "措辞有误"}).status_code == 302
    db.expire_all()
    assert db.get(KnowledgeArticle, article_id).state.value == "published"


def test_the_desktop_has_the_knowledge_panel(agent):
    text = page(agent.get("/desktop/"))
    assert 'id="knowledge-panel"' in text and "js/desktop_knowledge.js" in text
    assert 'data-suggestions-url="/knowledge/suggestions.json"' in text
    assert 'href="/knowledge/"' in text                               # and the nav links to the knowledge base
    response = agent.get("/static/js/desktop_knowledge.js")
    assert response.status_code == 200 and b"desktop:call" in response.data
    response.close()


# --- in a real browser ------------------------------------------------------------------------------------------

def test_an_agent_on_a_call_finds_the_answer_and_flags_one(app, editor, db, seed, browser):  # noqa: F811
    policy = new_article(editor, queue_codes=["tax_policy"])
    etax = new_article(editor, title="电子税务局登录不了怎么办", body="忘记密码：在登录页点“忘记密码”，用实名手机号重置。",
                       ivr_choices="to_etax")
    invoice = new_article(editor, title="数电发票怎么开具", body="登录电子税务局，进入开票业务，蓝字发票开具。")
    for article_id in (policy, etax, invoice):
        publish(editor, article_id)
    set_state(db, seed.agent_id, AgentState.READY)
    with serving(app) as url:
        page_ = browser.new_page()
        page_.goto(f"{url}/desktop/")
        page_.fill("#username", "agent1001")
        page_.fill("#password", PASSWORD)
        page_.click("button[type=submit]")
        page_.wait_for_url(f"{url}/desktop/")
        page_.wait_for_function("() => document.getElementById('kb-suggestions-note').textContent"
                                ".indexOf('来电时') >= 0", timeout=10_000)
        # a call from the 12366 menu's e-tax choice reaches the agent
        now = dt.datetime.now(UTC)
        db.add_all([CallEvent(at=now, call_uuid="call-kb", kind=CallEventKind.IVR_ENTERED.value, detail="tax_main"),
                    CallEvent(at=now, call_uuid="call-kb", kind=CallEventKind.IVR_COMPLETED.value,
                              detail="welcome > menu > key:2 > to_etax > queue:etax"),
                    CallEvent(at=now, call_uuid="call-kb", kind=CallEventKind.QUEUED.value, queue_code="etax",
                              queued_at=now),
                    CallOffer(call_uuid="call-kb", agent_id=seed.agent_id, queue_code="etax", offered_at=now,
                              settled_at=now, result="answered", strategy="longest_idle")])
        db.get(Agent, seed.agent_id).current_call_uuid = "call-kb"
        db.commit()
        set_state(db, seed.agent_id, AgentState.TALKING)
        page_.wait_for_selector(f'#kb-suggestions li[data-article="{etax}"]', timeout=10_000)
        assert "电子税务局与发票" in page_.inner_text("#kb-suggestions-title")
        assert page_.locator("#kb-suggestions li").count() == 1
        # the caller asks about invoices: the agent searches
        page_.fill("#kb-search-q", "发票怎么开")
        page_.click("#kb-search-btn")
        page_.wait_for_selector(f'#kb-results li[data-article="{invoice}"]', timeout=10_000)
        link = page_.locator(f'#kb-results li[data-article="{invoice}"] a.kb-title')
        assert link.get_attribute("href") == f"/knowledge/{invoice}?call=call-kb"
        # and opens it, in a tab of its own, to read the answer to the caller
        with page_.context.expect_page() as opened:
            link.click()
        article_page = opened.value
        article_page.wait_for_load_state()
        assert "蓝字发票开具" in article_page.inner_text(".kb-body")
        assert article_page.locator('input[name="call_uuid"]').get_attribute("value") == "call-kb"
        article_page.close()
        # the suggested answer is out of date: 纠错 from the desktop, with the call
        page_.click(f'#kb-suggestions li[data-article="{etax}"] .kb-flag-btn')
        page_.fill(f'#kb-suggestions li[data-article="{etax}"] textarea', "现在要先刷脸认证")
        page_.click(f'#kb-suggestions li[data-article="{etax}"] .kb-flag-form button[type=submit]')
        page_.wait_for_selector(f'#kb-suggestions li[data-article="{etax}"] .kb-flag-done', timeout=10_000)
        assert "我的纠错" in page_.inner_text(f'#kb-suggestions li[data-article="{etax}"] .kb-flag-done')
        page_.close()
    correction = db.scalar(select(KnowledgeCorrection))
    assert (correction.article_id, correction.call_uuid, correction.problem) == (etax, "call-kb", "现在要先刷脸认证")
