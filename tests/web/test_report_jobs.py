"""Reports as jobs (admin_web.jobs): the request queues the computation and waits, a report worker computes it;
viewers of the same figures in the same scope share one computation; another hall's user gets its own, and no
one sees another's export; a report still computing shows a page that follows it; a failure reads as Chinese;
a job whose worker died is taken back."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from admin_web.auth.services import create_user
from admin_web.jobs import queue, registry
from admin_web.jobs.worker import Worker
from admin_web.scope import Scope
from engine.domain.states import Role
from engine.store.models import ReportJob, User
from engine.store.numbers import save_hall
from .helpers import PASSWORD, login
from .test_reports import Q, day  # noqa: F401  (the fixture day)


def _jobs(db) -> list[ReportJob]:
    db.expire_all()
    return list(db.scalars(select(ReportJob).order_by(ReportJob.created_at)))


def as_user(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def hall_boss(db, seed):
    hall = save_hall(db, "GD-440300", "深圳市", "city", "440300")
    create_user(db, "sz-boss", PASSWORD, Role.SUPERVISOR)
    db.scalar(select(User).where(User.username == "sz-boss")).hall_id = hall.id
    db.commit()
    return "sz-boss"


def test_viewers_of_the_same_figures_share_one_computation(app, as_supervisor, day, db):
    other = as_user(app, "admin")
    first = as_supervisor.get("/reports/service", query_string=Q)
    again = other.get("/reports/service", query_string=Q)
    api = as_supervisor.get("/reports/api/service.json", query_string=Q)     # the page's chart
    assert first.status_code == again.status_code == api.status_code == 200
    # 4 answered of 8 requests: C6, sent back to a queue by its agent, is one caller's call
    assert "50.00%" in first.get_data(as_text=True) and "50.00%" in again.get_data(as_text=True)
    assert api.get_json()["total"]["requests"] == 8
    jobs = _jobs(db)
    assert [(j.kind, j.state) for j in jobs] == [("report_table", "done")]
    assert 'id="computed-at"' in first.get_data(as_text=True)
    fresh = as_supervisor.get("/reports/service", query_string={**Q, "fresh": 1})
    assert fresh.status_code == 200 and len(_jobs(db)) == 2           # 重新计算: a new computation


def test_another_language_or_hall_is_its_own_computation_and_not_visible_across(app, as_supervisor, day, db,
                                                                              hall_boss):
    as_supervisor.get("/reports/service", query_string=Q)
    english = as_supervisor.get("/reports/service", query_string={**Q, "lang": "en"})
    assert "Service" in english.get_data(as_text=True)
    boss = as_user(app, hall_boss)
    assert boss.get("/reports/service", query_string=Q).status_code == 200
    jobs = _jobs(db)
    assert len(jobs) == 3 and len({j.cache_key for j in jobs}) == 3
    centre_job = next(j for j in jobs if json.loads(j.scope)["halls"] is None)
    boss_job = next(j for j in jobs if json.loads(j.scope)["halls"] is not None)
    assert boss.get(f"/reports/jobs/{centre_job.id}.json").status_code == 404
    assert boss.get(f"/reports/jobs/{boss_job.id}.json").get_json()["state"] == "done"


def test_an_export_is_its_owners_alone(app, as_supervisor, day):
    started = as_supervisor.post("/reports/exports", data={"kind": "service", "format": "csv", **Q})
    assert started.status_code == 202
    status = started.get_json()
    other = as_user(app, "admin")
    assert other.get(status["status"]).status_code == 404
    for _ in range(200):
        status = as_supervisor.get(status["status"]).get_json()
        if status["state"] == "done":
            break
        import time
        time.sleep(0.05)
    assert status["state"] == "done" and status["download"]
    assert other.get(status["download"]).status_code == 404
    got = as_supervisor.get(status["download"])
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]


def test_a_report_still_computing_shows_a_page_that_follows_it(app, as_supervisor, day, db):
    """No worker has taken the job yet (the report service busy, or away): the page says so in Chinese and
    follows the job; when a worker has computed it, the page opens the report."""
    app.config["REPORT_WAIT_S"] = 0.0
    app.extensions["report_jobs"] = None            # as with report worker processes, none of them running
    page = as_supervisor.get("/reports/service", query_string=Q)
    html = page.get_data(as_text=True)
    assert page.status_code == 202 and "等待报表服务" in html and "js/report_job.js" in html
    job = _jobs(db)[0]
    assert job.state == "queued"
    assert as_supervisor.get(f"/reports/jobs/{job.id}.json").get_json()["state"] == "queued"
    assert as_supervisor.get("/reports/api/service.json", query_string=Q).status_code == 202
    assert len(_jobs(db)) == 1                                     # the chart's API joined the same job
    assert Worker(app, "test-worker").run_one()
    assert as_supervisor.get(f"/reports/jobs/{job.id}.json").get_json()["state"] == "done"
    page = as_supervisor.get("/reports/service", query_string=Q)
    assert page.status_code == 200 and "50.00%" in page.get_data(as_text=True)
    monthly = as_supervisor.get("/reports/monthly.xlsx", query_string={"month": "2026-03"})
    assert monthly.status_code == 202 and "等待报表服务" in monthly.get_data(as_text=True)
    workbook = _jobs(db)[-1]
    assert Worker(app, "test-worker").run_one()
    got = as_supervisor.get(f"/reports/jobs/{workbook.id}/file")
    assert got.status_code == 200 and got.data[:2] == b"PK"


def test_a_failed_report_says_so_in_chinese(app, as_supervisor, day, monkeypatch):
    def broken(session, q, d):
        raise RuntimeError("database exploded in English")
    monkeypatch.setattr("admin_web.reports.jobs.build", broken)
    page = as_supervisor.get("/reports/service", query_string=Q)
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and "报表未能生成" in html
    assert "exploded" not in html and "RuntimeError" not in html


def _submit(app, kind="report_table", params=None):
    from admin_web.reports.jobs import TABLE  # noqa: F401  (registered)
    return queue.submit(app.extensions["db_sessions"], kind, params or {"kind": "service", **Q, "definitions": "{}"},
                        scope=Scope(), locale="zh_CN", owner_id=None)


def test_two_workers_never_take_the_same_job(app, db, seed):
    job = _submit(app)
    factory = app.extensions["db_sessions"]
    assert queue.claim(factory, "w1").id == job.id
    assert queue.claim(factory, "w2") is None


def test_a_job_whose_worker_died_is_taken_back_then_failed(app, db, seed):
    factory = app.extensions["db_sessions"]
    job = _submit(app)
    queue.claim(factory, "dead-1")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=queue.STALE_S + 1)
    assert queue.recover(factory, later) == (1, 0)
    assert queue.claim(factory, "dead-2").id == job.id               # the second attempt
    assert queue.recover(factory, later + dt.timedelta(seconds=queue.STALE_S + 1)) == (0, 1)
    got = queue.get(factory, job.id)
    assert got.state == "failed" and got.attempts == queue.MAX_ATTEMPTS


def test_a_stopping_worker_hands_its_job_back(app, db, seed):
    factory = app.extensions["db_sessions"]
    job = _submit(app)
    queue.claim(factory, "stopping")
    queue.release(factory, job.id)
    got = queue.get(factory, job.id)
    assert got.state == "queued" and got.attempts == 0


def test_old_jobs_are_pruned_with_their_results(app, db, seed):
    factory = app.extensions["db_sessions"]
    _submit(app)
    assert Worker(app, "w").run_one()
    assert queue.prune(factory) == 0
    assert queue.prune(factory, dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=queue.KEEP_S + 1)) == 1
    assert db.scalar(select(func.count()).select_from(ReportJob)) == 0


def test_a_kind_is_registered_once():
    kind = registry.get("report_table")
    assert registry.register(kind) is kind
    with pytest.raises(ValueError):
        registry.register(registry.JobKind("report_table", kind.compute))
    with pytest.raises(registry.UnknownJobKind):
        registry.get("no-such-kind")


def test_sigterm_while_computing_hands_the_job_back_at_once(app, db, seed):
    """The worker process's signal handling, in this process: SIGTERM arrives during a computation; the loop
    ends and the job is queued again for the next worker (not left running for a minute)."""
    import os
    import signal
    import time

    from admin_web.jobs.worker import stop_on_signals

    def slow(session, params, progress):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        raise AssertionError("not stopped")
    registry.register(registry.JobKind("test_slow", slow))
    job = queue.submit(app.extensions["db_sessions"], "test_slow", {}, scope=Scope(), locale="zh_CN",
                       owner_id=None)
    worker = Worker(app, "stopping")
    saved = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        stop_on_signals(worker)
        started = time.monotonic()
        worker.run()
        assert time.monotonic() - started < 3
    finally:
        signal.signal(signal.SIGTERM, saved[0])
        signal.signal(signal.SIGINT, saved[1])
    got = queue.get(app.extensions["db_sessions"], job.id)
    assert got.state == "queued" and got.attempts == 0 and got.worker == ""
