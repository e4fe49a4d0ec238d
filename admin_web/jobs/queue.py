"""Report jobs in the database (report_jobs): what the console asks for, what a report worker claims and leaves.

Every step is one short transaction on a session of its own, so a page waiting for a report holds no
transaction open, and any console process (gunicorn runs several) can answer for any job."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import sessionmaker, undefer

from admin_web.jobs import registry
from admin_web.jobs.registry import Result
from admin_web.scope import Scope
from engine.store.base import utcnow
from engine.store.models import ReportJob

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STALE_S = 60.0           # a running job whose worker has not beaten for this long is taken back
BEAT_S = 5.0             # a worker beats for its running job this often (and when progress moves)
MAX_ATTEMPTS = 2         # a job that took two workers down with it is failed, not tried a third time
KEEP_S = 24 * 3600.0     # results (and failures) are kept a day, for the owner to fetch, then pruned
POLL_S = 0.1             # how often a waiting request looks at its job


def scope_text(scope: Scope) -> str:
    return registry.canonical({"halls": None if scope.halls is None else sorted(scope.halls),
                               "numbers": list(scope.numbers)})


def scope_of(job: ReportJob) -> Scope:
    data = json.loads(job.scope or "{}")
    halls = data.get("halls")
    return Scope(None if halls is None else frozenset(halls), tuple(data.get("numbers") or ()))


def cache_key(kind: str, params: dict, scope: Scope, locale: str) -> str:
    return hashlib.sha256(registry.canonical([kind, params, scope_text(scope), locale]).encode()).hexdigest()


def submit(factory: sessionmaker, kind: str, params: dict, *, scope: Scope, locale: str, owner_id: int | None,
           fresh: bool = False, now: dt.datetime | None = None) -> ReportJob:
    """The job computing kind(params) for this scope and language: one still queued, running or fresh enough
    (a shared kind, unless `fresh`), or a new one queued."""
    job_kind = registry.get(kind)
    now = now or utcnow()
    key = cache_key(kind, params, scope, locale)
    with factory() as session:
        if job_kind.ttl_s is not None and not fresh:
            recent = now - dt.timedelta(seconds=job_kind.ttl_s(params))
            found = session.scalars(
                select(ReportJob).where(ReportJob.cache_key == key, or_(
                    ReportJob.state.in_((QUEUED, RUNNING)),
                    and_(ReportJob.state == DONE, ReportJob.finished_at >= recent)))
                .order_by(ReportJob.created_at.desc()).limit(1)).first()
            if found is not None:
                session.expunge(found)
                return found
        job = ReportJob(id=uuid.uuid4().hex, kind=kind, cache_key=key, params=registry.canonical(params),
                        scope=scope_text(scope), locale=locale, owner_id=owner_id, state=QUEUED, done=0, total=0,
                        attempts=0, worker="", error="", mimetype="", filename="", created_at=now)
        session.add(job)
        session.commit()
        session.refresh(job)
        session.expunge(job)
        return job


def get(factory: sessionmaker, job_id: str, with_result: bool = False) -> ReportJob | None:
    with factory() as session:
        query = select(ReportJob).where(ReportJob.id == job_id)
        if with_result:
            query = query.options(undefer(ReportJob.result))
        job = session.scalars(query).first()
        if job is not None:
            session.expunge(job)
        return job


def wait(factory: sessionmaker, job_id: str, timeout_s: float) -> ReportJob | None:
    """The job once done or failed, with its result; or as it stands after timeout_s (still queued/running)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = get(factory, job_id)
        if job is None or job.state in (DONE, FAILED):
            return get(factory, job_id, with_result=True) if job is not None else None
        if time.monotonic() >= deadline:
            return job
        time.sleep(POLL_S)          # cooperative under gevent (monkey-patched)


def claim(factory: sessionmaker, worker: str, now: dt.datetime | None = None) -> ReportJob | None:
    """The oldest queued job, now running for `worker`; None when nothing waits. Two workers never get the same
    job: the update only succeeds while the row is still queued."""
    with factory() as session:
        for _ in range(5):
            job_id = session.scalar(select(ReportJob.id).where(ReportJob.state == QUEUED)
                                    .order_by(ReportJob.created_at).limit(1))
            if job_id is None:
                return None
            now = now or utcnow()
            won = session.execute(update(ReportJob).where(ReportJob.id == job_id, ReportJob.state == QUEUED)
                                  .values(state=RUNNING, worker=worker, started_at=now, beat_at=now,
                                          attempts=ReportJob.attempts + 1)).rowcount
            session.commit()
            if won == 1:
                job = session.get(ReportJob, job_id)
                session.expunge(job)
                return job
        return None


def beat(factory: sessionmaker, job_id: str, done: int | None = None, total: int | None = None) -> None:
    values: dict = {"beat_at": utcnow()}
    if done is not None:
        values["done"] = done
    if total is not None:
        values["total"] = total
    with factory() as session:
        session.execute(update(ReportJob).where(ReportJob.id == job_id, ReportJob.state == RUNNING).values(**values))
        session.commit()


def finish(factory: sessionmaker, job_id: str, result: Result) -> None:
    with factory() as session:
        session.execute(update(ReportJob).where(ReportJob.id == job_id).values(
            state=DONE, result=result.payload, mimetype=result.mimetype, filename=result.filename,
            finished_at=utcnow(), done=ReportJob.total))
        session.commit()


def fail(factory: sessionmaker, job_id: str, error: str) -> None:
    with factory() as session:
        session.execute(update(ReportJob).where(ReportJob.id == job_id).values(
            state=FAILED, error=error[:2000], finished_at=utcnow()))
        session.commit()


def release(factory: sessionmaker, job_id: str) -> None:
    """A running job handed back by a worker that is stopping: queued again for the next (not an attempt)."""
    with factory() as session:
        session.execute(update(ReportJob).where(ReportJob.id == job_id, ReportJob.state == RUNNING).values(
            state=QUEUED, worker="", attempts=ReportJob.attempts - 1))
        session.commit()


def recover(factory: sessionmaker, now: dt.datetime | None = None) -> tuple[int, int]:
    """Jobs whose worker stopped beating: queued again, or failed after MAX_ATTEMPTS; (requeued, failed)."""
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=STALE_S)
    with factory() as session:
        gone = and_(ReportJob.state == RUNNING, ReportJob.beat_at < stale)
        failed = session.execute(update(ReportJob).where(gone, ReportJob.attempts >= MAX_ATTEMPTS).values(
            state=FAILED, error="worker stopped", finished_at=now)).rowcount
        requeued = session.execute(update(ReportJob).where(gone, ReportJob.attempts < MAX_ATTEMPTS).values(
            state=QUEUED, worker="")).rowcount
        session.commit()
        return requeued, failed


def prune(factory: sessionmaker, now: dt.datetime | None = None) -> int:
    """Jobs older than KEEP_S deleted, with their results (queued ones too: nobody waits for them any more)."""
    old = (now or utcnow()) - dt.timedelta(seconds=KEEP_S)
    with factory() as session:
        n = session.execute(delete(ReportJob).where(ReportJob.created_at < old,
                                                    ReportJob.state != RUNNING)).rowcount
        session.commit()
        return n

