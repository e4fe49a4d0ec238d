"""Webhooks (issue 15 item 7, R-NF-4): a local HTTP receiver gets every step of an order, in order, signed; a failing
receiver is tried again later without losing a step; the console page adds, tests, disables and deletes a hook and
shows the secret once."""
from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import pytest
from sqlalchemy import select

from admin_web.jobs import webhooks
from engine.domain.followup import Rating, RequestType
from engine.domain.workorder import Action
from engine.store import orders as store
from engine.store.models import Department, FollowUp, Hall, Webhook, WebhookDelivery
from engine.store.numbers import save_hall

UTC = dt.timezone.utc


class Receiver:
    """A local HTTP server that keeps what it is sent and answers `status` (changeable)."""

    def __init__(self):
        self.received: list[tuple[dict, bytes, dict]] = []
        self.status = 200
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((json.loads(body), body, dict(self.headers)))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def factory(app):
    return app.extensions["db_sessions"]


def _hook(db, url, hall_id=None) -> Webhook:
    hook = Webhook(url=url, secret="s3cret", hall_id=hall_id, last_delivered_step_id=0)
    db.add(hook)
    db.commit()
    return hook


def _order_road(db):
    """An order registered, reviewed, dispatched, accepted, replied and closed, with its follow-up rated."""
    hall = save_hall(db, "GD-440000", "广东省", "province", "440000")
    department = Department(hall_id=hall.id, name="税政一科")
    db.add(department)
    db.flush()
    ctx = store.Context.load(db)
    actor = store.Actor("tester")
    order = store.register(db, ctx, actor, request_type=RequestType.COMPLAINT, title="排队过长", content="x",
                           hall_id=hall.id)
    for action, dep, note in ((Action.PASS_REVIEW, None, ""), (Action.DISPATCH, department.id, ""),
                              (Action.ACCEPT, department.id, ""), (Action.REPLY, department.id, "已处理"),
                              (Action.CLOSE, None, "")):
        store.act(db, ctx, order, action, actor, department_id=dep, note=note)
    follow_up = db.scalar(select(FollowUp).where(FollowUp.order_id == order.id))
    store.record_follow_up(db, ctx, follow_up, actor, rating=Rating.SATISFIED)
    db.commit()
    return order, hall


def test_every_step_is_delivered_in_order_and_signed(db, factory, receiver):
    hook = _hook(db, receiver.url)
    order, _hall = _order_road(db)
    result = webhooks.deliver(factory, settle=dt.timedelta(0))
    assert result.failed == 0 and result.sent == 7
    events = [p for p, _b, _h in receiver.received]
    steps = [e for e in events if e["event"] == "order.step"]
    assert [e["action"] for e in steps] == ["register", "pass_review", "dispatch", "accept", "reply", "close"]
    assert [e["state"] for e in steps] == ["registered", "reviewed", "dispatched", "dispatched", "replied", "closed"]
    assert {e["order"] for e in events} == {order.number} and steps[2]["department"] == "税政一科"
    assert events[-1]["event"] == "follow_up.result" and events[-1]["rating"] == "satisfied"
    for payload, body, headers in receiver.received:
        assert webhooks.verify("s3cret", body, headers["X-Callcenter-Signature"])
        assert headers["X-Callcenter-Delivery"] == payload["delivery"]
    db.expire_all()
    assert db.get(Webhook, hook.id).last_delivered_step_id == steps[-1]["step_id"]
    receiver.received.clear()
    assert webhooks.deliver(factory, settle=dt.timedelta(0)).sent == 0 and receiver.received == []


def test_a_failing_receiver_is_retried_later_without_losing_a_step(db, factory, receiver):
    hook = _hook(db, receiver.url)
    _order_road(db)
    receiver.status = 503
    now = dt.datetime.now(UTC)
    failed = webhooks.deliver(factory, now=now, settle=dt.timedelta(0))
    assert failed.sent == 0 and failed.failed == 1
    db.expire_all()
    row = db.get(Webhook, hook.id)
    assert row.failures == 1 and "503" in row.last_error and row.last_delivered_step_id == 0
    assert webhooks.backoff(1) == dt.timedelta(seconds=30) and webhooks.backoff(30) == dt.timedelta(hours=1)
    assert webhooks.deliver(factory, now=now + dt.timedelta(seconds=5), settle=dt.timedelta(0)).hooks == 0  # waits
    receiver.status = 200
    receiver.received.clear()
    later = webhooks.deliver(factory, now=now + dt.timedelta(minutes=1), settle=dt.timedelta(0))
    assert later.sent == 7
    assert [p["action"] for p, _b, _h in receiver.received if p["event"] == "order.step"][0] == "register"
    db.expire_all()
    assert db.get(Webhook, hook.id).failures == 0
    assert db.scalar(select(WebhookDelivery).where(WebhookDelivery.ok.is_(False))).status_code == 503


def test_unsettled_steps_wait_and_a_halls_hook_sees_its_halls_orders_only(db, factory, receiver):
    other = save_hall(db, "GD-440100", "广州市", "city", "440100")
    db.commit()
    hook = _hook(db, receiver.url, hall_id=other.id)
    _order_road(db)                         # 广东省's order: not 广州市's
    assert webhooks.deliver(factory, settle=dt.timedelta(0)).sent == 0
    everything = _hook(db, receiver.url)
    assert webhooks.deliver(factory).sent == 0              # younger than the settling time
    assert webhooks.deliver(factory, settle=dt.timedelta(0)).sent == 7
    assert hook.id != everything.id


def test_the_console_page_adds_tests_disables_and_deletes_a_hook(as_admin, db, receiver):
    page = as_admin.post("/webhooks/new", data={"name": "省平台", "url": receiver.url, "hall_id": "",
                                                 "events": ["order.step", "follow_up.result"]})
    assert page.status_code == 200
    hook = db.scalar(select(Webhook))
    assert hook.secret in page.get_data(as_text=True)                      # shown once
    assert hook.secret not in as_admin.get(f"/webhooks/{hook.id}").get_data(as_text=True)
    assert as_admin.post(f"/webhooks/{hook.id}/test").status_code == 302
    payload, body, headers = receiver.received[-1]
    assert payload["event"] == "ping" and webhooks.verify(hook.secret, body, headers["X-Callcenter-Signature"])
    receiver.status = 500
    as_admin.post(f"/webhooks/{hook.id}/test")
    assert "HTTP 500" in as_admin.get(f"/webhooks/{hook.id}").get_data(as_text=True)
    assert as_admin.post("/webhooks/new", data={"url": "ftp://x", "events": ["order.step"]}).status_code == 400
    as_admin.post(f"/webhooks/{hook.id}/active")
    db.expire_all()
    assert db.get(Webhook, hook.id).active is False
    assert "省平台" in as_admin.get("/webhooks/").get_data(as_text=True)
    as_admin.post(f"/webhooks/{hook.id}/delete")
    db.expire_all()
    assert db.scalar(select(Webhook)) is None


def test_a_halls_admin_sees_only_its_halls_hooks(app, db, seed):
    from admin_web.auth.services import create_user
    from engine.domain.states import Role
    from engine.store.models import User
    from tests.web.helpers import PASSWORD, login
    sz = save_hall(db, "GD-440300", "深圳市", "city", "440300")
    gz = save_hall(db, "GD-440100", "广州市", "city", "440100")
    create_user(db, "sz-admin", PASSWORD, Role.ADMIN)
    db.scalar(select(User).where(User.username == "sz-admin")).hall_id = sz.id
    db.commit()
    centre, theirs = _hook(db, "https://centre.example/h"), _hook(db, "https://gz.example/h", gz.id)
    client = app.test_client()
    assert login(client, "sz-admin").status_code == 302
    text = client.get("/webhooks/").get_data(as_text=True)
    assert "centre.example" not in text and "gz.example" not in text
    assert client.get(f"/webhooks/{theirs.id}").status_code == 404
    assert client.post(f"/webhooks/{centre.id}/delete").status_code == 404
    assert client.post("/webhooks/new", data={"url": "https://x.example/", "hall_id": "",
                                              "events": ["order.step"]}).status_code in (400, 403)
    assert db.scalar(select(Webhook).where(Webhook.url == "https://x.example/")) is None   # not the centre's
    assert db.get(Hall, sz.id) is not None
