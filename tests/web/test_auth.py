"""Login, logout, `next`, disabled accounts, and role enforcement."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import User
from .helpers import login


def test_login_ok_redirects_home_and_stamps_last_login(client, seed, db):
    response = login(client, "admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.expire_all()
    assert db.scalar(select(User).where(User.username == "admin")).last_login_at is not None
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused(client, seed):
    response = login(client, "admin", "nope")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_is_refused_like_a_wrong_password(client, seed):
    assert "用户名或密码错误" in login(client, "nobody").get_data(as_text=True)


def test_inactive_user_is_refused(client, seed, db):
    response = login(client, "gone")
    assert response.status_code == 401
    assert "该账号已停用" in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.username == "gone")).last_login_at is None


def test_deactivated_while_logged_in_is_logged_out(as_admin, db):
    db.scalar(select(User).where(User.username == "admin")).active = False
    db.commit()
    assert as_admin.get("/agents/").status_code == 302


def test_anonymous_is_sent_to_login_with_next(client, seed):
    response = client.get("/calls/?outcome=answered")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_next_is_followed_when_local(client, seed):
    response = login(client, "admin", next="/calls/")
    assert response.headers["Location"] == "/calls/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_next_to_another_site_is_ignored(client, seed, target):
    assert login(client, "admin", next=target).headers["Location"] == "/"


def test_logout(as_admin):
    response = as_admin.post("/auth/logout", follow_redirects=True)
    assert "您已退出登录" in response.get_data(as_text=True)
    assert as_admin.get("/").status_code == 302


def test_state_json_anonymous_gets_401_not_a_redirect(client, seed):
    response = client.get("/agents/state.json")
    assert response.status_code == 401
    assert response.is_json


# (path, method) → roles allowed; everything else must get 403.
ACCESS = [
    ("/", "GET", {"admin", "supervisor"}),
    ("/agents/", "GET", {"admin", "supervisor"}),
    ("/agents/state.json", "GET", {"admin", "supervisor"}),
    ("/agents/new", "GET", {"admin"}),
    ("/agents/{agent}/edit", "GET", {"admin", "supervisor"}),
    ("/groups/", "GET", {"admin"}),
    ("/groups/new", "GET", {"admin"}),
    ("/groups/{group}/edit", "GET", {"admin"}),
    ("/calls/", "GET", {"admin", "supervisor"}),
    ("/me", "GET", {"admin", "supervisor", "agent"}),
]


@pytest.mark.parametrize("username,role", [("admin", "admin"), ("super", "supervisor"), ("agent1001", "agent")])
@pytest.mark.parametrize("path,method,allowed", ACCESS)
def test_role_enforcement(client, seed, username, role, path, method, allowed):
    login(client, username)
    url = path.format(agent=seed.agent_id, group=seed.tax_group_id)
    response = client.open(url, method=method)
    if role in allowed:
        assert response.status_code == 200
    elif path == "/" and role == "agent":
        assert response.headers["Location"] == "/me"
    else:
        assert response.status_code == 403
        assert "您的角色无权访问此页面" in response.get_data(as_text=True)


def test_supervisor_cannot_create_or_delete_agents(as_supervisor, seed, db):
    new_agent = {"employee_no": "9", "name": "x", "extension": "9"}
    assert as_supervisor.post("/agents/new", data=new_agent).status_code == 403
    assert as_supervisor.post(f"/agents/{seed.agent_id}/delete").status_code == 403
    assert as_supervisor.post(f"/groups/{seed.tax_group_id}/delete").status_code == 403


def test_agent_page_says_which_agent(as_agent):
    text = as_agent.get("/me").get_data(as_text=True)
    assert "您是坐席 1001（张三），分机 8001" in text
    assert "示闲" in text


def test_a_one_time_password_must_be_changed_before_anything_else(client, seed, db):
    from .helpers import PASSWORD
    user = db.scalar(select(User).where(User.username == "admin"))
    user.must_change_password = True
    db.commit()
    response = login(client, "admin", next="/calls/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/password")
    for path in ("/", "/agents/", "/calls/"):               # every page leads to the change first
        assert client.get(path).headers["Location"].startswith("/auth/password")
    assert client.get("/api/v1/me").status_code in (403, 404)
    page = client.get("/auth/password").get_data(as_text=True)
    assert "一次性密码" in page
    refused = client.post("/auth/password", data={"current": "wrong", "new": "a-new-passw0rd",
                                                  "confirm": "a-new-passw0rd"})
    assert refused.status_code == 400 and "密码错误" in refused.get_data(as_text=True)
    short = client.post("/auth/password", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 400 and "至少 10 个字符" in short.get_data(as_text=True)
    done = client.post("/auth/password?next=/calls/", data={"current": PASSWORD, "new": "a-new-passw0rd",
                                                            "confirm": "a-new-passw0rd"})
    assert done.status_code == 302 and done.headers["Location"] == "/calls/"
    assert client.get("/agents/").status_code == 200
    db.expire_all()
    assert not db.scalar(select(User).where(User.username == "admin")).must_change_password
    client.post("/auth/logout")
    assert login(client, "admin").status_code == 401                         # the one-time password is spent
    assert login(client, "admin", "a-new-passw0rd").headers["Location"] == "/"


def test_a_copied_cookie_is_dead_after_logout_and_after_a_password_change(app, seed):
    from .helpers import PASSWORD
    first = app.test_client()
    assert login(first, "admin").status_code == 302
    cookie = first.get_cookie("cc_session").value
    copy = app.test_client()
    copy.set_cookie("cc_session", cookie)
    assert copy.get("/agents/").status_code == 200                # the copy works while the session is on
    first.post("/auth/logout")
    assert copy.get("/agents/").headers["Location"].startswith("/auth/login")
    # a password change ends the user's other sessions, not the one that changed it
    mine, other = app.test_client(), app.test_client()
    for c in (mine, other):
        assert login(c, "admin").status_code == 302
    assert mine.post("/auth/password", data={"current": PASSWORD, "new": "another-passw0rd",
                                            "confirm": "another-passw0rd"}).status_code == 302
    assert mine.get("/agents/").status_code == 200
    assert other.get("/agents/").headers["Location"].startswith("/auth/login")


def test_an_idle_session_ends(app, seed, db):
    import datetime as dt
    from engine.store.models import UserSession
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    for row in db.scalars(select(UserSession)):
        row.last_seen_at = row.last_seen_at - dt.timedelta(minutes=31)
    db.commit()
    assert client.get("/agents/").headers["Location"].startswith("/auth/login")


def test_repeated_wrong_passwords_lock_the_account_whether_or_not_it_exists(client, seed):
    from .helpers import PASSWORD
    for _ in range(10):
        assert login(client, "admin", "wrong").status_code == 401
    locked = login(client, "admin")                                   # even the right password, for now
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_data(as_text=True)
    for _ in range(10):
        login(client, "no-such-user", "wrong")
    assert login(client, "no-such-user", "wrong").status_code == 429       # the lock tells nothing
    assert login(client, "super", PASSWORD).status_code == 302            # other users are not affected


def test_an_administrator_unlock_lets_the_user_in_again(app, client, seed, db):
    from admin_web.auth.guard import unlock
    from .helpers import PASSWORD
    for _ in range(10):
        login(client, "admin", "wrong")
    assert unlock(db, "admin") == 10
    db.commit()
    assert login(client, "admin", PASSWORD).status_code == 302


def test_every_answer_carries_the_security_headers_and_oversized_bodies_are_refused(app, client, seed):
    response = client.get("/auth/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = client.post("/auth/login", data={"username": "x", "password": "y" * 4096})
    assert big.status_code == 413 and "内容过大" in big.get_data(as_text=True)
