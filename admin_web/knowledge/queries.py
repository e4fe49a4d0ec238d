"""Reads for the knowledge base's pages: the hotline's date, snippets with the words found, the JSON of an article,
and corrections as far as the user's halls reach (who flagged them is a hall's person)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from markupsafe import Markup, escape
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from admin_web.scope import current_halls
from engine.store import knowledge as kb
from engine.store.models import Agent, KnowledgeArticle, KnowledgeCorrection, User

SNIPPET = 120


def today() -> dt.date:
    """Today on the hotline's wall clock (validity dates are the hotline's)."""
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def display_state(article: KnowledgeArticle, day: dt.date) -> str:
    """draft, published, retired, or expired: published but outside its validity dates."""
    if article.state is kb.ArticleState.PUBLISHED and not kb.is_visible(article, day):
        return "expired"
    return article.state.value


def _marked(text: str, terms: list[str]) -> Markup:
    """The text escaped, with each word of the query marked."""
    lowered, out, i = text.lower(), [], 0
    while i < len(text):
        found = max((t for t in terms if t and lowered.startswith(t, i)), key=len, default="")
        if found:
            out.append(Markup("<mark>%s</mark>") % text[i:i + len(found)])
            i += len(found)
        else:
            out.append(escape(text[i]))
            i += 1
    return Markup("").join(out)


def snippet(article: KnowledgeArticle, terms: list[str], marked: bool = True):
    """Some of the body around the first word found (its start when none is), marked or as plain text."""
    body = " ".join(article.body.split())
    lowered = body.lower()
    hits = [lowered.find(t) for t in terms if t and lowered.find(t) >= 0]
    start = max(0, min(hits) - SNIPPET // 3) if hits else 0
    part = body[start:start + SNIPPET]
    prefix, suffix = ("…" if start else ""), ("…" if start + SNIPPET < len(body) else "")
    if not marked:
        return prefix + part + suffix
    return Markup("").join([escape(prefix), _marked(part, terms), escape(suffix)])


def title_marked(article: KnowledgeArticle, terms: list[str]) -> Markup:
    return _marked(article.title, terms)


def category_paths(session: Session) -> dict[int, str]:
    return {row.category.id: row.path for row in kb.category_tree(session)}


def article_json(article: KnowledgeArticle, paths: dict[int, str], terms: list[str] | None = None,
                 score: float | None = None) -> dict:
    """An article as the desktop shows it: a link, where it sits, a snippet, the address to flag it."""
    return {"id": article.id, "title": article.title,
            "category": paths.get(article.category_id) if article.category_id else None,
            "snippet": snippet(article, terms or [], marked=False), "version": article.version,
            "url": url_for("knowledge.article", article_id=article.id),
            "flag_url": url_for("knowledge.flag", article_id=article.id),
            **({"score": round(score, 6)} if score is not None else {})}


def corrections_in_scope(stmt: Select) -> Select:
    """Corrections flagged by people of the user's halls (every correction for the centre's users): by the
    account's hall, or the agent's for an agent's account without one."""
    halls = current_halls()
    if halls is None:
        return stmt
    ids = sorted(halls)
    users = select(User.id).where(User.hall_id.in_(ids)).scalar_subquery()
    agents = select(Agent.id).where(Agent.hall_id.in_(ids)).scalar_subquery()
    return stmt.where(or_(KnowledgeCorrection.flagged_by_id.in_(users), KnowledgeCorrection.agent_id.in_(agents)))


def corrections(session: Session, *, state: str | None = None, article_id: int | None = None,
                limit: int = 200) -> list[KnowledgeCorrection]:
    stmt = select(KnowledgeCorrection)
    if state:
        stmt = stmt.where(KnowledgeCorrection.state == state)
    if article_id is not None:
        stmt = stmt.where(KnowledgeCorrection.article_id == article_id)
    stmt = corrections_in_scope(stmt).order_by(KnowledgeCorrection.created_at.desc(), KnowledgeCorrection.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def correction_counts(session: Session) -> dict[str, int]:
    counts = {state: 0 for state in kb.CORRECTION_STATES}
    stmt = corrections_in_scope(select(KnowledgeCorrection.state, func.count()).group_by(KnowledgeCorrection.state))
    counts.update({state: n for state, n in session.execute(stmt)})
    return counts


def correction_in_scope(session: Session, correction_id: int) -> KnowledgeCorrection | None:
    return session.scalar(corrections_in_scope(select(KnowledgeCorrection)
                                               .where(KnowledgeCorrection.id == correction_id)))


def open_counts(session: Session, article_ids: list[int]) -> dict[int, int]:
    """Open corrections per article (of the user's halls)."""
    if not article_ids:
        return {}
    stmt = corrections_in_scope(select(KnowledgeCorrection.article_id, func.count())
                                .where(KnowledgeCorrection.state == "open",
                                       KnowledgeCorrection.article_id.in_(article_ids))
                                .group_by(KnowledgeCorrection.article_id))
    return dict(session.execute(stmt).all())


def my_corrections(session: Session, user_id: int, limit: int = 200) -> list[KnowledgeCorrection]:
    return list(session.scalars(select(KnowledgeCorrection).where(KnowledgeCorrection.flagged_by_id == user_id)
                                .order_by(KnowledgeCorrection.created_at.desc(), KnowledgeCorrection.id.desc())
                                .limit(limit)))


def manage_list(session: Session, *, state: str | None, day: dt.date, limit: int = 500) -> list[KnowledgeArticle]:
    """Every article for the editors, latest changed first; `state` may be "expired"."""
    stmt = select(KnowledgeArticle)
    if state == "expired":
        stmt = stmt.where(KnowledgeArticle.state == kb.ArticleState.PUBLISHED, ~kb.visible(day))
    elif state:
        stmt = stmt.where(KnowledgeArticle.state == kb.ArticleState(state))
    return list(session.scalars(stmt.order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
                                .limit(limit)))
