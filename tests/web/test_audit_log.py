"""The audit log page (操作日志, R-ADM-3): filters by who, action, object, days and hall; pages; CSV; a hall's staff
see only the entries of their halls' users; agents do not see it."""
import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from engine.store.models import AuditEntry, User

from .test_scope import as_user, two_halls  # noqa: F401  (fixture)

UTC = dt.timezone.utc


def entries(page: str) -> list[str]:
    """The rows of the entries table, as text."""
    body = page[page.index('id="audit-entries"'):]
    body = body[body.index("<tbody>"):body.index("</tbody>")]
    return [row.split("</tr>")[0] for row in body.split("<tr>")[1:]]


@pytest.fixture
def log(db, seed):
    """A few days of entries by the admin and the supervisor."""
    now = dt.datetime.now(UTC)
    rows = [("admin", "agent.create", "agent:1001", "name=张三", now - dt.timedelta(days=3)),
            ("admin", "queue.update", "queue:tax", "wrap_up: 30 → 60", now - dt.timedelta(days=2)),
            ("super", "agent.state_request", "agent:1001", "not_ready:break", now - dt.timedelta(hours=1)),
            ("super", "agent.supervise", "agent:1002", "listen from extension 2001", now - dt.timedelta(minutes=5))]
    db.add_all([AuditEntry(actor=a, action=act, target=t, detail=d, at=at) for a, act, t, d, at in rows])
    db.commit()
    return now


def test_the_log_lists_every_entry_newest_first_in_chinese(as_admin, log):
    page = as_admin.get("/audit/").get_data(as_text=True)
    assert "操作日志" in page and "共找到 4 条记录。" in page
    rows = entries(page)
    assert "agent.supervise" in rows[0] and "agent.create" in rows[-1] and "name=张三" in rows[-1]
    assert 'href="/audit/"' in as_admin.get("/").get_data(as_text=True)        # in the navigation
    english = as_admin.get("/audit/?lang=en").get_data(as_text=True)
    assert "Audit log" in english and "4 entries found." in english


def test_filters_by_who_action_object_and_days(as_admin, log):
    rows = entries(as_admin.get("/audit/?actor=super").get_data(as_text=True))
    assert len(rows) == 2 and all("super" in r for r in rows)
    rows = entries(as_admin.get("/audit/?action=agent.").get_data(as_text=True))
    assert len(rows) == 3 and not any("queue.update" in r for r in rows)
    rows = entries(as_admin.get("/audit/?target=agent:1001").get_data(as_text=True))
    assert len(rows) == 2 and not any("agent:1002" in r for r in rows)
    from admin_web.timeutil import day_range
    today = (day_range("Asia/Shanghai")[0] + dt.timedelta(hours=12)).date()
    two_days_ago = today - dt.timedelta(days=2)
    rows = entries(as_admin.get(f"/audit/?day_from={two_days_ago}&day_to={two_days_ago}").get_data(as_text=True))
    assert len(rows) == 1 and "queue.update" in rows[0]
    page = as_admin.get(f"/audit/?day_from={today}&day_to={two_days_ago}").get_data(as_text=True)
    assert "结束日期早于开始日期。" in page
    page = as_admin.get("/audit/?actor=nobody").get_data(as_text=True)
    assert "没有符合条件的记录。" in page and "共找到 0 条记录。" in page
    page = as_admin.get("/audit/?action=%25").get_data(as_text=True)           # a literal %, not a wildcard
    assert "共找到 0 条记录。" in page


def test_pages_keep_the_filter(app, as_admin, db, seed):
    app.config["LIST_PER_PAGE"] = 2
    now = dt.datetime.now(UTC)
    db.add_all([AuditEntry(actor="admin", action="rule.move", target=f"rule:{i}", at=now - dt.timedelta(minutes=i))
                for i in range(5)] + [AuditEntry(actor="super", action="agent.supervise", target="agent:1", at=now)])
    db.commit()
    page = as_admin.get("/audit/?actor=admin").get_data(as_text=True)
    assert "第 1 页，共 3 页" in page and 'href="/audit/?page=2&amp;actor=admin"' in page
    last = as_admin.get("/audit/?actor=admin&page=3").get_data(as_text=True)
    assert [r for r in entries(last) if "rule:4" in r] and len(entries(last)) == 1


def test_the_export_is_the_filtered_log_as_csv(as_admin, log, db):
    db.add(AuditEntry(actor="admin", action="rule.create", target="rule:x", detail="=HYPERLINK(\"http://x\")"))
    db.commit()
    answer = as_admin.get("/audit/export.csv?actor=admin")
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["时间", "操作人", "操作", "对象", "详情"]
    assert [r[2] for r in rows[1:]] == ["rule.create", "queue.update", "agent.create"]
    assert rows[1][4].startswith("'=")              # a formula is written as text
    assert 'href="/audit/export.csv?actor=admin"' in as_admin.get("/audit/?actor=admin").get_data(as_text=True)


def test_supervisors_read_the_log(as_supervisor, log):
    assert "共找到 4 条记录。" in as_supervisor.get("/audit/").get_data(as_text=True)


def test_agents_may_not_read_the_log(as_agent, log):
    assert as_agent.get("/audit/").status_code == 403
    assert as_agent.get("/audit/export.csv").status_code == 403


def test_a_halls_supervisor_sees_only_the_entries_of_their_halls_users(app, db, two_halls):  # noqa: F811
    now = dt.datetime.now(UTC)
    ft_user = db.scalar(select(User).where(User.username == "agent1001"))
    ft_user.hall_id = two_halls["ft"]
    db.add_all([AuditEntry(actor="sz-boss", action="agent.state_request", target="agent:1001", at=now),
                AuditEntry(actor="agent1001", action="order.register", target="order:1", at=now),
                AuditEntry(actor="gz-boss", action="agent.supervise", target="agent:3001", at=now),
                AuditEntry(actor="admin", action="hall.create", target="hall:GD-440100", at=now)])
    db.commit()
    sz = as_user(app, "sz-boss")
    rows = entries(sz.get("/audit/").get_data(as_text=True))
    assert len(rows) == 2 and not any("gz-boss" in r or "hall.create" in r for r in rows)
    csv_text = sz.get("/audit/export.csv").get_data(as_text=True)
    assert "sz-boss" in csv_text and "gz-boss" not in csv_text
    province = as_user(app, "super")
    page = province.get("/audit/").get_data(as_text=True)
    assert "gz-boss" in page and "hall.create" in page
    rows = entries(province.get(f"/audit/?hall={two_halls['ft']}").get_data(as_text=True))
    assert len(rows) == 1 and "order.register" in rows[0]
    assert sz.get(f"/audit/?hall={two_halls['gz']}").status_code == 200      # not a hall of theirs: no filter…
    rows = entries(sz.get(f"/audit/?hall={two_halls['gz']}").get_data(as_text=True))
    assert not any("gz-boss" in r for r in rows)                               # …and still only their own
