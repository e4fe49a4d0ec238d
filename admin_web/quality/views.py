"""Quality inspection pages: the inspector's desk, scorecards (versioned), sampling plans and their weekly draw, the
review of a recording (player with the call's timeline, item scores, comments at time marks), the agent's results
and appeal, the second review, the QA report and the agents' monthly assessment.

Who: administrators and supervisors build scorecards and plans; inspectors (质检员), supervisors and administrators
draw samples, score the calls assigned to them and decide appeals on others' reviews; an agent sees their own scored
calls and appeals once. Every list is the user's halls' (admin_web.scope: reviews by the agent's hall, scorecards
and plans by theirs or the centre's)."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from admin_web import audio as audio_files
from admin_web import audit
from admin_web.db import get_session
from admin_web.paging import Page, bounds, page_arg
from admin_web.quality import bp
from admin_web.quality.forms import AppealForm, CommentForm, DecisionForm, DrawForm, PlanForm, ScorecardForm
from admin_web.quality.labels import (DECISION_LABELS, DEFAULT_CATEGORIES, REASON_LABELS, STATE_LABELS, refusal)
from admin_web.quality.services import ItemRows, RowsInvalid, hms, plan_rules, posted_marks, review_page
from admin_web.security import INSPECTORS, MONITORS, STAFF, roles_required
from admin_web.timeutil import as_utc
from admin_web.voicemails.files import FileState, locate
from engine.domain.quality import Decision, QualityError, ReviewState
from engine.domain.states import Role
from engine.reports import periods
from engine.reports.agents import agent_report
from engine.reports.definitions import load_definitions
from engine.store import quality as qa
from engine.store.models import Agent, AgentGroup, Queue, Recording, User, UserRole
from engine.store.models.quality import QaForm, QaFormVersion, QaPlan, QaPlanInspector, QaReview

PER_PAGE = 50
DESK = (*INSPECTORS, Role.AGENT)


def _today() -> dt.date:
    return periods.local(dt.datetime.now(dt.timezone.utc).timestamp()).date()


def _month_arg() -> tuple[int, int, dt.datetime, dt.datetime]:
    """The month asked for (?month=YYYY-MM, else this one) and its bounds, aware UTC."""
    today = _today()
    try:
        year, month = (int(p) for p in request.args.get("month", "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    start, end = periods.month_range(year, month)
    return year, month, dt.datetime.fromtimestamp(start, dt.timezone.utc), dt.datetime.fromtimestamp(end,
                                                                                                        dt.timezone.utc)


def _agent_names(session) -> dict[int, str]:
    return {i: f"{e} {n}" for i, e, n in session.execute(select(Agent.id, Agent.employee_no, Agent.name))}


def _inspector_choices(session) -> list[tuple[int, str]]:
    """Users who may inspect (质检员, supervisors, administrators), of the user's halls."""
    rows = session.execute(select(User.id, User.username, User.display_name).join(UserRole)
                           .where(UserRole.code.in_([r.value for r in INSPECTORS]), User.active.is_(True))
                           .order_by(User.username))
    return [(i, f"{u} {n}".strip()) for i, u, n in rows]


def _users(session) -> dict[int, str]:
    """Users by id, as the console names them (the display name, else the login)."""
    return {i: n or u for i, u, n in session.execute(select(User.id, User.username, User.display_name))}


# --- the desk ---------------------------------------------------------------------------------------------------

@bp.route("/")
@roles_required(*DESK)
def index():
    """An inspector's open reviews (due first) and the appeals they may decide; an agent goes to their results."""
    if current_user.role is Role.AGENT:
        return redirect(url_for("quality.mine"))
    session = get_session()
    mine = list(session.scalars(select(QaReview).where(QaReview.inspector_id == current_user.id,
                                                       QaReview.state == ReviewState.ASSIGNED)
                                .order_by(QaReview.due_at, QaReview.id).limit(200)))
    appeals = list(session.scalars(select(QaReview).where(QaReview.state == ReviewState.APPEALED,
                                                          QaReview.inspector_id != current_user.id)
                                   .order_by(QaReview.id).limit(200)))
    return render_template("quality/index.html", mine=mine, appeals=appeals, agents=_agent_names(session),
                           reasons=REASON_LABELS, now=dt.datetime.now(dt.timezone.utc), as_utc=as_utc)


# --- scorecards -------------------------------------------------------------------------------------------------

@bp.route("/forms")
@roles_required(*INSPECTORS)
def forms():
    session = get_session()
    rows = list(session.scalars(select(QaForm).order_by(QaForm.retired, QaForm.name)))
    used = dict(session.execute(select(QaFormVersion.form_id, func.count(QaReview.id))
                                .join(QaReview, QaReview.version_id == QaFormVersion.id)
                                .group_by(QaFormVersion.form_id)).all())
    return render_template("quality/forms.html", forms=rows, used=used)


def _edit_form(form_row: QaForm | None):
    session = get_session()
    form = ScorecardForm(obj=form_row)
    rows = ItemRows.from_items(form_row.current.items) if form_row and form_row.current else ItemRows([
        {"category": str(c), "label": "", "kind": "scored", "max": "", "weight": "", "guidance": ""}
        for c in DEFAULT_CATEGORIES])
    error = None
    if form.validate_on_submit():
        rows = form.items(request.form)
        try:
            inputs = rows.inputs()
            creating = form_row is None
            if creating:
                form_row = QaForm(name=form.name.data)
                session.add(form_row)
            else:
                form_row.name = form.name.data
            version = qa.save_version(session, form_row, inputs, current_user.id)
            audit.record(session, "qa_form.save", f"qa_form:{form_row.id}",
                         f"version {version.version}, {len(inputs)} items")
            session.commit()
            flash(_("Scorecard %(name)s saved as version %(version)d; reviews scored before keep their own "
                    "version.", name=form_row.name, version=version.version), "success")
            return redirect(url_for("quality.form_view", form_id=form_row.id))
        except RowsInvalid as exc:
            session.rollback()
            error = _("Item %(item)s: points and weight must be numbers.", item=str(exc))
        except QualityError as exc:
            session.rollback()
            error = refusal(exc)
    return render_template("quality/form_edit.html", form=form, scorecard=form_row, rows=rows.rows, error=error,
                           categories=[str(c) for c in DEFAULT_CATEGORIES])


@bp.route("/forms/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def form_new():
    return _edit_form(None)


@bp.route("/forms/<int:form_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def form_edit(form_id: int):
    return _edit_form(get_session().get(QaForm, form_id) or abort(404))


@bp.route("/forms/<int:form_id>")
@roles_required(*INSPECTORS)
def form_view(form_id: int):
    """The form's current items and every earlier version."""
    session = get_session()
    form_row = session.get(QaForm, form_id) or abort(404)
    version_no = request.args.get("version", type=int)
    shown = next((v for v in form_row.versions if v.version == version_no), form_row.current)
    return render_template("quality/form_view.html", scorecard=form_row, shown=shown, users=_users(session))


@bp.route("/forms/<int:form_id>/retire", methods=["POST"])
@roles_required(*STAFF)
def form_retire(form_id: int):
    """Retire a form (no new sample uses it; its reviews keep it) or bring it back."""
    session = get_session()
    form_row = session.get(QaForm, form_id) or abort(404)
    form_row.retired = not form_row.retired
    audit.record(session, "qa_form.retire" if form_row.retired else "qa_form.restore", f"qa_form:{form_row.id}")
    session.commit()
    flash(_("Scorecard %(name)s retired.", name=form_row.name) if form_row.retired
          else _("Scorecard %(name)s in use again.", name=form_row.name), "success")
    return redirect(url_for("quality.forms"))


# --- plans ------------------------------------------------------------------------------------------------------

@bp.route("/plans")
@roles_required(*INSPECTORS)
def plans():
    session = get_session()
    rows = list(session.scalars(select(QaPlan).order_by(QaPlan.active.desc(), QaPlan.name)))
    return render_template("quality/plans.html", plans=rows, users=_users(session), draw=DrawForm(), plan_rules=plan_rules,
                           queues=dict(session.execute(select(Queue.code, Queue.name)).all()),
                           groups=dict(session.execute(select(AgentGroup.id, AgentGroup.name)).all()))


def _edit_plan(plan: QaPlan | None):
    session = get_session()
    form_choices = [(f.id, f.name) for f in session.scalars(select(QaForm).where(QaForm.retired.is_(False))
                                                            .order_by(QaForm.name)) if f.current is not None]
    queues = [(q.code, q.name) for q in session.scalars(select(Queue).order_by(Queue.name))]
    groups = [(g.id, g.name) for g in session.scalars(select(AgentGroup).order_by(AgentGroup.name))]
    form = PlanForm(form_choices, queues, groups, _inspector_choices(session), obj=plan)
    if request.method == "GET" and plan is not None:
        form.inspectors.data = [i.user_id for i in plan.inspectors]
        form.queue_code.data = plan.queue_code or ""
        form.group_id.data = plan.group_id or 0
    if not form_choices:
        flash(_("Build a scorecard first: a plan scores its calls on one."), "error")
    if form.validate_on_submit():
        if plan is None:
            plan = QaPlan(name=form.name.data, form_id=form.form_id.data)
            session.add(plan)
        for field in ("name", "form_id", "per_agent", "due_days", "complaint", "unsatisfied", "long_call_s",
                      "short_call_s", "long_hold_s", "transfer", "rule_cap", "active"):
            setattr(plan, field, getattr(form, field).data)
        plan.queue_code = form.queue_code.data or None
        plan.group_id = form.group_id.data or None
        plan.inspectors = [QaPlanInspector(user_id=u) for u in form.inspectors.data]
        session.flush()
        audit.record(session, "qa_plan.save", f"qa_plan:{plan.id}", plan.name)
        session.commit()
        flash(_("Sampling plan %(name)s saved.", name=plan.name), "success")
        return redirect(url_for("quality.plans"))
    return render_template("quality/plan_edit.html", form=form, plan=plan)


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def plan_new():
    return _edit_plan(None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def plan_edit(plan_id: int):
    return _edit_plan(get_session().get(QaPlan, plan_id) or abort(404))


@bp.route("/plans/<int:plan_id>/draw", methods=["POST"])
@roles_required(*INSPECTORS)
def plan_draw(plan_id: int):
    """Draw the plan's sample of a week (again: only what it lacks) and assign it to the plan's inspectors."""
    session = get_session()
    plan = session.get(QaPlan, plan_id) or abort(404)
    form = DrawForm()
    if not form.validate_on_submit():
        flash(_("Choose a day of the week to draw."), "error")
        return redirect(url_for("quality.plans"))
    try:
        result = qa.draw_week(session, plan, form.week.data, load_definitions(session))
    except QualityError as exc:
        session.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("quality.plans"))
    week = qa.week_start(form.week.data)
    audit.record(session, "qa_plan.draw", f"qa_plan:{plan.id}", f"week {week}: {result.added} calls")
    session.commit()
    reasons = "、".join(f"{REASON_LABELS[r]} {n}" for r, n in sorted(result.by_reason.items(), key=lambda x: x[0].value))
    flash(_("Week of %(week)s: %(num)d calls drawn for inspection (%(reasons)s).", week=week.isoformat(),
            num=result.added, reasons=reasons or _("nothing new")), "success")
    if result.short:
        names = _agent_names(session)
        flash(_("Fewer recordings than the plan asks for: %(agents)s.", agents="、".join(
            _("%(agent)s (%(num)d missing)", agent=names.get(a, str(a)), num=n)
            for a, n in sorted(result.short.items()))), "warning")
    return redirect(url_for("quality.reviews", week=week.isoformat(), plan=plan.id))


# --- reviews ----------------------------------------------------------------------------------------------------

@bp.route("/reviews")
@roles_required(*INSPECTORS)
def reviews():
    """Every review of the user's halls, filtered by state, inspector, week, plan and agent."""
    session = get_session()
    q = select(QaReview)
    state = request.args.get("state", "")
    if state in {s.value for s in ReviewState}:
        q = q.where(QaReview.state == ReviewState(state))
    if request.args.get("mine"):
        q = q.where(QaReview.inspector_id == current_user.id)
    try:
        week = dt.date.fromisoformat(request.args.get("week", ""))
        q = q.where(QaReview.week == qa.week_start(week))
    except ValueError:
        week = None
    plan_id = request.args.get("plan", type=int)
    if plan_id:
        q = q.where(QaReview.plan_id == plan_id)
    agent_id = request.args.get("agent", type=int)
    if agent_id:
        q = q.where(QaReview.agent_id == agent_id)
    q = q.where(QaReview.agent_id.in_(select(Agent.id)))          # the user's halls' agents
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    page, pages = bounds(page_arg(), total, PER_PAGE)
    rows = list(session.scalars(q.order_by(QaReview.week.desc(), QaReview.agent_id, QaReview.id)
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return render_template("quality/reviews.html", page=Page(rows, page, pages, total),
                           agents=_agent_names(session), users=_users(session), reasons=REASON_LABELS,
                           states=STATE_LABELS, state=state, week=week, now=dt.datetime.now(dt.timezone.utc),
                           as_utc=as_utc, filters={k: v for k, v in request.args.items() if k != "page"})


def _back(review_id: int, anchor: str = ""):
    return redirect(url_for("quality.review", review_id=review_id) + anchor)


def _refused(session, exc: QualityError, review_id: int):
    """Nothing of a refused change is kept; the review's page says why, in words."""
    session.rollback()
    flash(refusal(exc), "error")
    return _back(review_id)


def _review(review_id: int) -> QaReview:
    """The review, if the user may see it: an agent only their own, once scored."""
    session = get_session()
    review = session.get(QaReview, review_id) or abort(404)
    if current_user.role is Role.AGENT and (review.agent_id != current_user.agent_id
                                            or review.state is ReviewState.ASSIGNED):
        abort(404)
    if session.get(Agent, review.agent_id) is None:           # another hall's agent
        abort(404)
    return review


@bp.route("/reviews/<int:review_id>")
@roles_required(*DESK)
def review(review_id: int):
    session = get_session()
    row = _review(review_id)
    page = review_page(session, row) or abort(404)
    inspector = current_user.role is not Role.AGENT
    may_score = (inspector and row.state in (ReviewState.ASSIGNED, ReviewState.SCORED)
                 and row.inspector_id in (None, current_user.id))
    may_decide = inspector and row.state is ReviewState.APPEALED and row.inspector_id != current_user.id
    scored_at = as_utc(row.scored_at) if row.scored_at else None
    may_appeal = (current_user.role is Role.AGENT and row.state is ReviewState.SCORED and row.appeal is None
                  and scored_at is not None and dt.datetime.now(dt.timezone.utc) <= scored_at + qa.APPEAL_WINDOW)
    return render_template("quality/review.html", page=page, r=row, may_score=may_score, may_decide=may_decide,
                           may_appeal=may_appeal, may_comment=inspector and row.state is not ReviewState.DECIDED,
                           comment_form=CommentForm(), appeal_form=AppealForm(), decision_form=DecisionForm(),
                           reasons=REASON_LABELS, states=STATE_LABELS, decisions=DECISION_LABELS, hms=hms,
                           playable=locate(page.recording.path)[0] is FileState.OK,
                           appeal_deadline=(scored_at + qa.APPEAL_WINDOW) if scored_at else None)


@bp.route("/reviews/<int:review_id>/audio")
@roles_required(*DESK)
def review_audio(review_id: int):
    """The reviewed call's recording for the page's player: the inspectors', and the agent's own once scored
    (the agent hears what was scored before appealing)."""
    row = _review(review_id)
    recording = get_session().get(Recording, row.recording_id) or abort(404)
    state, path = locate(recording.path)
    if state is not FileState.OK:
        abort(404)
    return audio_files.serve(path)


@bp.route("/reviews/<int:review_id>/score", methods=["POST"])
@roles_required(*INSPECTORS)
def review_score(review_id: int):
    session = get_session()
    row = _review(review_id)
    points, violated = posted_marks(row, request.form)
    try:
        card = qa.score(session, row, points, violated, request.form.get("summary", ""), current_user.id)
    except QualityError as exc:
        return _refused(session, exc, review_id)
    audit.record(session, "qa_review.score", f"qa_review:{row.id}", f"{card.score:g}")
    session.commit()
    flash(_("Scored %(score)s points; the agent sees the result and may appeal within 7 days.",
            score=f"{card.score:g}") if not card.fatal else
          _("A fatal item was violated: the call scores 0; the agent sees the result and may appeal within 7 days."),
          "success")
    return _back(review_id)


@bp.route("/reviews/<int:review_id>/comments", methods=["POST"])
@roles_required(*INSPECTORS)
def review_comment(review_id: int):
    session = get_session()
    row = _review(review_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Write the comment first."), "error")
        return _back(review_id)
    try:
        qa.comment(session, row, form.at_ms.data, form.text.data, current_user.id)
    except QualityError as exc:
        return _refused(session, exc, review_id)
    session.commit()
    flash(_("Comment added at %(mark)s.", mark=hms(form.at_ms.data / 1000)), "success")
    return _back(review_id, "#comments")


@bp.route("/reviews/<int:review_id>/appeal", methods=["POST"])
@roles_required(Role.AGENT)
def review_appeal(review_id: int):
    """The agent appeals their score once, saying why."""
    session = get_session()
    row = _review(review_id)
    form = AppealForm()
    if not form.validate_on_submit():
        flash(_("Say why you appeal."), "error")
        return _back(review_id)
    try:
        qa.appeal(session, row, form.reason.data, current_user.id)
    except QualityError as exc:
        return _refused(session, exc, review_id)
    audit.record(session, "qa_review.appeal", f"qa_review:{row.id}")
    session.commit()
    flash(_("Appeal filed: a second reviewer will decide."), "success")
    return _back(review_id)


@bp.route("/reviews/<int:review_id>/decide", methods=["POST"])
@roles_required(*INSPECTORS)
def review_decide(review_id: int):
    """A second reviewer upholds the score or revises it with new item scores."""
    session = get_session()
    row = _review(review_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose a decision and write its reason."), "error")
        return _back(review_id)
    decision = Decision(form.decision.data)
    points, violated = posted_marks(row, request.form) if decision is Decision.REVISED else ({}, set())
    try:
        final = qa.decide(session, row, current_user.id, decision, form.note.data, points, violated)
    except QualityError as exc:
        return _refused(session, exc, review_id)
    audit.record(session, "qa_review.decide", f"qa_review:{row.id}", f"{decision.value} {final:g}")
    session.commit()
    flash(_("Appeal decided: %(decision)s, %(score)s points stand.", decision=DECISION_LABELS[decision],
            score=f"{final:g}"), "success")
    return _back(review_id)


@bp.route("/recordings/<int:recording_id>/inspect", methods=["POST"])
@roles_required(*INSPECTORS)
def inspect_recording(recording_id: int):
    """Put one recording to inspection by hand, on a scorecard, assigned to oneself."""
    session = get_session()
    recording = session.get(Recording, recording_id) or abort(404)
    form_row = session.get(QaForm, request.form.get("form_id", type=int) or 0)
    if form_row is None:
        flash(_("Choose a scorecard."), "error")
        return redirect(url_for("calls.detail", call_uuid=recording.call_uuid))
    try:
        row = qa.add_by_hand(session, recording, form_row, current_user.id)
    except QualityError as exc:
        session.rollback()
        flash(refusal(exc), "error")
        return redirect(url_for("calls.detail", call_uuid=recording.call_uuid))
    audit.record(session, "qa_review.add", f"qa_review:{row.id}", f"recording {recording.id}")
    session.commit()
    return redirect(url_for("quality.review", review_id=row.id))


# --- the agent's results, the report, the monthly assessment -------------------------------------------------------

@bp.route("/mine")
@roles_required(Role.AGENT)
def mine():
    """The agent's scored calls of the month, with their score, comments and appeal."""
    session = get_session()
    year, month, start, end = _month_arg()
    rows = [r for r in qa.finished_reviews(session, start, end) if r.agent_id == current_user.agent_id]
    figures = qa._figures(rows) if rows else None
    return render_template("quality/mine.html", rows=rows, figures=figures, year=year, month=month,
                           reasons=REASON_LABELS, states=STATE_LABELS)


@bp.route("/report")
@roles_required(*MONITORS)
def report():
    """Scores by agent, group, item and week, and how far the inspectors' scoring drifts apart."""
    session = get_session()
    year, month, start, end = _month_arg()
    result = qa.report(session, start, end)
    return render_template("quality/report.html", result=result, year=year, month=month,
                           agents=_agent_names(session), users=_users(session),
                           groups=dict(session.execute(select(AgentGroup.id, AgentGroup.name)).all()))


@bp.route("/assessment")
@roles_required(*MONITORS)
def assessment():
    """The agents' monthly assessment (月度考核): calls answered and satisfaction from the call log beside the
    month's quality score, inspections, fatal errors and appeals."""
    session = get_session()
    year, month, start, end = _month_arg()
    result = qa.report(session, start, end)
    d = load_definitions(session)
    calls = {int(r["key"]): r for r in agent_report(session, int(start.timestamp()), int(end.timestamp()), "range",
                                                     "agent", d)}
    agents = list(session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.employee_no)))
    return render_template("quality/assessment.html", agents=agents, qa=result.by_agent, calls=calls, year=year,
                           month=month)
