"""Orders out and in (R-NF-4): the list's view as CSV and XLSX with Chinese headers and words, Beijing times and the
citizen's number only for the roles that see it, scoped by hall; the import checks every row first (problems by
row and column, in Chinese), writes nothing until the whole file is valid and confirmed, registers through the
store (deadlines apply), and a second import of the same file adds nothing. Then the work-order reports page and
the monthly workbook's 工单热点 sheet."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from admin_web.auth.services import create_user
from engine.domain.followup import RequestType
from engine.domain.states import Role
from engine.store import orders as store
from engine.store.models import AuditEntry, Department, OrderCategory, WorkOrder
from .helpers import PASSWORD, login
from .test_scope import two_halls  # noqa: F401  (fixture)

UTC = dt.timezone.utc
BEIJING = dt.timezone(dt.timedelta(hours=8))


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def data(app, db, two_halls):  # noqa: F811
    root = OrderCategory(name="税费政策")
    db.add(root)
    db.flush()
    leaf = OrderCategory(name="个人所得税", parent_id=root.id)
    db.add_all([leaf, Department(hall_id=two_halls["ft"], name="福田税政科")])
    db.flush()
    create_user(db, "qc", PASSWORD, Role.QUALITY)
    ctx = store.Context.load(db)
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=BEIJING)
    ft = store.register(db, ctx, store.Actor("坐席"), request_type=RequestType.COMPLAINT, title="福田工单",
                        content="排队太久", citizen_name="李四", citizen_phone="13800001111", category_id=leaf.id,
                        hall_id=two_halls["ft"], now=at)
    store.register(db, ctx, store.Actor("坐席"), request_type=RequestType.CONSULTATION, title="广州工单",
                   content="广州的事", citizen_phone="13922220002", hall_id=two_halls["gz"], now=at)
    db.commit()
    return {"ft_number": ft.number, "leaf": leaf.id, "hall": two_halls["ft"]}


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_export_speaks_chinese_in_beijing_time_and_shows_the_number_to_those_who_see_it(app, data):
    rows = {r["标题"]: r for r in _csv(_client(app, "super").get("/orders/export?format=csv&view=all"))}
    assert set(rows) == {"福田工单", "广州工单"}
    ft = rows["福田工单"]
    assert (ft["工单编号"], ft["诉求类型"], ft["紧急程度"], ft["状态"], ft["分类"], ft["服务厅"]) == (
        data["ft_number"], "投诉", "一般", "待初审", "税费政策 › 个人所得税", "福田区")
    assert ft["登记时间"] == "2026-12-01 09:30:00" and ft["联系电话"] == "13800001111" and ft["市民姓名"] == "李四"
    assert ft["派单时限"] == "2026-12-01 12:30:00"          # 3 natural hours, in Beijing time
    quality = _csv(_client(app, "qc").get("/orders/export?format=csv"))
    assert {r["联系电话"] for r in quality} == {""} and len(quality) == 2
    found = _csv(_client(app, "super").get("/orders/export?format=csv&view=all&q=福田"))
    assert [r["标题"] for r in found] == ["福田工单"]


def test_the_xlsx_export_is_scoped_like_the_page(app, data):
    response = _client(app, "sz-boss").get("/orders/export?format=xlsx&view=all")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("工单编号", "来源编号", "登记时间", "诉求类型")
    assert [r[6] for r in rows[1:]] == ["福田工单"]
    assert "广州" not in repr(rows)
    assert _client(app, "super").get("/orders/export?format=pdf").status_code == 400


def _file(rows, fmt="csv") -> tuple[io.BytesIO, str]:
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        return io.BytesIO(text.getvalue().encode("utf-8-sig")), "orders.csv"
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out, "orders.xlsx"


HEADER = ["来源编号", "诉求类型", "紧急程度", "标题", "诉求内容", "市民姓名", "联系电话", "分类", "服务厅"]


def test_a_bad_file_is_reported_by_row_and_column_in_chinese_and_nothing_is_written(app, db, data):
    boss = _client(app, "super")
    before = db.scalar(select(func.count(WorkOrder.id)))
    rows = [HEADER, ["GD-1", "投诉", "一般", "路灯不亮", "小区路灯坏了", "王五", "13800002222", "个人所得税", "福田区"],
            ["GD-2", "抱怨", "加急", "", "内容", "", "12ab", "不存在的分类", "火星"],
            ["GD-1", "咨询", "", "标题", "内容", "", "", "", ""]]
    page = boss.post("/orders/import", data={"file": _file(rows)}, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    for words in ("不是有效的诉求类型：抱怨", "不是有效的紧急程度：加急", "必填", "只能是", "没有此分类：不存在的分类",
                  "您的服务厅中没有：火星", "来源编号与第 2 行重复"):
        assert words in text, words
    assert "<td class=\"num\">3</td><td>标题</td>" in text        # row 3, column 标题
    assert db.scalar(select(func.count(WorkOrder.id))) == before
    missing = boss.post("/orders/import", data={"file": _file([["标题", "诉求内容"], ["a", "b"]])},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "缺少此列" in missing and "来源编号" in missing


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_good_import_is_previewed_confirmed_registered_and_never_duplicated(app, db, data, fmt):
    boss = _client(app, "super")
    rows = [HEADER + ["工单编号", "状态"],
            ["GD-100", "投诉", "一般", "路灯不亮", "小区路灯坏了", "王五", "13800002222", "税费政策 › 个人所得税", "福田区",
             "x", "y"],
            ["GD-101", "咨询", "特殊事项", "发票", "怎么开发票", "", "", "", "", "", ""]]
    before = db.scalar(select(func.count(WorkOrder.id)))
    preview = boss.post("/orders/import", data={"file": _file(rows, fmt)}, content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "将登记 2 条新工单" in page
    assert db.scalar(select(func.count(WorkOrder.id))) == before        # the preview writes nothing
    import re
    payload = re.search(r'name="data" value="([^"]+)"', page).group(1)
    done = boss.post("/orders/import", data={"data": payload, "filename": f"orders.{fmt}", "confirm": "1"})
    assert done.status_code == 302
    db.expire_all()
    made = {o.title: o for o in db.scalars(select(WorkOrder).where(WorkOrder.external_number.is_not(None)))}
    assert set(made) == {"路灯不亮", "发票"}
    lamp = made["路灯不亮"]
    assert (lamp.external_number, lamp.call_uuid, lamp.citizen_phone, lamp.category_id, lamp.hall_id) == (
        "GD-100", None, "13800002222", data["leaf"], data["hall"])
    assert lamp.dispatch_due is not None and made["发票"].urgency.value == "special"
    assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "order.import")) == 2
    exported = {r["标题"]: r for r in _csv(boss.get("/orders/export?format=csv"))}
    assert exported["路灯不亮"]["来源编号"] == "GD-100"
    again = boss.post("/orders/import", data={"file": _file(rows, fmt)}, content_type="multipart/form-data")
    assert "将登记 0 条新工单，2 条已导入" in again.get_data(as_text=True)
    assert db.scalar(select(func.count(WorkOrder.id))) == before + 2
    assert _client(app, "agent1001").post("/orders/import", data={"file": _file(rows, fmt)},
                                         content_type="multipart/form-data").status_code == 403


def test_the_work_order_reports_page_and_the_monthly_workbooks_hot_topics(app, db, data):
    boss = _client(app, "super")
    page = boss.get("/orders/reports?dimension=request_type&grain=range&start=2026-12-01&end=2026-12-31")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("工单报表", "投诉", "咨询", "派单超时", "超期未办结工单", "承办单位满意度"):
        assert words in text, words
    hall_page = _client(app, "sz-boss").get("/orders/reports?dimension=hall&grain=day&start=2026-12-01"
                                              "&end=2026-12-31").get_data(as_text=True)
    assert "福田区" in hall_page and "广州" not in hall_page and "2026-12-01" in hall_page
    for dimension in ("department", "category", "category2", "all"):
        scoped = _client(app, "sz-boss").get(f"/orders/reports?dimension={dimension}&grain=month&start=2026-12-01"
                                             "&end=2026-12-31")
        assert scoped.status_code == 200 and "广州" not in scoped.get_data(as_text=True), dimension
    assert _client(app, "agent1001").get("/orders/reports").status_code == 403
    book = load_workbook(io.BytesIO(boss.get("/reports/monthly.xlsx?month=2026-12").get_data()))
    sheet = book["工单热点"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "本月工单 2 件"
    assert rows[1][:4] == ("排名", "工单分类", "工单量", "占比 %")
    assert rows[2][:4] == (1, "税费政策 › 个人所得税", 1, 50.0) or rows[3][:4] == (2, "税费政策 › 个人所得税", 1, 50.0)
    assert any(r[0] == "业务指标（采购需求 004）" for r in rows)
