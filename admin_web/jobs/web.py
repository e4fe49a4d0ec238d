"""The console's side of report jobs: queue one for the logged-in user and wait for it, a job's status as JSON,
and the page shown while a long one is still computing."""
from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from admin_web.jobs import queue, registry, worker
from admin_web.scope import current_scope
from engine.store.models import ReportJob

REPORT_WAIT_S = 25.0        # a request waits this long for its job, then shows the page that keeps waiting


def submit(kind: str, params: dict, *, fresh: bool = False) -> ReportJob:
    """kind(params) queued (or a shared one joined) for the logged-in user, in their scope and language."""
    app = current_app._get_current_object()
    owner = current_user.id if current_user.is_authenticated else None
    job = queue.submit(app.extensions["db_sessions"], kind, params, scope=current_scope(),
                       locale=str(get_locale() or "zh_CN"), owner_id=owner, fresh=fresh)
    if job.state not in (queue.DONE, queue.FAILED):
        worker.wake(app)
    return job


def for_request(kind: str, params: dict, *, fresh: bool = False) -> ReportJob:
    """submit(), then its result: a fresh shared one at once, else waited for up to REPORT_WAIT_S. The job comes
    back done (with its result), failed, or still pending."""
    factory = current_app.extensions["db_sessions"]
    job = submit(kind, params, fresh=fresh)
    if job.state in (queue.DONE, queue.FAILED):
        return queue.get(factory, job.id, with_result=True) or job
    return queue.wait(factory, job.id, float(current_app.config.get("REPORT_WAIT_S", REPORT_WAIT_S))) or job


def find(job_id: str, with_result: bool = False) -> ReportJob | None:
    """The job if this user may see it: their own, or a shared one computed for exactly their scope."""
    job = queue.get(current_app.extensions["db_sessions"], job_id, with_result)
    if job is None:
        return None
    if current_user.is_authenticated and job.owner_id == current_user.id:
        return job
    shared = registry.get(job.kind).ttl_s is not None
    return job if shared and job.scope == queue.scope_text(current_scope()) else None


def progress(job: ReportJob) -> dict:
    """A job's progress: its state, rows done of total, in percent."""
    done = job.state == queue.DONE
    percent = 100 if done else (int(100 * job.done / job.total) if job.total else 0)
    return {"id": job.id, "state": job.state, "done": job.done, "total": job.total, "percent": percent}


def status(job: ReportJob) -> dict:
    """What a page polling the job needs (progress in percent; the file's address once done)."""
    return {**progress(job), "kind": job.kind, "error": bool(job.error) and job.state == queue.FAILED,
            "status": url_for("reports.job_status", job_id=job.id),
            "download": url_for("reports.job_file", job_id=job.id)
            if job.state == queue.DONE and job.filename else None}


def pending_page(job: ReportJob, title: str, then: str):
    """The page shown while `job` computes: its progress, polled, then the browser goes to `then`."""
    return render_template("reports/pending.html", job=job, job_status=status(job), title=title, then=then), 202
