"""IVR flows and prompts: list with status and numbers, outline and diagram, validated upload, prompt upload."""
from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import AuditEntry, PublishedNumber

ROOT = Path(__file__).resolve().parents[2]

VALID = b"""name: tax_main
description: new main menu
start: welcome
nodes:
  welcome: {type: play, prompt: welcome.wav, next: menu}
  menu:
    type: menu
    prompt: tax_menu.wav
    invalid_prompt: invalid.wav
    choices: {"1": bye}
    default: bye
  bye: {type: hangup, prompt: goodbye.wav}
"""
BROKEN = b"""name: tax_main
start: welcome
nodes:
  welcome: {type: play, prompt: welcome.wav, next: nowhere}
"""


@pytest.fixture
def dirs(app, tmp_path):
    """A copy of the shipped flows and prompts, given to the console as FLOWS_DIR / PROMPTS_DIR."""
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "ivr_flows", flows)
    app.config.update(FLOWS_DIR=str(flows), PROMPTS_DIR=str(flows / "prompts"))
    return flows


def wav_bytes(rate: int = 22050, seconds: float = 0.5) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x01" * 2 * int(rate * seconds))
    return out.getvalue()


def audit(db) -> list[tuple[str, str, str]]:
    db.expire_all()
    return [(e.actor, e.action, e.target) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_list_shows_status_description_and_numbers(as_supervisor, dirs, db):
    db.add(PublishedNumber(number="12366", name="纳税热线", flow="tax_main"))
    db.commit()
    (dirs / "broken.yaml").write_bytes(BROKEN.replace(b"tax_main", b"broken"))
    text = as_supervisor.get("/flows/").get_data(as_text=True)
    assert "12366 纳税缴费服务热线主流程" in text and "12366" in text
    assert "有效" in text and "无效" in text
    assert "leads to unknown node &#39;nowhere&#39;" in text and "节点 welcome" in text    # the loader's words kept…
    assert "指向不存在的节点 &#39;nowhere&#39;。" in text                                   # …shown in Chinese
    assert "上传" not in text.split("</table>")[-1]           # supervisors do not get the upload form


def test_flow_page_has_outline_and_svg_diagram(as_supervisor, dirs):
    text = as_supervisor.get("/flows/tax_hours").get_data(as_text=True)
    main = text.split('<main class="page">', 1)[1]      # the layout's own scripts (system banner) are outside it
    assert "<svg" in main and "node-condition" in main and "<script" not in main
    assert "如果当天是法定或本地节假日" in text                        # condition in words
    assert "时间在 08:00-18:00 之内" in text
    assert "按键 1" in text and "收取 15–20 位数字存入 taxpayer_id" in text
    assert "enter_id.wav" in text and "队列 tax_policy" in text
    english = as_supervisor.get("/flows/tax_hours?lang=en").get_data(as_text=True)
    assert "if on a statutory or local holiday" in english and "key 1" in english


def test_unknown_flow_is_404(as_supervisor, dirs):
    assert as_supervisor.get("/flows/nope").status_code == 404
    assert as_supervisor.get("/flows/..%2Fetc").status_code == 404


def test_invalid_upload_is_refused_and_old_file_kept(as_admin, dirs, db):
    before = (dirs / "tax_main.yaml").read_bytes()
    response = as_admin.post("/flows/upload", data={"file": (io.BytesIO(BROKEN), "tax_main.yaml")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "上传被拒绝" in text
    assert "tax_main.yaml" in text and "welcome" in text and "leads to unknown node &#39;nowhere&#39;" in text
    assert (dirs / "tax_main.yaml").read_bytes() == before
    assert audit(db) == []


def test_upload_that_breaks_a_goto_or_names_a_missing_prompt_is_refused(as_admin, dirs):
    bad_prompt = VALID.replace(b"goodbye.wav", b"no_such.wav")
    text = as_admin.post("/flows/upload", data={"file": (io.BytesIO(bad_prompt), "tax_main.yaml")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "prompt file &#39;no_such.wav&#39; not found" in text
    goto = b"name: other\nstart: g\nnodes:\n  g: {type: goto, flow: nowhere_flow}\n"
    text = as_admin.post("/flows/upload", data={"file": (io.BytesIO(goto), "other.yaml")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "goes to unknown flow &#39;nowhere_flow&#39;" in text
    assert not (dirs / "other.yaml").exists()


def test_wrong_extension_and_duplicate_name_are_refused(as_admin, dirs):
    text = as_admin.post("/flows/upload", data={"file": (io.BytesIO(VALID), "tax.txt")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "流程文件必须是 .yaml 文件" in text
    text = as_admin.post("/flows/upload", data={"file": (io.BytesIO(VALID), "copy.yaml")},
                         content_type="multipart/form-data").get_data(as_text=True)
    assert "流程名 tax_main 已被其他文件使用" in text
    assert not (dirs / "copy.yaml").exists()


def test_valid_upload_replaces_the_file_with_audit(as_admin, dirs, db):
    response = as_admin.post("/flows/upload", data={"file": (io.BytesIO(VALID), "anything.yaml"),
                                                    "target": "tax_main"},
                             content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "流程文件 tax_main.yaml 已替换" in text and "几秒内" in text and "new main menu" in text
    assert (dirs / "tax_main.yaml").read_bytes() == VALID
    assert audit(db) == [("admin", "flow.replace", "flow:tax_main.yaml")]


def test_new_flow_upload_is_created(as_admin, dirs, db):
    new = VALID.replace(b"name: tax_main", b"name: night")
    assert as_admin.post("/flows/upload", data={"file": (io.BytesIO(new), "night.yml")},
                         content_type="multipart/form-data").status_code == 302
    assert (dirs / "night.yaml").read_bytes() == new
    assert audit(db) == [("admin", "flow.create", "flow:night.yaml")]


def test_prompts_list_and_play(as_supervisor, dirs):
    text = as_supervisor.get("/flows/prompts/").get_data(as_text=True)
    assert "welcome.wav" in text and "tax_main" in text and "<audio" in text
    response = as_supervisor.get("/flows/prompts/welcome.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert as_supervisor.get("/flows/prompts/welcome.wav?rate=16000").status_code == 200
    assert as_supervisor.get("/flows/prompts/..%2F..%2Fsecret.wav").status_code == 404
    assert as_supervisor.get("/flows/prompts/none.wav").status_code == 404


def test_prompt_upload_of_a_wav_writes_both_rates(as_admin, dirs, db):
    response = as_admin.post("/flows/prompts/upload", data={"file": (io.BytesIO(wav_bytes()), "hello.wav"),
                                                            "name": "new_hello"},
                             content_type="multipart/form-data", follow_redirects=True)
    assert "提示音 new_hello.wav 已保存" in response.get_data(as_text=True)
    for path, rate in ((dirs / "prompts" / "new_hello.wav", 8000), (dirs / "prompts/16000/new_hello.wav", 16000)):
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (rate, 1, 2)
    assert audit(db) == [("admin", "prompt.create", "prompt:new_hello.wav")]


def test_prompt_upload_errors_show_prompt_error(as_admin, dirs, db, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)              # no ffmpeg here
    response = as_admin.post("/flows/prompts/upload", data={"file": (io.BytesIO(b"ID3..."), "hello.mp3")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert "未安装 ffmpeg" in response.get_data(as_text=True) and "install ffmpeg" not in response.get_data(as_text=True)
    response = as_admin.post("/flows/prompts/upload", data={"file": (io.BytesIO(b"not audio"), "x.wav")},
                             content_type="multipart/form-data")
    assert "x.wav 不是可读取的 wav 音频文件。" in response.get_data(as_text=True)
    assert not (dirs / "prompts" / "hello.wav").exists() and audit(db) == []


def test_roles(client, seed, dirs, as_supervisor):
    assert as_supervisor.post("/flows/upload", data={"file": (io.BytesIO(VALID), "tax_main.yaml")},
                              content_type="multipart/form-data").status_code == 403
    assert as_supervisor.post("/flows/prompts/upload").status_code == 403
    as_supervisor.post("/auth/logout")
    from .helpers import login
    login(client, "agent1001")
    assert client.get("/flows/").status_code == 403
    assert client.get("/flows/prompts/").status_code == 403


def test_the_follow_up_flow_reads_in_words(as_supervisor, dirs):
    text = as_supervisor.get("/flows/followup").get_data(as_text=True)
    assert "工单回访（自动外呼）" in text and "回访评价" in text
    assert "评价承办单位的工作态度" in text and "按键 3：不满意" in text and "按键 2：基本满意" in text
