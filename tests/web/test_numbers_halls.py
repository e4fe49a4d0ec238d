"""Published numbers (list, filter, form, CSV import/export) and service halls (tree, create/edit/delete)."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import Agent, AuditEntry, Hall, PublishedNumber
from engine.store.numbers import save_hall

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def halls(app, tmp_path, db, seed):
    """Flows from the project; halls 广东省 > 深圳市 > 福田区 and 广州市; two numbers; the agent in 福田区."""
    shutil.copytree(ROOT / "ivr_flows", tmp_path / "flows")
    app.config.update(FLOWS_DIR=str(tmp_path / "flows"), PROMPTS_DIR=str(tmp_path / "flows/prompts"))
    gd = save_hall(db, "GD-440000", "广东省", "province", "440000")
    sz = save_hall(db, "GD-440300", "深圳市", "city", "440300", "GD-440000")
    ft = save_hall(db, "GD-440304", "福田区", "county", "440304", "GD-440300")
    save_hall(db, "GD-440100", "广州市", "city", "440100", "GD-440000")
    db.add_all([PublishedNumber(number="12366", name="纳税缴费服务热线", flow="tax_main", hall_id=gd.id),
                PublishedNumber(number="075560304001", name="福田区纳税", flow="citizen_main", hall_id=ft.id)])
    db.get(Agent, seed.agent_id).hall_id = ft.id
    db.commit()
    return {"gd": gd.id, "sz": sz.id, "ft": ft.id}


def audit(db) -> list[tuple[str, str]]:
    db.expire_all()
    return [(e.action, e.target) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def numbers(db) -> dict[str, tuple]:
    db.expire_all()
    return {n.number: (n.name, n.flow, n.hall_id, n.active) for n in db.scalars(select(PublishedNumber))}


def csv_upload(text: str, **form):
    return {"file": (io.BytesIO(text.encode("utf-8")), "numbers.csv"), **form}


# ---------------------------------------------------------------- numbers

def test_list_filter_by_hall_includes_sub_halls_and_search(as_supervisor, halls):
    text = as_supervisor.get("/numbers/").get_data(as_text=True)
    assert "12366" in text and "075560304001" in text
    text = as_supervisor.get(f"/numbers/?hall={halls['sz']}").get_data(as_text=True)
    assert "075560304001" in text and "12366" not in text
    text = as_supervisor.get("/numbers/?q=纳税缴费").get_data(as_text=True)
    assert "12366" in text and "075560304001" not in text


def test_create_edit_deactivate_with_audit(as_admin, halls, db):
    response = as_admin.post("/numbers/new", data={"number": "0755-8888 0001", "name": "深圳热线", "flow": "tax_main",
                                                   "hall_id": halls["sz"], "active": "y"})
    assert response.status_code == 302
    assert numbers(db)["075588880001"] == ("深圳热线", "tax_main", halls["sz"], True)
    number_id = db.scalar(select(PublishedNumber.id).where(PublishedNumber.number == "075588880001"))
    assert as_admin.post(f"/numbers/{number_id}/edit", data={"number": "075588880001", "name": "深圳",
                                                             "flow": "citizen_main", "hall_id": 0,
                                                             "active": "y"}).status_code == 302
    assert numbers(db)["075588880001"] == ("深圳", "citizen_main", None, True)
    assert as_admin.post(f"/numbers/{number_id}/active", data={"active": "0"}).status_code == 302
    assert numbers(db)["075588880001"][3] is False
    assert audit(db) == [("number.create", "number:075588880001"), ("number.update", "number:075588880001"),
                         ("number.deactivate", "number:075588880001")]


def test_number_form_validation(as_admin, halls, db):
    response = as_admin.post("/numbers/new", data={"number": "12366", "flow": "tax_main", "hall_id": 0})
    assert response.status_code == 200 and "该号码已存在" in response.get_data(as_text=True)
    text = as_admin.post("/numbers/new", data={"number": "12ab", "flow": "nope", "hall_id": 0}).get_data(as_text=True)
    assert "号码为 3 到 32 位数字" in text and "不是有效的选择" in text
    assert len(numbers(db)) == 2 and audit(db) == []


def test_csv_import_errors_name_row_and_column_and_write_nothing(as_admin, halls, db):
    csv = ("number,name,flow,hall_code,active\n"
           "12345,便民热线,citizen_main,GD-440000,1\n"
           "02099990001,x,tax_main,GD-999999,1\n"
           "12345,dup,tax_main,,1\n")
    response = as_admin.post("/numbers/import", data=csv_upload(csv), content_type="multipart/form-data")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "文件中有 2 处错误，未导入任何数据" in text
    assert '<td class="num">3</td><td class="mono">hall_code</td>' in text and "unknown hall" in text
    assert '<td class="num">4</td><td class="mono">number</td>' in text and "already appears on row 2" in text
    assert "12345" not in numbers(db) and audit(db) == []


def test_csv_dry_run_reports_and_writes_nothing(as_admin, halls, db):
    csv = "number,flow\n12345,citizen_main\n12399,new_flow\n"
    text = as_admin.post("/numbers/import", data=csv_upload(csv, dry_run="y"),
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "试运行" in text and "新增 2 个" in text
    assert "new_flow" in text and "is not loaded" in text            # the warning, with its row
    assert "12345" not in numbers(db) and audit(db) == []


def test_csv_import_with_replace(as_admin, halls, db):
    csv = "\ufeffnumber,name,flow,hall_code\n12366,热线,tax_main,GD-440000\n12345,便民,citizen_main,\n"
    response = as_admin.post("/numbers/import", data=csv_upload(csv, replace="y"),
                             content_type="multipart/form-data", follow_redirects=True)
    assert "新增 1 个，更新 1 个，未变 0 个，删除 1 个" in response.get_data(as_text=True)
    assert set(numbers(db)) == {"12366", "12345"}
    assert audit(db) == [("numbers.import", "file:numbers.csv")]


def test_csv_export_is_utf8_with_bom(as_supervisor, halls):
    response = as_supervisor.get("/numbers/export.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "number,name,flow,hall_code,active"
    assert "12366,纳税缴费服务热线,tax_main,GD-440000,1" in text


def test_numbers_roles(client, halls, as_supervisor):
    assert as_supervisor.get("/numbers/new").status_code == 403
    assert as_supervisor.post("/numbers/import").status_code == 403
    as_supervisor.post("/auth/logout")
    from .helpers import login
    login(client, "agent1001")
    assert client.get("/numbers/").status_code == 403
    assert client.get("/halls/").status_code == 403


# ---------------------------------------------------------------- halls

def test_tree_with_counts(as_supervisor, halls):
    text = as_supervisor.get("/halls/").get_data(as_text=True)
    assert text.index("广东省") < text.index("广州市") < text.index("深圳市") < text.index("福田区")
    row = text[text.index("GD-440304"):].split("</tr>")[0]
    assert '>1</a>' in row and '<td class="num">1</td>' in row      # one number, one agent in 福田区
    province = text[text.index("GD-440000"):].split("</tr>")[0]
    assert "(2)" in province and "(1)" in province                    # subtree totals


def test_hall_create_edit_delete_with_audit(as_admin, halls, db):
    response = as_admin.post("/halls/new", data={"code": "GD-440305", "name": "南山区", "level": "county",
                                                 "region_code": "440305", "parent_code": "GD-440300",
                                                 "active": "y"})
    assert response.status_code == 302
    hall = db.scalar(select(Hall).where(Hall.code == "GD-440305"))
    assert hall.parent_id == halls["sz"]
    assert as_admin.post(f"/halls/{hall.id}/edit", data={"name": "南山", "level": "county", "region_code": "440305",
                                                          "parent_code": "GD-440300", "active": "y"}).status_code == 302
    db.expire_all()
    assert db.get(Hall, hall.id).name == "南山"
    assert as_admin.post(f"/halls/{hall.id}/delete").status_code == 302
    assert audit(db) == [("hall.create", "hall:GD-440305"), ("hall.update", "hall:GD-440305"),
                         ("hall.delete", "hall:GD-440305")]


def test_hall_errors_are_shown(as_admin, halls, db):
    response = as_admin.post("/halls/new", data={"code": "GD-450100", "name": "南宁", "level": "county",
                                                 "region_code": "450100", "parent_code": "GD-440300"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "服务厅未保存" in text and "is not inside its parent" in text
    text = as_admin.post("/halls/new", data={"code": "GD-440300", "name": "x", "level": "city",
                                             "region_code": "440300", "parent_code": "GD-440000"}).get_data(as_text=True)
    assert "已有使用此代码的服务厅" in text
    assert db.scalar(select(Hall).where(Hall.code == "GD-450100")) is None and audit(db) == []


def test_hall_with_sub_halls_is_not_deleted(as_admin, halls, db):
    response = as_admin.post(f"/halls/{halls['sz']}/delete", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "服务厅 深圳市 未删除" in text and "has 1 sub-hall(s)" in text
    assert db.get(Hall, halls["sz"]) is not None and audit(db) == []


def test_deleting_a_hall_frees_its_numbers_and_agents(as_admin, halls, db, seed):
    assert as_admin.post(f"/halls/{halls['ft']}/delete").status_code == 302
    db.expire_all()
    assert numbers(db)["075560304001"][2] is None
    assert db.get(Agent, seed.agent_id).hall_id is None


def test_a_file_that_is_not_csv_text_gets_a_clear_error_not_a_server_error(as_admin, halls, db):
    import io as _io
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"number,name\n\xff\xfe\xfa\xfb,x\n\x81\x30"):
        response = as_admin.post("/numbers/import", content_type="multipart/form-data",
                                 data={"file": (_io.BytesIO(data), "numbers.csv")})
        assert response.status_code == 400
        assert "不是 UTF-8 或 GB18030 编码的 CSV 文本" in response.get_data(as_text=True)
    assert audit(db) == []


def test_exported_names_that_a_spreadsheet_would_run_as_formulas_are_neutralised_and_import_back(as_admin, halls,
                                                                                              db):
    from engine.store.models import PublishedNumber
    row = db.scalar(select(PublishedNumber).where(PublishedNumber.number == "12366"))
    row.name = '=HYPERLINK("http://evil.example","点我")'
    db.commit()
    text = as_admin.get("/numbers/export.csv").get_data().decode("utf-8-sig")
    line = next(line for line in text.splitlines() if line.startswith("12366,"))
    assert line.startswith("12366,\"'=HYPERLINK(")
    response = as_admin.post("/numbers/import", data=csv_upload(text), content_type="multipart/form-data",
                             follow_redirects=True)
    assert response.status_code == 200
    db.expire_all()
    assert db.scalar(select(PublishedNumber).where(PublishedNumber.number == "12366")).name.startswith("=HYPERLINK")


@pytest.mark.parametrize("page", ["1e20", "99999999999999999999", "-3", "abc", "0"])
def test_an_absurd_page_number_never_fails(as_admin, halls, page):
    for path in ("/numbers/", "/calls/", "/callbacks/", "/voicemails/", "/recordings/"):
        assert as_admin.get(f"{path}?page={page}").status_code == 200, path
