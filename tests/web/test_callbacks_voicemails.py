"""Callbacks and voice messages: lists, filters, roles; the voice-message player only serves files inside the
recordings directory; 'mark handled' is audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.store.models import AuditEntry, Callback, Queue, Voicemail

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)        # 09:00 in Beijing
WAV = b"RIFF$\x00\x00\x00WAVEfmt " + b"\x00" * 28


@pytest.fixture
def queue(db, seed):
    db.add(Queue(code="tax", name="纳税咨询"))
    db.commit()


@pytest.fixture
def callbacks(db, seed, queue):
    db.add_all([
        Callback(call_uuid="cb-1", number="13900000001", queue_code="tax", enqueued_at=T0,
                 requested_at=T0 + dt.timedelta(seconds=40), status="done", attempts=1, agent_id=seed.agent_id,
                 completed_at=T0 + dt.timedelta(minutes=5), last_cause="NORMAL_CLEARING"),
        Callback(call_uuid="cb-2", number="13900000002", queue_code="tax", enqueued_at=T0 + dt.timedelta(minutes=1),
                 requested_at=T0 + dt.timedelta(minutes=2), status="pending", attempts=0),
        Callback(call_uuid="cb-3", number="13900000003", queue_code="gone", enqueued_at=T0 + dt.timedelta(minutes=3),
                 requested_at=T0 + dt.timedelta(minutes=4), status="failed", attempts=3, last_cause="NO_ANSWER"),
    ])
    db.commit()


# callbacks ---------------------------------------------------------------------------------------------------

def test_callbacks_list_newest_first_with_details(as_supervisor, callbacks):
    text = as_supervisor.get("/callbacks/").get_data(as_text=True)
    assert text.index("13900000003") < text.index("13900000002") < text.index("13900000001")
    assert "纳税咨询" in text and "gone" in text                       # queue name, or its code if deleted
    assert "1001 张三" in text and "NO_ANSWER" in text
    assert "2026-03-02 09:00:00" in text and "2026-03-02 09:00:40" in text and "2026-03-02 09:05:00" in text
    assert "待回拨" in text and "已完成" in text and "失败" in text
    assert 'id="callbacks-pending">1<' in text
    assert 'href="/calls/cb-1"' in text


@pytest.mark.parametrize("status, shown, hidden", [
    ("pending", "13900000002", "13900000001"), ("done", "13900000001", "13900000003"),
    ("failed", "13900000003", "13900000002")])
def test_callbacks_filter(as_admin, callbacks, status, shown, hidden):
    text = as_admin.get(f"/callbacks/?status={status}").get_data(as_text=True)
    assert shown in text and hidden not in text


def test_callbacks_bad_filter_shows_all(as_admin, callbacks):
    text = as_admin.get("/callbacks/?status=bogus&page=x").get_data(as_text=True)
    assert all(n in text for n in ("13900000001", "13900000002", "13900000003"))


def test_callbacks_pagination(app, as_admin, callbacks):
    app.config["LIST_PER_PAGE"] = 2
    first = as_admin.get("/callbacks/").get_data(as_text=True)
    assert "13900000003" in first and "13900000001" not in first and "第 1 页，共 2 页" in first
    assert "13900000001" in as_admin.get("/callbacks/?page=2").get_data(as_text=True)


def test_callbacks_empty_and_english(as_admin, seed):
    assert "暂无回拨" in as_admin.get("/callbacks/").get_data(as_text=True)
    assert "No callbacks." in as_admin.get("/callbacks/?lang=en").get_data(as_text=True)


def test_callbacks_roles(client, as_agent, seed):
    assert as_agent.get("/callbacks/").status_code == 403


def test_callbacks_need_login(client, seed):
    assert client.get("/callbacks/").status_code == 302


# voice messages ----------------------------------------------------------------------------------------------

@pytest.fixture
def recordings(app, tmp_path):
    """The recordings directory the console may serve from (Config.recordings_dir)."""
    root = tmp_path / "recordings"
    (root / "voicemail" / "20260302").mkdir(parents=True)
    app.config["RECORDINGS_DIR"] = str(root)
    return root


@pytest.fixture
def voicemails(db, seed, queue, recordings, tmp_path):
    """vm-ok (file present), vm-missing (no file yet), vm-outside (a file outside the directory), vm-old (handled)."""
    ok = recordings / "voicemail" / "20260302" / "vm-ok.wav"
    ok.write_bytes(WAV)
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"not for you")
    rows = {
        "vm-ok": Voicemail(call_uuid="vm-ok", ani="13800000001", dnis="12366", queue_code="tax",
                           recorded_at=T0 + dt.timedelta(minutes=1), file_path=str(ok), duration_s=75.4),
        "vm-missing": Voicemail(call_uuid="vm-missing", ani="13800000002", dnis="12366", queue_code="tax",
                                recorded_at=T0 + dt.timedelta(minutes=2),
                                file_path=str(recordings / "voicemail" / "20260302" / "vm-missing.wav"), duration_s=3),
        "vm-outside": Voicemail(call_uuid="vm-outside", ani="13800000003", dnis="12366", queue_code="tax",
                                recorded_at=T0 + dt.timedelta(minutes=3),
                                file_path=str(recordings / ".." / "secret.wav"), duration_s=3),
        "vm-old": Voicemail(call_uuid="vm-old", ani="13800000004", dnis="12345", queue_code="tax",
                            recorded_at=T0 + dt.timedelta(minutes=9), file_path=str(ok), duration_s=10,
                            status="handled"),
    }
    db.add_all(rows.values())
    db.commit()
    return {uuid: vm.id for uuid, vm in rows.items()}


def test_voicemail_list(as_supervisor, voicemails):
    text = as_supervisor.get("/voicemails/").get_data(as_text=True)
    # new messages first (newest first), then handled ones, even if newer
    assert text.index("13800000003") < text.index("13800000002") < text.index("13800000001") < text.index(
        "13800000004")
    assert "纳税咨询" in text and "12366" in text and "2026-03-02 09:01:00" in text and "1:15" in text
    assert f'<audio controls preload="none" src="/voicemails/{voicemails["vm-ok"]}/audio">' in text
    assert text.count("<audio") == 2                    # vm-ok and vm-old (same file)
    assert "文件缺失" in text and "文件不在录音目录中" in text
    assert 'id="voicemails-new">3<' in text and 'id="voicemails-handled">1<' in text
    assert text.count("标记为已处理") == 3


def test_voicemail_filter(as_admin, voicemails):
    text = as_admin.get("/voicemails/?status=handled").get_data(as_text=True)
    assert "13800000004" in text and "13800000001" not in text


def test_audio_is_streamed(as_supervisor, voicemails):
    response = as_supervisor.get(f"/voicemails/{voicemails['vm-ok']}/audio")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav" and response.data == WAV
    partial = as_supervisor.get(f"/voicemails/{voicemails['vm-ok']}/audio", headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206 and partial.data == b"RIFF"


@pytest.mark.parametrize("path", [
    "{tmp}/secret.wav",                                  # absolute, outside
    "{root}/../secret.wav",                              # climbs out
    "../secret.wav",                                     # relative, climbs out
    "{root}/voicemail/20260302/link.wav",                # a symbolic link inside pointing outside
    "{root}/voicemail/20260302/notes.txt",               # not a WAV file
    "{root}",                                            # the directory itself
    "",
])
def test_audio_outside_the_recordings_directory_is_404(as_admin, db, voicemails, recordings, tmp_path, path):
    (recordings / "voicemail" / "20260302" / "link.wav").symlink_to(tmp_path / "secret.wav")
    (recordings / "voicemail" / "20260302" / "notes.txt").write_text("x")
    vm = db.get(Voicemail, voicemails["vm-ok"])
    vm.file_path = path.format(tmp=tmp_path, root=recordings)
    db.commit()
    response = as_admin.get(f"/voicemails/{vm.id}/audio")
    assert response.status_code == 404 and b"not for you" not in response.data
    assert "文件不在录音目录中" in as_admin.get("/voicemails/").get_data(as_text=True)


def test_relative_path_is_inside_the_recordings_directory(as_admin, db, voicemails):
    vm = db.get(Voicemail, voicemails["vm-ok"])
    vm.file_path = "voicemail/20260302/vm-ok.wav"
    db.commit()
    assert as_admin.get(f"/voicemails/{vm.id}/audio").data == WAV


def test_audio_of_a_missing_file_or_message_is_404(as_admin, voicemails):
    assert as_admin.get(f"/voicemails/{voicemails['vm-missing']}/audio").status_code == 404
    assert as_admin.get("/voicemails/9999/audio").status_code == 404


def test_recordings_dir_defaults_to_the_engine_configuration(app, as_admin, voicemails):
    from admin_web.voicemails.files import recordings_dir
    from engine.config import load_config
    app.config.pop("RECORDINGS_DIR")
    with app.test_request_context():
        assert recordings_dir() == load_config().recordings_dir.resolve()
    # the test files are not under the project's recordings directory: nothing is served
    assert as_admin.get(f"/voicemails/{voicemails['vm-ok']}/audio").status_code == 404


def test_mark_handled_is_audited(as_supervisor, db, voicemails):
    response = as_supervisor.post(f"/voicemails/{voicemails['vm-ok']}/handled", follow_redirects=True)
    assert "来自 13800000001 的留言已标记为已处理" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Voicemail, voicemails["vm-ok"]).status == "handled"
    entries = db.scalars(select(AuditEntry)).all()
    assert [(e.actor, e.action, e.target) for e in entries] == [("super", "voicemail.handled", "voicemail:vm-ok")]
    again = as_supervisor.post(f"/voicemails/{voicemails['vm-ok']}/handled", follow_redirects=True)
    assert "该留言已标记为已处理" in again.get_data(as_text=True)
    assert len(db.scalars(select(AuditEntry)).all()) == 1


def test_mark_handled_keeps_the_filter(as_admin, voicemails):
    response = as_admin.post(f"/voicemails/{voicemails['vm-ok']}/handled?status=new")
    assert response.headers["Location"].endswith("/voicemails/?status=new")
    response = as_admin.post(f"/voicemails/{voicemails['vm-missing']}/handled?status=//evil.example")
    assert response.headers["Location"].endswith("/voicemails/")


def test_mark_handled_needs_csrf(app, as_admin, db, voicemails):
    app.config["WTF_CSRF_ENABLED"] = True
    assert as_admin.post(f"/voicemails/{voicemails['vm-ok']}/handled").status_code == 400
    db.expire_all()
    assert db.get(Voicemail, voicemails["vm-ok"]).status == "new"


def test_voicemail_roles(client, as_agent, voicemails):
    assert as_agent.get("/voicemails/").status_code == 403
    assert as_agent.get(f"/voicemails/{voicemails['vm-ok']}/audio").status_code == 403
    assert as_agent.post(f"/voicemails/{voicemails['vm-ok']}/handled").status_code == 403


def test_unknown_voicemail_is_404(as_admin, seed):
    assert as_admin.post("/voicemails/9999/handled").status_code == 404
    assert "暂无语音留言" in as_admin.get("/voicemails/").get_data(as_text=True)


def test_nav_links_for_staff_only(as_supervisor, seed):
    text = as_supervisor.get("/calls/").get_data(as_text=True)
    for href in ('href="/queues/"', 'href="/callbacks/"', 'href="/voicemails/"'):
        assert href in text
