"""The knowledge base (知识库), issue 15 item 5: the centre's answers that agents read to callers.

A category tree shared by the centre (税费政策 › 个人所得税 › 专项附加扣除); articles with a validity window, a life
of draft → published → retired (下架) and back, and the queues and IVR choices whose calls they are suggested for
on the agent desktop; corrections (纠错) that agents raise on an answer and an editor fixes or rejects.

Articles are public knowledge: nothing here is sealed. Each article also keeps its title (with its keywords) and
its body segmented into words by jieba (engine.store.knowledge), which the database's own full-text index reads:
an FTS5 table on SQLite, a GIN index over a 'simple' tsvector on PostgreSQL. Those objects exist only in the
migration (b1c2d3e4f5a7) and are named below so that schema comparisons leave them out (migrations/env.py).
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.store.base import Base, created_at, intpk, str_enum, utcnow

SEARCH_TABLE = "knowledge_fts"                      # SQLite: the FTS5 table (and its knowledge_fts_* shadow tables)
SEARCH_INDEX = "ix_knowledge_articles_search"       # PostgreSQL: the GIN index over the weighted tsvector
CORRECTION_STATES = ("open", "fixed", "rejected")


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a reflected table or index is the full-text index (not in the models, created by the migration)."""
    if not name:
        return False
    if type_ == "table":
        return name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")
    return type_ == "index" and name == SEARCH_INDEX


class ArticleState(str, enum.Enum):
    """An article's life: written, shown to agents, taken down (下架); a retired article may be published again."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class KnowledgeCategory(Base):
    """A node of the knowledge base's category tree, shared by the centre."""

    __tablename__ = "knowledge_categories"
    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)
    id: Mapped[intpk]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_categories.id", ondelete="RESTRICT"),
                                                  index=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


class KnowledgeArticle(Base):
    """One answer: title, body, keywords; shown to agents while published and within its validity dates."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_state_category", "state", "category_id"),)
    id: Mapped[intpk]
    category_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_categories.id", ondelete="SET NULL"),
                                                    index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(255), default="")      # editors' words: 个税 专项扣除 子女教育
    state: Mapped[ArticleState] = mapped_column(str_enum(ArticleState, "knowledge_article_state"),
                                                default=ArticleState.DRAFT)
    valid_from: Mapped[dt.date | None]                                  # both inclusive, the hotline's dates
    valid_until: Mapped[dt.date | None]
    version: Mapped[int] = mapped_column(default=1)                     # +1 at each change of the text
    search_title: Mapped[str] = mapped_column(Text, default="")         # title and keywords, segmented
    search_body: Mapped[str] = mapped_column(Text, default="")          # body, segmented
    created_at: Mapped[created_at]
    created_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str] = mapped_column(String(64), default="")
    retired_at: Mapped[dt.datetime | None]
    retired_by: Mapped[str] = mapped_column(String(64), default="")

    category: Mapped[KnowledgeCategory | None] = relationship(lazy="joined")
    targets: Mapped[list["KnowledgeTarget"]] = relationship(back_populates="article", cascade="all, delete-orphan",
                                                            order_by="KnowledgeTarget.id")


class KnowledgeTarget(Base):
    """A queue (its code) or an IVR choice (a node id or steps of the path: `to_etax`, `tax_main/menu>key:2`) whose
    calls the article is suggested for on the agent desktop."""

    __tablename__ = "knowledge_targets"
    __table_args__ = (UniqueConstraint("article_id", "kind", "value"),
                      CheckConstraint("kind IN ('queue', 'ivr')", name="kind_known"),
                      Index("ix_knowledge_targets_kind_value", "kind", "value"))
    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(128))

    article: Mapped[KnowledgeArticle] = relationship(back_populates="targets")


class KnowledgeCorrection(Base):
    """纠错: an agent says an answer is wrong (on a call, maybe); an editor fixes the article or rejects, and answers."""

    __tablename__ = "knowledge_corrections"
    __table_args__ = (CheckConstraint("state IN ('open', 'fixed', 'rejected')", name="state_known"),
                      Index("ix_knowledge_corrections_state_created", "state", "created_at"),
                      Index("ix_knowledge_corrections_flagged_by", "flagged_by_id", "created_at"))
    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    article_version: Mapped[int] = mapped_column(default=1)            # the text the agent read
    flagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    flagged_by: Mapped[str] = mapped_column(String(64))                 # the username, kept if the account goes
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str] = mapped_column(Text, default="")               # the editor's answer to the agent
    handled_by: Mapped[str] = mapped_column(String(64), default="")
    handled_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]

    article: Mapped[KnowledgeArticle] = relationship(lazy="joined")
