"""The knowledge base's store (issue 15, item 5): articles and their life, Chinese full-text search, the desktop's
suggestions by queue and IVR choice, the category tree and corrections (纠错).

Chinese has no spaces between words, so the text is segmented by jieba (its search mode: 个人所得税 gives 个人 所得
所得税 个人所得税, so that a caller's shorter words find it) and stored with spaces between the words
(`search_title`: title and keywords; `search_body`: the body). The database's own full-text index reads those
columns (migration b1c2d3e4f5a7): on SQLite an FTS5 table kept in step by triggers, ranked by bm25; on PostgreSQL a
GIN index over a 'simple' (no stemming, no stop words) tsvector, ranked by ts_rank. Title words weigh more than
body words in both. A query is segmented the same way, its function words dropped (怎么, 如何, 吗 …), and any of
its words finds an article: those with more and rarer words come first.

Agents see published articles within their validity dates (the hotline's own date, given by the caller); editors
see every article.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading

from sqlalchemy import and_, column, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.store.base import utcnow
from engine.store.models.knowledge import (CORRECTION_STATES, SEARCH_TABLE, ArticleState,  # noqa: F401
                                           KnowledgeArticle, KnowledgeCategory, KnowledgeCorrection, KnowledgeTarget)

logger = logging.getLogger(__name__)

# words of the hotlines jieba's dictionary does not hold whole (its search mode still gives their parts)
DOMAIN_WORDS = ("专项附加扣除", "电子税务局", "汇算清缴", "个税", "数电发票", "全电发票", "增值税专用发票",
                "增值税普通发票", "社保费", "城乡居民", "灵活就业", "纳税人识别号", "统一社会信用代码", "一网通办",
                "12366", "12345", "个人所得税APP", "退税", "红字发票", "发票开具", "居民医保", "公积金")
# function words of spoken questions: dropped from queries (never from the index), unless nothing else is left
STOP_WORDS = frozenset("的 了 吗 呢 吧 啊 呀 么 是 在 我 我们 你 您 他 她 它 和 与 及 或 怎么 怎么办 怎样 如何 什么 "
                       "哪里 哪儿 哪些 哪个 为什么 可以 能 能否 是否 要 想 请问 请 一下 有 有没有 没有 这 那 这个 "
                       "那个 个 些 把 被 给 对 从 向 就 都 也 还 又 会 该 应该 需要 办 弄 搞 不了 不能 不会 一直 老是 总是 "
                       "还是 已经 就是 时候 现在".split())
MAX_QUERY_TERMS = 16
MAX_IVR_STEPS = 4           # an IVR choice names at most this many consecutive steps of the path
MAX_PATH_STEPS = 64
TITLE_WEIGHT, BODY_WEIGHT = 4.0, 1.0
_WORD = re.compile(r"[^\W_]+")
_jieba = None
_jieba_lock = threading.Lock()


class KnowledgeError(ValueError):
    """A change the knowledge base refuses; `code` says which (the console words it)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


# ---------------------------------------------------------------------------------------------------- segmentation
def _segmenter():
    """jieba, its dictionary loaded once (about a second, the first time in a process) with the hotlines' words."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in DOMAIN_WORDS:
                    tokenizer.add_word(word)
                _jieba = tokenizer
    return _jieba


def words(text_: str) -> list[str]:
    """The words of a text in jieba's search mode, lower-cased, punctuation dropped, in order (repeats kept)."""
    out = []
    for token in _segmenter().cut_for_search(text_ or ""):
        out.extend(w.lower() for w in _WORD.findall(token))
    return out


def segment(text_: str) -> str:
    """What the full-text index stores: the words separated by spaces."""
    return " ".join(words(text_))


def query_terms(text_: str) -> list[str]:
    """The distinct words of a query, its function words dropped (all of them kept if nothing else is left)."""
    seen = list(dict.fromkeys(words(text_)))
    kept = [w for w in seen if w not in STOP_WORDS] or seen
    return kept[:MAX_QUERY_TERMS]


def index_text(article: KnowledgeArticle) -> None:
    """Segment the article's title with its keywords, and its body, into the columns the index reads."""
    article.search_title = segment(f"{article.title} {article.keywords}")
    article.search_body = segment(article.body)


def rebuild_index(session: Session) -> int:
    """Segment every article again (after a change of the dictionary) and, on SQLite, rebuild the FTS5 index from
    the articles; returns how many articles there are."""
    articles = list(session.scalars(select(KnowledgeArticle)))
    for article in articles:
        index_text(article)
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('rebuild')"))
    return len(articles)


# ---------------------------------------------------------------------------------------------------------- search
def visible(today: dt.date) -> ColumnElement[bool]:
    """What agents see: published, and today within the validity dates (both inclusive; none: no bound)."""
    return and_(KnowledgeArticle.state == ArticleState.PUBLISHED,
                or_(KnowledgeArticle.valid_from.is_(None), KnowledgeArticle.valid_from <= today),
                or_(KnowledgeArticle.valid_until.is_(None), KnowledgeArticle.valid_until >= today))


def is_visible(article: KnowledgeArticle, today: dt.date) -> bool:
    """The same test on a loaded article."""
    return (article.state is ArticleState.PUBLISHED
            and (article.valid_from is None or article.valid_from <= today)
            and (article.valid_until is None or article.valid_until >= today))


@dataclasses.dataclass(frozen=True)
class Hit:
    article: KnowledgeArticle
    score: float                # higher is more relevant (bm25 negated on SQLite, ts_rank on PostgreSQL)


def _pg_vector():
    """The weighted tsvector, written as the migration's index is (so that PostgreSQL searches through it)."""
    simple = literal_column("'simple'::regconfig")
    return func.setweight(func.to_tsvector(simple, KnowledgeArticle.search_title), literal_column("'A'::\"char\"")) \
        .op("||")(func.setweight(func.to_tsvector(simple, KnowledgeArticle.search_body),
                                 literal_column("'B'::\"char\"")))


def search(session: Session, query: str, *, today: dt.date, everything: bool = False,
           category_ids: frozenset[int] | set[int] | None = None, limit: int = 30) -> list[Hit]:
    """Articles matching any word of `query`, most relevant first: only those agents see unless `everything`;
    only those of `category_ids` when given."""
    terms = query_terms(query)
    if not terms:
        return []
    filters = [] if everything else [visible(today)]
    if category_ids is not None:
        filters.append(KnowledgeArticle.category_id.in_(sorted(category_ids)))
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        fts = table(SEARCH_TABLE, column("rowid"))
        match = literal_column(SEARCH_TABLE).op("MATCH")(" OR ".join(f'"{t}"' for t in terms))
        rank = func.bm25(literal_column(SEARCH_TABLE), TITLE_WEIGHT, BODY_WEIGHT)   # negative: lower is better
        stmt = (select(KnowledgeArticle, rank).join(fts, fts.c.rowid == KnowledgeArticle.id)
                .where(match, *filters).order_by(rank, KnowledgeArticle.id).limit(limit))
        return [Hit(article, -float(score)) for article, score in session.execute(stmt)]
    if dialect == "postgresql":
        vector = _pg_vector()
        tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), " | ".join(f"'{t}'" for t in terms))
        rank = func.ts_rank(vector, tsquery)
        stmt = (select(KnowledgeArticle, rank).where(vector.op("@@")(tsquery), *filters)
                .order_by(rank.desc(), KnowledgeArticle.id).limit(limit))
        return [Hit(article, float(score)) for article, score in session.execute(stmt)]
    raise KnowledgeError("dialect", dialect)


def browse(session: Session, *, today: dt.date, everything: bool = False,
           category_ids: frozenset[int] | set[int] | None = None, limit: int = 100) -> list[KnowledgeArticle]:
    """Articles without a query (a category's, or the latest changed), by title."""
    stmt = select(KnowledgeArticle)
    if not everything:
        stmt = stmt.where(visible(today))
    if category_ids is not None:
        stmt = stmt.where(KnowledgeArticle.category_id.in_(sorted(category_ids)))
        stmt = stmt.order_by(KnowledgeArticle.title, KnowledgeArticle.id)
    else:
        stmt = stmt.order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
    return list(session.scalars(stmt.limit(limit)))


# ----------------------------------------------------------------------------------------------------- suggestions
def path_steps(ivr_path: str | None) -> list[str]:
    """The steps of a call's IVR path ("welcome > menu > key:2 > to_etax > queue:etax | taxpayer_id=…")."""
    path = (ivr_path or "").partition(" | ")[0]
    return [step.strip() for step in path.split(">") if step.strip()][:MAX_PATH_STEPS]


def normalise_ivr_choice(choice: str) -> str:
    """An IVR choice as stored: `[flow/]step[>step…]` without spaces ("tax_main / menu > key:2" →
    "tax_main/menu>key:2"); KnowledgeError("ivr_choice") when it is empty or names too many steps."""
    flow, slash, rest = choice.strip().partition("/")
    if not slash:
        flow, rest = "", flow
    steps = [s.strip() for s in rest.split(">")]
    if not steps or any(not s for s in steps) or len(steps) > MAX_IVR_STEPS or (slash and not flow.strip()):
        raise KnowledgeError("ivr_choice", choice)
    value = (f"{flow.strip()}/" if flow.strip() else "") + ">".join(steps)
    if len(value) > 128:
        raise KnowledgeError("ivr_choice", choice)
    return value


def ivr_keys(ivr_path: str | None, flow: str | None = None) -> set[str]:
    """Every IVR choice a call's path satisfies: each run of up to MAX_IVR_STEPS consecutive steps, alone and
    prefixed by the call's flow."""
    steps = path_steps(ivr_path)
    keys = set()
    for n in range(1, MAX_IVR_STEPS + 1):
        for i in range(len(steps) - n + 1):
            run = ">".join(steps[i:i + n])
            keys.add(run)
            if flow:
                keys.add(f"{flow}/{run}")
    return keys


def suggestions(session: Session, *, today: dt.date, queue_code: str | None = None, ivr_path: str | None = None,
                flow: str | None = None, limit: int = 8) -> list[KnowledgeArticle]:
    """The articles agents see that are meant for this call: for an IVR choice it made (the more steps the choice
    names, and naming the call's flow, the better it fits) before those meant for its queue only; then by title."""
    conditions = []
    if queue_code:
        conditions.append(and_(KnowledgeTarget.kind == "queue", KnowledgeTarget.value == queue_code))
    keys = ivr_keys(ivr_path, flow)
    if keys:
        conditions.append(and_(KnowledgeTarget.kind == "ivr", KnowledgeTarget.value.in_(sorted(keys))))
    if not conditions:
        return []
    scores: dict[int, int] = {}
    for article_id, kind, value in session.execute(select(KnowledgeTarget.article_id, KnowledgeTarget.kind,
                                                          KnowledgeTarget.value).where(or_(*conditions))):
        weight = 1 if kind == "queue" else 10 * (1 + value.count(">") + (1 if "/" in value else 0))
        scores[article_id] = scores.get(article_id, 0) + weight
    if not scores:
        return []
    articles = session.scalars(select(KnowledgeArticle).where(KnowledgeArticle.id.in_(sorted(scores)),
                                                              visible(today)))
    return sorted(articles, key=lambda a: (-scores[a.id], a.title, a.id))[:limit]


# -------------------------------------------------------------------------------------------------------- articles
@dataclasses.dataclass
class ArticleFields:
    """What an editor writes."""

    title: str
    body: str
    keywords: str = ""
    category_id: int | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    queue_codes: list[str] = dataclasses.field(default_factory=list)
    ivr_choices: list[str] = dataclasses.field(default_factory=list)


def save_article(session: Session, article: KnowledgeArticle | None, fields: ArticleFields, actor: str,
                 now: dt.datetime | None = None) -> KnowledgeArticle:
    """Create (a draft) or change an article, its targets and its index text; a change of its text is a new
    version. KnowledgeError("dates") when it would end before it starts, ("category") for an unknown category."""
    now = now or utcnow()
    if fields.valid_from and fields.valid_until and fields.valid_until < fields.valid_from:
        raise KnowledgeError("dates")
    if fields.category_id is not None and session.get(KnowledgeCategory, fields.category_id) is None:
        raise KnowledgeError("category", str(fields.category_id))
    ivr = list(dict.fromkeys(normalise_ivr_choice(c) for c in fields.ivr_choices if c.strip()))
    queues = list(dict.fromkeys(q.strip() for q in fields.queue_codes if q.strip()))
    title, body, keywords = fields.title.strip(), fields.body.strip(), " ".join(fields.keywords.split())
    if article is None:
        article = KnowledgeArticle(state=ArticleState.DRAFT, version=1, created_by=actor, created_at=now)
        session.add(article)
    elif (article.title, article.body, article.keywords) != (title, body, keywords):
        article.version += 1
    article.title, article.body, article.keywords = title, body, keywords
    article.category_id, article.valid_from, article.valid_until = fields.category_id, fields.valid_from, \
        fields.valid_until
    article.updated_at, article.updated_by = now, actor
    index_text(article)
    wanted = {("queue", q) for q in queues} | {("ivr", c) for c in ivr}
    for target in list(article.targets):
        if (target.kind, target.value) not in wanted:
            article.targets.remove(target)
    have = {(t.kind, t.value) for t in article.targets}
    for kind, value in [("queue", q) for q in queues] + [("ivr", c) for c in ivr]:
        if (kind, value) not in have:
            article.targets.append(KnowledgeTarget(kind=kind, value=value))
    session.flush()
    return article


def publish(article: KnowledgeArticle, actor: str, now: dt.datetime | None = None) -> None:
    """Show a draft or a retired article to agents (KnowledgeError("state") when it already is)."""
    if article.state is ArticleState.PUBLISHED:
        raise KnowledgeError("state", article.state.value)
    article.state, article.published_at, article.published_by = ArticleState.PUBLISHED, now or utcnow(), actor


def retire(article: KnowledgeArticle, actor: str, now: dt.datetime | None = None) -> None:
    """Take a published article down (下架): agents no longer find it (KnowledgeError("state") otherwise)."""
    if article.state is not ArticleState.PUBLISHED:
        raise KnowledgeError("state", article.state.value)
    article.state, article.retired_at, article.retired_by = ArticleState.RETIRED, now or utcnow(), actor


def queue_codes(article: KnowledgeArticle) -> list[str]:
    return [t.value for t in article.targets if t.kind == "queue"]


def ivr_choices(article: KnowledgeArticle) -> list[str]:
    return [t.value for t in article.targets if t.kind == "ivr"]


# --------------------------------------------------------------------------------------------------- category tree
@dataclasses.dataclass(frozen=True)
class TreeRow:
    category: KnowledgeCategory
    depth: int
    path: str                   # 税费政策 › 个人所得税


def category_tree(session: Session) -> list[TreeRow]:
    """Every category, depth first, siblings by position then name."""
    rows = list(session.scalars(select(KnowledgeCategory).order_by(KnowledgeCategory.position,
                                                                    KnowledgeCategory.name, KnowledgeCategory.id)))
    children: dict[int | None, list[KnowledgeCategory]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out: list[TreeRow] = []

    def walk(parent: int | None, depth: int, prefix: str) -> None:
        for row in children.get(parent, ()):
            path = f"{prefix} › {row.name}" if prefix else row.name
            out.append(TreeRow(row, depth, path))
            walk(row.id, depth + 1, path)

    walk(None, 0, "")
    return out


def subtree_ids(session: Session, category_id: int) -> frozenset[int]:
    """A category and every category under it."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in session.execute(select(KnowledgeCategory.id, KnowledgeCategory.parent_id)):
        children.setdefault(parent, []).append(cid)
    out, todo = set(), [category_id]
    while todo:
        cid = todo.pop()
        if cid not in out:
            out.add(cid)
            todo.extend(children.get(cid, ()))
    return frozenset(out)


def save_category(session: Session, category: KnowledgeCategory | None, *, name: str, parent_id: int | None,
                  position: int = 0) -> KnowledgeCategory:
    """Create or change a category; KnowledgeError("cycle") when it would sit under itself, ("parent") when the
    parent does not exist."""
    if parent_id is not None:
        if session.get(KnowledgeCategory, parent_id) is None:
            raise KnowledgeError("parent", str(parent_id))
        if category is not None and category.id is not None and parent_id in subtree_ids(session, category.id):
            raise KnowledgeError("cycle", str(parent_id))
    if category is None:
        category = KnowledgeCategory()
        session.add(category)
    category.name, category.parent_id, category.position = name.strip(), parent_id, position
    session.flush()
    return category


def delete_category(session: Session, category: KnowledgeCategory) -> None:
    """Delete an empty category; KnowledgeError("not_empty") while it has categories or articles under it."""
    has_children = session.scalar(select(func.count()).select_from(KnowledgeCategory)
                                  .where(KnowledgeCategory.parent_id == category.id))
    has_articles = session.scalar(select(func.count()).select_from(KnowledgeArticle)
                                  .where(KnowledgeArticle.category_id == category.id))
    if has_children or has_articles:
        raise KnowledgeError("not_empty", category.name)
    session.delete(category)
    session.flush()


# ----------------------------------------------------------------------------------------------------- corrections
def flag(session: Session, article: KnowledgeArticle, *, problem: str, username: str, user_id: int | None = None,
         agent_id: int | None = None, call_uuid: str | None = None,
         now: dt.datetime | None = None) -> KnowledgeCorrection:
    """An agent says the answer is wrong (纠错), on the version they read, during a call maybe."""
    correction = KnowledgeCorrection(article=article, article_version=article.version, problem=problem.strip(),
                                     flagged_by=username, flagged_by_id=user_id, agent_id=agent_id,
                                     call_uuid=call_uuid or None, state="open", created_at=now or utcnow())
    session.add(correction)
    session.flush()
    return correction


def resolve(correction: KnowledgeCorrection, *, fixed: bool, answer: str, actor: str,
            now: dt.datetime | None = None) -> None:
    """An editor closes a correction: fixed (the article was changed) or rejected, with an answer to the agent.
    KnowledgeError("state") when it was closed already."""
    if correction.state != "open":
        raise KnowledgeError("state", correction.state)
    correction.state = "fixed" if fixed else "rejected"
    correction.answer, correction.handled_by, correction.handled_at = answer.strip(), actor, now or utcnow()
