"""Knowledge base pages.

Everyone who handles calls (agents, supervisors, administrators) searches and reads the answers agents may give:
published and within their validity dates. Editors (administrators and supervisors) also see drafts, retired and
expired articles, and, when they are the centre's (no hall: the knowledge base is the centre's shared
configuration), write, publish and retire them, keep the category tree and handle corrections (纠错). Anyone who
reads an answer may flag it, from the article page or from the desktop (JSON), with the call it was read on."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from admin_web import audit
from admin_web.db import get_session
from admin_web.knowledge import bp, queries
from admin_web.scope import current_halls
from admin_web.knowledge.forms import (CALL_UUID, CORRECTION_LABELS, NONE, STATE_LABELS, ArticleForm, ButtonForm,
                                       CategoryForm, CorrectionFilterForm, FlagForm, ManageFilterForm, ResolveForm,
                                       SearchForm, split_lines)
from admin_web.security import STAFF, roles_required
from engine.domain.states import Role
from engine.store import knowledge as kb
from engine.store.models import (Agent, CallEvent, CallRecord, KnowledgeArticle, KnowledgeCategory,
                                 KnowledgeCorrection, Queue)

HANDLERS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)       # who handles calls
EDITORS = STAFF


def _editor() -> bool:
    return current_user.role in EDITORS


def _can_edit() -> bool:
    """The centre's editors change the knowledge base; a hall's editors read it as the agents do, drafts too."""
    return _editor() and current_user.hall_id is None


def _category_error(code: str) -> str:
    words = {"cycle": _("A category cannot sit under itself or under one of its own categories."),
             "parent": _("That parent category does not exist."),
             "not_empty": _("Only an empty category can be deleted: move its categories and articles first.")}
    return words.get(code, code)


def _readable(article_id: int) -> KnowledgeArticle:
    """The article if this user may read it (agents: published and valid today), else 404."""
    article = get_session().get(KnowledgeArticle, article_id)
    if article is None or not (_editor() or kb.is_visible(article, queries.today())):
        abort(404)
    return article


def _known_call(value: str | None) -> str | None:
    """The call a correction is about, if this user may see it: their agent's current call, or a call the
    console shows them (its record, or its events while it is in progress); None otherwise."""
    value = (value or "").strip()
    if not CALL_UUID.match(value):
        return None
    session = get_session()
    if current_user.agent_id is not None:
        agent = session.get(Agent, current_user.agent_id)
        if agent is not None and agent.current_call_uuid == value:
            return value
    if session.scalar(select(CallRecord.id).where(CallRecord.call_uuid == value).limit(1)) is not None:
        return value
    if session.scalar(select(CallEvent.id).where(CallEvent.call_uuid == value).limit(1)) is not None:
        return value
    return None


def _common() -> dict:
    return {"state_labels": STATE_LABELS, "correction_labels": CORRECTION_LABELS, "can_edit": _can_edit(),
            "is_editor": _editor(), "today": queries.today(), "display_state": queries.display_state}


# ---------------------------------------------------------------------------------------------- search and read
@bp.route("/")
@roles_required(*HANDLERS, scope="centre")
def index():
    """The search box, the category tree, and the articles found (or a category's, or the latest changed)."""
    session = get_session()
    form = SearchForm(request.args)
    valid = form.validate()
    query = (form.q.data or "") if valid else ""
    day, everything = queries.today(), _editor()
    tree = kb.category_tree(session)
    known = {row.category.id: row for row in tree}
    category_id = form.category.data if valid and form.category.data in known else None
    scope_ids = kb.subtree_ids(session, category_id) if category_id else None
    terms = kb.query_terms(query) if query else []
    if query:
        results = [(hit.article, hit.score) for hit in kb.search(session, query, today=day, everything=everything,
                                                                 category_ids=scope_ids)]
    else:
        results = [(a, None) for a in kb.browse(session, today=day, everything=everything, category_ids=scope_ids,
                                                limit=100 if category_id else 20)]
    count_stmt = select(KnowledgeArticle.category_id, func.count()).group_by(KnowledgeArticle.category_id)
    if not everything:
        count_stmt = count_stmt.where(kb.visible(day))
    counts = dict(session.execute(count_stmt).all())
    open_corrections = queries.correction_counts(session)["open"] if everything else 0
    return render_template("knowledge/index.html", form=form, query=query, terms=terms, results=results, tree=tree,
                           category=known.get(category_id), counts=counts, open_corrections=open_corrections,
                           paths={cid: row.path for cid, row in known.items()}, snippet=queries.snippet,
                           title_marked=queries.title_marked, **_common())


@bp.route("/search.json")
@roles_required(*HANDLERS, scope="centre")
def search_json():
    """The same search for the desktop: {"query", "terms", "articles": [{id, title, category, snippet, url,
    flag_url, score}]}."""
    session = get_session()
    query = (request.args.get("q") or "").strip()[:200]
    hits = kb.search(session, query, today=queries.today(), everything=_editor(), limit=20) if query else []
    terms = kb.query_terms(query) if query else []
    paths = queries.category_paths(session)
    return jsonify(query=query, terms=terms,
                   articles=[queries.article_json(h.article, paths, terms, h.score) for h in hits])


@bp.route("/suggestions.json")
@roles_required(*HANDLERS, scope="centre")
def suggestions_json():
    """What to read for the call on the desktop: ?queue=<code>&ivr=<the IVR path>&flow=<flow name>; only articles
    agents may read, whoever asks."""
    session = get_session()
    queue = (request.args.get("queue") or "").strip()[:32] or None
    ivr = (request.args.get("ivr") or "")[:2000] or None
    flow = (request.args.get("flow") or "").strip()[:64] or None
    articles = kb.suggestions(session, today=queries.today(), queue_code=queue, ivr_path=ivr, flow=flow)
    paths = queries.category_paths(session)
    return jsonify(queue=queue, articles=[queries.article_json(a, paths) for a in articles])


def _render_article(article: KnowledgeArticle, flag_form: FlagForm, status: int = 200):
    session = get_session()
    paths = queries.category_paths(session)
    corrections = queries.corrections(session, article_id=article.id) if _editor() else []
    queue_names = dict(session.execute(select(Queue.code, Queue.name)).all())     # the user's halls' queues
    codes = [code for code in kb.queue_codes(article) if code in queue_names or current_halls() is None]
    return render_template("knowledge/article.html", article=article, flag_form=flag_form, button=ButtonForm(),
                           path=paths.get(article.category_id) if article.category_id else None,
                           corrections=corrections, queue_names=queue_names, queue_codes=codes,
                           ivr_choices=kb.ivr_choices(article), **_common()), status


@bp.route("/<int:article_id>")
@roles_required(*HANDLERS, scope="centre")
def article(article_id: int):
    """One answer, with the 纠错 form (carrying the call it is read on: ?call=<uuid>)."""
    found = _readable(article_id)
    return _render_article(found, FlagForm(data={"call_uuid": _known_call(request.args.get("call")) or ""}))


# ---------------------------------------------------------------------------------------------------- corrections
@bp.route("/<int:article_id>/corrections", methods=["POST"])
@roles_required(*HANDLERS, scope="own")
def flag(article_id: int):
    """纠错: say what is wrong with an answer (a form, or JSON from the desktop: {"problem", "call_uuid"})."""
    session = get_session()
    found = _readable(article_id)
    form = FlagForm()
    valid = form.validate_on_submit()
    form.call_uuid.data = _known_call(form.call_uuid.data) or ""     # another hall's call is not attached
    if not valid:
        if request.is_json:
            return jsonify(error=_("Say what is wrong."), errors=form.errors), 400
        return _render_article(found, form, 400)
    correction = kb.flag(session, found, problem=form.problem.data, username=current_user.username,
                         user_id=current_user.id, agent_id=current_user.agent_id, call_uuid=form.call_uuid.data or None)
    audit.record(session, "knowledge.flag", f"article:{found.id}",
                 f"correction={correction.id}; version={correction.article_version}; call={correction.call_uuid or ''}")
    session.commit()
    message = _("Thank you: the editors will check this answer. Their reply will be under My corrections.")
    if request.is_json:
        return jsonify(id=correction.id, state=correction.state, message=message), 201
    flash(message, "success")
    return redirect(url_for("knowledge.article", article_id=found.id,
                            **({"call": correction.call_uuid} if correction.call_uuid else {})))


@bp.route("/corrections/mine")
@roles_required(*HANDLERS, scope="own")
def my_corrections():
    """The corrections this user flagged, with the editors' answers."""
    rows = queries.my_corrections(get_session(), current_user.id)
    return render_template("knowledge/my_corrections.html", corrections=rows, **_common())


@bp.route("/corrections")
@roles_required(*EDITORS)
def corrections():
    """Corrections to handle (open first by default), those flagged by the user's halls."""
    session = get_session()
    form = CorrectionFilterForm(request.args)
    state = form.state.data if form.validate() else "open"
    rows = queries.corrections(session, state=state or None)
    return render_template("knowledge/corrections.html", form=form, corrections=rows, state=state,
                           counts=queries.correction_counts(session), **_common())


@bp.route("/corrections/<int:correction_id>")
@roles_required(*EDITORS)
def correction(correction_id: int):
    found = queries.correction_in_scope(get_session(), correction_id) or abort(404)
    return _render_correction(found, ResolveForm())


def _render_correction(found: KnowledgeCorrection, form: ResolveForm, status: int = 200):
    paths = queries.category_paths(get_session())
    return render_template("knowledge/correction.html", correction=found, form=form, article=found.article,
                           path=paths.get(found.article.category_id) if found.article.category_id else None,
                           **_common()), status


@bp.route("/corrections/<int:correction_id>/resolve", methods=["POST"])
@roles_required(*EDITORS, scope="centre")
def resolve(correction_id: int):
    """Close a correction: fixed (after editing the article) or rejected, with an answer to the agent."""
    session = get_session()
    found = queries.correction_in_scope(session, correction_id) or abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        return _render_correction(found, form, 400)
    try:
        kb.resolve(found, fixed=form.decision.data == "fixed", answer=form.answer.data, actor=current_user.username)
    except kb.KnowledgeError:
        flash(_("This correction was already handled."), "info")
        return redirect(url_for("knowledge.correction", correction_id=found.id))
    audit.record(session, f"knowledge.correction_{found.state}", f"article:{found.article_id}",
                 f"correction={found.id}; flagged_by={found.flagged_by}")
    session.commit()
    flash(_("Correction %(id)d marked %(state)s; %(who)s will see your answer.", id=found.id,
            state=CORRECTION_LABELS[found.state], who=found.flagged_by), "success")
    return redirect(url_for("knowledge.corrections"))


# ------------------------------------------------------------------------------------------------------- editing
@bp.route("/manage")
@roles_required(*EDITORS, scope="centre")
def manage():
    """Every article, whatever its state, latest changed first."""
    session = get_session()
    form = ManageFilterForm(request.args)
    state = form.state.data if form.validate() else ""
    day = queries.today()
    rows = queries.manage_list(session, state=state or None, day=day)
    return render_template("knowledge/manage.html", form=form, articles=rows, state=state,
                           paths=queries.category_paths(session),
                           open_counts=queries.open_counts(session, [a.id for a in rows]), button=ButtonForm(),
                           **_common())


def _article_form(session, article: KnowledgeArticle | None, **kwargs) -> ArticleForm:
    categories = [(row.category.id, "\u3000" * row.depth + row.category.name) for row in kb.category_tree(session)]
    queues = [(q.code, f"{q.name} ({q.code})") for q in session.scalars(select(Queue).order_by(Queue.code))]
    known = {code for code, _label in queues}
    if article is not None and current_halls() is None:      # a queue gone since: kept until unticked
        queues += [(code, code) for code in kb.queue_codes(article) if code not in known]
    return ArticleForm(categories, queues, **kwargs)


def _fields(form: ArticleForm) -> kb.ArticleFields:
    return kb.ArticleFields(title=form.title.data, body=form.body.data, keywords=form.keywords.data or "",
                            category_id=form.category_id.data or None, valid_from=form.valid_from.data,
                            valid_until=form.valid_until.data, queue_codes=list(form.queue_codes.data or ()),
                            ivr_choices=split_lines(form.ivr_choices.data))


def _correction_arg(session) -> KnowledgeCorrection | None:
    raw = request.args.get("correction") or ""
    return queries.correction_in_scope(session, int(raw)) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS, scope="centre")
def create():
    session = get_session()
    form = _article_form(session, None)
    if form.validate_on_submit():
        row = kb.save_article(session, None, _fields(form), current_user.username)
        audit.record(session, "knowledge.create", f"article:{row.id}", f"title={row.title}")
        session.commit()
        flash(_("Article saved as a draft: agents see it once it is published."), "success")
        return redirect(url_for("knowledge.article", article_id=row.id))
    return render_template("knowledge/form.html", form=form, article=None, correction=None, **_common()), \
        400 if request.method == "POST" else 200


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS, scope="centre")
def edit(article_id: int):
    """Change an article (a change of its text is a new version); from a correction: back to it after saving."""
    session = get_session()
    found = session.get(KnowledgeArticle, article_id) or abort(404)
    fix = _correction_arg(session)
    if request.method == "POST":
        form = _article_form(session, found)
    else:
        form = _article_form(session, found, data={
            "title": found.title, "body": found.body, "keywords": found.keywords,
            "category_id": found.category_id or NONE, "valid_from": found.valid_from,
            "valid_until": found.valid_until, "queue_codes": kb.queue_codes(found),
            "ivr_choices": "\n".join(kb.ivr_choices(found))})
    if form.validate_on_submit():
        before = found.version
        kb.save_article(session, found, _fields(form), current_user.username)
        audit.record(session, "knowledge.edit", f"article:{found.id}",
                     f"version={before}->{found.version}" + (f"; correction={fix.id}" if fix else ""))
        session.commit()
        flash(_("Article saved (version %(version)d).", version=found.version), "success")
        if fix is not None:
            return redirect(url_for("knowledge.correction", correction_id=fix.id))
        return redirect(url_for("knowledge.article", article_id=found.id))
    return render_template("knowledge/form.html", form=form, article=found, correction=fix, **_common()), \
        400 if request.method == "POST" else 200


def _state_change(article_id: int, change, action: str, done: str, refused: str):
    session = get_session()
    found = session.get(KnowledgeArticle, article_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        change(found, current_user.username)
    except kb.KnowledgeError:
        flash(refused, "info")
    else:
        audit.record(session, action, f"article:{found.id}", f"title={found.title}; version={found.version}")
        session.commit()
        flash(done, "success")
    target = request.args.get("next")
    if target == "manage":
        return redirect(url_for("knowledge.manage"))
    return redirect(url_for("knowledge.article", article_id=found.id))


@bp.route("/<int:article_id>/publish", methods=["POST"])
@roles_required(*EDITORS, scope="centre")
def publish(article_id: int):
    return _state_change(article_id, kb.publish, "knowledge.publish",
                         _("Published: agents find this article while it is within its validity dates."),
                         _("This article is published already."))


@bp.route("/<int:article_id>/retire", methods=["POST"])
@roles_required(*EDITORS, scope="centre")
def retire(article_id: int):
    return _state_change(article_id, kb.retire, "knowledge.retire",
                         _("Retired (下架): agents no longer find this article."),
                         _("Only a published article can be retired."))


# ------------------------------------------------------------------------------------------------- category tree
def _category_choices(session, exclude: frozenset[int] = frozenset()) -> list[tuple[int, str]]:
    return [(row.category.id, "\u3000" * row.depth + row.category.name) for row in kb.category_tree(session)
            if row.category.id not in exclude]


def _render_categories(form: CategoryForm, status: int = 200):
    session = get_session()
    tree = kb.category_tree(session)
    counts = dict(session.execute(select(KnowledgeArticle.category_id, func.count())
                                  .group_by(KnowledgeArticle.category_id)).all())
    choices = {row.category.id: _category_choices(session, kb.subtree_ids(session, row.category.id))
               for row in tree}
    return render_template("knowledge/categories.html", form=form, tree=tree, counts=counts, choices=choices,
                           button=ButtonForm(), **_common()), status


@bp.route("/categories")
@roles_required(*EDITORS, scope="centre")
def categories():
    return _render_categories(CategoryForm(_category_choices(get_session())))


@bp.route("/categories", methods=["POST"])
@roles_required(*EDITORS, scope="centre")
def add_category():
    session = get_session()
    form = CategoryForm(_category_choices(session))
    if not form.validate_on_submit():
        return _render_categories(form, 400)
    try:
        row = kb.save_category(session, None, name=form.name.data, parent_id=form.parent_id.data or None,
                               position=form.position.data or 0)
    except kb.KnowledgeError as exc:
        form.parent_id.errors = [*form.parent_id.errors, _category_error(exc.code)]
        return _render_categories(form, 400)
    audit.record(session, "knowledge.category_create", f"category:{row.id}", f"name={row.name}")
    session.commit()
    flash(_("Category %(name)s added.", name=row.name), "success")
    return redirect(url_for("knowledge.categories"))


@bp.route("/categories/<int:knowledge_category_id>", methods=["POST"])
@roles_required(*EDITORS, scope="centre")
def edit_category(knowledge_category_id: int):
    session = get_session()
    found = session.get(KnowledgeCategory, knowledge_category_id) or abort(404)
    form = CategoryForm(_category_choices(session, kb.subtree_ids(session, found.id)))
    if not form.validate_on_submit():
        flash(_("The category was not changed: %(errors)s", errors="; ".join(
            str(e) for errors in form.errors.values() for e in errors)), "error")
        return redirect(url_for("knowledge.categories"))
    try:
        kb.save_category(session, found, name=form.name.data, parent_id=form.parent_id.data or None,
                         position=form.position.data or 0)
    except kb.KnowledgeError as exc:
        session.rollback()
        flash(_category_error(exc.code), "error")
        return redirect(url_for("knowledge.categories"))
    audit.record(session, "knowledge.category_edit", f"category:{found.id}",
                 f"name={found.name}; parent={found.parent_id or ''}; position={found.position}")
    session.commit()
    flash(_("Category %(name)s saved.", name=found.name), "success")
    return redirect(url_for("knowledge.categories"))


@bp.route("/categories/<int:knowledge_category_id>/delete", methods=["POST"])
@roles_required(*EDITORS, scope="centre")
def delete_category(knowledge_category_id: int):
    session = get_session()
    found = session.get(KnowledgeCategory, knowledge_category_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    name = found.name
    try:
        kb.delete_category(session, found)
    except kb.KnowledgeError as exc:
        session.rollback()
        flash(_category_error(exc.code), "error")
        return redirect(url_for("knowledge.categories"))
    audit.record(session, "knowledge.category_delete", f"category:{knowledge_category_id}", f"name={name}")
    session.commit()
    flash(_("Category %(name)s deleted.", name=name), "success")
    return redirect(url_for("knowledge.categories"))
