"""Accounts in the console (administrators only): create with a one-time password shown once, edit, disable
(sessions end), reset the password, unlock; every change audited; the last administrator is protected."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.store.models import AuditEntry, User
from .helpers import PASSWORD, login


def one_time_password(page: str) -> str:
    return re.search(r'id="one-time-password">([^<]+)<', page).group(1)


def audits(db):
    db.expire_all()
    return [(a.action, a.target) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_only_administrators_manage_accounts(as_supervisor):
    assert as_supervisor.get("/users/").status_code == 403
    assert as_supervisor.post("/users/new", data={"username": "x"}).status_code == 403


def test_an_inspector_created_in_the_console_logs_in_once_with_the_shown_password_then_sets_their_own(
        as_admin, app, db):
    page = as_admin.post("/users/new", data={"username": "qc01", "display_name": "质检一号", "role": "quality",
                                             "agent_id": "", "extension": "8101", "locale": "zh_CN"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    password = one_time_password(text)
    assert "只显示这一次" in text
    user = db.scalar(select(User).where(User.username == "qc01"))
    assert user.must_change_password and user.extension == "8101" and user.role.code.value == "quality"
    assert password not in (user.password_hash or "")
    other = app.test_client()
    assert login(other, "qc01", password).headers["Location"].startswith("/auth/password")
    assert other.post("/auth/password", data={"current": password, "new": "qc01-own-passw0rd",
                                             "confirm": "qc01-own-passw0rd"}).status_code == 302
    assert other.get("/recordings/").status_code == 200          # an inspector listens to recordings
    assert other.get("/agents/").status_code == 403               # and changes nothing
    assert ("user.create", "user:qc01") in audits(db)


def test_a_viewer_reads_the_wallboard_and_reports_and_nothing_else(as_admin, app, db):
    password = one_time_password(as_admin.post("/users/new", data={
        "username": "monitor", "role": "viewer", "agent_id": "", "locale": "zh_CN"}).get_data(as_text=True))
    viewer = app.test_client()
    login(viewer, "monitor", password)
    viewer.post("/auth/password", data={"current": password, "new": "monitor-passw0rd", "confirm": "monitor-passw0rd"})
    for path in ("/", "/wallboard/", "/reports/service"):
        assert viewer.get(path).status_code == 200, path
    for path in ("/recordings/", "/calls/", "/agents/", "/numbers/", "/users/"):
        assert viewer.get(path).status_code == 403, path


def test_disabling_an_account_ends_its_sessions_and_the_last_administrator_is_protected(as_admin, app, db, seed):
    agent_client = app.test_client()
    assert login(agent_client, "super").status_code == 302
    supervisor = db.scalar(select(User).where(User.username == "super"))
    form = {"display_name": supervisor.display_name, "role": "supervisor", "agent_id": "", "extension": "",
            "locale": "zh_CN"}                                 # "active" unchecked: disable
    assert as_admin.post(f"/users/{supervisor.id}", data=form).status_code == 302
    assert agent_client.get("/agents/").headers["Location"].startswith("/auth/login")
    admin = db.scalar(select(User).where(User.username == "admin"))
    refused = as_admin.post(f"/users/{admin.id}", data={**form, "role": "supervisor", "active": "y"})
    assert refused.status_code == 400 and "最后一个启用的管理员不能更改角色" in refused.get_data(as_text=True)
    refused = as_admin.post(f"/users/{admin.id}", data={**form, "role": "admin"})
    assert refused.status_code == 400 and "不能停用" in refused.get_data(as_text=True)


def test_a_password_reset_gives_a_new_one_time_password_and_unlocks(as_admin, app, client, db, seed):
    for _ in range(10):
        login(client, "super", "wrong")
    assert login(client, "super").status_code == 429
    supervisor = db.scalar(select(User).where(User.username == "super"))
    assert "已锁定" in as_admin.get("/users/").get_data(as_text=True)
    page = as_admin.post(f"/users/{supervisor.id}/reset-password").get_data(as_text=True)
    password = one_time_password(page)
    fresh = app.test_client()
    assert login(fresh, "super", PASSWORD).status_code == 401              # the old password is gone
    assert login(fresh, "super", password).headers["Location"].startswith("/auth/password")
    assert ("user.reset_password", "user:super") in audits(db)
