"""The webhooks' change feed on each database kind (admin_web.jobs.webhooks): the steps past a hook's cursor in id
order with the state after each, the follow-up results past their (done_at, id) cursor, a hall's hook limited to
its subtree, and a hook claimed by one worker at a time."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from admin_web.jobs import webhooks
from engine.domain.followup import Rating, RequestType
from engine.domain.workorder import Action
from engine.store import orders as store
from engine.store.models import Department, FollowUp, Webhook
from engine.store.numbers import save_hall
from engine.store.session import make_engine, make_session_factory, transaction

UTC = dt.timezone.utc


def test_the_feed_follows_the_timeline_and_the_follow_ups(database_url):
    eng = make_engine(database_url)
    factory = make_session_factory(eng)
    try:
        with transaction(factory) as s:
            gd = save_hall(s, "GD-440000", "广东省", "province", "440000")
            gz = save_hall(s, "GD-440100", "广州市", "city", "440100", "GD-440000")
            department = Department(hall_id=gz.id, name="广州税政科")
            s.add(department)
            s.flush()
            ctx, actor = store.Context.load(s), store.Actor("tester")
            order = store.register(s, ctx, actor, request_type=RequestType.COMPLAINT, title="t", content="c",
                                   hall_id=gz.id)
            for action, dep in ((Action.PASS_REVIEW, None), (Action.DISPATCH, department.id),
                                (Action.ACCEPT, department.id), (Action.REPLY, department.id), (Action.CLOSE, None)):
                store.act(s, ctx, order, action, actor, department_id=dep, note="ok")
            follow_up = s.scalar(select(FollowUp).where(FollowUp.order_id == order.id))
            store.record_follow_up(s, ctx, follow_up, actor, rating=Rating.UNSATISFIED, note="没解决")
            everything = Webhook(url="http://127.0.0.1:9/", secret="x")
            province = Webhook(url="http://127.0.0.1:9/", secret="x", hall_id=gd.id)
            other = save_hall(s, "GD-440300", "深圳市", "city", "440300", "GD-440000")
            elsewhere = Webhook(url="http://127.0.0.1:9/", secret="x", hall_id=other.id)
            s.add_all([everything, province, elsewhere])
        now = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
        with factory() as s:
            hook = s.get(Webhook, everything.id)
            events = webhooks.pending_events(s, hook, now, settle=dt.timedelta(0))
            kinds = [(e.kind, e.payload.get("action"), e.payload.get("state")) for e in events]
            assert kinds[:6] == [("order.step", "register", "registered"), ("order.step", "pass_review", "reviewed"),
                                 ("order.step", "dispatch", "dispatched"), ("order.step", "accept", "dispatched"),
                                 ("order.step", "reply", "replied"), ("order.step", "close", "closed")]
            assert ("order.step", "reopen", "dispatched") in kinds and ("follow_up.result", None, "dispatched") in kinds
            assert len(webhooks.pending_events(s, s.get(Webhook, province.id), now, settle=dt.timedelta(0))) == 8
            assert webhooks.pending_events(s, s.get(Webhook, elsewhere.id), now, settle=dt.timedelta(0)) == []
            follow = next(e for e in events if e.kind == "follow_up.result")
        with transaction(factory) as s:
            hook = s.get(Webhook, everything.id)
            hook.last_delivered_step_id = max(e.ref_id for e in events if e.kind == "order.step")
            hook.last_follow_up_at, hook.last_follow_up_id = follow.at, follow.ref_id
        with factory() as s:
            assert webhooks.pending_events(s, s.get(Webhook, everything.id), now, settle=dt.timedelta(0)) == []
        assert webhooks._claim(factory, everything.id, now) is True
        assert webhooks._claim(factory, everything.id, now) is False          # another worker has it
        webhooks._release(factory, everything.id)
        assert webhooks._claim(factory, everything.id, now) is True
    finally:
        eng.dispose()
