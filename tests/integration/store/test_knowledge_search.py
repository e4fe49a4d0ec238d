"""The knowledge base's Chinese search through each database's own full-text index (FTS5 with bm25 on SQLite, a
GIN-indexed 'simple' tsvector with ts_rank on PostgreSQL), on the demo centre's articles: the same answers on both."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from engine.store import knowledge as kb
from engine.store.models import KnowledgeArticle, KnowledgeCorrection
from engine.store.session import transaction

TODAY = dt.date(2026, 12, 7)


def titles(hits) -> list[str]:
    return [hit.article.title for hit in hits]


def test_a_callers_words_find_the_answer_first(sessions):
    with transaction(sessions) as s:
        assert titles(kb.search(s, "专项扣除", today=TODAY))[0] == "个人所得税专项附加扣除怎么填报"
        assert titles(kb.search(s, "电子税务局登录不了怎么办", today=TODAY))[0] == "电子税务局登录不了怎么办"
        assert titles(kb.search(s, "发票开错了", today=TODAY))[0] == "发票开错了怎么红冲"
        assert titles(kb.search(s, "灵活就业社保怎么交", today=TODAY))[0] == "灵活就业人员怎么缴纳社保费"
        # an editor's keyword: 个税 is in no title, the keywords of the income-tax articles hold it
        assert set(titles(kb.search(s, "个税", today=TODAY))) == {"个人所得税专项附加扣除怎么填报",
                                                                 "个人所得税综合所得年度汇算怎么办理"}
        assert kb.search(s, "火星移民", today=TODAY) == []


def test_relevance_ranks_title_words_above_body_words(sessions):
    with transaction(sessions) as s:
        hits = kb.search(s, "红字发票", today=TODAY)
        assert titles(hits)[0] == "发票开错了怎么红冲"          # 红字发票 in its keywords and body
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert "数电发票（全面数字化的电子发票）怎么开具" in titles(hits)


def test_agents_find_only_published_articles_within_their_dates(sessions):
    with transaction(sessions) as s:
        retired = "纸质发票领用（已改为数电发票）"
        assert retired not in titles(kb.search(s, "纸质发票领用", today=TODAY))          # other invoice answers
        assert titles(kb.search(s, "纸质发票领用", today=TODAY, everything=True))[0] == retired
        draft = "小规模纳税人增值税减免政策"
        assert draft not in titles(kb.search(s, "小规模纳税人增值税", today=TODAY))
        assert titles(kb.search(s, "小规模纳税人增值税", today=TODAY, everything=True))[0] == draft
        article = s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.title == "居住证怎么办理"))
        article.valid_until = TODAY - dt.timedelta(days=1)
    with transaction(sessions) as s:
        assert titles(kb.search(s, "居住证", today=TODAY)) == []                             # expired yesterday
        assert titles(kb.search(s, "居住证", today=TODAY - dt.timedelta(days=1))) == ["居住证怎么办理"]
        assert titles(kb.search(s, "居住证", today=TODAY, everything=True)) == ["居住证怎么办理"]


def test_the_index_follows_edits_and_deletions(sessions):
    with transaction(sessions) as s:
        article = s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.title == "居住证怎么办理"))
        fields = kb.ArticleFields(title="居住证和临时身份证明怎么办理", body=article.body + "\n港澳通行证另见出入境条目。",
                                  keywords=article.keywords, category_id=article.category_id,
                                  ivr_choices=["citizen_main/to_policy"])
        kb.save_article(s, article, fields, "editor")
        assert article.version == 2
    with transaction(sessions) as s:
        assert titles(kb.search(s, "临时身份证明", today=TODAY))[0] == "居住证和临时身份证明怎么办理"
        assert titles(kb.search(s, "港澳通行证", today=TODAY)) == ["居住证和临时身份证明怎么办理"]
        s.delete(s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.title == "居住证和临时身份证明怎么办理")))
    with transaction(sessions) as s:
        assert kb.search(s, "居住证", today=TODAY, everything=True) == []


def test_suggestions_follow_the_calls_queue_and_ivr_choices(sessions):
    with transaction(sessions) as s:
        etax = kb.suggestions(s, today=TODAY, queue_code="etax",
                              ivr_path="welcome > menu > key:2 > to_etax > queue:etax", flow="tax_main")
        assert {a.title for a in etax} == {"电子税务局登录不了怎么办", "数电发票（全面数字化的电子发票）怎么开具",
                                          "发票开错了怎么红冲"}                              # not the retired one
        citizen = kb.suggestions(s, today=TODAY, queue_code="tax_policy",
                                 ivr_path="welcome > menu > key:1 > to_policy > queue:tax_policy",
                                 flow="citizen_main")
        assert [a.title for a in citizen][0] == "居住证怎么办理"                         # the 12345 flow's choice first
        assert "个人所得税专项附加扣除怎么填报" in [a.title for a in citizen]
        tax = kb.suggestions(s, today=TODAY, queue_code="tax_policy",
                             ivr_path="welcome > menu > key:1 > to_policy > queue:tax_policy", flow="tax_main")
        assert "居住证怎么办理" not in [a.title for a in tax]
        assert kb.suggestions(s, today=TODAY) == []


def test_corrections_record_the_version_read_and_the_answer(sessions):
    with transaction(sessions) as s:
        article = s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.title == "城乡居民医保怎么缴费"))
        correction = kb.flag(s, article, problem="缴费渠道漏了银行柜台", username="a1001", call_uuid="call-1")
        kb.resolve(correction, fixed=True, answer="已补充", actor="admin")
    with transaction(sessions) as s:
        row = s.scalar(select(KnowledgeCorrection))
        assert (row.state, row.article_version, row.answer, row.call_uuid) == ("fixed", 1, "已补充", "call-1")


def test_the_full_text_index_is_the_databases_own(sessions):
    with transaction(sessions) as s:
        dialect = s.get_bind().dialect.name
        if dialect == "sqlite":
            count = s.scalar(text("SELECT count(*) FROM knowledge_fts WHERE knowledge_fts MATCH '\"专项\"'"))
            assert count == 1
        else:
            s.execute(text("SET LOCAL enable_seqscan = off"))
            stmt = select(KnowledgeArticle.id).where(kb._pg_vector().op("@@")(
                text("to_tsquery('simple'::regconfig, '专项')")))
            plan = "\n".join(r[0] for r in s.execute(text("EXPLAIN " + str(stmt.compile(s.get_bind())))))
            assert "ix_knowledge_articles_search" in plan
