"""Quality inspection (质检) in the store on SQLite and PostgreSQL (engine.store.quality), on the demo center: a
scorecard's versions (a review keeps the items it was scored on), a plan's draw of the week of 16 November 2026
(Beijing time) from hand-made recordings, call records, ratings, holds and work orders, the life of a review
(scored → appealed once → decided by a second reviewer), the QA report's figures and the complaint orders'
inspection rate (seed 003: 投诉举报类工单质检率)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.calendar_source import build_calendar
from engine.domain.followup import RequestType
from engine.domain.quality import Decision, QualityError, Reason, ReviewState, score_card
from engine.domain.states import CallOutcome, HangupSide
from engine.reports.definitions import Definitions
from engine.store import orders
from engine.store import quality
from engine.store.models import Agent, CallEvent, CallRecord, Recording, SurveyResult, User
from engine.store.models.quality import QaForm, QaFormVersion, QaItemMark, QaPlan, QaPlanInspector, QaReview
from engine.store.session import transaction

TZ = ZoneInfo("Asia/Shanghai")
WEEK = dt.date(2026, 11, 16)                 # a Monday

ITEMS = [
    quality.ItemInput("服务态度", "礼貌用语", 10, 10), quality.ItemInput("服务态度", "耐心倾听", 15, 15),
    quality.ItemInput("业务能力", "政策解答准确", 30, 30), quality.ItemInput("业务能力", "流程指引清楚", 10, 10),
    quality.ItemInput("技术能力", "系统操作熟练", 10, 10), quality.ItemInput("技术能力", "转接规范", 10, 10),
    quality.ItemInput("记录规范", "工单要素完整", 10, 10), quality.ItemInput("记录规范", "分类准确", 5, 5),
    quality.ItemInput("服务态度", "泄露纳税人信息", fatal=True),
]
GOOD = {"礼貌用语": 8, "耐心倾听": 12, "政策解答准确": 27, "流程指引清楚": 10, "系统操作熟练": 9, "转接规范": 7,
        "工单要素完整": 10, "分类准确": 4}                   # 87 of 100
FULL = {"礼貌用语": 10, "耐心倾听": 15, "政策解答准确": 30, "流程指引清楚": 10, "系统操作熟练": 10, "转接规范": 10,
        "工单要素完整": 10, "分类准确": 5}


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def points(version: QaFormVersion, by_label: dict[str, float]) -> dict[int, float]:
    return {i.id: by_label[i.label] for i in version.items if i.label in by_label}


def fatal_ids(version: QaFormVersion) -> list[int]:
    return [i.id for i in version.items if i.fatal]


def user(s, username: str) -> int:
    return s.scalar(select(User.id).where(User.username == username))


def agent(s, employee_no: str) -> Agent:
    return s.scalar(select(Agent).where(Agent.employee_no == employee_no))


def new_form(s, items=ITEMS) -> QaForm:
    form = QaForm(name="12366 通用评分表")
    s.add(form)
    s.flush()
    quality.save_version(s, form, items, user_id=None)
    return form


def call(s, uuid: str, who: Agent, at: dt.datetime, talk_s: float = 200.0, *, status: str = "complete",
         transfers: int = 0, rating: int | None = None, holds: tuple[float, ...] = ()) -> Recording:
    """An answered call with its recording (the store keeps UTC), its rating and its holds."""
    start = at.astimezone(dt.timezone.utc)
    s.add(CallRecord(call_uuid=uuid, ani="13800138000", dnis="12366", agent_id=who.id,
                     started_at=start - dt.timedelta(seconds=20), answered_at=start,
                     ended_at=start + dt.timedelta(seconds=talk_s), outcome=CallOutcome.ANSWERED,
                     hangup_cause="NORMAL_CLEARING", hangup_side=HangupSide.CALLER, transfers=transfers))
    rec = Recording(path=f"/recordings/{uuid}.wav", call_uuid=uuid, ani="13800138000", dnis="12366",
                    agent_id=who.id, employee_no=who.employee_no, queue_code="tax_policy", started_at=start,
                    duration_s=talk_s, status=status)
    s.add(rec)
    if rating is not None:
        s.add(SurveyResult(call_uuid=uuid, agent_id=who.id, queue_code="tax_policy", rating=rating,
                           rated_at=start + dt.timedelta(seconds=talk_s + 10)))
    for n, held in enumerate(holds):
        s.add(CallEvent(at=start + dt.timedelta(seconds=10 * n), call_uuid=uuid, kind="held", agent_id=who.id))
        s.add(CallEvent(at=start + dt.timedelta(seconds=10 * n + held), call_uuid=uuid, kind="retrieved",
                        agent_id=who.id, duration_s=held))
    s.flush()
    return rec


@pytest.fixture
def ctx():
    return orders.Context(orders.OrderSettings.from_spec({"follow_up": {"sample_percent": 0}}),
                          build_calendar((2025, 2026)), TZ)


def order(s, ctx, uuid: str, kind: RequestType, at: dt.datetime):
    return orders.register(s, ctx, orders.Actor("坐席"), request_type=kind, title="来电工单", call_uuid=uuid, now=at)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored instant as aware UTC (SQLite hands them back naive)."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def refused(code: str, fn, *args, **kwargs) -> None:
    with pytest.raises(QualityError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code


# --- versions ---------------------------------------------------------------------------------------------------

def test_a_review_keeps_the_items_and_score_of_its_version_when_the_form_changes(sessions):
    with transaction(sessions) as s:
        inspector = user(s, "admin")
        form = new_form(s)
        first = call(s, "v-1", agent(s, "A1001"), bj(2026, 11, 17, 10))
        review = quality.add_by_hand(s, first, form, inspector, now=bj(2026, 11, 17, 11))
        v1 = review.version
        card = quality.score(s, review, points(v1, GOOD), [], "政策解答基本准确", inspector, now=bj(2026, 11, 17, 12))
        assert (card.score, review.score, review.first_score, review.state) == (87.0, 87.0, 87.0, ReviewState.SCORED)
        form_id, review_id, v1_items = form.id, review.id, [i.id for i in v1.items]
    with transaction(sessions) as s:
        form = s.get(QaForm, form_id)
        # the centre raises 政策解答准确 to 40 points, drops 分类准确 and adds 首问负责
        changed = [i for i in ITEMS if i.label != "分类准确"]
        changed = [quality.ItemInput(i.category, i.label, 40, 40) if i.label == "政策解答准确" else i for i in changed]
        v2 = quality.save_version(s, form, [*changed, quality.ItemInput("记录规范", "首问负责", 5, 5)], user_id=None)
        assert (v2.version, form.current.version, len(form.versions)) == (2, 2, 2)
        refused("item_max", quality.save_version, s, form, [quality.ItemInput("服务态度", "礼貌用语", 0)], None)
        assert len(form.versions) == 2                         # a refused form makes no version
        second = call(s, "v-2", agent(s, "A1001"), bj(2026, 11, 18, 10))
        assert quality.add_by_hand(s, second, form, user(s, "admin")).version.version == 2
    with transaction(sessions) as s:
        review = s.get(QaReview, review_id)
        assert review.version.version == 1
        assert [i.id for i in review.version.items] == v1_items
        assert [i.label for i in review.version.items] == [i.label for i in ITEMS]
        accuracy = next(i for i in review.version.items if i.label == "政策解答准确")
        assert accuracy.max_points == 30
        assert (review.score, review.first_score) == (87.0, 87.0)
        assert {m.item_id for m in review.marks} == set(v1_items)
        # the old marks still score 87 on the old items
        marks = {m.item_id: m.points for m in review.marks if m.points is not None}
        assert score_card(quality.domain_items(review.version), marks).score == 87.0
        assert s.get(QaForm, form_id).current.items[-1].label == "首问负责"


# --- the week's draw --------------------------------------------------------------------------------------------

def week_of_calls(s, ctx) -> dict[str, int]:
    a, b, c = agent(s, "A1001"), agent(s, "A1002"), agent(s, "A1003")
    recs = {
        # A: three ordinary calls (satisfied, an invalid key, none), a complaint, an unsatisfied rating, a report
        "a1": call(s, "a1", a, bj(2026, 11, 16, 0, 30), rating=6),       # Sunday 16:30 UTC: still this week
        "a2": call(s, "a2", a, bj(2026, 11, 17, 9), rating=0),
        "a3": call(s, "a3", a, bj(2026, 11, 18, 9)),
        "a4": call(s, "a4", a, bj(2026, 11, 19, 9)),
        "a5": call(s, "a5", a, bj(2026, 11, 20, 9), rating=2),           # 不满意
        "a9": call(s, "a9", a, bj(2026, 11, 22, 23)),
        # A: not to be drawn: a recording still going, the week before, the week after
        "a6": call(s, "a6", a, bj(2026, 11, 21, 9), status="recording"),
        "a7": call(s, "a7", a, bj(2026, 11, 15, 23, 30)),
        "a8": call(s, "a8", a, bj(2026, 11, 23, 0, 10)),
        # B: three ordinary calls (one held a minute, one with a consultation order), a long hold, a transfer
        "b1": call(s, "b1", b, bj(2026, 11, 16, 10), holds=(60,)),
        "b2": call(s, "b2", b, bj(2026, 11, 17, 10)),
        "b3": call(s, "b3", b, bj(2026, 11, 18, 10)),
        "b4": call(s, "b4", b, bj(2026, 11, 19, 10), holds=(100, 50)),   # 150 s on hold in all
        "b5": call(s, "b5", b, bj(2026, 11, 20, 10), transfers=1),
        # C: one call only
        "c1": call(s, "c1", c, bj(2026, 11, 18, 11)),
    }
    order(s, ctx, "a4", RequestType.COMPLAINT, bj(2026, 11, 19, 9, 5))
    order(s, ctx, "a9", RequestType.REPORT, bj(2026, 11, 22, 23, 5))
    order(s, ctx, "a6", RequestType.COMPLAINT, bj(2026, 11, 21, 9, 5))
    order(s, ctx, "a7", RequestType.COMPLAINT, bj(2026, 11, 15, 23, 35))
    order(s, ctx, "b2", RequestType.CONSULTATION, bj(2026, 11, 17, 10, 5))
    return {name: rec.id for name, rec in recs.items()}


def new_plan(s, form: QaForm, inspectors: list[int], **rules) -> QaPlan:
    plan = QaPlan(name="每周抽检", form_id=form.id, per_agent=2, due_days=3, unsatisfied=True, complaint=True,
                  transfer=True, long_hold_s=120, inspectors=[QaPlanInspector(user_id=u) for u in inspectors],
                  **rules)
    s.add(plan)
    s.flush()
    return plan


def test_the_week_draw_takes_every_rule_match_two_others_per_agent_and_adds_nothing_the_second_time(sessions, ctx):
    with transaction(sessions) as s:
        ids = week_of_calls(s, ctx)
        name = {v: k for k, v in ids.items()}
        inspectors = [user(s, "admin"), user(s, "supervisor")]
        plan = new_plan(s, new_form(s), inspectors)
        now = bj(2026, 11, 23, 8)
        result = quality.draw_week(s, plan, dt.date(2026, 11, 19), Definitions(), now=now)   # any day of the week
        s.expire_all()                                         # what the database holds
        reviews = s.scalars(select(QaReview).where(QaReview.plan_id == plan.id)).all()
        drawn = {name[r.recording_id]: r.reason for r in reviews}
        assert {k: v for k, v in drawn.items() if v is not Reason.RANDOM} == {
            "a4": Reason.COMPLAINT, "a9": Reason.COMPLAINT, "a5": Reason.UNSATISFIED,
            "b4": Reason.LONG_HOLD, "b5": Reason.TRANSFER}
        randoms = {k for k, v in drawn.items() if v is Reason.RANDOM}
        assert len(randoms & {"a1", "a2", "a3"}) == 2 and len(randoms & {"b1", "b2", "b3"}) == 2
        assert "c1" in randoms
        assert not {"a6", "a7", "a8"} & set(drawn)            # still recording, the week before, the week after
        assert result.added == len(reviews) == 10
        assert result.by_reason == {Reason.COMPLAINT: 2, Reason.UNSATISFIED: 1, Reason.LONG_HOLD: 1,
                                    Reason.TRANSFER: 1, Reason.RANDOM: 5}
        assert result.short == {agent(s, "A1003").id: 1}
        assert all(r.week == WEEK and r.state is ReviewState.ASSIGNED and r.version_id == plan.form.current.id
                   for r in reviews)
        assert all(aware(r.due_at) == now + dt.timedelta(days=3) for r in reviews)
        assert {r.call_uuid for r in reviews} == set(drawn)
        assert sorted(sum(1 for r in reviews if r.inspector_id == i) for i in inspectors) == [5, 5]
        again = quality.draw_week(s, plan, WEEK, Definitions(), now=now)
        assert (again.added, again.by_reason, again.short) == (0, {}, result.short)
        assert s.scalar(select(func.count()).select_from(QaReview)) == 10


def test_the_rules_see_ratings_holds_and_orders_through_the_definitions(sessions, ctx):
    with transaction(sessions) as s:
        ids = week_of_calls(s, ctx)
        plan = new_plan(s, new_form(s), [user(s, "admin")])
        got = {c.recording_id: c for c in quality.candidates(s, plan, WEEK, Definitions())}
        assert set(got) == {ids[k] for k in ("a1", "a2", "a3", "a4", "a5", "a9", "b1", "b2", "b3", "b4", "b5", "c1")}
        assert [k for k in ids if ids[k] in got and got[ids[k]].unsatisfied] == ["a5"]
        assert [k for k in ids if ids[k] in got and got[ids[k]].complaint] == ["a4", "a9"]
        assert (got[ids["b4"]].hold_s, got[ids["b1"]].hold_s, got[ids["b2"]].hold_s) == (150.0, 60.0, 0.0)
        assert [k for k in ids if ids[k] in got and got[ids[k]].transferred] == ["b5"]
        assert got[ids["a1"]].talk_s == 200.0
        # a centre that does not count 基本满意 (6) as satisfied sees a1 unsatisfied too
        strict = {c.recording_id: c for c in quality.candidates(s, plan, WEEK, Definitions(satisfied_ratings=(4, 5)))}
        assert {k for k in ids if ids[k] in strict and strict[ids[k]].unsatisfied} == {"a1", "a5"}


def test_a_plan_needs_a_usable_form_and_inspectors(sessions):
    with transaction(sessions) as s:
        form = new_form(s)
        refused("no_inspector", quality.draw_week, s, new_plan(s, form, []), WEEK, Definitions())
        plan = new_plan(s, form, [user(s, "admin")])
        form.retired = True
        refused("form_unusable", quality.draw_week, s, plan, WEEK, Definitions())
        rec = call(s, "h-1", agent(s, "A1001"), bj(2026, 11, 17, 9))
        refused("form_unusable", quality.add_by_hand, s, rec, form, user(s, "admin"))
        form.retired = False
        going = call(s, "h-2", agent(s, "A1001"), bj(2026, 11, 17, 10), status="recording")
        refused("recording_unusable", quality.add_by_hand, s, going, form, user(s, "admin"))
        assert quality.add_by_hand(s, rec, form, user(s, "admin")).reason is Reason.MANUAL


# --- score → appeal → decide ------------------------------------------------------------------------------------

def test_a_revised_appeal_changes_the_score_but_keeps_the_first_and_a_second_appeal_is_refused(sessions):
    with transaction(sessions) as s:
        first, second, agent_user = user(s, "admin"), user(s, "supervisor"), user(s, "a1001")
        form = new_form(s)
        review = quality.add_by_hand(s, call(s, "p-1", agent(s, "A1001"), bj(2026, 11, 17, 9)), form, first)
        v = review.version
        refused("not_scored", quality.appeal, s, review, "未评分", agent_user, now=bj(2026, 11, 17, 10))
        refused("not_your_review", quality.score, s, review, points(v, GOOD), [], "", second)
        refused("item_unscored", quality.score, s, review, points(v, {"礼貌用语": 8}), [], "", first)
        assert review.state is ReviewState.ASSIGNED and review.score is None
        quality.score(s, review, points(v, GOOD), [], "初评", first, now=bj(2026, 11, 17, 12))
        # the inspector corrects the score before the agent appealed: the marks are replaced
        card = quality.score(s, review, points(v, {**GOOD, "政策解答准确": 25}), [], "更正", first,
                             now=bj(2026, 11, 17, 13))
        assert (card.score, review.first_score) == (85.0, 85.0)
        refused("appeal_reason", quality.appeal, s, review, "  ", agent_user, now=bj(2026, 11, 18, 9))
        quality.appeal(s, review, "政策口径已更新，解答无误", agent_user, now=bj(2026, 11, 19, 9))
        assert review.state is ReviewState.APPEALED
        refused("not_open", quality.score, s, review, points(v, FULL), [], "", first)
        refused("appealed_before", quality.appeal, s, review, "再次申诉", agent_user, now=bj(2026, 11, 19, 10))
        refused("same_reviewer", quality.decide, s, review, first, Decision.REVISED, "改判", points(v, FULL))
        refused("decision_note", quality.decide, s, review, second, Decision.REVISED, " ", points(v, FULL))
        stands = quality.decide(s, review, second, Decision.REVISED, "口径确已更新",
                                points(v, {**GOOD, "政策解答准确": 30}), now=bj(2026, 11, 20, 9))
        assert (stands, review.score, review.first_score, review.state) == (90.0, 90.0, 85.0, ReviewState.DECIDED)
        review_id = review.id
    with transaction(sessions) as s:
        review = s.get(QaReview, review_id)
        assert (review.score, review.first_score) == (90.0, 85.0)
        assert (review.appeal.decision, review.appeal.reviewer_id) == (Decision.REVISED, user(s, "supervisor"))
        assert [aware(t) for t in (review.scored_at, review.appeal.filed_at, review.appeal.decided_at)] == [
            bj(2026, 11, 17, 13), bj(2026, 11, 19, 9), bj(2026, 11, 20, 9)]
        accuracy = next(i.id for i in review.version.items if i.label == "政策解答准确")
        assert {m.stage: m.points for m in review.marks if m.item_id == accuracy} == {"first": 25, "appeal": 30}
        assert s.scalar(select(func.count()).select_from(QaItemMark).where(QaItemMark.review_id == review_id)) == 18
        refused("appealed_before", quality.appeal, s, review, "第三次", user(s, "a1001"), now=bj(2026, 11, 20, 10))
        refused("not_appealed", quality.decide, s, review, user(s, "supervisor"), Decision.UPHELD, "维持")


def test_an_upheld_appeal_keeps_the_score_and_a_late_appeal_is_refused(sessions):
    with transaction(sessions) as s:
        first, second, agent_user = user(s, "admin"), user(s, "supervisor"), user(s, "a1001")
        form = new_form(s)
        kept = quality.add_by_hand(s, call(s, "u-1", agent(s, "A1001"), bj(2026, 11, 17, 9)), form, first)
        quality.score(s, kept, points(kept.version, GOOD), [fatal_ids(kept.version)[0]], "泄露信息", first,
                      now=bj(2026, 11, 17, 12))
        assert (kept.score, kept.fatal) == (0.0, True)
        quality.appeal(s, kept, "未泄露", agent_user, now=bj(2026, 11, 24, 12))      # the last moment of the week
        assert quality.decide(s, kept, second, Decision.UPHELD, "录音可证") == 0.0
        assert (kept.score, kept.first_score, kept.fatal, kept.state) == (0.0, 0.0, True, ReviewState.DECIDED)
        late = quality.add_by_hand(s, call(s, "u-2", agent(s, "A1001"), bj(2026, 11, 17, 10)), form, first)
        quality.score(s, late, points(late.version, GOOD), [], "", first, now=bj(2026, 11, 17, 12))
        refused("appeal_late", quality.appeal, s, late, "太晚了", agent_user, now=bj(2026, 11, 24, 12, 1))
        assert late.state is ReviewState.SCORED and late.appeal is None


def test_comments_at_time_marks_are_kept_in_the_order_of_the_recording(sessions):
    with transaction(sessions) as s:
        inspector = user(s, "admin")
        review = quality.add_by_hand(s, call(s, "m-1", agent(s, "A1001"), bj(2026, 11, 17, 9)), new_form(s),
                                     inspector)
        quality.comment(s, review, 95_000, "未核实身份", inspector)
        quality.comment(s, review, 12_000, "开场白规范", inspector)
        refused("comment_empty", quality.comment, s, review, 1000, " ", inspector)
        refused("mark_negative", quality.comment, s, review, -1, "负数", inspector)
        review_id = review.id
    with transaction(sessions) as s:
        assert [(c.at_ms, c.text) for c in s.get(QaReview, review_id).comments] == [
            (12_000, "开场白规范"), (95_000, "未核实身份")]


# --- the report -------------------------------------------------------------------------------------------------

def test_the_report_by_agent_item_and_week_with_the_inspectors_calibration(sessions):
    with transaction(sessions) as s:
        admin, supervisor = user(s, "admin"), user(s, "supervisor")
        a, b = agent(s, "A1001"), agent(s, "A1006")            # 税政一组, 征管二组
        form = new_form(s)
        made = bj(2026, 11, 16, 0, 10)

        def scored(uuid, who, inspector, by_label, at, violated=False):
            review = quality.add_by_hand(s, call(s, uuid, who, bj(2026, 11, 16, 0, 5)), form, inspector, now=made)
            quality.score(s, review, points(review.version, by_label),
                          fatal_ids(review.version) if violated else [], "", inspector, now=at)
            return review

        scored("r1", a, admin, GOOD, bj(2026, 11, 16, 0, 30))            # 87, Sunday 16:30 UTC: in the week
        scored("r2", a, admin, GOOD, bj(2026, 11, 22, 20), violated=True)  # 0, Sunday 12:00 UTC
        scored("r3", b, admin, FULL, bj(2026, 11, 18, 9))                 # 100
        scored("r4", b, supervisor, {**GOOD, "政策解答准确": 25}, bj(2026, 11, 19, 9))   # 85
        r5 = scored("r5", a, supervisor, GOOD, bj(2026, 11, 20, 9))       # 87, revised to 90 on appeal
        quality.appeal(s, r5, "解答无误", user(s, "a1001"), now=bj(2026, 11, 21, 9))
        quality.decide(s, r5, admin, Decision.REVISED, "改判", points(r5.version, {**GOOD, "政策解答准确": 30}),
                       now=bj(2026, 11, 22, 9))
        scored("r6", b, admin, FULL, bj(2026, 11, 23, 0, 30))            # Sunday 16:30 UTC: the next week's
        quality.add_by_hand(s, call(s, "r7", b, bj(2026, 11, 16, 0, 5)), form, supervisor, now=made)  # due on 19th

        report = quality.report(s, bj(2026, 11, 16), bj(2026, 11, 23), now=bj(2026, 11, 23, 9))
        o = report.overall
        assert (o.reviews, o.mean, o.fatal, o.appeals, o.revised) == (5, 72.4, 1, 1, 1)   # 87 0 100 85 90
        fig = report.by_agent[a.id]
        assert (fig.reviews, fig.mean, fig.fatal, fig.appeals, fig.revised) == (3, 59.0, 1, 1, 1)
        fig = report.by_agent[b.id]
        assert (fig.reviews, fig.mean, fig.fatal) == (2, 92.5, 0)
        assert {g: f.reviews for g, f in report.by_group.items()} == {a.group_id: 3, b.group_id: 2}
        assert list(report.by_week) == [WEEK] and report.by_week[WEEK].reviews == 5
        # 政策解答准确 (of 30): 27 27 30 25 and the revision's 30; 分类准确 (of 5): 4 4 5 4 4
        assert report.by_item[("业务能力", "政策解答准确")] == (5, 92.7)
        assert report.by_item[("记录规范", "分类准确")] == (5, 84.0)
        assert report.by_item[("服务态度", "礼貌用语")] == (5, 84.0)            # 8 8 10 8 8 of 10
        assert ("服务态度", "泄露纳税人信息") not in report.by_item
        cal = report.calibration               # first scores: admin 87 0 100, the supervisor 85 87
        assert cal.overall_mean == 71.8
        assert cal.by_inspector == {admin: (3, 62.3, -9.5), supervisor: (2, 86.0, 14.2)}
        assert cal.spread == 23.7
        assert report.sampled == 7 and report.overdue == 1
        # the same week given in UTC is the same week
        utc = quality.report(s, bj(2026, 11, 16).astimezone(dt.timezone.utc),
                             bj(2026, 11, 23).astimezone(dt.timezone.utc), now=bj(2026, 11, 23, 9))
        assert (utc.overall, utc.by_agent, utc.sampled, utc.overdue) == (o, report.by_agent, 7, 1)


def test_the_complaint_orders_inspection_rate(sessions, ctx):
    with transaction(sessions) as s:
        inspector = user(s, "admin")
        form = new_form(s)
        who = agent(s, "A1001")

        def inspected(uuid, scored=True):
            review = quality.add_by_hand(s, s.scalar(select(Recording).where(Recording.call_uuid == uuid)), form,
                                         inspector)
            if scored:
                quality.score(s, review, points(review.version, GOOD), [], "", inspector, now=bj(2026, 11, 24, 9))

        for n, uuid in enumerate(("x", "y", "z", "u", "w", "v", "v2")):
            call(s, uuid, who, bj(2026, 11, 16 + n % 5, 9 + n))
        order(s, ctx, "x", RequestType.COMPLAINT, bj(2026, 11, 16, 0, 30))     # Sunday 16:30 UTC: in the week
        order(s, ctx, "x", RequestType.COMPLAINT, bj(2026, 11, 16, 0, 40))     # the same call's second order
        order(s, ctx, "y", RequestType.COMPLAINT, bj(2026, 11, 17, 9))
        order(s, ctx, "z", RequestType.REPORT, bj(2026, 11, 18, 9))
        order(s, ctx, "u", RequestType.COMPLAINT, bj(2026, 11, 19, 9))
        order(s, ctx, "w", RequestType.CONSULTATION, bj(2026, 11, 19, 9))
        order(s, ctx, "v", RequestType.COMPLAINT, bj(2026, 11, 23, 0, 30))     # the next week's
        order(s, ctx, "v2", RequestType.REPORT, bj(2026, 11, 23, 7))
        inspected("x")
        inspected("y", scored=False)           # drawn but not scored yet: not inspected
        inspected("u")
        inspected("w")
        inspected("v")
        inspected("v2")
        # complaint or report orders of the week: two of x, y, z, u (the rate is of orders, as the seed writes it:
        # 工单质检率); of them x's two and u's inspected
        assert quality.complaint_inspection_rate(s, bj(2026, 11, 16), bj(2026, 11, 23)) == (3, 5)
        assert quality.complaint_inspection_rate(s, bj(2026, 12, 1), bj(2026, 12, 8)) == (0, 0)


def test_the_monthly_scorecard_scores_the_complaint_orders_inspection_rate(sessions, ctx):
    """Seed 003: 投诉举报类工单质检率 ≥ 99 %, 1 point less per point below; 3 of 4 orders inspected → 75 % → 0."""
    from engine.reports.definitions import Definitions
    from engine.reports.scorecard import monthly_scorecard
    with transaction(sessions) as s:
        inspector = user(s, "admin")
        form = new_form(s)
        who = agent(s, "A1001")
        for n, uuid in enumerate(("m1", "m2", "m3", "m4")):
            call(s, uuid, who, bj(2026, 11, 16 + n, 10))
            order(s, ctx, uuid, RequestType.COMPLAINT if n % 2 else RequestType.REPORT, bj(2026, 11, 16 + n, 11))
        before = {i.key: i for i in monthly_scorecard(s, 2026, 11, Definitions()).items}["ticket_inspection"]
        assert (before.value, before.points, before.met) == (0.0, 0.0, False)
        for uuid in ("m1", "m2", "m3"):
            review = quality.add_by_hand(s, s.scalar(select(Recording).where(Recording.call_uuid == uuid)), form,
                                         inspector)
            quality.score(s, review, points(review.version, GOOD), [], "", inspector, now=bj(2026, 11, 24, 9))
        item = {i.key: i for i in monthly_scorecard(s, 2026, 11, Definitions()).items}["ticket_inspection"]
        assert (item.value, item.points, item.met) == (75.0, 0.0, False)
        review = quality.add_by_hand(s, s.scalar(select(Recording).where(Recording.call_uuid == "m4")), form,
                                     inspector)
        quality.score(s, review, points(review.version, GOOD), [], "", inspector, now=bj(2026, 11, 24, 9))
        item = {i.key: i for i in monthly_scorecard(s, 2026, 11, Definitions()).items}["ticket_inspection"]
        assert (item.value, item.points, item.met) == (100.0, 5.0, True)
        empty = {i.key: i for i in monthly_scorecard(s, 2026, 10, Definitions()).items}["ticket_inspection"]
        assert (empty.value, empty.points) == (None, None)
