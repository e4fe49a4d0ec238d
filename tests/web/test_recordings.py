"""Recordings console (R-REC-2): search, flags for missing/damaged files, play, download, zip, audit, traversal."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import AuditEntry, Queue, Recording

UTC = dt.timezone.utc
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"


@pytest.fixture
def rec_dir(app, tmp_path):
    root = tmp_path / "recordings"
    (root / "20260301").mkdir(parents=True)
    app.config["RECORDINGS_DIR"] = str(root)
    return root


@pytest.fixture
def recordings(db, seed, rec_dir, tmp_path):
    """Four recordings: two complete files, one whose file has vanished, one damaged; plus one outside the dir."""
    db.add(Queue(code="tax", name="纳税咨询"))
    start = dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)     # 10:00 in Shanghai
    rows = []
    for i, (ani, dnis, emp, queue, status) in enumerate([
            ("13912345678", "12366", "1001", "tax", "complete"), ("02566668888", "12388", "1002", "social", "complete"),
            ("13800000000", "12366", "1001", "tax", "complete"), ("13700000000", "12366", "1001", "tax", "damaged")]):
        path = rec_dir / "20260301" / f"call-{i}.wav"
        if i != 2:
            path.write_bytes(WAV + bytes([i]) * 100)
        rows.append(Recording(path=str(path), call_uuid=f"call-{i}", ani=ani, dnis=dnis, employee_no=emp,
                              extension="8001", queue_code=queue, started_at=start + dt.timedelta(days=i),
                              stopped_at=start + dt.timedelta(days=i, seconds=60), duration_s=60.0,
                              size_bytes=144, checksum="ab" * 32, status=status,
                              problem="unreadable audio (CouldntDecodeError)" if status == "damaged" else ""))
    outside = tmp_path / "secret.wav"
    outside.write_bytes(WAV)
    rows.append(Recording(path=str(outside), call_uuid="call-x", ani="1", dnis="2", started_at=start,
                          status="complete"))
    db.add_all(rows)
    db.commit()
    return [r.id for r in rows]


def listed(text: str) -> list[str]:
    return [part.split('"')[0] for part in text.split('data-recording="')[1:]]


def audits(db) -> list[tuple[str, str]]:
    db.expire_all()
    return [(a.action, a.detail) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_recordings_are_for_staff_only(client, as_agent, recordings):
    assert as_agent.get("/recordings/").status_code == 403
    assert as_agent.get(f"/recordings/{recordings[0]}/audio").status_code == 403


def test_anonymous_is_sent_to_login(client, seed):
    assert "/auth/login" in client.get("/recordings/").headers["Location"]


def test_list_flags_missing_and_damaged_files(as_supervisor, recordings):
    text = as_supervisor.get("/recordings/").get_data(as_text=True)
    assert len(listed(text)) == 5
    assert text.count('data-problem="missing"') == 1      # row says complete, but the file is gone now
    assert text.count('data-problem="damaged"') == 1
    assert text.count('data-problem="outside"') == 1
    assert "文件缺失" in text and "已损坏" in text
    assert text.count("<audio") == 3                       # only files that can be served get a player


@pytest.mark.parametrize("query,expected", [
    ("agent=1002", [1]), ("number=12388", [1]), ("number=13912345678", [0]), ("number=%2B86+139+1234+5678", [0]),
    ("number=139123", []),        # numbers are sealed in the database: found by the whole number only
    ("queue=tax", [3, 2, 0]),
    ("date_from=2026-03-02&date_to=2026-03-03", [2, 1]), ("status=damaged", [3]),
])
def test_search_filters(as_supervisor, recordings, query, expected):
    text = as_supervisor.get(f"/recordings/?{query}").get_data(as_text=True)
    assert listed(text) == [str(recordings[i]) for i in expected]


def test_play_streams_only_files_inside_the_recordings_directory(as_supervisor, recordings):
    response = as_supervisor.get(f"/recordings/{recordings[0]}/audio")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data.startswith(b"RIFF")
    partial = as_supervisor.get(f"/recordings/{recordings[0]}/audio", headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206 and partial.data == b"RIFF"
    assert as_supervisor.get(f"/recordings/{recordings[4]}/audio").status_code == 404    # outside
    assert as_supervisor.get(f"/recordings/{recordings[2]}/audio").status_code == 404    # missing
    assert as_supervisor.get("/recordings/9999/audio").status_code == 404


def test_path_traversal_is_refused(as_supervisor, recordings, db, rec_dir):
    row = db.get(Recording, recordings[1])
    row.path = str(rec_dir / ".." / "secret.wav")
    db.add(Recording(path="../secret.wav", call_uuid="rel", ani="1", dnis="2",
                     started_at=dt.datetime(2026, 3, 1, tzinfo=UTC), status="complete"))
    db.commit()
    rel_id = db.scalar(select(Recording.id).where(Recording.call_uuid == "rel"))
    for rid in (recordings[1], rel_id):
        assert as_supervisor.get(f"/recordings/{rid}/audio").status_code == 404
        assert as_supervisor.get(f"/recordings/{rid}/download").status_code == 404
    assert as_supervisor.get("/recordings/../../etc/passwd").status_code == 404


def test_download_one_is_audited(as_supervisor, recordings, db):
    response = as_supervisor.get(f"/recordings/{recordings[0]}/download")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "13912345678" in response.headers["Content-Disposition"]
    [(action, detail)] = audits(db)
    assert action == "recording.download" and "call-0" in detail


def test_batch_zip_contains_existing_files_and_a_manifest(as_admin, recordings, db):
    response = as_admin.post("/recordings/batch.zip", data={"ids": [str(i) for i in recordings[:3]]})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert not response.is_sequence or True
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    assert names == sorted(["manifest.csv", f"20260301/{recordings[0]}_call-0.wav",
                            f"20260302/{recordings[1]}_call-1.wav"])
    assert archive.read(f"20260301/{recordings[0]}_call-0.wav") == WAV + bytes([0]) * 100
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [(m["id"], m["included"]) for m in manifest] == [(str(recordings[0]), "yes"), (str(recordings[1]), "yes"),
                                                             (str(recordings[2]), "no")]
    assert manifest[2]["problem"] == "missing" and manifest[0]["ani"] == "13912345678"
    assert manifest[0]["started_at"].startswith("2026-03-01T10:00:00+08:00")
    [(action, detail)] = audits(db)
    assert action == "recording.download_batch" and detail.startswith("2 files")


def test_batch_zip_of_all_matches_uses_the_search(as_admin, recordings):
    response = as_admin.post("/recordings/batch.zip", data={"all": "1", "queue": "tax"})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert sorted(int(m["id"]) for m in manifest) == sorted(recordings[i] for i in (0, 2, 3))
    assert len(archive.namelist()) == 3     # the two readable tax files (one damaged still exists) + manifest


def test_batch_zip_streams_a_hundred_recordings(as_admin, db, seed, rec_dir):
    rows = []
    for i in range(100):
        path = rec_dir / "20260301" / f"many-{i}.wav"
        path.write_bytes(WAV + b"x" * 1000)
        rows.append(Recording(path=str(path), call_uuid=f"many-{i}", ani="1", dnis="2",
                              started_at=dt.datetime(2026, 3, 1, tzinfo=UTC), status="complete"))
    db.add_all(rows)
    db.commit()
    response = as_admin.post("/recordings/batch.zip", data={"ids": [str(r.id) for r in rows]}, buffered=False)
    assert response.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.iter_encoded())))
    assert len(archive.namelist()) == 101 and archive.testzip() is None


def test_batch_without_recordings_is_a_bad_request(as_admin, recordings):
    assert as_admin.post("/recordings/batch.zip", data={}).status_code == 400


def test_a_caller_id_that_is_a_formula_lands_in_the_manifest_as_text(as_admin, recordings, db):
    row = db.get(Recording, recordings[0])
    row.ani = '=HYPERLINK("http://evil.example","x")'
    db.commit()
    response = as_admin.post("/recordings/batch.zip", data={"ids": [str(recordings[0])]})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert manifest[0]["ani"] == "'" + '=HYPERLINK("http://evil.example","x")'


def test_a_recording_encrypted_at_rest_is_played_downloaded_and_zipped_in_clear_for_an_allowed_user(
        app, as_admin, recordings, db):
    from engine import sealing
    key = sealing.new_key()
    row = db.get(Recording, recordings[0])
    clear = Path(row.path).read_bytes()
    sealing.seal(row.path, sealing.keyring(key))
    assert Path(row.path).read_bytes().startswith(sealing.MAGIC)        # no WAV header, a sealed token
    assert as_admin.get(f"/recordings/{recordings[0]}/audio").status_code == 410     # no key: not served
    app.config["RECORDING_KEYS"] = key
    played = as_admin.get(f"/recordings/{recordings[0]}/audio", headers={"Range": "bytes=0-3"})
    assert played.status_code == 206 and played.data == b"RIFF"
    assert as_admin.get(f"/recordings/{recordings[0]}/download").data == clear
    archive = zipfile.ZipFile(io.BytesIO(as_admin.post("/recordings/batch.zip",
                                                       data={"ids": [str(recordings[0])]}).data))
    member = next(n for n in archive.namelist() if n.endswith(".wav"))
    assert archive.read(member) == clear
